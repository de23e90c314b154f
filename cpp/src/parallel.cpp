#include "ufldl/parallel.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ufldl/blas.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define UFLDL_PAUSE() _mm_pause()
#else
#define UFLDL_PAUSE() ((void)0)
#endif

namespace ufldl {
namespace {

constexpr long long min_elements_per_part = 16384;
// How long an idle worker spins before it sleeps: longer than the gaps inside one evaluation, short enough
// that the pool is quiet soon after the evaluation returns.
constexpr auto spin_time = std::chrono::microseconds(300);
// Pauses before a wait for another part starts yielding its core (about 0.1 ms): a partner that has no core
// to run on (more runnable threads than cores) then gets one, instead of waiting out this thread's time slice.
constexpr unsigned spins_before_yield = 2048;
constexpr int max_workers = 63;

thread_local bool in_pool_job = false;  // this thread is running a part of a pool job
thread_local int call_depth = 0;        // nesting of CoreCall on this thread
thread_local bool pool_owner = false;   // this thread's outermost CoreCall took the pool
class Pool;
thread_local Pool* owned = nullptr;     // that pool (so that checks need not look it up)

template <class Done>
void spin_until(Done done) {
    for (unsigned spins = 0; !done(); ++spins) {
        if (spins < spins_before_yield)
            UFLDL_PAUSE();
        else
            std::this_thread::yield();
    }
}

class Pool {
public:
    ~Pool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
            generation_.fetch_add(1);
        }
        wake_.notify_all();
        for (auto& t : threads_) t.join();
    }

    // Runs task(0..parts-1) concurrently; only the owner calls it. Every part is guaranteed a thread of its
    // own (OpenBLAS's jobs wait for each other).
    void run(int parts, PartTask task) {
        grow(parts - 1);
        task_ = &task;
        parts_ = parts;
        // Every worker acknowledges every job, also one with no part for it: otherwise a worker still
        // reading parts_ and task_ of this job could race with the owner writing them for the next one.
        pending_.store(static_cast<int>(threads_.size()), std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        in_pool_job = true;
        task(0);
        in_pool_job = false;
        spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; });
    }

    // Ownership: taken with try_lock only (never waited for; see parallel.hpp), released by the same thread.
    std::mutex owner_mutex;
    // Core calls running now, on any thread (the pool is taken only by a call that runs alone).
    std::atomic<int> active_calls{0};

private:
    void grow(int workers) {
        while (static_cast<int>(threads_.size()) < std::min(workers, max_workers)) {
            const int part = static_cast<int>(threads_.size()) + 1;
            // The new worker starts from the generation before the job about to be posted, so it cannot
            // miss that job however late it starts.
            const unsigned start = generation_.load(std::memory_order_acquire);
            threads_.emplace_back([this, part, start] { work(part, start); });
        }
    }

    void work(int part, unsigned seen) {
        in_pool_job = true;
        for (;;) {
            // Spin (reading the clock only every 64 pauses: it costs more than a pause).
            const auto until = std::chrono::steady_clock::now() + spin_time;
            for (unsigned spins = 1; generation_.load(std::memory_order_acquire) == seen; ++spins) {
                UFLDL_PAUSE();
                if (spins % 64 == 0 && std::chrono::steady_clock::now() >= until) break;
            }
            if (generation_.load(std::memory_order_acquire) == seen) {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
            }
            seen = generation_.load(std::memory_order_acquire);
            if (stop_) return;
            if (part < parts_) (*task_)(part);
            pending_.fetch_sub(1, std::memory_order_release);
        }
    }

    std::vector<std::thread> threads_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<unsigned> generation_{0};
    std::atomic<int> pending_{0};
    const PartTask* task_ = nullptr;
    int parts_ = 0;
    bool stop_ = false;
};

// The process's pool, created on first use, and anew in a forked child (which inherits no threads, and
// perhaps a locked mutex or a count of calls running on threads it does not have: the parent's pool is
// abandoned there, never touched).
Pool* pool() {
    static std::mutex create_mutex;
    static std::unique_ptr<Pool> instance;
    static pid_t owner = 0;
    std::lock_guard<std::mutex> lock(create_mutex);
    if (!instance || owner != getpid()) {
        if (instance) (void)instance.release();
        instance = std::make_unique<Pool>();
        owner = getpid();
    }
    return instance.get();
}

// Fallback for an OpenBLAS job on a thread that does not own the pool (nothing in the core does this: its
// products there are serial; it covers code that reaches this OpenBLAS without going through ufldl::gemm):
// one new thread per extra part, never a wait for the pool.
void run_on_new_threads(int parts, PartTask task) {
    std::vector<std::thread> extra;
    for (int part = 1; part < parts; ++part) extra.emplace_back([&task, part] { task(part); });
    task(0);
    for (auto& t : extra) t.join();
}

// OpenBLAS's caller-managed threading: run its numjobs jobs, all at once, and return when they are done.
// Called with OpenBLAS's level-3 lock held: it must never wait for the pool.
extern "C" void openblas_pool_callback(int /*sync*/, openblas_dojob_callback dojob, int numjobs,
                                       std::size_t jobdata_elsize, void* jobdata, int dojob_data) {
    auto job = [&](int part) {
        dojob(part, static_cast<char*>(jobdata) + static_cast<std::size_t>(part) * jobdata_elsize, dojob_data);
    };
    if (numjobs <= 1) {
        for (int part = 0; part < numjobs; ++part) job(part);
    } else if (owns_pool()) {
        pool()->run(numjobs, job);
    } else {
        run_on_new_threads(numjobs, job);
    }
}

}  // namespace

CoreCall::CoreCall() {
    if (call_depth++ > 0 || in_pool_job) return;
    outermost_ = true;
    Pool* p = pool();
    const int others = p->active_calls.fetch_add(1, std::memory_order_acq_rel);
    if (others == 0 && p->owner_mutex.try_lock()) {
        pool_owner = true;
        owned = p;
    }
}

CoreCall::~CoreCall() {
    --call_depth;
    if (!outermost_) return;
    Pool* p = pool();
    if (pool_owner) {
        pool_owner = false;
        owned = nullptr;
        p->owner_mutex.unlock();
    }
    p->active_calls.fetch_sub(1, std::memory_order_acq_rel);
}

bool owns_pool() { return pool_owner && !in_pool_job; }

bool pool_is_for_this_call() {
    // Owned, and no other core call has started since: a call that arrives while this one runs works on a
    // core of its own, so this one stops spreading new work over the pool (work already split finishes).
    return owns_pool() && owned->active_calls.load(std::memory_order_relaxed) == 1;
}

void Barrier::arrive_and_wait() {
    const int generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == count_) {
        arrived_.store(0, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_release);
        return;
    }
    spin_until([&] { return generation_.load(std::memory_order_acquire) != generation; });
}

void install_blas_callback() { blas::set_threads_callback(&openblas_pool_callback); }

int parts_for(long long elements) {
    if (!pool_is_for_this_call()) return 1;
    if (elements < 2 * min_elements_per_part) return 1;
    const long long by_size = elements / min_elements_per_part;
    return static_cast<int>(std::min<long long>({by_size, blas::num_threads(), max_parts}));
}

bool run_concurrently(int parts, PartTask task) {
    if (!pool_is_for_this_call()) return false;
    pool()->run(parts, task);
    return true;
}

void parallel_parts(int parts, PartTask task) {
    if (parts > 1 && pool_is_for_this_call()) {
        pool()->run(parts, task);
        return;
    }
    for (int part = 0; part < parts; ++part) task(part);
}

}  // namespace ufldl
