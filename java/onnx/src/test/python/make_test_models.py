#!/usr/bin/python3
"""Writes the small ONNX models that cortado-onnx's import tests run (java/onnx/src/test/resources/onnx/).

Run with Debian's torch 1.13 + onnx 1.12:  /usr/bin/python3 java/onnx/src/test/python/make_test_models.py
Every model is exported by torch.onnx.export at opset 17 from modules with seeded random weights (BatchNorm
statistics randomised too, so folding them into the convolutions is tested with non-trivial values); the
one torch cannot emit (auto_pad) is built with onnx.helper. The files are committed so CI needs no torch.
"""
import os
import sys

import onnx
from onnx import TensorProto, helper, numpy_helper
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "onnx")
OPSET = 17


def randomize_bn(m):
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)


class TinyCnn(nn.Module):
    """Conv+BN (folded at import), a grouped dilated conv, a depthwise strided conv, pools of every kind, Gemm."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.b1 = nn.BatchNorm2d(8)
        self.c2 = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4, bias=False)
        self.b2 = nn.BatchNorm2d(8)
        self.c3 = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
        self.c4 = nn.Conv2d(8, 12, 1)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        x = torch.sigmoid(self.b2(self.c2(x)))
        x = F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)
        x = torch.tanh(self.c3(x))
        x = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)
        x = F.relu(self.c4(x))
        x = F.avg_pool2d(x, 2)
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


class TinyMlp(nn.Module):
    """Both of torch's GELU subgraphs (erf and tanh forms; fused into Gelu at import), LayerNorm, Softmax."""

    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(10, 32)
        self.l2 = nn.Linear(32, 16)
        self.norm = nn.LayerNorm(16)
        self.l3 = nn.Linear(16, 4)

    def forward(self, x):
        x = F.gelu(self.l1(x))
        x = self.norm(F.gelu(self.l2(x), approximate="tanh"))  # the tanh form: another subgraph
        return torch.softmax(self.l3(x), dim=-1)


class OpZoo(nn.Module):
    """Broadcasting arithmetic, the shape arithmetic of view/size, Transpose, Concat, Split, Slice, Gather, Where."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.rand(4, 1) + 0.5)
        self.shift = nn.Parameter(torch.randn(5))
        self.register_buffer("idx", torch.tensor([3, 0, 2]))

    def forward(self, x):                                    # x [2, 3, 4, 5]
        y = x * self.scale + self.shift                      # Mul, Add broadcasting
        y = (y - x.mean(dim=(2, 3), keepdim=True)) / (x.pow(2).sum(dim=1, keepdim=True) + 1).sqrt()
        b, c, h, w = x.shape                                 # Shape, Gather, shape arithmetic
        flat = y.reshape(b, c * h // 2, -1)                  # [2, 6, 10]: Div on int64, Concat, Reshape
        t = flat.transpose(1, 2)                             # [2, 10, 6]
        a, bb = torch.split(t, [4, 6], dim=1)                # Split
        s = t[:, 1:9:3, 2:]                                  # Slice with steps -> [2, 3, 4]
        g = torch.index_select(a, 2, self.idx)               # Gather [2, 4, 3]
        g2 = bb[:, 2]                                        # Gather with a scalar index -> [2, 6]
        m = torch.where(g > 0, g, 0.1 * g)                   # Greater, Where
        cat = torch.cat([m.transpose(1, 2), s], dim=1)         # [2, 6, 4]
        out = cat.unsqueeze(1).squeeze(1) * g2.unsqueeze(-1)  # Unsqueeze/Squeeze, [2, 6, 4]
        out = out - out.mean(dim=-1, keepdim=True)           # ReduceMean
        flat_out = out.flatten(1)                            # three outputs, so no part hides behind a larger one
        return flat_out, torch.softmax(flat_out, dim=1), torch.pow(g2.abs() + 1, 0.5).sum(-1, keepdim=True)


def export(model, args, name, input_names=("x",), output_names=("y",)):
    model.eval()
    path = os.path.join(OUT, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, args, path, opset_version=OPSET, input_names=list(input_names),
                          output_names=list(output_names), do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    print(f"{name}.onnx  {os.path.getsize(path)} bytes")


def conv_bn_autopad():
    """What torch.onnx.export does not emit (it folds eval-mode BatchNorm itself and never writes auto_pad):
    Conv (auto_pad SAME_UPPER, stride 2: odd total padding) -> BatchNormalization (folded at import) -> Relu
    -> BatchNormalization that follows no Conv (run as is) -> MaxPool SAME_LOWER -> AveragePool VALID."""
    rng = np.random.default_rng(7)

    def init(name, shape, lo=None, hi=None):
        a = rng.standard_normal(shape) if lo is None else rng.uniform(lo, hi, shape)
        return numpy_helper.from_array(a.astype(np.float32), name)

    inits = [init("w", (4, 3, 3, 3)), init("b", (4,)),
             init("g1", (4,), 0.5, 1.5), init("beta1", (4,)), init("mean1", (4,)), init("var1", (4,), 0.5, 2.0),
             init("g2", (4,), 0.5, 1.5), init("beta2", (4,)), init("mean2", (4,)), init("var2", (4,), 0.5, 2.0)]
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv_same_upper", auto_pad="SAME_UPPER", strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c", "g1", "beta1", "mean1", "var1"], ["n1"], name="bn_after_conv", epsilon=1e-3),
        helper.make_node("Relu", ["n1"], ["r"], name="relu"),
        helper.make_node("BatchNormalization", ["r", "g2", "beta2", "mean2", "var2"], ["n2"], name="bn_alone"),
        helper.make_node("MaxPool", ["n2"], ["p"], name="pool_same_lower", auto_pad="SAME_LOWER", kernel_shape=[2, 2]),
        helper.make_node("AveragePool", ["p"], ["y"], name="avg_valid", auto_pad="VALID", kernel_shape=[2, 2], strides=[1, 1]),
    ]
    graph = helper.make_graph(nodes, "conv_bn_autopad",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 9, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, 4, 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(OUT, "conv_bn_autopad.onnx")
    onnx.save(model, path)
    print(f"conv_bn_autopad.onnx  {os.path.getsize(path)} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(22)
    cnn = TinyCnn()
    randomize_bn(cnn)
    export(cnn, torch.randn(2, 3, 16, 16), "tiny_cnn")
    export(TinyMlp(), torch.randn(4, 10), "tiny_mlp")
    enc = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, dropout=0.0, batch_first=True)
    # the eval-mode fast path (one fused op) is taken only without grad; export traces the composite ops
    for p in enc.parameters():
        p.requires_grad_(True)
    enc.eval()
    path = os.path.join(OUT, "tiny_transformer.onnx")
    torch.onnx.export(enc, torch.randn(2, 5, 16), path, opset_version=OPSET, input_names=["x"], output_names=["y"])
    onnx.checker.check_model(onnx.load(path))
    print(f"tiny_transformer.onnx  {os.path.getsize(path)} bytes")
    export(OpZoo(), torch.randn(2, 3, 4, 5), "op_zoo", output_names=("y", "p", "s"))
    conv_bn_autopad()


if __name__ == "__main__":
    sys.exit(main())
