// One thread pool for everything the core runs in parallel: the BLAS products and the fused elementwise passes.
//
// OpenBLAS's own threads busy-wait after each product, so an elementwise pass run on a second pool of ours
// would fight them for the cores (measured: no gain at all from a 2-thread pass). Instead the core installs
// `openblas_pool_callback` into its OpenBLAS (OpenBLAS's caller-managed threading), so OpenBLAS hands its jobs
// to this pool, and the same workers run the parts of the elementwise passes. Only one pool is ever busy.
//
// Who may use the pool. At most one thread owns it at a time: the thread of a core call (CoreCall) that
// found no other core call running. The owner's products may be split by OpenBLAS, its passes run in parts
// and its large batches run as shards, all on the pool. Every other thread (a second Python thread calling
// the core at the same time, or a part of the owner's job) runs its work itself, with single-threaded
// products (blas::gemm_serial). Why:
//   - No thread ever waits for the pool: it is taken with try_lock or not at all. A split product holds
//     OpenBLAS's process-wide level-3 lock while its jobs run, so a thread that waited for the pool while
//     another held it and waited for that lock would deadlock (seen when one Python thread changed OpenBLAS's
//     thread count while others evaluated).
//   - Concurrent calls each run on a core of their own instead of queueing behind one pool whose threads spin:
//     n concurrent calls cost about what the same calls cost one after another.
//   - OpenBLAS's thread count is read, never written, so the user's (or threadpoolctl's) setting is never
//     overridden, nor restored over a change that another thread made meanwhile.
//
// The owner runs part 0 of each job and the workers the rest. Workers spin briefly after a job (products and
// passes alternate quickly inside one evaluation), then sleep on a condition variable, so an idle pool costs
// nothing. The number of threads is OpenBLAS's (set by threadpoolctl or OPENBLAS_NUM_THREADS): limiting the
// BLAS pool limits everything.
#pragma once
#include <atomic>
#include <cstddef>

#include "ufldl/blas.hpp"

namespace ufldl {

// Upper bound on the parts of one elementwise pass.
constexpr int max_parts = 8;

// Marks a call into the core for its lifetime (every public entry point of the kernels opens one; nested ones
// do nothing). The outermost takes the pool if no other core call is running and the pool is free.
class CoreCall {
public:
    CoreCall();
    ~CoreCall();
    CoreCall(const CoreCall&) = delete;
    CoreCall& operator=(const CoreCall&) = delete;

private:
    bool outermost_ = false;
};

// Whether this thread owns the pool now (and is not running a part of a pool job): it may run jobs on it.
bool owns_pool();

// Whether this thread should spread new work over the pool: it owns it and no other core call is running.
bool pool_is_for_this_call();

// C(M x N) = alpha * op(A) * op(B) + beta * C, row-major: split over the pool's threads when this call has
// the pool to itself, else single-threaded.
template <class T>
void gemm(bool trans_a, bool trans_b, int M, int N, int K, T alpha, const T* A, int lda, const T* B, int ldb,
          T beta, T* C, int ldc) {
    if (pool_is_for_this_call())
        blas::gemm_pooled(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        blas::gemm_serial(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// A non-owning reference to a callable taking the part index (no allocation, unlike std::function).
class PartTask {
public:
    template <class F>
    PartTask(F& f) : object_(&f), call_([](void* o, int part) { (*static_cast<F*>(o))(part); }) {}
    void operator()(int part) const { call_(object_, part); }

private:
    void* object_;
    void (*call_)(void*, int);
};

// Runs task(part) for part in [0, parts) and returns when all are done: on the pool if this thread owns it
// (part 0 on the calling thread), else every part on the calling thread.
void parallel_parts(int parts, PartTask task);

// Runs task(part) for part in [0, parts), every part on a thread of its own at the same time (so parts may wait
// for each other), and returns true; returns false, running nothing, if this thread does not own the pool.
// The parts' products are single-threaded (each part already has a thread of its own).
bool run_concurrently(int parts, PartTask task);

// How many parts a pass over `elements` values should use: 1 for small passes (the hand-off would cost more
// than it saves) and on a thread that does not own the pool, else the BLAS thread count (capped at max_parts).
int parts_for(long long elements);

// Runs fn(begin, end) over [0, n) split into parts_for(n * cost_per_item) contiguous ranges on the pool (range
// boundaries at multiples of 16 items, so vectorised loops keep their alignment).
template <class F>
void parallel_ranges(long long n, long long cost_per_item, F fn) {
    const int parts = parts_for(n * cost_per_item);
    if (parts == 1) {
        fn(0LL, n);
        return;
    }
    auto bound = [&](int p) { return p == parts ? n : (n * p / parts) / 16 * 16; };
    auto task = [&](int p) { fn(bound(p), bound(p + 1)); };
    parallel_parts(parts, task);
}

// All parts of a run_concurrently job wait at arrive_and_wait() until every part has arrived (spinning, then
// yielding the core: the parts run at the same time and the waits are short, unless the machine is
// oversubscribed and a part is waiting for a core).
class Barrier {
public:
    explicit Barrier(int count) : count_(count) {}
    void arrive_and_wait();

private:
    const int count_;
    std::atomic<int> arrived_{0};
    std::atomic<int> generation_{0};
};

// Routes OpenBLAS's threading through this pool; called once when the module loads.
void install_blas_callback();

}  // namespace ufldl
