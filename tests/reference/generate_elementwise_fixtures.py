#!/usr/bin/python3
"""PyTorch reference fixtures for MyTorch's element-wise ops, their edge values and their double backward.

Writes tests/reference/fixtures/elementwise.json. For every element-wise op (the new ones: log1p, expm1, sin, cos,
rsqrt, erf, floor, ceil, round, sign, isnan, isinf, isfinite, any, all, pow with a tensor exponent or a scalar base,
clamp with tensor bounds; and the existing ones: exp, log, sqrt, abs, neg, add, sub, mul, div, pow, clamp, maximum,
minimum, where and the activations), in float64 and float32:

- "random" cases: seeded inputs away from kinks, PyTorch's output, the gradient of every input for a random upstream
  gradient g, and the double backward: with the first gradients taken with create_graph=True, the gradient of
  sum_k sum(grad_k * v_k) with respect to every input, for random v_k (allow_unused; an unused input gets zeros);
- "edge" cases: 0-d and empty tensors, and inputs holding 0, -0, ±inf, NaN, subnormal, tiny, huge values and halves,
  with the output and first gradients (no double backward).

tests/MyTorch.Tests/Reference/ElementwiseFixtureTests.cs replays every case.

Regenerate (the JSON file is committed; CI never needs PyTorch):

    /usr/bin/python3 tests/reference/generate_elementwise_fixtures.py

Deterministic: fixed seed, one thread, CPU, a fixed JSON layout. Floats are written with repr() (float32 values as
their exact double value); NaN and the infinities, which JSON lacks, as the strings "nan", "inf" and "-inf".
Case layout: {"name", "op", "dtype", "args", "inputs": [{"shape", "data"[, "requires_grad": false]}],
"output": {"shape", "data"}, "grad_output": {...} | null, "grads": [... | null], and for random cases
"v": [...], "grad_grads": [...]}.
"""

import json
import math
import os

import torch

SEED = 20261208
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "elementwise.json")

torch.manual_seed(SEED)
torch.set_num_threads(1)

DTYPES = [("float64", torch.float64), ("float32", torch.float32)]
CASES = []

SPECIALS = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-310, -1e-310, 1e-30, -1e-30, 1e30, -1e30, 1e300, -1e300,
            0.5, -0.5, 1.5, 2.5, -2.5, 1.0, -1.0, 20.5, -20.5, 100.0, 3.0]


def number(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(v)


def encode(t):
    t = t.detach()
    if t._is_zerotensor():  # PyTorch's lazily allocated zeros (abs's second derivative, say)
        t = torch.zeros(t.shape, dtype=t.dtype)
    return {"shape": list(t.shape), "data": [number(v) for v in t.reshape(-1).to(torch.float64).tolist()]}


def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)


def uniform(low, high, *shape):
    return low + (high - low) * torch.rand(shape, dtype=torch.float64)


def away_from_zero(*shape, margin=0.2):
    x = torch.randn(shape, dtype=torch.float64)
    return torch.sign(x) * (margin + x.abs())


def away_from_integers(*shape):
    return torch.floor(uniform(-4, 4, *shape)) + uniform(0.15, 0.85, *shape)


def specials(*shape):
    n = 1
    for s in shape:
        n *= s
    values = (SPECIALS * (n // len(SPECIALS) + 1))[:n]
    return torch.tensor(values, dtype=torch.float64).reshape(shape)


def add(name, op, fn, inputs, args=None, no_grad=(), forward_only=False, double=True):
    """One case per dtype; fn(*tensors) -> output. Indices in no_grad are inputs that are not differentiated."""
    for dtype_name, dtype in DTYPES:
        tensors = []
        for i, x in enumerate(inputs):
            t = x.to(dtype).clone()
            t.requires_grad_(not forward_only and i not in no_grad)
            tensors.append(t)
        out = fn(*tensors)
        case = {"name": f"{name}_{dtype_name}", "op": op, "dtype": dtype_name, "args": args or {}, "inputs": [],
                "output": encode(out if out.is_floating_point() else out.to(dtype)), "grad_output": None,
                "grads": [None] * len(tensors)}
        for i, t in enumerate(tensors):
            entry = encode(t)
            if forward_only or i in no_grad:
                entry["requires_grad"] = False
            case["inputs"].append(entry)
        if not forward_only:
            g = torch.randn(out.shape, dtype=torch.float64).to(dtype)
            wrt = [t for i, t in enumerate(tensors) if i not in no_grad]
            grads = torch.autograd.grad(out, wrt, g, allow_unused=True, create_graph=double)
            grads = [gi if gi is not None else torch.zeros_like(t) for gi, t in zip(grads, wrt)]
            case["grad_output"] = encode(g)
            k = 0
            for i in range(len(tensors)):
                if i not in no_grad:
                    case["grads"][i] = encode(grads[k])
                    k += 1
            if double:
                vs = [torch.randn(t.shape, dtype=torch.float64).to(dtype) for t in wrt]
                total = sum((gi * v).sum() for gi, v in zip(grads, vs))
                if total.requires_grad:
                    second = torch.autograd.grad(total, wrt, allow_unused=True)
                else:
                    second = [None] * len(wrt)
                case["v"] = [encode(v) for v in vs]
                case["grad_grads"] = [encode(s if s is not None else torch.zeros_like(t)) for s, t in zip(second, wrt)]
        CASES.append(case)


def unary(op, fn, domain, args=None, specials_grad=True):
    """A random case on the op's domain (with double backward), a 0-d, an empty and an edge-value case."""
    add(f"{op}_random", op, fn, [domain(3, 4)], args)
    add(f"{op}_0d", op, fn, [domain()], args, double=False)
    add(f"{op}_empty", op, fn, [torch.zeros(0, 3, dtype=torch.float64)], args, double=False)
    add(f"{op}_edges", op, fn, [specials(len(SPECIALS))], args, forward_only=not specials_grad, double=False)


def positive(*shape):
    return uniform(0.2, 3.0, *shape)


# ---- new unary ops -----------------------------------------------------------------------------------

unary("log1p", torch.log1p, lambda *s: uniform(-0.9, 3.0, *s))
add("log1p_tiny", "log1p", torch.log1p, [torch.tensor([1e-20, -1e-20, 1e-9, -1e-9, 1e-5, -0.999999], dtype=torch.float64)])
unary("expm1", torch.expm1, lambda *s: uniform(-3.0, 3.0, *s))
add("expm1_tiny", "expm1", torch.expm1, [torch.tensor([1e-20, -1e-20, 1e-9, -1e-9, 1e-5, -40.0, 700.0], dtype=torch.float64)],
    double=False)
unary("sin", torch.sin, lambda *s: uniform(-7.0, 7.0, *s))
add("sin_large", "sin", torch.sin, [torch.tensor([1e5, -1e5 + 0.3, 12345.678, 1e10, 3.14159265358979], dtype=torch.float64)],
    double=False)
unary("cos", torch.cos, lambda *s: uniform(-7.0, 7.0, *s))
unary("rsqrt", torch.rsqrt, positive)
unary("erf", torch.erf, lambda *s: uniform(-3.0, 3.0, *s))
add("erf_grid", "erf", torch.erf, [torch.linspace(-6.5, 6.5, 131, dtype=torch.float64)], double=False)
for op, fn in [("floor", torch.floor), ("ceil", torch.ceil), ("round", torch.round), ("sign", torch.sign)]:
    unary(op, fn, away_from_integers)
add("round_ties", "round", torch.round, [torch.tensor([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 4.5, 0.49999999999999994, -0.4],
                                                      dtype=torch.float64)], double=False)
for op, fn in [("isnan", torch.isnan), ("isinf", torch.isinf), ("isfinite", torch.isfinite)]:
    add(f"{op}_edges", op, fn, [specials(len(SPECIALS))], forward_only=True)
    add(f"{op}_0d", op, fn, [torch.tensor(math.nan, dtype=torch.float64)], forward_only=True)
    add(f"{op}_empty", op, fn, [torch.zeros(0, 3, dtype=torch.float64)], forward_only=True)
ANY_INPUT = torch.tensor([[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, -0.0], [2.0, 3.0, math.nan, 1.0]], dtype=torch.float64)
for op, fn in [("any", torch.any), ("all", torch.all)]:
    add(f"{op}_all_elements", op, fn, [ANY_INPUT], forward_only=True)
    add(f"{op}_nan", op, fn, [torch.tensor([0.0, math.nan], dtype=torch.float64)], forward_only=True)
    add(f"{op}_empty", op, fn, [torch.zeros(0, 3, dtype=torch.float64)], forward_only=True)
    add(f"{op}_0d", op, fn, [torch.tensor(-0.0, dtype=torch.float64)], forward_only=True)
    for dim in [0, 1, -1]:
        for keep in [False, True]:
            add(f"{op}_dim{dim}_keep{int(keep)}", op, lambda a, d=dim, k=keep: fn(a, d, keepdim=k), [ANY_INPUT],
                {"dim": dim, "keepDim": keep}, forward_only=True)
    add(f"{op}_empty_dim0", op, lambda a: fn(a, 0), [torch.zeros(0, 3, dtype=torch.float64)], {"dim": 0, "keepDim": False},
        forward_only=True)
    add(f"{op}_0d_dim", op, lambda a: fn(a, -1), [torch.tensor(2.0, dtype=torch.float64)], {"dim": -1, "keepDim": False},
        forward_only=True)

# ---- pow with a tensor exponent, a scalar base; clamp with tensor bounds ----------------------------

add("pow_tensor_same", "pow_tensor", torch.pow, [positive(3, 4), uniform(-2, 2, 3, 4)])
add("pow_tensor_bcast", "pow_tensor", torch.pow, [positive(2, 3, 4), uniform(-2, 2, 3, 1)])
add("pow_tensor_0d_exponent", "pow_tensor", torch.pow, [positive(3, 4), torch.tensor(1.7, dtype=torch.float64)])
add("pow_tensor_negative_base_integer_exponent", "pow_tensor", torch.pow,
    [away_from_zero(3, 4), torch.tensor([2.0, 3.0, -1.0, 0.0], dtype=torch.float64)], double=False)
ZERO_BASE = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 2.0, -0.0, 1.0], dtype=torch.float64)
ZERO_EXP = torch.tensor([0.0, 1.0, 2.0, -1.0, 0.5, 0.0, 3.0, math.inf], dtype=torch.float64)
add("pow_tensor_base_zero", "pow_tensor", torch.pow, [ZERO_BASE, ZERO_EXP], double=False)
add("pow_tensor_edges", "pow_tensor", torch.pow, [specials(len(SPECIALS), 1), torch.tensor(
    [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -2.5, 3.0, math.inf, -math.inf, math.nan], dtype=torch.float64)], double=False)
add("pow_tensor_empty", "pow_tensor", torch.pow, [torch.zeros(0, 3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)],
    double=False)
for base in [2.5, 0.0]:
    add(f"rpow_{str(base).replace('.', 'p')}", "rpow", lambda e, b=base: torch.pow(b, e),
        [uniform(-2, 2, 3, 4) if base != 0 else torch.tensor([0.0, 1.0, 2.0, -1.0, 0.5, -0.0], dtype=torch.float64)],
        {"base": base}, double=base != 0)


def bounds_grid(*shape, offset):
    """Bounds on a 0.25 grid plus 0.1, so that uniform inputs are never within a step of one."""
    return offset + 0.1 + 0.25 * torch.floor(4 * torch.rand(shape, dtype=torch.float64))


add("clamp_tensor_both", "clamp_tensor", lambda x, lo, hi: torch.clamp(x, lo, hi),
    [uniform(-2, 2, 3, 4), bounds_grid(3, 4, offset=-1.5), bounds_grid(4, offset=0.5)])
add("clamp_tensor_min_only", "clamp_tensor", lambda x, lo: torch.clamp(x, min=lo), [uniform(-2, 2, 3, 4), bounds_grid(3, 1, offset=-0.5)],
    {"bounds": "min"})
add("clamp_tensor_max_only", "clamp_tensor", lambda x, hi: torch.clamp(x, max=hi), [uniform(-2, 2, 3, 4), bounds_grid(4, offset=-0.5)],
    {"bounds": "max"})
add("clamp_tensor_min_above_max", "clamp_tensor", lambda x, lo, hi: torch.clamp(x, lo, hi),
    [uniform(-2, 2, 2, 4), torch.full((4,), 0.6, dtype=torch.float64), torch.full((4,), -0.4, dtype=torch.float64)])
add("clamp_tensor_edges", "clamp_tensor", lambda x, lo, hi: torch.clamp(x, lo, hi),
    [specials(len(SPECIALS)), torch.tensor(-1.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)], double=False)
add("clamp_tensor_nan_bound", "clamp_tensor", lambda x, lo, hi: torch.clamp(x, lo, hi),
    [torch.tensor([0.5, 2.0, -3.0], dtype=torch.float64), torch.tensor([math.nan, 0.0, 0.0], dtype=torch.float64),
     torch.tensor([1.0, math.nan, 1.0], dtype=torch.float64)], double=False)
add("clamp_tensor_inf_grad_outside", "clamp_tensor", lambda x, lo, hi: torch.clamp(x, lo, hi) * torch.tensor(math.inf, dtype=x.dtype),
    [torch.tensor([-3.0, 0.5, 3.0], dtype=torch.float64), torch.tensor(-1.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)],
    {"times": "inf"}, double=False)

# ---- the existing element-wise ops: double backward, and edge values ------------------------------

unary("exp", torch.exp, lambda *s: uniform(-3, 3, *s))
unary("log", torch.log, positive)
unary("sqrt", torch.sqrt, positive)
unary("abs", torch.abs, away_from_zero)
unary("neg", torch.neg, randn)
unary("sigmoid", torch.sigmoid, randn)
unary("tanh", torch.tanh, randn)
unary("relu", torch.relu, away_from_zero)
unary("leaky_relu", lambda a: torch.nn.functional.leaky_relu(a, 0.1), away_from_zero, {"slope": 0.1})
unary("softplus", torch.nn.functional.softplus, lambda *s: uniform(-4, 4, *s))
add("softplus_threshold", "softplus", torch.nn.functional.softplus,
    [torch.tensor([19.0, 19.9, 20.5, 25.0, -25.0], dtype=torch.float64)])
unary("gelu", torch.nn.functional.gelu, lambda *s: uniform(-3, 3, *s))
unary("silu", torch.nn.functional.silu, lambda *s: uniform(-4, 4, *s))
for p in [2.0, 3.0, 0.5, -1.5]:
    tag = str(p).replace('-', 'm').replace('.', 'p')
    add(f"pow_{tag}_random", "pow", lambda a, p=p: a.pow(p), [positive(3, 4)], {"exponent": p})
    add(f"pow_{tag}_edges", "pow", lambda a, p=p: a.pow(p), [specials(len(SPECIALS))], {"exponent": p}, double=False)
add("clamp_random", "clamp", lambda a: torch.clamp(a, -0.5, 0.75), [away_from_zero(4, 5)], {"min": -0.5, "max": 0.75})
add("clamp_edges", "clamp", lambda a: torch.clamp(a, -0.5, 0.75), [specials(len(SPECIALS))], {"min": -0.5, "max": 0.75},
    double=False)


def distinct_pair(shape_a, shape_b):
    na = math.prod(shape_a)
    nb = math.prod(shape_b)
    grid = (torch.randperm(na + nb, dtype=torch.float64) * 0.25 - (na + nb) * 0.125) + 0.1 * torch.rand(na + nb, dtype=torch.float64)
    return grid[:na].reshape(shape_a), grid[na:].reshape(shape_b)


BIN = [("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b), ("div", lambda a, b: a / b),
       ("maximum", torch.maximum), ("minimum", torch.minimum)]
for op, fn in BIN:
    if op in ("maximum", "minimum"):
        a, b = distinct_pair((3, 4), (4,))
    else:
        a, b = randn(3, 4), (away_from_zero(4, margin=0.5) if op == "div" else randn(4))
    add(f"{op}_random", op, fn, [a, b])
    add(f"{op}_edges", op, fn, [specials(len(SPECIALS), 1), torch.tensor(
        [0.0, -0.0, 1.0, -1.0, 2.5, math.inf, -math.inf, math.nan, 1e-310, 1e300], dtype=torch.float64)], double=False)
    add(f"{op}_0d", op, fn, [randn(), away_from_zero(margin=0.5)], double=False)
add("maximum_ties", "maximum", torch.maximum, [torch.tensor([1.0, 2.0, -0.0, 3.0], dtype=torch.float64),
                                              torch.tensor([1.0, 1.0, 0.0, 3.0], dtype=torch.float64)], double=False)
COND = torch.tensor([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0]], dtype=torch.float64)
add("where_random", "where", lambda c, a, b: torch.where(c != 0, a, b), [COND, randn(3, 4), randn(4)], no_grad=(0,))
add("where_inf_unpicked", "where", lambda c, a, b: torch.where(c != 0, a, b),
    [COND, torch.full((3, 4), math.inf, dtype=torch.float64), randn(3, 4)], no_grad=(0,), double=False)

with open(OUT, "w") as f:
    f.write("[\n" + ",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in CASES) + "\n]\n")
print(f"{len(CASES)} cases -> {OUT}")
