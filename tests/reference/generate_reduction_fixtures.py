#!/usr/bin/python3
"""PyTorch reference fixtures for MyTorch's reductions (src/MyTorch/Ops/Reductions).

Writes tests/reference/fixtures/reductions.json: for each case, in float64 and float32, the input, every output
(values and int64 indices), a random upstream gradient of the first output and PyTorch's input gradient; for the
float64 cases marked "double", also a random direction v and the grad of grad: d/dx <dL/dx, v>, from
torch.autograd.grad(..., create_graph=True). tests/MyTorch.Tests/Reference/ReductionFixtureTests.cs replays them.

Regenerate (only needed when adding cases; the JSON file is committed):

    /usr/bin/python3 tests/reference/generate_reduction_fixtures.py

Deterministic: a fixed seed, one thread, CPU, a fixed JSON layout (one case per line). Floats are written with repr();
float32 values are the exact double value of each float32; NaN and infinities are the strings "nan", "inf", "-inf".

Each case has "op" and its arguments; the C# side calls the MyTorch method of the same meaning:
    sum_dims / mean_dims (dims, keepdim)    x.sum(dims, keepdim)          / x.mean(dims, keepdim)
    var_dims / std_dims (dims, keepdim, unbiased)
    std (dim or null, keepdim, unbiased)    prod (dim or null, keepdim)   cumsum / cumprod (dim)
    norm (p, dims or null, keepdim)         logsumexp_all                 argmin_all / argmax_all
    max_dim / min_dim (dim, keepdim)        sort (dim, descending)        topk (k, dim, largest)
    median_all                              median_dim (dim, keepdim)
"""

import json
import math
import os

import torch

SEED = 20261208
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "reductions.json")

torch.manual_seed(SEED)
torch.set_num_threads(1)

DTYPES = [("float64", torch.float64), ("float32", torch.float32)]
CASES = []


def apply(op, x, a):
    if op == "softmax":
        return [torch.softmax(x, a["dim"])]
    if op == "log_softmax":
        return [torch.log_softmax(x, a["dim"])]
    if op == "logsumexp":
        return [torch.logsumexp(x, a["dim"], keepdim=a["keepdim"])]
    if op == "sum_dims":
        return [x.sum(dim=a["dims"], keepdim=a["keepdim"])]
    if op == "mean_dims":
        return [x.mean(dim=a["dims"], keepdim=a["keepdim"])]
    if op == "var_dims":
        return [x.var(dim=a["dims"], keepdim=a["keepdim"], unbiased=a["unbiased"])]
    if op == "std_dims":
        return [x.std(dim=a["dims"], keepdim=a["keepdim"], unbiased=a["unbiased"])]
    if op == "std":
        if a["dim"] is None:
            return [x.std(unbiased=a["unbiased"])]
        return [x.std(dim=a["dim"], keepdim=a["keepdim"], unbiased=a["unbiased"])]
    if op == "prod":
        return [x.prod() if a["dim"] is None else x.prod(dim=a["dim"], keepdim=a["keepdim"])]
    if op == "cumsum":
        return [x.cumsum(a["dim"])]
    if op == "cumprod":
        return [x.cumprod(a["dim"])]
    if op == "norm":
        p = a["p"]
        if a["dims"] is None:
            return [torch.linalg.vector_norm(x, ord=p)]
        return [torch.linalg.vector_norm(x, ord=p, dim=a["dims"], keepdim=a["keepdim"])]
    if op == "logsumexp_all":
        return [torch.logsumexp(x.reshape(-1), 0)]
    if op == "argmin_all":
        return [x.argmin()]
    if op == "argmax_all":
        return [x.argmax()]
    if op == "max_dim":
        r = x.max(dim=a["dim"], keepdim=a["keepdim"])
        return [r.values, r.indices]
    if op == "min_dim":
        r = x.min(dim=a["dim"], keepdim=a["keepdim"])
        return [r.values, r.indices]
    if op == "sort":
        r = x.sort(dim=a["dim"], descending=a["descending"], stable=True)
        return [r.values, r.indices]
    if op == "topk":
        r = x.topk(a["k"], dim=a["dim"], largest=a["largest"])
        return [r.values, r.indices]
    if op == "median_all":
        return [x.median()]
    if op == "median_dim":
        r = x.median(dim=a["dim"], keepdim=a["keepdim"])
        return [r.values, r.indices]
    raise ValueError(op)


def encode(t):
    t = t.detach()
    entry = {"shape": list(t.shape)}
    if t.dtype == torch.int64:
        entry["dtype"] = "int64"
        entry["data"] = [int(v) for v in t.reshape(-1).tolist()]
    else:
        entry["data"] = [number(float(v)) for v in t.reshape(-1).tolist()]
    return entry


def number(v):
    """A float, or the string "nan", "inf" or "-inf" (JSON has no non-finite numbers)."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def add(label, op, x, double=False, **args):
    for dtype_name, dtype in DTYPES:
        xi = x.to(dtype).clone().requires_grad_(True)
        outs = apply(op, xi, args)
        encoded_args = {k: number(v) if isinstance(v, float) else v for k, v in args.items()}
        case = {"name": f"{label} {dtype_name}", "op": op, "args": encoded_args, "dtype": dtype_name, "input": encode(xi),
                "outputs": [encode(o) for o in outs]}
        if outs[0].requires_grad:
            g = torch.randn(outs[0].shape, dtype=torch.float64).to(dtype)
            (dx,) = torch.autograd.grad(outs[0], xi, g, create_graph=double and dtype == torch.float64)
            case["grad_output"] = encode(g)
            case["input_grad"] = encode(dx)
            if double and dtype == torch.float64:
                v = torch.randn(xi.shape, dtype=torch.float64)
                (ddx,) = torch.autograd.grad(dx, xi, v, allow_unused=True)
                if ddx is None:
                    ddx = torch.zeros_like(xi)
                case["direction"] = encode(v)
                case["grad_grad"] = encode(ddx)
        CASES.append(case)


def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)


def t(values, shape=None):
    r = torch.tensor(values, dtype=torch.float64)
    return r if shape is None else r.reshape(shape)


nan, inf = math.nan, math.inf

# sums, means, variances and standard deviations over several dimensions
add("sum over [0, 2] of (2, 3, 4)", "sum_dims", randn(2, 3, 4), dims=[0, 2], keepdim=False)
add("sum over [-1, 0] of (2, 3, 4), keepdim", "sum_dims", randn(2, 3, 4), dims=[-1, 0], keepdim=True)
add("sum over [] of (2, 3)", "sum_dims", randn(2, 3), dims=[], keepdim=False)
add("sum over [0] of 0-d", "sum_dims", randn(), dims=[0], keepdim=False)
add("sum over [1] of (0, 3)", "sum_dims", randn(0, 3), dims=[1], keepdim=False)
add("mean over [0, 2] of (2, 3, 4)", "mean_dims", randn(2, 3, 4), dims=[0, 2], keepdim=False)
add("mean over [1] of (3, 4), keepdim", "mean_dims", randn(3, 4), dims=[1], keepdim=True)
add("mean over [0] of (0, 3)", "mean_dims", randn(0, 3), dims=[0], keepdim=False)
add("var over [0, 2] of (2, 3, 4)", "var_dims", randn(2, 3, 4), dims=[0, 2], keepdim=False, unbiased=True)
add("var over [1, 2] of (2, 3, 4), biased, keepdim", "var_dims", randn(2, 3, 4), dims=[1, 2], keepdim=True, unbiased=False)
add("std over [0, 2] of (2, 3, 4)", "std_dims", randn(2, 3, 4), double=True, dims=[0, 2], keepdim=False, unbiased=True)
add("std over 1 of (3, 5)", "std", randn(3, 5), double=True, dim=1, keepdim=False, unbiased=True)
add("std over -1 of (3, 5), biased, keepdim", "std", randn(3, 5), dim=-1, keepdim=True, unbiased=False)
add("std of all of (4, 3)", "std", randn(4, 3), double=True, dim=None, keepdim=False, unbiased=True)
add("std over 1 of constant rows", "std", t([2.0, 2, 2, -1, -1, -1], (2, 3)), dim=1, keepdim=False, unbiased=True)

# products and running sums and products
add("prod over 1 of (3, 4)", "prod", randn(3, 4), double=True, dim=1, keepdim=False)
add("prod over 0 of (3, 4), keepdim", "prod", randn(3, 4), dim=0, keepdim=True)
add("prod of all of (2, 3)", "prod", randn(2, 3), double=True, dim=None, keepdim=False)
add("prod over 1 with one and two zeros", "prod", t([1.5, 0, -2, 0.5, 0, 3, 0, 1.2, 0.7, -0.4, 1.1, 2], (3, 4)),
    double=True, dim=1, keepdim=False)
add("prod of all with one zero", "prod", t([1.5, -2, 0, 0.5, 3]), double=True, dim=None, keepdim=False)
add("prod over 0 of (0, 3)", "prod", randn(0, 3), dim=0, keepdim=False)
add("prod of 0-d", "prod", randn(), dim=None, keepdim=False)
add("cumsum over 1 of (3, 4)", "cumsum", randn(3, 4), dim=1)
add("cumsum over 0 of (3, 2, 2)", "cumsum", randn(3, 2, 2), dim=0)
add("cumsum over -1 of 0-d", "cumsum", randn(), dim=-1)
add("cumprod over 1 of (3, 4)", "cumprod", randn(3, 4), double=True, dim=1)
add("cumprod over 0 of (4, 2)", "cumprod", randn(4, 2), dim=0)
add("cumprod over 1 with zeros", "cumprod", t([1.5, 0, -2, 0.5, 0.3, 3, 0, 1.2, 0, -0.4, 1.1, 2, 0.5, 0.9, 0], (3, 5)),
    double=True, dim=1)

# norms
add("2-norm of (3, 4)", "norm", randn(3, 4), double=True, p=2, dims=None, keepdim=False)
add("2-norm over 1 of (3, 4)", "norm", randn(3, 4), double=True, p=2, dims=[1], keepdim=False)
add("2-norm over [0, 2] of (2, 3, 2), keepdim", "norm", randn(2, 3, 2), p=2, dims=[0, 2], keepdim=True)
add("2-norm of a zero row", "norm", t([0.0, 0, 0, 1, -2, 2], (2, 3)), p=2, dims=[1], keepdim=False)
add("1-norm of (3, 4)", "norm", randn(3, 4), p=1, dims=None, keepdim=False)
add("1-norm over 0 of (3, 4) with a zero", "norm", t([0.0, 1, -2, 3, 0.5, -0.5], (3, 2)), p=1, dims=[0], keepdim=False)
add("inf-norm of (3, 4)", "norm", randn(3, 4), p=inf, dims=None, keepdim=False)
add("inf-norm over 1 with ties", "norm", t([1.0, -3, 3, 2, 2, 1], (2, 3)), p=inf, dims=[1], keepdim=False)
add("2-norm of (0, 3)", "norm", randn(0, 3), p=2, dims=None, keepdim=False)

# logsumexp and argmin/argmax over everything
add("logsumexp of all of (3, 4)", "logsumexp_all", randn(3, 4), double=True)
# (Near ±1000 PyTorch's float32 gradient exp(x - logsumexp) rounds at the scale of x, so the values here are moderate.)
add("logsumexp of all with -inf", "logsumexp_all", t([30.0, 29, -inf, 28]))
add("logsumexp of all of (0, 2)", "logsumexp_all", randn(0, 2))
add("argmin of all of (3, 4)", "argmin_all", randn(3, 4))
add("argmin of all with ties", "argmin_all", t([3.0, 1, 2, 1]))
add("argmin of all with nan", "argmin_all", t([3.0, nan, -2, nan]))
add("argmax of all of (2, 3)", "argmax_all", randn(2, 3))

# max and min with indices
add("max over 1 of (3, 4)", "max_dim", randn(3, 4), dim=1, keepdim=False)
add("max over 0 of (3, 4), keepdim", "max_dim", randn(3, 4), dim=0, keepdim=True)
add("max over -1 with ties and nan", "max_dim", t([3.0, 1, 3, 1, nan, 2, nan, 0], (2, 4)), dim=-1, keepdim=False)
add("min over 1 of (3, 4)", "min_dim", randn(3, 4), dim=1, keepdim=False)
add("min over 0 with ties", "min_dim", t([1.0, 2, 1, 2, 3, 2], (3, 2)), dim=0, keepdim=False)

# sort, topk, median
add("sort over -1 of (3, 5)", "sort", randn(3, 5), dim=-1, descending=False)
add("sort over 0 of (4, 3), descending", "sort", randn(4, 3), dim=0, descending=True)
add("sort with ties, nan and inf", "sort", t([3.0, nan, 1, nan, -inf, 1, inf, 3]), dim=0, descending=False)
add("sort with ties and nan, descending", "sort", t([3.0, nan, 1, nan, -inf, 1, inf, 3]), dim=0, descending=True)
add("sort of 0-d", "sort", randn(), dim=0, descending=False)
add("sort over 1 of (2, 0)", "sort", randn(2, 0), dim=1, descending=False)
add("topk 2 over 1 of (3, 5)", "topk", randn(3, 5), k=2, dim=1, largest=True)
add("topk 3 smallest over 0 of (4, 2)", "topk", randn(4, 2), k=3, dim=0, largest=False)
add("topk 2 with ties", "topk", t([3.0, 1, 3, 2]), k=2, dim=0, largest=True)
add("topk 2 smallest with nan", "topk", t([3.0, nan, 1]), k=2, dim=0, largest=False)
add("topk 0 over 1 of (2, 3)", "topk", randn(2, 3), k=0, dim=1, largest=True)
add("median of all of (3, 5)", "median_all", randn(3, 5))
add("median of all, even count", "median_all", randn(4, 2))
add("median of all with ties", "median_all", t([2.0, 1, 2, 2, 1, 2, 0]))
add("median of all with nan", "median_all", t([2.0, nan, 1]))
add("median of 0-d", "median_all", randn())
add("median over 1 of (3, 5)", "median_dim", randn(3, 5), dim=1, keepdim=False)
add("median over 0 of (4, 3), keepdim", "median_dim", randn(4, 3), dim=0, keepdim=True)
add("median over 1 with ties and nan", "median_dim", t([2.0, 1, 2, 2, 1, 2, 0, 1, 1, 1, 1, 1, 1, 1, 5, nan, 1, nan, 2, 3, 4], (3, 7)),
    dim=1, keepdim=False)

# ---- double backward of the softmax family and the variance (appended: the draws above stay as they were) ----
add("softmax over 1 of (3, 5)", "softmax", randn(3, 5), double=True, dim=1)
add("softmax over 0 of (4, 2)", "softmax", randn(4, 2) * 3, double=True, dim=0)
add("log_softmax over 1 of (3, 5)", "log_softmax", randn(3, 5), double=True, dim=1)
add("log_softmax over -1 of (2, 2, 4)", "log_softmax", randn(2, 2, 4) * 2, double=True, dim=-1)
add("logsumexp over 1 of (3, 5)", "logsumexp", randn(3, 5), double=True, dim=1, keepdim=False)
add("logsumexp over 0 of (4, 3), keepdim", "logsumexp", randn(4, 3), double=True, dim=0, keepdim=True)
add("var over [0, 2] of (2, 3, 4), double", "var_dims", randn(2, 3, 4), double=True, dims=[0, 2], keepdim=False, unbiased=True)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    f.write("[\n" + ",\n".join(json.dumps(c, sort_keys=True) for c in CASES) + "\n]\n")
print(f"{len(CASES)} cases -> {OUT}")
