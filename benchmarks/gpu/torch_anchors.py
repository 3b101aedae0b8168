#!/usr/bin/env python3
"""The anchors of the GPU bundle, timed on the machine that runs it and written as JMH JSON
(AverageTime, ms/op) so BenchReport reads them beside ours:
  gemm        torch.mm in fp32 with TF32 off (cuBLAS), n = 1024, 4096, 8192          backend torch-cuda
  lenet train the same LeNet as Cortado's (Caffe's), SGD momentum 0.9, eager          backend torch-cuda / torch-cpu
  lenet infer eval, no grad                                                             backend torch-cuda / torch-cpu
at batch 64, 512, 1000. Usage: torch_anchors.py <out.json> [seconds per measurement]"""
import json
import sys
import time

import torch
import torch.nn as nn


def lenet():
    return nn.Sequential(nn.Conv2d(1, 20, 5), nn.MaxPool2d(2, 2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2, 2),
                         nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10))


def timed(step, sync, seconds):
    """Mean seconds per call of step() after a warm-up, calls timed to their end (sync)."""
    for _ in range(5):
        step()
    sync()
    end = time.perf_counter() + seconds
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() < end:
        step()
        calls += 1
    sync()
    return (time.perf_counter() - t0) / calls


def result(bench, params, seconds):
    return {"benchmark": "torch." + bench, "mode": "avgt", "params": params,
            "primaryMetric": {"score": seconds * 1e3, "scoreUnit": "ms/op"}}


def main():
    out = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    results = []
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_num_threads(torch.get_num_threads())
    if "cuda" in devices:
        sync = torch.cuda.synchronize
        for n in (1024, 4096, 8192):
            a, b = torch.rand(n, n, device="cuda"), torch.rand(n, n, device="cuda")
            results.append(result("GemmBenchmark.gemm", {"backend": "torch-cuda", "n": str(n)}, timed(lambda: torch.mm(a, b), sync, seconds)))
    for dev in devices:
        sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
        for batch in (64, 512, 1000):
            torch.manual_seed(1)
            net = lenet().to(dev)
            opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0005)
            x = torch.rand(batch, 1, 28, 28, device=dev)
            y = torch.arange(batch, device=dev) % 10
            loss_fn = nn.CrossEntropyLoss()

            def train():
                opt.zero_grad()
                loss_fn(net(x), y).backward()
                opt.step()

            results.append(result("LeNetTrainBenchmark.trainStep", {"backend": "torch-" + dev, "batch": str(batch)}, timed(train, sync, seconds)))
            net.eval()
            with torch.no_grad():
                results.append(result("LeNetInferenceBenchmark.infer", {"backend": "torch-" + dev, "batch": str(batch)},
                                      timed(lambda: net(x), sync, seconds)))
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
    print("torch", torch.__version__, "threads", torch.get_num_threads(), "devices", devices, "->", out)


if __name__ == "__main__":
    main()
