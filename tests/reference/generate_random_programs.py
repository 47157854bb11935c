#!/usr/bin/python3
"""Seeded random programs of ops, run through PyTorch in float64, for a differential test of MyTorch.

Writes tests/reference/fixtures/random_programs.json. Each program is a chain of 3-6 ops (element-wise,
broadcast binary, reductions over a dimension or all elements, softmax/log_softmax/logsumexp, matmul,
reshape/transpose) applied to small float64 inputs that include edge values (+0, -0, tiny, subnormal, large,
and now and then an infinity). Each program records its op list, PyTorch's output, the upstream gradient and
the gradient of every input. tests/MyTorch.Tests/Reference/RandomProgramTests.cs replays each program through
MyTorch and compares values and gradients (NaN and infinity placement exactly).

Regenerate (the JSON file is committed, so CI needs no PyTorch):

    /usr/bin/python3 tests/reference/generate_random_programs.py

Deterministic: Python's random.Random(SEED) draws everything, and torch runs on one CPU thread.

File format: a JSON list of programs, one per line:
    {"name": "program N", "ops": [op ...], "grad_output": tensor, "output": tensor, "grads": [tensor ...]}
where a tensor is {"shape": [...], "data": [...]} (row-major; repr() floats, which round-trip float64, and the
strings "inf", "-inf", "nan" for non-finite values). Each op produces one value, numbered in order; "args"
name earlier values. {"op": "input", "shape", "data"} is a leaf that requires grad; "grads" holds the
gradient of each input op in order. The program's result is the last value.
Ops: neg exp log sqrt abs tanh sigmoid relu (one arg); add sub mul div maximum minimum matmul (two args);
add_scalar {"value"}; pow {"exponent"}; clamp {"min", "max"} (either may be null); sum mean max min var
{"dim": int | null (all elements), "keepdim"}; logsumexp {"dim", "keepdim"}; softmax log_softmax {"dim"};
reshape {"shape"}; transpose {"dim0", "dim1"}.
"""

import json
import math
import os
import random

import torch

SEED = 20261208
PROGRAMS = 240
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "random_programs.json")

torch.set_num_threads(1)
F64 = torch.float64

# Edge values an input element may be replaced with. Large values stay at 1e150 so that products of two stay
# finite and overflow comes from the program's ops (exp, pow, division by tiny values), not from rounding order.
EDGE_VALUES = [0.0, -0.0, 1e-150, -1e-150, 5e-324, 1e150, -1e150, 1.0, -1.0, 2.0]
INFINITIES = [math.inf, -math.inf]

UNARY = ["neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "pow", "clamp", "add_scalar"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum"]
REDUCTIONS = ["sum", "mean", "max", "min", "var", "logsumexp", "softmax", "log_softmax"]


def encode(values):
    out = []
    for v in values:
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(v)
    return out


def tensor_json(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": encode(t.reshape(-1).tolist())}


class Program:
    def __init__(self, rng, allow_inf):
        self.rng = rng
        self.allow_inf = allow_inf
        self.ops = []
        self.values = []
        self.inputs = []

    def emit(self, op, value):
        self.ops.append(op)
        self.values.append(value)
        return len(self.values) - 1

    def new_input(self, shape):
        count = math.prod(shape)
        data = []
        for _ in range(count):
            r = self.rng.random()
            if r < 0.2:
                data.append(self.rng.choice(EDGE_VALUES))
            elif r < 0.24 and self.allow_inf:
                data.append(self.rng.choice(INFINITIES))
            else:
                data.append(round(self.rng.gauss(0, 1.5), 6) if self.rng.random() < 0.3 else self.rng.gauss(0, 1.5))
        t = torch.tensor(data, dtype=F64).reshape(shape).requires_grad_()
        self.inputs.append(t)
        return self.emit({"op": "input", "shape": list(shape), "data": encode(data)}, t)

    def positive(self, i):
        """Makes value i positive (abs, then + 0.5) unless it already is; returns the value to use."""
        if bool((self.values[i] > 0).all()):
            return i
        a = self.emit({"op": "abs", "args": [i]}, self.values[i].abs())
        return self.emit({"op": "add_scalar", "args": [a], "value": 0.5}, self.values[a] + 0.5)

    def partner_shape(self, shape):
        """A shape that broadcasts with shape: the same, a suffix, or with some sizes set to 1."""
        choice = self.rng.random()
        if choice < 0.4 or not shape:
            return list(shape)
        if choice < 0.7:
            return list(shape[self.rng.randrange(len(shape) + 1):])
        return [1 if self.rng.random() < 0.5 else s for s in shape]

    def step(self, i):
        x = self.values[i]
        rank = x.dim()
        kinds = ["unary"] * 4 + ["binary"] * 3 + ["reduction"] * 3 + ["shape"]
        if rank in (1, 2, 3) and x.numel() <= 24:
            kinds += ["matmul"] * 2
        kind = self.rng.choice(kinds)
        if kind == "unary":
            op = self.rng.choice(UNARY)
            if op in ("log", "sqrt"):
                j = self.positive(i)
                y = self.values[j].log() if op == "log" else self.values[j].sqrt()
                return self.emit({"op": op, "args": [j]}, y)
            if op == "pow":
                exponent = self.rng.choice([2.0, 3.0, -1.0, 0.5, 0.0])
                j = self.positive(i) if exponent == 0.5 else i
                return self.emit({"op": "pow", "args": [j], "exponent": exponent}, self.values[j].pow(exponent))
            if op == "clamp":
                lo = self.rng.choice([None, -1.0, 0.0, 0.5])
                hi = self.rng.choice([None, 0.0, 1.0, 2.0]) if lo is not None else self.rng.choice([0.0, 1.0, 2.0])
                return self.emit({"op": "clamp", "args": [i], "min": lo, "max": hi}, x.clamp(min=lo, max=hi))
            if op == "add_scalar":
                value = self.rng.choice([0.5, -1.0, 3.0])
                return self.emit({"op": "add_scalar", "args": [i], "value": value}, x + value)
            y = {"neg": torch.neg, "exp": torch.exp, "abs": torch.abs, "tanh": torch.tanh,
                 "sigmoid": torch.sigmoid, "relu": torch.relu}[op](x)
            return self.emit({"op": op, "args": [i]}, y)
        if kind == "binary":
            op = self.rng.choice(BINARY)
            j = self.new_input(self.partner_shape(list(x.shape)))
            a, b = (i, j) if self.rng.random() < 0.7 else (j, i)
            fn = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
                  "maximum": torch.maximum, "minimum": torch.minimum}[op]
            return self.emit({"op": op, "args": [a, b]}, fn(self.values[a], self.values[b]))
        if kind == "reduction":
            op = self.rng.choice(REDUCTIONS)
            if op == "var" and (rank == 0 or x.numel() == 1):
                # PyTorch 1.13's gradient of a variance with no degrees of freedom: inf for a 0-d tensor, where
                # MyTorch (like PyTorch for a one-element dimension) gives NaN; an error for var() of shape (1,).
                op = "sum"
            dims = max(rank, 1)
            dim = self.rng.randrange(-dims, dims)
            keepdim = self.rng.random() < 0.4
            if op in ("softmax", "log_softmax"):
                y = x.softmax(dim) if op == "softmax" else x.log_softmax(dim)
                return self.emit({"op": op, "args": [i], "dim": dim}, y)
            if op == "logsumexp":
                return self.emit({"op": op, "args": [i], "dim": dim, "keepdim": keepdim}, x.logsumexp(dim, keepdim))
            if self.rng.random() < 0.35:
                y = {"sum": x.sum, "mean": x.mean, "max": x.max, "min": x.min, "var": x.var}[op]()
                return self.emit({"op": op, "args": [i], "dim": None, "keepdim": False}, y)
            if op in ("max", "min"):
                y = (x.max(dim, keepdim) if op == "max" else x.min(dim, keepdim)).values
            elif op == "var":
                y = x.var(dim, keepdim=keepdim)
            else:
                y = (x.sum if op == "sum" else x.mean)(dim, keepdim)
            return self.emit({"op": op, "args": [i], "dim": dim, "keepdim": keepdim}, y)
        if kind == "matmul":
            k = x.shape[-1]
            n = self.rng.randint(1, 3)
            if rank == 3 and self.rng.random() < 0.5:
                shape = [x.shape[0], k, n]
            elif self.rng.random() < 0.25:
                shape = [k]
            else:
                shape = [k, n]
            j = self.new_input(shape)
            return self.emit({"op": "matmul", "args": [i, j]}, torch.matmul(x, self.values[j]))
        # shape
        if rank >= 2 and self.rng.random() < 0.5:
            d0, d1 = self.rng.sample(range(-rank, rank), 2)
            if (d0 - d1) % rank == 0:
                d1 = (d0 + 1) % rank
            return self.emit({"op": "transpose", "args": [i], "dim0": d0, "dim1": d1}, x.transpose(d0, d1))
        count = x.numel()
        divisors = [d for d in range(1, count + 1) if count % d == 0]
        first = self.rng.choice(divisors)
        shape = [first, count // first] if self.rng.random() < 0.6 else [count]
        if self.rng.random() < 0.3:
            shape = [-1] + shape[1:]
        return self.emit({"op": "reshape", "args": [i], "shape": shape}, x.reshape(shape))


def random_shape(rng):
    rank = rng.choice([0, 1, 1, 2, 2, 2, 3])
    return [rng.randint(1, 4) for _ in range(rank)]


def build(index, rng):
    program = Program(rng, allow_inf=rng.random() < 0.3)
    current = program.new_input(random_shape(rng))
    for _ in range(rng.randint(3, 6)):
        current = program.step(current)
    out = program.values[current]
    grad_output = torch.tensor([rng.gauss(0, 1) for _ in range(out.numel())], dtype=F64).reshape(out.shape)
    grads = torch.autograd.grad(out, program.inputs, grad_output, allow_unused=True)
    grads = [torch.zeros_like(t) if g is None else g for t, g in zip(program.inputs, grads)]
    return {"name": f"program {index}", "ops": program.ops, "grad_output": tensor_json(grad_output),
            "output": tensor_json(out), "grads": [tensor_json(g) for g in grads]}


def main():
    rng = random.Random(SEED)
    programs = [build(i, rng) for i in range(PROGRAMS)]
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps(p, separators=(",", ":"), allow_nan=False) for p in programs))
        f.write("\n]\n")
    print(f"wrote {len(programs)} programs to {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
