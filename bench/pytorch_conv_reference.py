#!/usr/bin/env python3
"""The measurements of `mytorch bench --only conv`, taken in PyTorch, printed as one JSON object.

For the `--model` presets lenet5 and cnn (built by tools/check_pytorch_load.py's build_spec, module for module as
MyTorch builds them): training samples/s (batch 128, SGD lr 0.01 momentum 0.9, cross-entropy, float32, random
normal inputs as the MyTorch side uses) and inference samples/s at batch 1 and 256 under no_grad, each at 1 and at
all threads (the best is PyTorch's best thread setting). Run with Debian's interpreter:

    /usr/bin/python3 bench/pytorch_conv_reference.py [--seconds 3] > pytorch-conv.json
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
from check_pytorch_load import build_spec  # noqa: E402


def rate(call, samples, seconds):
    for _ in range(3):
        call()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        call()
        calls += 1
    return calls * samples / (time.perf_counter() - start)


def measure(name, threads, seconds):
    torch.manual_seed(42)
    torch.set_num_threads(threads)
    model = build_spec(name, 784, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = [(torch.randn(128, 784), torch.randint(0, 10, (128,))) for _ in range(8)]
    state = {"i": 0}

    def step():
        x, y = batches[state["i"] % len(batches)]
        state["i"] += 1
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    result = {"train_samples_per_second": rate(step, 128, seconds)}
    model.eval()
    for batch in (1, 256):
        x = torch.randn(batch, 784)
        with torch.no_grad():
            result[f"inference_batch_{batch}_samples_per_second"] = rate(lambda: model(x), batch, seconds)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    report = {"torch": torch.__version__, "models": {}}
    for name in ("lenet5", "cnn"):
        per_threads = {t: measure(name, t, args.seconds) for t in sorted({1, os.cpu_count() or 1})}
        best = {key: max(r[key] for r in per_threads.values()) for key in next(iter(per_threads.values()))}
        report["models"][name] = {"by_threads": {str(t): r for t, r in per_threads.items()}, "best": best}
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
