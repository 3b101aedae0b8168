#!/usr/bin/python3
"""The GPT workload's PyTorch side (issue 21): nanoGPT's shakespeare-char recipe scaled to 2 cores,
on the text of Debian's `fortunes` package, exactly as Cortado's `gpt` example trains it.

  4 layers, 4 heads, 128 embedding, context 64, batch 32, GELU (tanh), pre-norm blocks, tied
  embeddings, no dropout; AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on matrices only),
  100 warm-up iterations then cosine to lr/10 at --iterations, gradient clipping at 1.0.

Prints the train/validation loss every --eval-every iterations (mean over --eval-batches random
batches of each split, as nanoGPT's estimate_loss) and the training and inference throughput in
tokens/s. Run with Debian's PyTorch (apt-get install python3-torch fortunes):

  /usr/bin/python3 benchmarks/gpt_char.py --threads 2 --iterations 500

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which some machines here set, hold OpenBLAS to AVX2 kernels:
unset them for this command (env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ...).
"""
import argparse
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FORTUNES = "/usr/share/games/fortunes"


def corpus(directory):
    """The data files of the fortunes package (not .dat, not the .u8 links), in name order."""
    names = sorted(n for n in os.listdir(directory)
                   if not n.endswith(".dat") and not os.path.islink(os.path.join(directory, n)))
    text = "".join(open(os.path.join(directory, n), encoding="utf-8").read() for n in names)
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    cut = int(len(ids) * 0.9)
    return chars, ids[:cut], ids[cut:]


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, 4 * dim)
        self.proj = nn.Linear(4 * dim, dim)

    def forward(self, x, mask):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.proj(F.gelu(self.fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, vocab, dim=128, layers=4, heads=4, context=64):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(context, dim)
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        self.register_buffer("mask", torch.triu(torch.full((context, context), float("-inf")), 1))
        for m in self.modules():  # nanoGPT's init: N(0, 0.02), zero biases
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for b in self.blocks:
            x = b(x, self.mask[:t, :t])
        return self.ln_f(x) @ self.wte.weight.t()  # tied output projection


def batch(ids, size, context, gen):
    starts = torch.randint(len(ids) - context, (size,), generator=gen)
    x = torch.stack([ids[s:s + context] for s in starts])
    y = torch.stack([ids[s + 1:s + 1 + context] for s in starts])
    return x, y


def lr_at(it, base, warmup, total):
    if it < warmup:
        return base * (it + 1) / warmup
    progress = min(1.0, (it - warmup) / max(1, total - warmup))
    return base / 10 + 0.5 * (1 + math.cos(math.pi * progress)) * (base - base / 10)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--iterations", type=int, default=500)
    a.add_argument("--eval-every", type=int, default=100)
    a.add_argument("--eval-batches", type=int, default=20)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--data", default=FORTUNES)
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    chars, train, val = corpus(args.data)
    batch_size, context = 32, 64
    model = Gpt(len(chars), context=context)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.99))
    gen = torch.Generator().manual_seed(args.seed)
    print(f"torch {torch.__version__}, {args.threads} threads; vocabulary {len(chars)}, "
          f"train {len(train)} / validation {len(val)} characters; "
          f"{sum(p.numel() for p in model.parameters())} parameters")

    def estimate():
        model.eval()
        out = []
        with torch.no_grad():
            for ids in (train, val):
                losses = [F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item()
                          for x, y in (batch(ids, batch_size, context, gen) for _ in range(args.eval_batches))]
                out.append(sum(losses) / len(losses))
        model.train()
        return out

    trained = 0.0
    for it in range(args.iterations):
        for g in opt.param_groups:
            g["lr"] = lr_at(it, 1e-3, 100, args.iterations)
        x, y = batch(train, batch_size, context, gen)
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        trained += time.perf_counter() - t0
        if (it + 1) % args.eval_every == 0:
            tr, va = estimate()
            print(f"iter {it + 1}: train loss {tr:.4f}, validation loss {va:.4f}")
    print(f"training: {args.iterations * batch_size * context / trained:.0f} tokens/s")
    model.eval()
    with torch.no_grad():
        x, _ = batch(val, 64, context, gen)
        model(x)
        t0 = time.perf_counter()
        for _ in range(10):
            model(x)
        print(f"inference (batch 64 x {context}): {10 * 64 * context / (time.perf_counter() - t0):.0f} tokens/s")


if __name__ == "__main__":
    main()
