#!/usr/bin/python3
"""Why tinycnn is NHWC: PyTorch (oneDNN) ResNet-50 training steps on this machine in NCHW and in
channels-last, alternating A B A B in one run so machine noise hits both alike.
Usage: benchmarks/layout/torch_layout.py [--batch 16] [--steps 3] [--threads 2]"""
import argparse
import time

import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=16)
p.add_argument("--steps", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--rounds", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
x = torch.randn(a.batch, 3, 224, 224)
y = torch.randint(0, 1000, (a.batch,))
results = {"NCHW": [], "NHWC (channels_last)": []}
models = {}
for name in results:
    m = torchvision.models.resnet50(num_classes=1001)
    fmt = torch.channels_last if "NHWC" in name else torch.contiguous_format
    models[name] = (m.to(memory_format=fmt), fmt,
                    torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9))
for r in range(a.rounds):
    for name, (m, fmt, opt) in models.items():
        xi = x.contiguous(memory_format=fmt)
        loss = torch.nn.functional.cross_entropy(m(xi), y)  # warm-up step
        loss.backward(); opt.step(); opt.zero_grad()
        t0 = time.perf_counter()
        for _ in range(a.steps):
            loss = torch.nn.functional.cross_entropy(m(xi), y)
            loss.backward(); opt.step(); opt.zero_grad()
        results[name].append(a.batch * a.steps / (time.perf_counter() - t0))
print(f"torch {torch.__version__}, ResNet-50 training, batch {a.batch}, {a.threads} threads")
for name, v in results.items():
    print(f"{name:22s} images/sec per round: " + ", ".join(f"{s:.2f}" for s in v) + f"   best {max(v):.2f}")
base = max(results["NCHW"])
print(f"channels-last / NCHW: {max(results['NHWC (channels_last)']) / base:.2f}x")
