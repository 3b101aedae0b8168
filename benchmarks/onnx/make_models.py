#!/usr/bin/python3
"""Exports issue 22's real models to ONNX (opset 17) for the import checks and benchmarks; the files
are not committed (tens of MB). Run with Debian's torch 1.13 + torchvision:

  /usr/bin/python3 benchmarks/onnx/make_models.py [--out benchmarks/onnx/models] [--only resnet18,...]

  resnet18.onnx      torchvision ResNet-18, random weights (seed 0, BatchNorm statistics from random images), input x [1, 3, 224, 224]
  resnet18_b32.onnx  the same weights, input x [32, 3, 224, 224]
  mobilenet_v2.onnx  torchvision MobileNetV2, random weights (likewise), x [1, 3, 224, 224]
  encoder.onnx       nn.TransformerEncoder: 2 layers, 4 heads, 128 wide, feed-forward 512, x [8, 128, 128]
  gpt.onnx           benchmarks/gpt_char.py's GPT (models.Gpt's architecture: 4 layers, 4 heads, 128 wide,
                     context 64, tied embeddings, vocabulary 96), ids [1, 64] int64

Shapes are static (no dynamic axes): Cortado's importer folds the shape arithmetic at load.
java/onnx's LargeOnnxModelsTest runs each file present in Cortado and ONNX Runtime Java
(-Dcortado.onnx.models=benchmarks/onnx/models).
"""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from gpt_char import Gpt  # noqa: E402

OPSET = 17


def export(model, example, path, input_name="x"):
    model.eval()
    # the eval-mode fast path of nn.TransformerEncoderLayer (one fused op) is taken only without grad
    with torch.set_grad_enabled(any(p.requires_grad for p in model.parameters())):
        torch.onnx.export(model, example, path, opset_version=OPSET, input_names=[input_name], output_names=["y"],
                          do_constant_folding=True)
    print(f"{os.path.basename(path)}  {os.path.getsize(path) / 1e6:.1f} MB")


def calibrate(model):
    """BatchNorm running statistics from a batch of random images (training mode, cumulative average), so that the
    activations of a randomly initialised network keep their scale through its depth (torchvision's init leaves
    MobileNetV2's output at 1e-9, which would make any comparison vacuous)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        model(torch.randn(8, 3, 224, 224))
    model.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "models"))
    ap.add_argument("--only", default="resnet18,resnet18_b32,mobilenet_v2,encoder,gpt")
    args = ap.parse_args()
    only = set(args.only.split(","))
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name + ".onnx")  # noqa: E731
    torch.manual_seed(0)
    resnet = torchvision.models.resnet18(weights=None)
    calibrate(resnet)
    for p in resnet.parameters():
        p.requires_grad_(False)
    if "resnet18" in only:
        export(resnet, torch.randn(1, 3, 224, 224), out("resnet18"))
    if "resnet18_b32" in only:
        export(resnet, torch.randn(32, 3, 224, 224), out("resnet18_b32"))
    if "mobilenet_v2" in only:
        torch.manual_seed(0)
        mobilenet = torchvision.models.mobilenet_v2(weights=None)
        calibrate(mobilenet)
        for p in mobilenet.parameters():
            p.requires_grad_(False)
        export(mobilenet, torch.randn(1, 3, 224, 224), out("mobilenet_v2"))
    if "encoder" in only:
        torch.manual_seed(0)
        layer = nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=512, dropout=0.0, batch_first=True)
        encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        export(encoder, torch.randn(8, 128, 128), out("encoder"))
    if "gpt" in only:
        torch.manual_seed(0)
        gpt = Gpt(96)
        export(gpt, torch.randint(0, 96, (1, 64)), out("gpt"), input_name="ids")


if __name__ == "__main__":
    main()
