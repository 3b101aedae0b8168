"""Runs a NetChain saved by Cortado (NetChain.save) in PyTorch.

    python3 netchain_in_torch.py model.safetensors inputs.bin outputs.bin

Reads the safetensors file (with safetensors.torch.load_file where that package is installed, and
always with the few lines of the format below, checking that both agree), builds the chain's layers
from the architecture in the metadata as torch.nn modules of the same names, loads the weights with
load_state_dict(strict=True) and writes the outputs for the inputs (little-endian float64: samples
of the chain's input shape one after another). The layers it knows: linear, elementwise,
convolution, pooling, flatten, softmax, batchNormalization, globalAveragePooling, residual.
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        assert t["dtype"] == "F32", t
        begin, end = t["data_offsets"]
        a = np.frombuffer(data[8 + n + begin:8 + n + end], dtype="<f4").reshape(t["shape"])
        tensors[name] = torch.from_numpy(a.copy())
    return meta, tensors


class FlatLinear(nn.Linear):
    """Cortado's linear layer flattens each sample first."""

    def forward(self, x):
        return super().forward(x.flatten(1))


class Residual(nn.Module):
    def __init__(self, branch, shortcut):
        super().__init__()
        self.branch = branch
        if shortcut is not None:
            self.shortcut = shortcut

    def forward(self, x):
        return self.branch(x) + (self.shortcut(x) if hasattr(self, "shortcut") else x)


def build(layers, shape, state, prefix):
    """nn.Sequential of the layers for per-sample inputs of shape; returns it and the output shape."""
    modules = []
    for i, spec in enumerate(layers):
        kind, name = spec["layer"], prefix + str(i)
        if kind == "linear":
            m = FlatLinear(int(np.prod(shape)), spec["size"])
            shape = [spec["size"]]
        elif kind == "elementwise":
            m = {"RAMP": nn.ReLU, "TANH": nn.Tanh, "LOGISTIC_SIGMOID": nn.Sigmoid}[spec["function"]]()
        elif kind == "convolution":
            k, s, p = spec["kernel"], spec["stride"], spec["padding"]
            m = nn.Conv2d(shape[0], spec["filters"], k, stride=s, padding=p, bias=spec["biases"])
            shape = [spec["filters"], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1]
        elif kind == "pooling":
            k, s = spec["kernel"], spec["stride"]
            m = nn.MaxPool2d(k, s)
            shape = [shape[0], (shape[1] - k) // s + 1, (shape[2] - k) // s + 1]
        elif kind == "flatten":
            m = nn.Flatten()
            shape = [int(np.prod(shape))]
        elif kind == "softmax":
            m = nn.Softmax(dim=1)
        elif kind == "batchNormalization":
            m = nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
        elif kind == "globalAveragePooling":
            m = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
            shape = [shape[0]]
        elif kind == "residual":
            branch, out = build(spec["branch"], shape, state, name + ".branch.")
            shortcut = build(spec["shortcut"], shape, state, name + ".shortcut.")[0] if spec["shortcut"] else None
            m, shape = Residual(branch, shortcut), out
        else:
            raise SystemExit(f"layer kind {kind} is not in this script")
        modules.append(m)
    return nn.Sequential(*modules), shape


def main(model, inputs, outputs):
    meta, state = read_safetensors(model)
    try:
        from safetensors.torch import load_file
        library = load_file(model)
        assert library.keys() == state.keys() and all(torch.equal(library[k], state[k]) for k in state)
        print("safetensors.torch.load_file agrees")
    except ImportError:
        print("no safetensors package: read by this script's reader only")
    assert meta["cortado.kind"] == "NetChain", meta["cortado.kind"]
    arch = json.loads(meta["cortado.architecture"])
    net, _ = build(arch["layers"], arch["input_shape"], state, "")
    net.load_state_dict(state, strict=True)
    net.train(arch["training"])
    x = np.fromfile(inputs, dtype="<f8").astype(np.float32).reshape([-1] + arch["input_shape"])
    with torch.no_grad():
        y = net(torch.from_numpy(x)).double().numpy()
    y.astype("<f8").tofile(outputs)


if __name__ == "__main__":
    main(*sys.argv[1:4])
