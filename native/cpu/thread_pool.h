// A persistent thread pool: workers are created once and wait for work, so a kernel call never
// creates threads. One parallel region runs at a time; a caller that finds the pool busy (another
// Java thread) or that is itself a worker runs its region on one thread instead of oversubscribing.
#pragma once
#include <algorithm>
#include <atomic>
#include <functional>

namespace cortado {

// A counter that threads of the pool wait on (spinning briefly, then yielding, then asleep).
class Signal {
public:
    int get() const { return value_.load(std::memory_order_acquire); }
    void set(int v) { value_.store(v, std::memory_order_seq_cst); wake_sleepers(); }
    void add(int d) { value_.fetch_add(d, std::memory_order_seq_cst); wake_sleepers(); }
    // Returns once the value is `target`.
    void await(int target);
private:
    void wake_sleepers();
    void sleep_while(int seen);
    std::atomic<int> value_{0};
    std::atomic<int> sleepers_{0};
};

// A reusable barrier for the threads of one parallel region.
class Barrier {
public:
    explicit Barrier(int n) : n_(n) {}
    void wait();
private:
    const int n_;
    std::atomic<int> count_{0};
    Signal generation_;
};

void set_threads(int n);
int threads();

// Runs body(tid, nthreads, barrier) for tid in [0, nthreads) on up to `want` threads (tid 0 on the
// caller) and returns when all are done. nthreads may be smaller than want. Workers claim the
// other tids as they wake; with barrier_free (the body never waits on the barrier) the caller,
// once done with tid 0, runs the tids no worker has claimed yet itself, so a worker that wakes
// late (or that the OS has descheduled) never holds up the call. A body that waits on the
// barrier needs every tid on its own thread: the caller then waits for the workers.
void parallel(int want, const std::function<void(int, int, Barrier&)>& body, bool barrier_free = false);

// [begin, end) of part `tid` when `total` items are split into `parts` near-equal runs.
inline void split(long total, int parts, int tid, long& begin, long& end) {
    long q = total / parts, r = total % parts;
    begin = tid * q + (tid < r ? tid : r);
    end = begin + q + (tid < r ? 1 : 0);
}

// Runs body(tid, item) for items [0, count) on up to `want` threads, handing the items out one at a
// time, so that a thread the (shared) machine slows down takes fewer of them. Which thread runs an
// item must not change its result.
template <class Body>
void parallel_items(int want, long count, const Body& body) {
    std::atomic<long> next{0};
    parallel(static_cast<int>(std::min<long>(want, count)), [&](int tid, int, Barrier&) {
        for (long item; (item = next.fetch_add(1, std::memory_order_relaxed)) < count;) body(tid, item);
    }, true);
}

// Splits [0, n) over the pool when n is large enough to pay for it, else runs inline.
void parallel_range(long n, long min_per_thread, const std::function<void(long, long)>& body);

}  // namespace cortado
