#!/usr/bin/python3
"""The ResNet-20 workload's PyTorch side (issue 21), as Cortado's `resnet` example trains it:
CIFAR-style ResNet-20 (a 3x3 stem of 16, three stages of three basic blocks at 16/32/64 channels,
strides 1/2/2, BatchNorm after every convolution, 1x1 projection shortcuts, global average
pooling, linear 10) on Fashion-MNIST 28x28 (Debian's dataset-fashion-mnist), SGD with Nesterov
momentum 0.9, lr 0.1 with cosine decay over the run, weight decay 5e-4, batch 128; pixels scaled
to [0, 1] and normalised by the training set's mean and std.

Prints the test accuracy after each epoch and the training and inference throughput in images/s:

  /usr/bin/python3 benchmarks/resnet20.py --threads 2 --epochs 1
  /usr/bin/python3 benchmarks/resnet20.py --threads 2 --epochs 0 --steps 20   # throughput only

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which some machines here set, hold OpenBLAS to AVX2 kernels:
unset them for this command (env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ...).
"""
import argparse
import gzip
import math
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def load(directory, part):
    x = idx(f"{directory}/{part}-images-idx3-ubyte.gz").float().div_(255).unsqueeze(1)
    y = idx(f"{directory}/{part}-labels-idx1-ubyte.gz").long()
    return x, y


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class ResNet20(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(3):
                layers.append(Basic(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--epochs", type=int, default=1)
    a.add_argument("--steps", type=int, default=20, help="timed training steps when --epochs is 0")
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--data", default=FASHION)
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "t10k")
    mean, std = xtr.mean().item(), xtr.std().item()
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    model = ResNet20()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps_per_epoch = len(xtr) // 128
    total = max(1, args.epochs * steps_per_epoch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    print(f"torch {torch.__version__}, {args.threads} threads; {sum(p.numel() for p in model.parameters())} parameters")
    gen = torch.Generator().manual_seed(args.seed)
    trained, images = 0.0, 0
    for epoch in range(args.epochs if args.epochs > 0 else 1):
        order = torch.randperm(len(xtr), generator=gen)
        steps = steps_per_epoch if args.epochs > 0 else args.steps
        model.train()
        for s in range(steps):
            i = order[s * 128:(s + 1) * 128]
            t0 = time.perf_counter()
            loss = F.cross_entropy(model(xtr[i]), ytr[i])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            trained += time.perf_counter() - t0
            images += len(i)
        if args.epochs > 0:
            model.eval()
            with torch.no_grad():
                correct = sum((model(xte[j:j + 500]).argmax(1) == yte[j:j + 500]).sum().item() for j in range(0, len(xte), 500))
            print(f"epoch {epoch + 1}: test accuracy {100 * correct / len(xte):.2f} %")
    print(f"training (batch 128): {images / trained:.0f} images/s")
    model.eval()
    with torch.no_grad():
        model(xte[:500])
        t0 = time.perf_counter()
        for _ in range(3):
            model(xte[:500])
        print(f"inference (batch 500): {3 * 500 / (time.perf_counter() - t0):.0f} images/s")


if __name__ == "__main__":
    main()
