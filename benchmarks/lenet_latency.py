#!/usr/bin/env python3
"""PyTorch's side of LeNetLatencyBenchmark: the same LeNet (conv 20 5x5, max-pool 2/2, conv 50 5x5,
max-pool 2/2, linear 500 + ReLU, linear 10), eval mode, no grad, one call per request; prints
p50/p90/p99/p99.9 in microseconds for each (threads, batch). Usage: python3 benchmarks/lenet_latency.py"""
import time
import torch
import torch.nn as nn

def lenet():
    return nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2, 2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2, 2),
                         nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10)).eval()

def percentile(sorted_us, p):
    return sorted_us[min(len(sorted_us) - 1, int(p / 100.0 * len(sorted_us)))]

def main():
    torch.manual_seed(1)
    net = lenet()
    print("torch", torch.__version__)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for batch in (1, 8):
            x = torch.rand(batch, 1, 28, 28)
            with torch.no_grad():
                for _ in range(500):
                    net(x)
                times = []
                end = time.perf_counter() + 9.0  # as long as JMH's 3 x 3 s measurement
                while time.perf_counter() < end:
                    t0 = time.perf_counter_ns()
                    net(x)[0, 0].item()
                    times.append((time.perf_counter_ns() - t0) / 1000.0)
            times.sort()
            print("threads %d batch %d: n=%d p50 %.1f us  p90 %.1f  p99 %.1f  p99.9 %.1f" % (
                threads, batch, len(times), percentile(times, 50), percentile(times, 90), percentile(times, 99), percentile(times, 99.9)))

if __name__ == "__main__":
    main()
