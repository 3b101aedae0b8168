#include "thread_pool.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "cortado_cpu.h"

namespace cortado {

namespace {
// Spin this many rounds before yielding / sleeping: back-to-back kernel calls then find the
// workers awake (a condition-variable wake costs tens of microseconds).
constexpr int kSpinRounds = 20000;

inline void cpu_relax() { __builtin_ia32_pause(); }
}  // namespace

void Barrier::wait() {
    int gen = generation_.load(std::memory_order_acquire);
    if (count_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
        count_.store(0, std::memory_order_relaxed);
        generation_.fetch_add(1, std::memory_order_acq_rel);
        return;
    }
    for (int spins = 0; generation_.load(std::memory_order_acquire) == gen; spins++) {
        if (spins < kSpinRounds) cpu_relax();
        else std::this_thread::yield();
    }
}

namespace {

thread_local bool in_region = false;

using Body = std::function<void(int, int, Barrier&)>;

class Pool {
public:
    Pool() { resize(static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))); }
    ~Pool() { stop_workers(); }

    void resize(int n) {
        std::lock_guard<std::mutex> busy(run_mutex_);
        stop_workers();
        size_ = n;
        stopping_ = false;
        const long now = generation_.load(std::memory_order_acquire);  // new workers wait for the next job
        for (int t = 1; t < n; t++) workers_.emplace_back([this, t, now] { work(t, now); });
    }

    int size() const { return size_.load(); }

    void run(int want, const Body& body) {
        std::unique_lock<std::mutex> busy(run_mutex_, std::defer_lock);
        // The team size is read under the run lock, which resize() takes too: a size read before
        // it could count workers that a concurrent resize had already stopped (a region waiting
        // forever for them).
        const int n = want <= 1 || in_region || !busy.try_lock() ? 1 : std::min(want, size_.load());
        if (n <= 1) {
            if (busy.owns_lock()) busy.unlock();
            Barrier one(1);
            body(0, 1, one);
            return;
        }
        Barrier barrier(n);
        body_ = &body;
        barrier_ = &barrier;
        active_ = n;
        pending_.store(n - 1, std::memory_order_relaxed);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            generation_.fetch_add(1, std::memory_order_release);
        }
        wake_.notify_all();
        in_region = true;
        body(0, n, barrier);
        in_region = false;
        for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
            if (spins < kSpinRounds) cpu_relax();
            else std::this_thread::yield();
        }
    }

private:
    void work(int tid, long seen) {
        in_region = true;
        for (;;) {
            // spin a while for the next job, then sleep
            int spins = 0;
            while (generation_.load(std::memory_order_acquire) == seen && !stopping_.load(std::memory_order_acquire)
                   && spins < kSpinRounds) {
                cpu_relax();
                spins++;
            }
            if (generation_.load(std::memory_order_acquire) == seen) {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] {
                    return stopping_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
                });
            }
            if (stopping_.load(std::memory_order_acquire)) return;
            seen = generation_.load(std::memory_order_acquire);
            if (tid < active_) {
                (*body_)(tid, active_, *barrier_);
                pending_.fetch_sub(1, std::memory_order_acq_rel);
            }
        }
    }

    void stop_workers() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_.store(true, std::memory_order_release);
        }
        wake_.notify_all();
        for (auto& w : workers_) w.join();
        workers_.clear();
    }

    std::atomic<int> size_{1};
    std::vector<std::thread> workers_;
    std::mutex run_mutex_;  // one parallel region at a time
    std::mutex mutex_;      // guards sleeping on wake_
    std::condition_variable wake_;
    std::atomic<long> generation_{0};
    std::atomic<bool> stopping_{false};
    const Body* body_ = nullptr;  // written before generation_ is bumped (release), read after (acquire)
    Barrier* barrier_ = nullptr;
    int active_ = 0;
    std::atomic<int> pending_{0};
};

Pool& pool() {
    static Pool p;
    return p;
}

}  // namespace

void set_threads(int n) {
    if (n != pool().size()) pool().resize(n);
}

int threads() { return pool().size(); }

void parallel(int want, const Body& body) { pool().run(want, body); }

void parallel_range(long n, long min_per_thread, const std::function<void(long, long)>& body) {
    int want = static_cast<int>(std::min<long>(threads(), n / std::max(1L, min_per_thread)));
    if (want <= 1) {
        body(0, n);
        return;
    }
    parallel(want, [&](int tid, int nt, Barrier&) {
        long b, e;
        split(n, nt, tid, b, e);
        if (b < e) body(b, e);
    });
}

}  // namespace cortado

void cortado_set_threads(int n) { cortado::set_threads(n); }
int cortado_threads() { return cortado::threads(); }
