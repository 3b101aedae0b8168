#include "thread_pool.h"

#include <algorithm>
#include <cstdint>
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
        for (int t = 1; t < n; t++) workers_.emplace_back([this, now] { work(now); });
    }

    int size() const { return size_.load(); }

    void run(int want, const Body& body, bool barrier_free) {
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
        done_.store(0, std::memory_order_relaxed);
        const long gen = generation_.load(std::memory_order_relaxed) + 1;
        slots_.store(pack(gen, n, 1), std::memory_order_release);  // tids 1..n-1 are up for claiming
        {
            std::lock_guard<std::mutex> lock(mutex_);
            generation_.store(gen, std::memory_order_release);
        }
        wake_.notify_all();
        in_region = true;
        body(0, n, barrier);
        if (barrier_free) claim(gen);  // the tids no worker has taken yet
        in_region = false;
        for (int spins = 0; done_.load(std::memory_order_acquire) != n - 1; spins++) {
            if (spins < kSpinRounds) cpu_relax();
            else std::this_thread::yield();
        }
    }

private:
    // slots_ = generation (low 32 bits) << 32 | team size << 16 | next tid to claim
    static uint64_t pack(long gen, int n, int next) {
        return static_cast<uint64_t>(static_cast<uint32_t>(gen)) << 32 | static_cast<uint64_t>(n) << 16 | static_cast<uint64_t>(next);
    }

    // Runs tids of region `gen` until none is left unclaimed. A claimed tid keeps its region (and
    // body_) alive: the caller returns only when every tid is done.
    void claim(long gen) {
        for (uint64_t s = slots_.load(std::memory_order_acquire);;) {
            if ((s >> 32) != static_cast<uint32_t>(gen)) return;
            const int n = static_cast<int>((s >> 16) & 0xffff), tid = static_cast<int>(s & 0xffff);
            if (tid >= n) return;
            if (!slots_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
            (*body_)(tid, n, *barrier_);
            done_.fetch_add(1, std::memory_order_acq_rel);
            s = slots_.load(std::memory_order_acquire);
        }
    }

    void work(long seen) {
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
            claim(seen);
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
    const Body* body_ = nullptr;  // written before slots_ is published (release), read after a claim (acquire)
    Barrier* barrier_ = nullptr;
    std::atomic<uint64_t> slots_{0};
    std::atomic<int> done_{0};    // tids 1..n-1 finished
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

void parallel(int want, const Body& body, bool barrier_free) { pool().run(want, body, barrier_free); }

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
    }, true);
}

}  // namespace cortado

void cortado_set_threads(int n) { cortado::set_threads(n); }
int cortado_threads() { return cortado::threads(); }
