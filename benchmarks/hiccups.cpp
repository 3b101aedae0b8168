// How often this machine takes a CPU away from a running thread (hypervisor steal, interrupts,
// other processes): one thread pinned to each CPU reads the clock in a loop for N seconds and
// counts the gaps between reads. Run it on an otherwise idle machine, before trusting a tail
// latency: a stall on any CPU a parallel call uses lands in that call.
//   g++ -O2 -pthread benchmarks/hiccups.cpp -o /tmp/hiccups && /tmp/hiccups [seconds]
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> threads;
    for (unsigned cpu = 0; cpu < cpus; cpu++) threads.emplace_back([cpu, seconds] {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
        using Clock = std::chrono::steady_clock;
        const auto start = Clock::now(), end = start + std::chrono::seconds(seconds);
        long over50 = 0, over200 = 0, over1000 = 0;
        double lostUs = 0, maxUs = 0;
        for (auto last = start;;) {
            const auto now = Clock::now();
            const double gap = std::chrono::duration<double, std::micro>(now - last).count();
            last = now;
            if (gap > 50) over50++, lostUs += gap;
            if (gap > 200) over200++;
            if (gap > 1000) over1000++;
            if (gap > maxUs) maxUs = gap;
            if (now > end) break;
        }
        std::printf("cpu %u: stalls per second over 50 us %.1f, over 200 us %.1f, over 1 ms %.1f; time lost %.2f %%; longest %.0f us\n",
                    cpu, over50 / double(seconds), over200 / double(seconds), over1000 / double(seconds),
                    lostUs / (seconds * 1e4), maxUs);
    });
    for (auto& t : threads) t.join();
}
