#!/usr/bin/python3
"""PyTorch reference fixtures for MyTorch's shape and indexing ops.

Writes tests/reference/fixtures/shapes.json: for each case, in float64 and float32, the inputs, PyTorch's outputs (a
list: split and chunk give several), random upstream gradients, the gradient of every differentiable input, and the
double backward: with the upstream gradients requiring grad, the gradient of sum(input gradients * v) with respect to
each upstream gradient, for random v (these ops are linear, so that is the Jacobian applied to v).
tests/MyTorch.Tests/Shape/ShapeFixtureTests.cs replays every case.

Regenerate (only needed when adding cases; the JSON file is committed):

    /usr/bin/python3 tests/reference/generate_shape_fixtures.py

Deterministic: a fixed seed, one thread, a fixed JSON layout. Case format (one per line):
    {"name", "op", "dtype", "args", "inputs": [{"shape", "data"[, "dtype": "int64" | "bool"][, "requires_grad": false]}],
     "outputs": [{"shape", "data"}], "grad_outputs": [...] | null, "grads": [{"shape", "data"} | null],
     "vs": [...] | null, "double_grads": [{"shape", "data"} | null] | null}
Index inputs are int64 and masks bool (0/1 floats in the data; MyTorch reads them as 0/1 masks of the case's dtype).
An "index" argument (the indexer) is a list of {"int": i}, {"slice": [start, stop, step]} (null for omitted),
{"none": true}, {"ellipsis": true} or {"tensor": k} (input k, an int64 index or a bool mask).
"""

import json
import os
import warnings

import torch

SEED = 20240619
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "shapes.json")

torch.manual_seed(SEED)
torch.set_num_threads(1)
warnings.filterwarnings("ignore")  # x.T on more than 2 dimensions is deprecated in 1.13; it still reverses them

DTYPES = [("float64", torch.float64), ("float32", torch.float32)]
CASES = []


def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)


def index(values, shape=None):
    t = torch.tensor(values, dtype=torch.int64)
    return t.reshape(shape) if shape is not None else t


def mask(values, shape=None):
    t = torch.tensor(values, dtype=torch.bool)
    return t.reshape(shape) if shape is not None else t


def encode(t):
    t = t.detach()
    entry = {"shape": list(t.shape)}
    if t.dtype == torch.bool:
        entry["dtype"] = "bool"
        entry["data"] = [float(v) for v in t.reshape(-1).to(torch.float64).tolist()]
    elif t.dtype == torch.int64:
        entry["dtype"] = "int64"
        entry["data"] = [int(v) for v in t.reshape(-1).tolist()]
    else:
        entry["data"] = [float(v) for v in t.reshape(-1).tolist()]
    return entry


def add(name, op, fn, inputs, args=None):
    """One case per dtype. fn(*tensors) -> a tensor or a list of tensors; float inputs are differentiable."""
    for dtype_name, dtype in DTYPES:
        tensors = []
        for x in inputs:
            if x.is_floating_point():
                tensors.append(x.to(dtype).clone().requires_grad_(True))
            else:
                tensors.append(x.clone())
        out = fn(*tensors)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        case = {
            "name": f"{name}_{dtype_name}", "op": op, "dtype": dtype_name, "args": args or {},
            "inputs": [], "outputs": [encode(o) for o in outs],
            "grad_outputs": None, "grads": [None] * len(tensors), "vs": None, "double_grads": None,
        }
        for t in tensors:
            entry = encode(t)
            if not t.is_floating_point():
                entry["requires_grad"] = False
            case["inputs"].append(entry)
        wrt = [t for t in tensors if t.is_floating_point()]
        if wrt:
            gs = [torch.randn(o.shape, dtype=torch.float64).to(dtype).requires_grad_(True) for o in outs]
            grads = torch.autograd.grad(outs, wrt, gs, allow_unused=True, create_graph=True)
            grads = [gi if gi is not None else torch.zeros_like(t) for gi, t in zip(grads, wrt)]
            case["grad_outputs"] = [encode(g) for g in gs]
            k = 0
            for i, t in enumerate(tensors):
                if t.is_floating_point():
                    case["grads"][i] = encode(grads[k])
                    k += 1
            vs = [torch.randn(gi.shape, dtype=torch.float64).to(dtype) for gi in grads]
            needs = [(gi, v) for gi, v in zip(grads, vs) if gi.requires_grad]
            if needs:
                double = torch.autograd.grad([gi for gi, _ in needs], gs, [v for _, v in needs], allow_unused=True)
                case["vs"] = [encode(v) for v in vs]
                case["double_grads"] = [encode(d if d is not None else torch.zeros_like(g)) for d, g in zip(double, gs)]
        CASES.append(case)


def index_tuple(spec, tensors):
    parts = []
    for s in spec:
        if "int" in s:
            parts.append(s["int"])
        elif "slice" in s:
            parts.append(slice(*s["slice"]))
        elif "none" in s:
            parts.append(None)
        elif "ellipsis" in s:
            parts.append(Ellipsis)
        else:
            parts.append(tensors[s["tensor"]])
    return tuple(parts)


# ---- stack, split, chunk -------------------------------------------------------------------------------

add("stack_0", "stack", lambda a, b, c: torch.stack([a, b, c], 0), [randn(2, 3), randn(2, 3), randn(2, 3)], {"dim": 0})
add("stack_1", "stack", lambda a, b: torch.stack([a, b], 1), [randn(2, 3), randn(2, 3)], {"dim": 1})
add("stack_m1", "stack", lambda a, b: torch.stack([a, b], -1), [randn(2, 3), randn(2, 3)], {"dim": -1})
add("stack_0d", "stack", lambda a, b: torch.stack([a, b]), [randn(), randn()], {"dim": 0})
add("stack_empty", "stack", lambda a, b: torch.stack([a, b], 1), [randn(0, 3), randn(0, 3)], {"dim": 1})
add("split_2", "split_size", lambda a: a.split(2, 0), [randn(5, 3)], {"split_size": 2, "dim": 0})
add("split_m1", "split_size", lambda a: a.split(3, -1), [randn(2, 7)], {"split_size": 3, "dim": -1})
add("split_larger", "split_size", lambda a: a.split(10, 1), [randn(2, 4)], {"split_size": 10, "dim": 1})
add("split_empty", "split_size", lambda a: a.split(2, 0), [randn(0, 3)], {"split_size": 2, "dim": 0})
add("split_sizes", "split_sizes", lambda a: a.split([1, 0, 3, 2], 1), [randn(2, 6)], {"sizes": [1, 0, 3, 2], "dim": 1})
add("chunk_3_of_7", "chunk", lambda a: a.chunk(3, 1), [randn(2, 7)], {"chunks": 3, "dim": 1})
add("chunk_4_of_6", "chunk", lambda a: a.chunk(4, 0), [randn(6, 2)], {"chunks": 4, "dim": 0})
add("chunk_4_of_5", "chunk", lambda a: a.chunk(4, -1), [randn(3, 5)], {"chunks": 4, "dim": -1})
add("chunk_more_than_size", "chunk", lambda a: a.chunk(5, 0), [randn(3, 2)], {"chunks": 5, "dim": 0})
add("chunk_empty", "chunk", lambda a: a.chunk(3, 0), [randn(0, 2)], {"chunks": 3, "dim": 0})

# ---- flip, roll, repeat, expand, squeeze, T, mT, narrow ---------------------------------------------------

add("flip_0", "flip", lambda a: a.flip(0), [randn(3, 4)], {"dims": [0]})
add("flip_0_m1", "flip", lambda a: a.flip(0, -1), [randn(2, 3, 4)], {"dims": [0, -1]})
add("flip_none", "flip", lambda a: a.flip([]), [randn(2, 3)], {"dims": []})
add("flip_0d", "flip", lambda a: a.flip(0), [randn()], {"dims": [0]})
add("flip_empty", "flip", lambda a: a.flip(1), [randn(2, 0)], {"dims": [1]})
add("roll_1", "roll", lambda a: a.roll(1, 0), [randn(4, 3)], {"shifts": [1], "dims": [0]})
add("roll_two_dims", "roll", lambda a: a.roll((2, -1), (1, 0)), [randn(3, 5)], {"shifts": [2, -1], "dims": [1, 0]})
add("roll_flat", "roll", lambda a: a.roll(4), [randn(2, 3)], {"shifts": [4], "dims": []})
add("roll_large", "roll", lambda a: a.roll(-13, -1), [randn(2, 5)], {"shifts": [-13], "dims": [-1]})
add("roll_empty", "roll", lambda a: a.roll(2, 0), [randn(0, 3)], {"shifts": [2], "dims": [0]})
add("repeat_2d", "repeat", lambda a: a.repeat(2, 3), [randn(2, 3)], {"repeats": [2, 3]})
add("repeat_new_dims", "repeat", lambda a: a.repeat(2, 1, 2), [randn(3)], {"repeats": [2, 1, 2]})
add("repeat_zero", "repeat", lambda a: a.repeat(0, 2), [randn(2, 3)], {"repeats": [0, 2]})
add("repeat_0d", "repeat", lambda a: a.repeat(3), [randn()], {"repeats": [3]})
add("expand_keep", "expand", lambda a: a.expand(2, -1, 4), [randn(3, 1)], {"sizes": [2, -1, 4]})
add("expand_same", "expand", lambda a: a.expand(-1, 5), [randn(2, 1)], {"sizes": [-1, 5]})
add("expand_0d", "expand", lambda a: a.expand(3, 2), [randn()], {"sizes": [3, 2]})
add("squeeze_all", "squeeze_all", lambda a: a.squeeze(), [randn(1, 3, 1, 2)])
add("squeeze_all_to_0d", "squeeze_all", lambda a: a.squeeze(), [randn(1, 1)])
add("squeeze_all_empty", "squeeze_all", lambda a: a.squeeze(), [randn(1, 0, 1)])
add("T_3d", "T", lambda a: a.T, [randn(2, 3, 4)])
add("T_4d", "T", lambda a: a.T, [randn(2, 1, 3, 2)])
add("T_1d", "T", lambda a: a.T, [randn(4)])
add("mT_4d", "mT", lambda a: a.mT, [randn(2, 2, 3, 4)])
add("narrow_negative_start", "narrow", lambda a: a.narrow(1, -3, 2), [randn(2, 5)], {"dim": 1, "start": -3, "length": 2})
add("narrow_start_minus_size", "narrow", lambda a: a.narrow(-1, -4, 4), [randn(3, 4)], {"dim": -1, "start": -4, "length": 4})

# ---- gather, scatter, scatter_add, index_add, index_select, masked_fill -----------------------------------

add("gather_1", "gather", lambda a, i: a.gather(1, i), [randn(3, 4), index([[0, 0], [3, 1], [2, 2]])], {"dim": 1})
add("gather_0_smaller", "gather", lambda a, i: a.gather(0, i), [randn(3, 4), index([[2, 0, 1], [2, 1, 1]])], {"dim": 0})
add("gather_m1_3d", "gather", lambda a, i: a.gather(-1, i), [randn(2, 3, 4), index([[[3, 0, 0, 1, 2]], [[1, 1, 1, 1, 0]]])], {"dim": -1})
add("gather_empty", "gather", lambda a, i: a.gather(1, i), [randn(2, 3), torch.zeros(2, 0, dtype=torch.int64)], {"dim": 1})
add("gather_0d", "gather", lambda a, i: a.gather(0, i), [randn(), index(0)], {"dim": 0})
add("scatter_1", "scatter", lambda a, i, s: a.scatter(1, i, s), [randn(3, 5), index([[4, 0], [1, 2], [3, 1]]), randn(3, 2)], {"dim": 1})
# A source larger than its index has no gradient in PyTorch 1.13 (the backward's shape check fails); MyTorch pads it
# with zeros, which only the gradient checks cover.
add("scatter_0_smaller_index", "scatter", lambda a, i, s: a.scatter(0, i, s), [randn(4, 3), index([[3, 0, 1], [2, 1, 0]]), randn(2, 3)], {"dim": 0})
add("scatter_value", "scatter_value", lambda a, i: a.scatter(1, i, -1.5), [randn(2, 4), index([[3, 1], [0, 0]])], {"dim": 1, "value": -1.5})
add("scatter_add_0", "scatter_add", lambda a, i, s: a.scatter_add(0, i, s),
    [randn(4, 3), index([[3, 0, 0], [3, 1, 2], [0, 0, 0]]), randn(3, 3)], {"dim": 0})
add("scatter_add_m1", "scatter_add", lambda a, i, s: a.scatter_add(-1, i, s),
    [randn(2, 4), index([[1, 1, 3], [0, 2, 2]]), randn(2, 3)], {"dim": -1})
add("scatter_add_empty", "scatter_add", lambda a, i, s: a.scatter_add(0, i, s),
    [randn(2, 3), torch.zeros(0, 3, dtype=torch.int64), randn(0, 3)], {"dim": 0})
add("index_add_0", "index_add", lambda a, i, s: a.index_add(0, i, s), [randn(4, 3), index([1, 3, 1]), randn(3, 3)], {"dim": 0})
add("index_add_1", "index_add", lambda a, i, s: a.index_add(1, i, s), [randn(2, 5), index([4, 0]), randn(2, 2)], {"dim": 1})
add("index_add_m1_3d", "index_add", lambda a, i, s: a.index_add(-1, i, s), [randn(2, 3, 4), index([0, 0, 3]), randn(2, 3, 3)], {"dim": -1})
add("index_select_1", "index_select", lambda a, i: a.index_select(1, i), [randn(3, 4), index([3, 0, 3])], {"dim": 1})
add("index_select_m1_3d", "index_select", lambda a, i: a.index_select(-1, i), [randn(2, 3, 4), index([1, 2])], {"dim": -1})
add("index_select_2_of_3d", "index_select", lambda a, i: a.index_select(2, i), [randn(2, 2, 3), index([2, 2, 0, 1])], {"dim": 2})
add("index_select_empty", "index_select", lambda a, i: a.index_select(0, i), [randn(3, 2), torch.zeros(0, dtype=torch.int64)], {"dim": 0})
add("masked_fill", "masked_fill", lambda a, m: a.masked_fill(m, 2.5), [randn(3, 4), mask([[1, 0, 0, 1], [0, 0, 0, 0], [1, 1, 1, 1]])], {"value": 2.5})
add("masked_fill_broadcast", "masked_fill", lambda a, m: a.masked_fill(m, -1.0), [randn(2, 3, 4), mask([0, 1, 1, 0])], {"value": -1.0})
add("masked_fill_0d", "masked_fill", lambda a, m: a.masked_fill(m, 0.5), [randn(), mask(True)], {"value": 0.5})

# ---- the indexer ------------------------------------------------------------------------------------------


def indexing(name, x, spec, extra=()):
    add(name, "index", lambda a, *t, s=spec: a[index_tuple(s, (a,) + t)], [x, *extra], {"index": spec})


indexing("index_int", randn(3, 4), [{"int": 1}])
indexing("index_negative_int", randn(3, 4), [{"int": -1}])
indexing("index_two_ints", randn(3, 4), [{"int": 2}, {"int": -3}])
indexing("index_slice_1_m1", randn(5, 3), [{"slice": [1, -1, None]}])
indexing("index_slice_step", randn(7, 2), [{"slice": [None, None, 2]}])
indexing("index_slice_step_start", randn(3, 8), [{"slice": [None, None, None]}, {"slice": [1, 7, 3]}])
indexing("index_slice_clamped", randn(4, 3), [{"slice": [-10, 10, None]}])
indexing("index_slice_empty", randn(4, 3), [{"slice": [3, 1, None]}])
indexing("index_int_then_slice", randn(3, 4, 5), [{"int": 1}, {"slice": [1, None, 2]}])
indexing("index_ellipsis_int", randn(2, 3, 4), [{"ellipsis": True}, {"int": 1}])
indexing("index_newaxis", randn(3, 4), [{"none": True}, {"slice": [None, None, None]}, {"none": True}])
indexing("index_ellipsis_newaxis", randn(2, 3), [{"ellipsis": True}, {"none": True}])
indexing("index_mask_full", randn(2, 3), [{"tensor": 1}], [mask([[1, 0, 1], [0, 1, 1]])])
indexing("index_mask_rows", randn(3, 4), [{"tensor": 1}], [mask([1, 0, 1])])
indexing("index_mask_columns", randn(3, 4), [{"slice": [None, None, None]}, {"tensor": 1}], [mask([0, 1, 1, 0])])
indexing("index_mask_none", randn(2, 3), [{"tensor": 1}], [mask([[0, 0, 0], [0, 0, 0]])])
indexing("index_int64_rows", randn(4, 3), [{"tensor": 1}], [index([3, 0, 3])])
indexing("index_int64_2d_columns", randn(2, 4), [{"slice": [None, None, None]}, {"tensor": 1}], [index([[0, 1], [3, 3]])])
indexing("index_0d_ellipsis", randn(), [{"ellipsis": True}])


# ---- einsum and outer (appended: the draws above stay as they were) ----
def einsum(name, equation, *inputs):
    add(name, "einsum", lambda *t: torch.einsum(equation, *t), list(inputs), {"equation": equation})


einsum("einsum_matmul", "ij,jk->ik", randn(3, 4), randn(4, 2))
einsum("einsum_batched_matmul", "bij,bjk->bik", randn(2, 3, 4), randn(2, 4, 5))
einsum("einsum_outer", "i,j->ij", randn(3), randn(4))
einsum("einsum_trace", "ii->", randn(4, 4))
einsum("einsum_diagonal", "ii->i", randn(3, 3))
einsum("einsum_transpose", "ij->ji", randn(2, 5))
einsum("einsum_sum", "ij->", randn(3, 4))
einsum("einsum_column_sums", "ij->j", randn(3, 4))
einsum("einsum_dot", "i,i->", randn(5), randn(5))
einsum("einsum_rowwise_dot", "bi,bi->b", randn(4, 3), randn(4, 3))
einsum("einsum_hadamard", "ij,ij->ij", randn(2, 3), randn(2, 3))
einsum("einsum_permuted_contraction", "ijk,jl->lki", randn(2, 3, 2), randn(3, 4))
einsum("einsum_three_operands", "ij,jk,kl->il", randn(2, 3), randn(3, 4), randn(4, 2))
einsum("einsum_implicit", "ij,jk", randn(2, 3), randn(3, 2))
einsum("einsum_ellipsis_matmul", "...ij,...jk->...ik", randn(2, 3, 4), randn(4, 2))
einsum("einsum_ellipsis_broadcast", "...ij,...j->...i", randn(2, 3, 4), randn(4))
einsum("einsum_bilinear", "bn,anm,bm->ba", randn(2, 3), randn(4, 3, 2), randn(2, 2))
einsum("einsum_batch_diagonal", "bii->bi", randn(2, 3, 3))
einsum("einsum_empty", "ij,jk->ik", randn(0, 3), randn(3, 2))
add("outer", "outer", lambda a, b: torch.outer(a, b), [randn(3), randn(2)])


def main():
    with open(OUT, "w") as f:
        f.write("[\n")
        for i, case in enumerate(CASES):
            f.write(json.dumps(case, separators=(",", ":")))
            f.write(",\n" if i + 1 < len(CASES) else "\n")
        f.write("]\n")
    print(f"torch {torch.__version__}: wrote {len(CASES)} cases ({os.path.getsize(OUT)} bytes) to {OUT}")


if __name__ == "__main__":
    main()
