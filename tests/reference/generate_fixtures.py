#!/usr/bin/python3
"""PyTorch reference fixtures for MyTorch's differentiable ops.

Writes tests/reference/fixtures/ops.json: for every op (and the interesting variants of each: broadcasting
shapes, scalar operands, reductions over positive and negative dims with and without keepdim, large inputs,
...), in float64 and float32, the inputs, PyTorch's output, a random upstream gradient of the output's shape,
and the gradient of every differentiable input from torch.autograd.grad(out, inputs, grad_output).
tests/MyTorch.Tests/Reference/PyTorchFixtureTests.cs replays each case through MyTorch and compares.

Regenerate (only needed when adding cases; the JSON file is committed):

    /usr/bin/python3 tests/reference/generate_fixtures.py

It uses Debian's python3-torch (written against torch 1.13) and is deterministic: a fixed torch.manual_seed,
CPU only, and a fixed JSON layout, so re-running gives a byte-identical file. CI never needs PyTorch: the
tests read only the committed JSON.

File format: a JSON list of cases, one per line:
    {"name": str, "op": str, "dtype": "float64" | "float32", "args": {op-specific parameters},
     "inputs": [{"shape": [...], "data": [...]} ...],
     "output": {"shape", "data"[, "dtype"]}, "grad_output": {"shape", "data"} | null,
     "grads": [{"shape", "data"} | null ...]}
Data is flattened row-major. Floats are written with repr(), which round-trips float64 exactly; float32
values are written as the exact (double-representable) value of each float32, so reading them as double
and converting to float is exact. An input with "requires_grad": false (the condition of where) has a null
gradient; "dtype": "bool" marks a 0/1 condition. Forward-only ops (argmax, comparisons) have a null
grad_output and null grads; an output "dtype" of "int64" or "bool" marks a non-float output (comparisons are
written as 0/1, which is what MyTorch returns, in the input's dtype). A float32 case marked
"reference": "float64" holds PyTorch's float64 results rounded to float32 (see add(float64_reference=...)).
"""

import json
import os

import torch

SEED = 20240611
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "ops.json")

torch.manual_seed(SEED)
torch.set_num_threads(1)  # summation order independent of the machine

DTYPES = [("float64", torch.float64), ("float32", torch.float32)]
CASES = []


# ---- input generators (always drawn in float64 from the seeded generator, then cast) ------------------

def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)


def away_from_zero(*shape, margin=0.1):
    """Random values with |x| >= margin: no kinks of abs/relu/leaky_relu near the input."""
    x = torch.randn(shape, dtype=torch.float64)
    return torch.sign(x) * (margin + x.abs())


def positive(*shape, low=0.2, high=3.0):
    return low + (high - low) * torch.rand(shape, dtype=torch.float64)


def distinct(*shape):
    """Values at least 0.05 apart (a shuffled grid plus jitter): no ties for max/min/argmax."""
    n = 1
    for s in shape:
        n *= s
    base = torch.randperm(n, dtype=torch.float64) * 0.25 - n * 0.125
    return (base + 0.1 * torch.rand(n, dtype=torch.float64)).reshape(shape)


# ---- serialization ---------------------------------------------------------------------------------

def encode(t, dtype=None):
    t = t.detach()
    entry = {"shape": list(t.shape)}
    if t.dtype == torch.bool:
        entry["dtype"] = "bool"
        entry["data"] = [float(v) for v in t.reshape(-1).to(torch.float64).tolist()]
    elif t.dtype == torch.int64:
        entry["dtype"] = "int64"
        entry["data"] = [int(v) for v in t.reshape(-1).tolist()]
    else:
        # tolist() of a float32 tensor gives the exact float32 values as Python floats.
        entry["data"] = [float(v) for v in t.reshape(-1).tolist()]
    if dtype is not None:
        entry["dtype"] = dtype
    return entry


def add(name, op, fn, inputs, args=None, dtypes=DTYPES, forward_only=False, no_grad=(), float64_reference=False):
    """Adds one case per dtype. fn(*tensors) -> output; inputs are float64 tensors (cast per dtype);
    indices in no_grad are inputs that do not take part in differentiation (conditions).

    float64_reference: for the float32 case, evaluate PyTorch in float64 on the (float32-rounded) inputs and
    upstream gradient and round the results to float32, instead of running PyTorch's float32 kernels. Used where
    PyTorch's own float32 result is less accurate than float32 allows (logsumexp's backward computes
    exp(x - logsumexp(x)) from the float32-rounded logsumexp, which near |x| = 1000 is off by ~3e-5 relative);
    the case is marked "reference": "float64"."""
    for dtype_name, dtype in dtypes:
        compute = torch.float64 if float64_reference else dtype
        tensors = []
        for i, x in enumerate(inputs):
            if x.dtype == torch.bool:
                tensors.append(x.clone())
            else:
                t = x.to(dtype).to(compute).clone()
                t.requires_grad_(not forward_only and i not in no_grad)
                tensors.append(t)
        out = fn(*tensors)
        case = {
            "name": f"{name}_{dtype_name}",
            "op": op,
            "dtype": dtype_name,
            "args": args or {},
            "inputs": [],
            "output": encode(out.to(dtype) if out.is_floating_point() else out),
            "grad_output": None,
            "grads": [None] * len(tensors),
        }
        if compute != dtype:
            case["reference"] = "float64"
        for i, t in enumerate(tensors):
            entry = encode(t.to(dtype) if t.is_floating_point() else t)
            if i in no_grad or forward_only:
                entry["requires_grad"] = False
            case["inputs"].append(entry)
        if not forward_only:
            g = torch.randn(out.shape, dtype=torch.float64).to(dtype).to(compute)
            wrt = [t for i, t in enumerate(tensors) if i not in no_grad]
            grads = torch.autograd.grad(out, wrt, g, allow_unused=True)
            case["grad_output"] = encode(g.to(dtype))
            k = 0
            for i, t in enumerate(tensors):
                if i in no_grad:
                    continue
                gi = grads[k]
                k += 1
                case["grads"][i] = encode((gi if gi is not None else torch.zeros_like(t)).to(dtype))
        CASES.append(case)


# ---- arithmetic -------------------------------------------------------------------------------------

BINARY_SHAPES = [
    ("same_3x4", (3, 4), (3, 4)),
    ("bcast_3x4_4", (3, 4), (4,)),
    ("bcast_4_3x4", (4,), (3, 4)),
    ("bcast_3x1_1x4", (3, 1), (1, 4)),
    ("bcast_2x3x4_3x1", (2, 3, 4), (3, 1)),
    ("bcast_2x1x4_3x1", (2, 1, 4), (3, 1)),
    ("bcast_3x4_scalar0d", (3, 4), ()),
]
for op, fn in [("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b)]:
    for label, sa, sb in BINARY_SHAPES:
        add(f"{op}_{label}", op, fn, [randn(*sa), randn(*sb)])
for label, sa, sb in BINARY_SHAPES:
    add(f"div_{label}", "div", lambda a, b: a / b, [randn(*sa), away_from_zero(*sb, margin=0.5)])

for scalar in [2.5, -0.75]:
    tag = str(scalar).replace("-", "m").replace(".", "p")
    add(f"add_scalar_{tag}", "add_scalar", lambda a, s=scalar: a + s, [randn(3, 4)], {"scalar": scalar})
    add(f"radd_scalar_{tag}", "radd_scalar", lambda a, s=scalar: s + a, [randn(3, 4)], {"scalar": scalar})
    add(f"sub_scalar_{tag}", "sub_scalar", lambda a, s=scalar: a - s, [randn(3, 4)], {"scalar": scalar})
    add(f"rsub_scalar_{tag}", "rsub_scalar", lambda a, s=scalar: s - a, [randn(3, 4)], {"scalar": scalar})
    add(f"mul_scalar_{tag}", "mul_scalar", lambda a, s=scalar: a * s, [randn(3, 4)], {"scalar": scalar})
    add(f"rmul_scalar_{tag}", "rmul_scalar", lambda a, s=scalar: s * a, [randn(3, 4)], {"scalar": scalar})
    add(f"div_scalar_{tag}", "div_scalar", lambda a, s=scalar: a / s, [randn(3, 4)], {"scalar": scalar})
    add(f"rdiv_scalar_{tag}", "rdiv_scalar", lambda a, s=scalar: s / a, [away_from_zero(3, 4, margin=0.5)],
        {"scalar": scalar})

add("neg", "neg", lambda a: -a, [randn(3, 4)])
add("neg_0d", "neg", lambda a: -a, [randn()])

# ---- element-wise math -----------------------------------------------------------------------------

for exponent, gen in [(2.0, randn), (3.0, randn), (0.5, positive), (-1.5, positive), (1.7, positive),
                      (-2.0, lambda *s: away_from_zero(*s, margin=0.5)), (1.0, randn), (0.0, randn)]:
    tag = str(exponent).replace("-", "m").replace(".", "p")
    add(f"pow_{tag}", "pow", lambda a, p=exponent: a.pow(p), [gen(3, 4)], {"exponent": exponent})

add("exp", "exp", torch.exp, [randn(3, 4)])
add("exp_wide", "exp", torch.exp, [randn(2, 5) * 4])
add("log", "log", torch.log, [positive(3, 4, low=0.05, high=20.0)])
add("sqrt", "sqrt", torch.sqrt, [positive(3, 4, low=0.05, high=20.0)])
add("abs", "abs", torch.abs, [away_from_zero(3, 4)])

add("clamp_min_max", "clamp", lambda a: torch.clamp(a, min=-0.5, max=0.75), [away_from_zero(4, 5)],
    {"min": -0.5, "max": 0.75})
add("clamp_min_only", "clamp", lambda a: torch.clamp(a, min=-0.25), [away_from_zero(4, 5)], {"min": -0.25})
add("clamp_max_only", "clamp", lambda a: torch.clamp(a, max=0.5), [away_from_zero(4, 5)], {"max": 0.5})

for op, fn in [("maximum", torch.maximum), ("minimum", torch.minimum)]:
    for label, sa, sb in [("same_3x4", (3, 4), (3, 4)), ("bcast_3x4_4", (3, 4), (4,)),
                          ("bcast_3x1_1x4", (3, 1), (1, 4)), ("bcast_2x3x4_3x1", (2, 3, 4), (3, 1))]:
        # Draw both operands from one distinct grid so no pair ties.
        na = 1
        for s in sa:
            na *= s
        nb = 1
        for s in sb:
            nb *= s
        both = distinct(na + nb).reshape(-1)
        add(f"{op}_{label}", op, fn, [both[:na].reshape(sa), both[na:].reshape(sb)])

add("where_same_3x4", "where", torch.where, [torch.rand(3, 4) > 0.5, randn(3, 4), randn(3, 4)], no_grad=(0,))
add("where_bcast_cond3x1_a3x4_b4", "where", torch.where, [torch.rand(3, 1) > 0.5, randn(3, 4), randn(4)],
    no_grad=(0,))
add("where_bcast_cond4_a3x1_b1x4", "where", torch.where,
    [torch.tensor([True, False, False, True]), randn(3, 1), randn(1, 4)], no_grad=(0,))
add("where_bcast_cond2x3x4_a0d_b3x4", "where", torch.where, [torch.rand(2, 3, 4) > 0.5, randn(), randn(3, 4)],
    no_grad=(0,))

# ---- activations -----------------------------------------------------------------------------------

add("sigmoid", "sigmoid", torch.sigmoid, [randn(3, 4) * 3])
add("sigmoid_large", "sigmoid", torch.sigmoid, [torch.tensor([-40.0, -15.0, -3.0, 0.5, 4.0, 15.0, 40.0],
                                                               dtype=torch.float64)])
add("tanh", "tanh", torch.tanh, [randn(3, 4) * 2])
add("tanh_large", "tanh", torch.tanh, [torch.tensor([-25.0, -8.0, -0.3, 0.7, 9.0, 25.0], dtype=torch.float64)])
add("relu", "relu", torch.relu, [away_from_zero(3, 4)])
for slope in [0.01, 0.2]:
    tag = str(slope).replace(".", "p")
    add(f"leaky_relu_{tag}", "leaky_relu", lambda a, s=slope: torch.nn.functional.leaky_relu(a, s),
        [away_from_zero(3, 4)], {"slope": slope})
add("softplus", "softplus", torch.nn.functional.softplus, [randn(3, 4) * 3])
add("softplus_above_threshold", "softplus", torch.nn.functional.softplus,
    [torch.tensor([-30.0, -5.0, 0.3, 19.5, 20.5, 25.0, 60.0], dtype=torch.float64)])
add("gelu", "gelu", lambda a: torch.nn.functional.gelu(a, approximate="none"), [randn(3, 4) * 2])
add("gelu_tails", "gelu", lambda a: torch.nn.functional.gelu(a, approximate="none"),
    [torch.tensor([-6.0, -3.5, -1.2, -0.4, 0.05, 0.9, 2.7, 7.0], dtype=torch.float64)])

# ---- matmul ----------------------------------------------------------------------------------------

for label, sa, sb in [("2d_3x4_4x5", (3, 4), (4, 5)), ("1d_4_2d_4x5", (4,), (4, 5)), ("2d_3x4_1d_4", (3, 4), (4,)),
                      ("1d_4_1d_4", (4,), (4,)), ("3d_2x3x4_3d_2x4x5", (2, 3, 4), (2, 4, 5)),
                      ("3d_2x3x4_2d_4x5", (2, 3, 4), (4, 5)), ("2d_3x4_3d_2x4x5", (3, 4), (2, 4, 5)),
                      ("bcast_2x1x3x4_3x4x5", (2, 1, 3, 4), (3, 4, 5)), ("1d_4_3d_2x4x5", (4,), (2, 4, 5)),
                      ("3d_2x3x4_1d_4", (2, 3, 4), (4,)), ("bcast_1x3x4_2x4x2", (1, 3, 4), (2, 4, 2))]:
    add(f"matmul_{label}", "matmul", torch.matmul, [randn(*sa), randn(*sb)])

# ---- reductions ------------------------------------------------------------------------------------

add("sum_all", "sum", torch.sum, [randn(3, 4)])
add("sum_all_3d", "sum", torch.sum, [randn(2, 3, 4)])
add("mean_all", "mean", torch.mean, [randn(3, 4)])
add("max_all", "max", torch.max, [distinct(3, 4)])
add("min_all", "min", torch.min, [distinct(3, 4)])
add("var_all_unbiased", "var", lambda a: torch.var(a, unbiased=True), [randn(3, 4)], {"unbiased": True})
add("var_all_biased", "var", lambda a: torch.var(a, unbiased=False), [randn(3, 4)], {"unbiased": False})
add("argmax_all", "argmax", torch.argmax, [distinct(3, 4)], forward_only=True)

for dim in [0, 1, 2, -1, -2]:
    for keep in [False, True]:
        tag = f"dim{dim}".replace("-", "m") + ("_keep" if keep else "")
        add(f"sum_{tag}", "sum", lambda a, d=dim, k=keep: a.sum(d, keepdim=k), [randn(2, 3, 4)],
            {"dim": dim, "keepDim": keep})
        add(f"mean_{tag}", "mean", lambda a, d=dim, k=keep: a.mean(d, keepdim=k), [randn(2, 3, 4)],
            {"dim": dim, "keepDim": keep})
        add(f"max_{tag}", "max", lambda a, d=dim, k=keep: a.max(d, keepdim=k)[0], [distinct(2, 3, 4)],
            {"dim": dim, "keepDim": keep})
        add(f"min_{tag}", "min", lambda a, d=dim, k=keep: a.min(d, keepdim=k)[0], [distinct(2, 3, 4)],
            {"dim": dim, "keepDim": keep})
        add(f"logsumexp_{tag}", "logsumexp", lambda a, d=dim, k=keep: torch.logsumexp(a, d, keepdim=k),
            [randn(2, 3, 4) * 2], {"dim": dim, "keepDim": keep})
        add(f"argmax_{tag}", "argmax", lambda a, d=dim, k=keep: torch.argmax(a, d, keepdim=k), [distinct(2, 3, 4)],
            {"dim": dim, "keepDim": keep}, forward_only=True)
        for unbiased in [True, False]:
            utag = "unbiased" if unbiased else "biased"
            add(f"var_{tag}_{utag}", "var", lambda a, d=dim, k=keep, u=unbiased: torch.var(a, d, unbiased=u, keepdim=k),
                [randn(2, 3, 4)], {"dim": dim, "keepDim": keep, "unbiased": unbiased})

add("sum_0d", "sum", torch.sum, [randn()])
add("max_dim0_1d", "max", lambda a: a.max(0)[0], [distinct(5)], {"dim": 0, "keepDim": False})
add("logsumexp_large", "logsumexp", lambda a: torch.logsumexp(a, 1),
    [torch.tensor([[1000.0, 999.0, 998.5], [-1000.0, -999.0, -1001.0], [1000.0, -1000.0, 0.0]], dtype=torch.float64)],
    {"dim": 1, "keepDim": False}, float64_reference=True)
add("logsumexp_large_dim0_keep", "logsumexp", lambda a: torch.logsumexp(a, 0, keepdim=True),
    [torch.tensor([[1000.0, -1000.0], [999.5, -999.0], [-3.0, 2.0]], dtype=torch.float64)],
    {"dim": 0, "keepDim": True}, float64_reference=True)

# ---- softmax / log_softmax -------------------------------------------------------------------------

for fn_name, fn in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
    for dim in [0, 1, 2, -1]:
        tag = f"dim{dim}".replace("-", "m")
        add(f"{fn_name}_{tag}", fn_name, lambda a, d=dim, f=fn: f(a, d), [randn(2, 3, 4) * 2], {"dim": dim})
    add(f"{fn_name}_1d", fn_name, lambda a, f=fn: f(a, 0), [randn(6)], {"dim": 0})
    large = torch.tensor([[1000.0, 999.0, 998.0, 1001.5], [-1000.0, -999.5, -1002.0, -998.0],
                          [1000.0, -1000.0, 0.0, 999.0]], dtype=torch.float64)
    add(f"{fn_name}_large_dim1", fn_name, lambda a, f=fn: f(a, 1), [large], {"dim": 1})
    add(f"{fn_name}_large_dim0", fn_name, lambda a, f=fn: f(a, 0), [large.clone()], {"dim": 0})

# ---- shape ops -------------------------------------------------------------------------------------

for d0, d1 in [(0, 1), (0, 2), (-1, -2), (1, -1)]:
    tag = f"{d0}_{d1}".replace("-", "m")
    add(f"transpose_{tag}", "transpose", lambda a, x=d0, y=d1: a.transpose(x, y), [randn(2, 3, 4)],
        {"dim0": d0, "dim1": d1})
add("transpose_2d", "transpose", lambda a: a.transpose(0, 1), [randn(3, 5)], {"dim0": 0, "dim1": 1})
# T reverses every dimension, as torch 1.13 (a matrix transpose for 2-D); mT swaps the last two.
add("T_2d", "T", lambda a: a.T, [randn(3, 5)])
add("mT_3d", "mT", lambda a: a.mT, [randn(2, 3, 4)])
for dims in [(1, 0), (2, 0, 1), (1, 2, 0), (0, 2, 1), (-1, 0, -2), (3, 1, 0, 2)]:
    shape = (2, 3, 4) if len(dims) == 3 else (2, 3, 1, 4)
    if len(dims) == 2:
        shape = (3, 4)
    tag = "_".join(str(d).replace("-", "m") for d in dims)
    add(f"permute_{tag}", "permute", lambda a, p=dims: a.permute(*p), [randn(*shape)], {"dims": list(dims)})
for src, dst in [((2, 3, 4), (6, 4)), ((2, 3, 4), (4, -1)), ((3, 4), (12,)), ((12,), (2, 2, 3)), ((3, 4), (-1,)),
                 ((1,), ()), ((), (1, 1))]:
    tag = ("x".join(str(s) for s in src) or "0d") + "_to_" + ("x".join(str(s).replace("-", "m") for s in dst) or "0d")
    add(f"reshape_{tag}", "reshape", lambda a, s=dst: a.reshape(s), [randn(*src)], {"shape": list(dst)})
for shape, dim in [((3, 4), 0), ((3, 4), 1), ((3, 4), 2), ((3, 4), -1), ((3, 4), -3), ((), 0)]:
    tag = f"{'x'.join(str(s) for s in shape) or '0d'}_dim{dim}".replace("-", "m")
    add(f"unsqueeze_{tag}", "unsqueeze", lambda a, d=dim: a.unsqueeze(d), [randn(*shape)], {"dim": dim})
for shape, dim in [((3, 1, 4), 1), ((3, 1, 4), -2), ((1, 4), 0), ((3, 4), 0), ((4, 1), -1)]:
    tag = f"{'x'.join(str(s) for s in shape)}_dim{dim}".replace("-", "m")
    add(f"squeeze_{tag}", "squeeze", lambda a, d=dim: a.squeeze(d), [randn(*shape)], {"dim": dim})
for shape, target in [((4,), (3, 4)), ((3, 1), (3, 4)), ((1, 4), (2, 3, 4)), ((), (2, 3)), ((2, 1, 4), (2, 3, 4))]:
    tag = f"{'x'.join(str(s) for s in shape) or '0d'}_to_{'x'.join(str(s) for s in target)}"
    add(f"broadcast_to_{tag}", "broadcast_to", lambda a, t=target: torch.broadcast_to(a, t), [randn(*shape)],
        {"shape": list(target)})
for shape, dim, start, length in [((5, 3), 0, 1, 3), ((3, 6), 1, 2, 4), ((2, 5, 3), -2, 0, 2), ((2, 3, 5), 2, 4, 1),
                                  ((4, 3), 0, 0, 4)]:
    tag = f"{'x'.join(str(s) for s in shape)}_dim{dim}_{start}_{length}".replace("-", "m")
    add(f"narrow_{tag}", "narrow", lambda a, d=dim, s=start, n=length: a.narrow(d, s, n), [randn(*shape)],
        {"dim": dim, "start": start, "length": length})

for shapes, dim in [([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 4)], 1), ([(2, 3, 4), (2, 2, 4)], 1),
                    ([(2, 3, 1), (2, 3, 2), (2, 3, 3)], -1), ([(3,), (5,)], 0), ([(1, 4), (3, 4), (2, 4)], -2)]:
    tag = "_".join("x".join(str(s) for s in shape) for shape in shapes) + f"_dim{dim}".replace("-", "m")
    add(f"concat_{tag}", "concat", lambda *ts, d=dim: torch.cat(ts, d), [randn(*s) for s in shapes], {"dim": dim})

for shape, dim, index in [((5, 3), 0, [4, 0, 0, 2, 4, 4]), ((3, 5), 1, [1, 1, 3]), ((2, 4, 3), 1, [3, 0, 3, 1, 0]),
                          ((2, 3, 4), -1, [0, 3, 3]), ((4, 2), 0, [2])]:
    tag = f"{'x'.join(str(s) for s in shape)}_dim{dim}_n{len(index)}".replace("-", "m")
    add(f"index_select_{tag}", "index_select",
        lambda a, d=dim, i=index: torch.index_select(a, d, torch.tensor(i, dtype=torch.int64)),
        [randn(*shape)], {"dim": dim, "index": index})

# ---- comparisons (forward only; PyTorch returns bool, MyTorch 0/1 in the input's dtype) ----------------

for op, fn in [("gt", torch.gt), ("ge", torch.ge), ("lt", torch.lt), ("le", torch.le), ("eq", torch.eq),
               ("ne", torch.ne)]:
    a = torch.tensor([[0.5, -1.0, 2.0, 3.0], [1.5, 0.0, -2.0, 4.0], [2.0, 2.0, -0.5, 1.0]], dtype=torch.float64)
    b = torch.tensor([0.5, 1.0, -2.0, 4.0], dtype=torch.float64)
    add(f"{op}_bcast_3x4_4", op, fn, [a, b], forward_only=True)


# ---- activations added later (appended, so the random draws of the cases above stay as they were) ----

add("silu", "silu", torch.nn.functional.silu, [randn(3, 4) * 3])
add("silu_tails", "silu", torch.nn.functional.silu,
    [torch.tensor([-90.0, -30.0, -8.0, -1e-3, 0.0, 1e-3, 8.0, 30.0, 90.0], dtype=torch.float64)])


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
