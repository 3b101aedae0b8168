#include "thread_pool.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "cortado_cpu.h"

namespace cortado {

namespace {

// How a thread of the pool waits (for another thread, or, idle, for the next region): it pauses
// for a few microseconds (what it waits for is usually about to happen), then yields its CPU
// between checks, then sleeps on a futex or condition variable. Yielding matters where there are
// as many busy threads as cores: the thread it waits for may be queued on this very CPU, and a
// waiter that kept spinning would hold it off for a whole time slice (traced: caller and worker
// taking turns on one CPU every 0.5 ms, each spinning while the other ran — the 4-6 ms p99 of
// LeNet inference on 2 threads). Sleeping matters when the awaited thread was preempted on the
// other CPU (by the JIT, say): this CPU goes idle and the scheduler moves that thread here. The
// sleep comes late enough that a team member's ordinary lateness at a barrier (a row block of a
// GEMM, tens of microseconds) is waited out awake, and that back-to-back kernel calls find the
// workers awake; a pool left alone soon stops using the CPU.
constexpr int kPauseRounds = 128;
constexpr auto kSleepAfter = std::chrono::microseconds(200);

// Pauses, then yields; says when it is time to sleep (checking the clock every 64 rounds).
class Backoff {
public:
    Backoff() : until_(std::chrono::steady_clock::now() + kSleepAfter) {}
    bool wait() {
        if (++rounds_ <= kPauseRounds) __builtin_ia32_pause();
        else std::this_thread::yield();
        return rounds_ % 64 == 0 && std::chrono::steady_clock::now() > until_;
    }
private:
    const std::chrono::steady_clock::time_point until_;
    long rounds_ = 0;
};

}  // namespace

void Signal::wake_sleepers() {
    if (sleepers_.load(std::memory_order_seq_cst) > 0)
        syscall(SYS_futex, reinterpret_cast<int*>(&value_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

void Signal::sleep_while(int seen) {
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    // returns at once if value_ is no longer `seen`: a change between our check and the call is not lost
    if (value_.load(std::memory_order_seq_cst) == seen)
        syscall(SYS_futex, reinterpret_cast<int*>(&value_), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
}

void Signal::await(int target) {
    for (Backoff backoff; value_.load(std::memory_order_acquire) != target;) {
        if (!backoff.wait()) continue;
        for (int v; (v = value_.load(std::memory_order_acquire)) != target;) sleep_while(v);
        return;
    }
}

void Barrier::wait() {
    const int gen = generation_.get();
    if (count_.fetch_add(1, std::memory_order_acq_rel) == n_ - 1) {
        count_.store(0, std::memory_order_relaxed);
        generation_.add(1);
        return;
    }
    generation_.await(static_cast<int>(static_cast<unsigned>(gen) + 1u));  // wraps like the counter
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
        done_.set(0);
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
        done_.await(n - 1);
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
            done_.add(1);
            s = slots_.load(std::memory_order_acquire);
        }
    }

    void work(long seen) {
        in_region = true;
        for (;;) {
            // check a while for the next region, then sleep
            for (Backoff backoff;
                 generation_.load(std::memory_order_acquire) == seen && !stopping_.load(std::memory_order_acquire) && !backoff.wait();) {
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
    Signal done_;                 // tids 1..n-1 finished
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
