#!/usr/bin/python3
"""PyTorch's side of the JMH workload benchmarks (GptTrainBenchmark, GptInferenceBenchmark,
ResNetTrainBenchmark, ResNetInferenceBenchmark -p engine=pytorch): one step of the same model and
recipe as benchmarks/gpt_char.py and benchmarks/resnet20.py define (imported from there), on
resident random data, each time a line "step" arrives on stdin; it answers "ok <value>". JMH times
the round trip in the same run and fork as Cortado's side; the pipe's ~0.1 ms is noise next to
the steps' tens of milliseconds.

  /usr/bin/python3 benchmarks/torch_worker.py gpt-train --threads 2      # then type: step

Workloads: gpt-train (batch 32 x 64, AdamW, clip 1), gpt-infer (batch 64 x 64, eval, no grad),
resnet-train (batch 128, SGD Nesterov, weight decay 5e-4), resnet-infer (batch 500, eval, no grad).
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt_char  # noqa: E402
import resnet20  # noqa: E402

VOCAB = 113  # the fortunes corpus's vocabulary, so the output projection has the recipe's size


def gpt_train():
    model = gpt_char.Gpt(VOCAB)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.99))
    x, y = torch.randint(VOCAB, (32, 64)), torch.randint(VOCAB, (32, 64))

    def step():
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()
    return step, model


def gpt_infer():
    model = gpt_char.Gpt(VOCAB).eval()
    x = torch.randint(VOCAB, (64, 64))

    def step():
        with torch.no_grad():
            return model(x)[0, 0, 0].item()
    return step, model


def resnet_train():
    model = resnet20.ResNet20()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x, y = torch.randn(128, 1, 28, 28), torch.randint(10, (128,))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()
    return step, model


def resnet_infer():
    model = resnet20.ResNet20().eval()
    x = torch.randn(500, 1, 28, 28)

    def step():
        with torch.no_grad():
            return model(x)[0, 0].item()
    return step, model


WORKLOADS = {"gpt-train": gpt_train, "gpt-infer": gpt_infer, "resnet-train": resnet_train, "resnet-infer": resnet_infer}


def main():
    a = argparse.ArgumentParser()
    a.add_argument("workload", choices=sorted(WORKLOADS))
    a.add_argument("--threads", type=int, default=2)
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    step, model = WORKLOADS[args.workload]()
    print(f"ready torch {torch.__version__} {torch.get_num_threads()} threads; "
          f"{sum(p.numel() for p in model.parameters())} parameters", flush=True)
    for line in sys.stdin:
        if line.strip() != "step":
            break
        print(f"ok {step()}", flush=True)


if __name__ == "__main__":
    main()
