// One thread pool for everything the core runs in parallel: the BLAS products and the fused elementwise passes.
//
// OpenBLAS's own threads busy-wait after each product, so an elementwise pass run on a second pool of ours
// would fight them for the cores (measured: no gain at all from a 2-thread pass). Instead the core installs
// `openblas_pool_callback` into its OpenBLAS (OpenBLAS's caller-managed threading), so OpenBLAS hands its jobs
// to this pool, and the same workers run the parts of the elementwise passes. Only one pool is ever busy.
//
// The calling thread runs part 0 and the workers the rest. Workers spin briefly after a job (products and
// passes alternate quickly inside one evaluation), then sleep on a condition variable, so an idle pool costs
// nothing. The number of threads is OpenBLAS's (set by threadpoolctl or OPENBLAS_NUM_THREADS): limiting the
// BLAS pool limits everything.
#pragma once
#include <atomic>
#include <cstddef>

namespace ufldl {

// Upper bound on the parts of one elementwise pass.
constexpr int max_parts = 8;

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

// Runs task(part) for part in [0, parts) and returns when all are done. Part 0 runs on the calling thread.
// If the pool is busy (another thread's job), every part runs on the calling thread instead.
void parallel_parts(int parts, PartTask task);

// Runs task(part) for part in [0, parts), every part on a thread of its own at the same time (so parts may wait
// for each other), and returns true; returns false, running nothing, if that cannot be had right now (the pool is
// busy, or the caller is itself a part of a pool job). With single_threaded_blas, OpenBLAS runs single-threaded
// while the parts run (each part already has a thread; OpenBLAS has no per-thread setting in this build, so its
// global count is lowered and restored, under the pool's lock).
bool run_concurrently(int parts, PartTask task, bool single_threaded_blas);

// How many parts a pass over `elements` values should use: 1 for small passes (the hand-off would cost more
// than it saves) and inside a pool job, else the BLAS thread count (capped at max_parts).
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

// All parts of a run_concurrently job wait at arrive_and_wait() until every part has arrived (spinning: the
// parts run at the same time, one per thread, and the waits are short).
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
