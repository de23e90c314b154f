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

// How many parts a pass over `elements` values should use: 1 for small passes (the hand-off would cost more
// than it saves), else the BLAS thread count (capped at max_parts).
int parts_for(long long elements);

// Routes OpenBLAS's threading through this pool; called once when the module loads.
void install_blas_callback();

}  // namespace ufldl
