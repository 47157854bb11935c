#!/usr/bin/python3
"""PyTorch reference fixtures for MyTorch's losses (src/MyTorch/Losses).

Writes tests/reference/fixtures/losses.json: for every loss, every reduction (mean, sum, none) and every kind
of target it takes (class indices, one-hot rows, probability rows, hard and soft binary targets), in float64
and float32, the input and target, PyTorch's loss, a random upstream gradient of the loss's shape, and the
gradient of the input from torch.autograd.grad(loss, input, grad_output).
tests/MyTorch.Tests/Losses/LossFixtureTests.cs replays each case through MyTorch and compares.

Regenerate (only needed when adding cases; the JSON file is committed):

    /usr/bin/python3 tests/reference/generate_loss_fixtures.py

It uses Debian's python3-torch (written against torch 1.13) and is deterministic: a fixed torch.manual_seed,
CPU only, one thread, and a fixed JSON layout, so re-running gives a byte-identical file. CI never needs
PyTorch: the tests read only the committed JSON.

What each MyTorch loss is compared with:
    SoftmaxCrossEntropy, CrossEntropyLoss  F.cross_entropy(x, t, reduction=r)   (t: int64 indices or float rows)
    NLLLoss                                F.nll_loss(x, t, reduction=r)        (x: log-probabilities)
    MSELoss                                F.mse_loss(x, y, reduction=r)
    SumSquaredError                        0.5 * (x - y) ** 2, then .sum() / .mean() / nothing
    BCELoss                                F.binary_cross_entropy(p, y, reduction=r)
    BCEWithLogitsLoss                      F.binary_cross_entropy_with_logits(x, y, reduction=r)

File format: a JSON list of cases, one per line:
    {"name": str, "loss": str, "reduction": "mean" | "sum" | "none", "dtype": "float64" | "float32",
     "input": {"shape", "data"}, "target": {"shape", "data"[, "dtype": "int64"]},
     "output": {"shape", "data"}, "grad_output": {"shape", "data"}, "input_grad": {"shape", "data"}}
Data is flattened row-major. Floats are written with repr(), which round-trips float64 exactly; float32 values
are written as the exact (double-representable) value of each float32, so reading them as double and
converting to float is exact. A target marked "dtype": "int64" holds class indices.
"""

import json
import os

import torch
import torch.nn.functional as F

SEED = 20240612
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "losses.json")

torch.manual_seed(SEED)
torch.set_num_threads(1)  # summation order independent of the machine

DTYPES = [("float64", torch.float64), ("float32", torch.float32)]
REDUCTIONS = ["mean", "sum", "none"]
CASES = []


def reduce(values, reduction):
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values


LOSSES = {
    "SoftmaxCrossEntropy": lambda x, t, r: F.cross_entropy(x, t, reduction=r),
    "CrossEntropyLoss": lambda x, t, r: F.cross_entropy(x, t, reduction=r),
    "NLLLoss": lambda x, t, r: F.nll_loss(x, t, reduction=r),
    "MSELoss": lambda x, y, r: F.mse_loss(x, y, reduction=r),
    "SumSquaredError": lambda x, y, r: reduce(0.5 * (x - y) ** 2, r),
    "BCELoss": lambda p, y, r: F.binary_cross_entropy(p, y, reduction=r),
    "BCEWithLogitsLoss": lambda x, y, r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
}


# ---- input generators (always drawn in float64 from the seeded generator, then cast) ------------------

def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)


def class_indices(batch, classes):
    return torch.randint(0, classes, (batch,), dtype=torch.int64)


def one_hot(batch, classes):
    return F.one_hot(class_indices(batch, classes), classes).to(torch.float64)


def probability_rows(batch, classes):
    return torch.softmax(randn(batch, classes), dim=1)


def hard_binary(*shape):
    return (torch.rand(shape, dtype=torch.float64) > 0.5).to(torch.float64)


def soft_binary(*shape):
    return torch.rand(shape, dtype=torch.float64)


# ---- serialization ---------------------------------------------------------------------------------

def encode(t):
    t = t.detach()
    entry = {"shape": list(t.shape)}
    if t.dtype == torch.int64:
        entry["dtype"] = "int64"
        entry["data"] = [int(v) for v in t.reshape(-1).tolist()]
    else:
        # tolist() of a float32 tensor gives the exact float32 values as Python floats.
        entry["data"] = [float(v) for v in t.reshape(-1).tolist()]
    return entry


DOUBLE_BACKWARD = torch.Generator().manual_seed(20261208)


def add(label, losses, x, target, reductions=REDUCTIONS):
    """Adds one case per loss, reduction and dtype: x and a float target are float64 tensors, cast per dtype;
    an int64 target (class indices) is used as is."""
    for loss in losses:
        for reduction in reductions:
            for dtype_name, dtype in DTYPES:
                xi = x.to(dtype).clone().requires_grad_(True)
                ti = target.clone() if target.dtype == torch.int64 else target.to(dtype)
                out = LOSSES[loss](xi, ti, reduction)
                g = torch.randn(out.shape, dtype=torch.float64).to(dtype)
                (grad,) = torch.autograd.grad(out, xi, g, create_graph=True)
                # Double backward: d/dx sum(v * dL/dx), with v from a generator of its own (the draws above stay as they were).
                v = torch.randn(grad.shape, dtype=torch.float64, generator=DOUBLE_BACKWARD).to(dtype)
                double = torch.autograd.grad(grad, xi, v, allow_unused=True)[0] if grad.requires_grad else None
                extra = {}
                # At p = 0 or 1 PyTorch's BCE second derivative is its eps-shifted formula, not the clamped gradient's.
                if double is not None and torch.isfinite(double).all() and not (loss == "BCELoss" and label == "saturated"):
                    extra = {"v": encode(v), "double_grad": encode(double)}
                CASES.append({
                    "name": f"{loss}_{label}_{reduction}_{dtype_name}",
                    "loss": loss,
                    "reduction": reduction,
                    "dtype": dtype_name,
                    "input": encode(xi),
                    "target": encode(ti),
                    "output": encode(out),
                    "grad_output": encode(g),
                    "input_grad": encode(grad),
                    **extra,
                })


# ---- softmax cross-entropy ---------------------------------------------------------------------------

CROSS_ENTROPY = ["SoftmaxCrossEntropy", "CrossEntropyLoss"]
add("indices_4x5", CROSS_ENTROPY, randn(4, 5) * 2, class_indices(4, 5))
add("onehot_4x5", CROSS_ENTROPY, randn(4, 5) * 2, one_hot(4, 5))
add("probs_4x5", CROSS_ENTROPY, randn(4, 5) * 2, probability_rows(4, 5))
add("indices_1x2", CROSS_ENTROPY, randn(1, 2), class_indices(1, 2))
add("indices_6x10", CROSS_ENTROPY, randn(6, 10) * 3, class_indices(6, 10))
# Logits like ±1000: exp overflows without the LogSumExp trick (seed 004, appendix B).
LARGE_LOGITS = torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [1000.0, 1000.0, -1000.0],
                             [-1000.0, -999.0, -1000.5]], dtype=torch.float64)
add("large_logits_indices", CROSS_ENTROPY, LARGE_LOGITS, torch.tensor([0, 2, 1, 1], dtype=torch.int64))
add("large_logits_onehot", CROSS_ENTROPY, LARGE_LOGITS,
    F.one_hot(torch.tensor([1, 2, 0, 2]), 3).to(torch.float64))

# ---- negative log-likelihood -------------------------------------------------------------------------

add("indices_4x5", ["NLLLoss"], torch.log_softmax(randn(4, 5) * 2, dim=1), class_indices(4, 5))
add("indices_1x3", ["NLLLoss"], torch.log_softmax(randn(1, 3), dim=1), class_indices(1, 3))
add("indices_6x10", ["NLLLoss"], torch.log_softmax(randn(6, 10) * 3, dim=1), class_indices(6, 10))

# ---- squared error -----------------------------------------------------------------------------------

SQUARED = ["MSELoss", "SumSquaredError"]
add("4x3", SQUARED, randn(4, 3), randn(4, 3))
add("5", SQUARED, randn(5), randn(5))
add("2x3x2", SQUARED, randn(2, 3, 2) * 4, randn(2, 3, 2))
# Seed 002's worked example: y_hat = [0.16936] * 3 against y = [0, 1, 0].
add("seed002", SQUARED, torch.tensor([0.16936, 0.16936, 0.16936], dtype=torch.float64),
    torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64))

# ---- binary cross-entropy ----------------------------------------------------------------------------

add("hard_4x3", ["BCELoss"], torch.sigmoid(randn(4, 3) * 2), hard_binary(4, 3))
add("soft_4x3", ["BCELoss"], torch.sigmoid(randn(4, 3) * 2), soft_binary(4, 3))
add("soft_6", ["BCELoss"], torch.sigmoid(randn(6)), soft_binary(6))
# p = 0 and p = 1: PyTorch floors each log at -100 and p(1 - p) at 1e-12, so loss and gradient stay finite.
add("saturated", ["BCELoss"],
    torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.5, 1e-8, 0.9999999, 0.25]], dtype=torch.float64),
    torch.tensor([[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.5]], dtype=torch.float64))

add("hard_4x3", ["BCEWithLogitsLoss"], randn(4, 3) * 3, hard_binary(4, 3))
add("soft_4x3", ["BCEWithLogitsLoss"], randn(4, 3) * 3, soft_binary(4, 3))
add("soft_6", ["BCEWithLogitsLoss"], randn(6), soft_binary(6))
# Zero, large and huge logits: the stable form never exponentiates a positive number.
add("extreme", ["BCEWithLogitsLoss"],
    torch.tensor([[0.0, 1000.0, -1000.0, 50.0], [-50.0, 20.0, -20.0, 0.0]], dtype=torch.float64),
    torch.tensor([[1.0, 1.0, 0.0, 0.0], [1.0, 0.3, 0.7, 0.0]], dtype=torch.float64))


# ---- write -----------------------------------------------------------------------------------------

def main():
    names = [c["name"] for c in CASES]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SystemExit(f"duplicate case names: {duplicates}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    lines = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in CASES]
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("[\n" + ",\n".join(lines) + "\n]\n")
    print(f"torch {torch.__version__}: wrote {len(CASES)} cases ({os.path.getsize(OUT)} bytes) to {OUT}")


if __name__ == "__main__":
    main()
