#!/usr/bin/python3
"""PyTorch reference fixtures for MyTorch's convolution, pooling, Flatten and BatchNorm2d layers.

Writes tests/reference/fixtures/conv.json, which tests/MyTorch.Tests/Reference/ConvFixtureTests.cs replays. Each case
is one layer (or functional op) in float64 and float32:

  * "layer": the PyTorch class or function ("Conv2d", "conv2d", "MaxPool2d", ...) and "args", its constructor or
    keyword arguments in PyTorch's names;
  * "inputs": x and, for a convolution or BatchNorm2d, every parameter (weight, bias) given explicitly, in PyTorch's
    layout (MyTorch's layout is the same for these layers);
  * "output": the forward output, "gy" a random upstream gradient of the output's shape, and "grads": x's and every
    parameter's gradient from torch.autograd.grad(y, [x, params...], gy);
  * "double" (some convolution and pooling cases): with u, v random tensors of x's and the weight's shapes, the gradients
    of s = sum(dx * u) + sum(dw * v) (dx, dw the first gradients, create_graph=True) with respect to x, the weight and
    gy; for a layer without parameters s = sum(dx * u) and its gradients with respect to x and gy;
  * "training": false for a layer run in evaluation mode (BatchNorm2d on its running statistics);
  * "state" (BatchNorm2d tracking running statistics): the running mean and variance after the forward pass.

Regenerate (only when adding cases; the JSON file is committed):

    /usr/bin/python3 tests/reference/generate_conv_fixtures.py

Deterministic: a fixed seed, one thread, every random draw made in float64 and then cast, so the float32 cases see
the float64 inputs rounded to float32; floats written with repr() (exact).
"""

import json
import os

import torch
import torch.nn.functional as F

SEED = 20261208
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "conv.json")

torch.manual_seed(SEED)
torch.set_num_threads(1)

DTYPES = [("float64", torch.float64), ("float32", torch.float32)]


def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)


def tensor_json(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def build(layer, args):
    """The PyTorch module, or a function of x, for one case."""
    a = dict(args)
    if layer == "Conv2d":
        return torch.nn.Conv2d(**a)
    if layer == "Conv1d":
        return torch.nn.Conv1d(**a)
    if layer == "conv2d":
        return lambda x, w, b=None: F.conv2d(x, w, b, **a)
    if layer == "conv1d":
        return lambda x, w, b=None: F.conv1d(x, w, b, **a)
    return {
        "MaxPool2d": torch.nn.MaxPool2d, "MaxPool1d": torch.nn.MaxPool1d,
        "AvgPool2d": torch.nn.AvgPool2d, "AvgPool1d": torch.nn.AvgPool1d,
        "AdaptiveAvgPool2d": torch.nn.AdaptiveAvgPool2d, "AdaptiveAvgPool1d": torch.nn.AdaptiveAvgPool1d,
        "BatchNorm2d": torch.nn.BatchNorm2d, "Flatten": torch.nn.Flatten,
    }[layer](**a)


def case(name, layer, args, x_shape, weight_shape=None, bias=False, integer_input=False, double=False, eval_mode=False):
    x64 = randn(*x_shape)
    if integer_input:
        x64 = torch.round(x64 * 1.5)
    w64 = randn(*weight_shape) * 0.5 if weight_shape is not None else None
    b64 = randn(weight_shape[0]) if bias and weight_shape is not None else None
    u64 = randn(*x_shape)
    v64 = randn(*weight_shape) if weight_shape is not None else None
    results = []
    for dtype_name, dtype in DTYPES:
        x = x64.to(dtype).requires_grad_(True)
        inputs = {"x": tensor_json(x)}
        params = []
        if layer in ("Conv2d", "Conv1d", "BatchNorm2d"):
            module = build(layer, args).to(dtype)
            if layer == "BatchNorm2d":
                c = x_shape[1]
                with torch.no_grad():
                    if module.affine:
                        module.weight.copy_(randn(c).to(dtype) * 0.5 + 1)
                        module.bias.copy_(randn(c).to(dtype) * 0.5)
                    if module.track_running_stats:
                        module.running_mean.copy_(randn(c).to(dtype) * 0.3)
                        module.running_var.copy_(torch.rand(c, dtype=torch.float64).to(dtype) + 0.5)
                        inputs["running_mean"] = tensor_json(module.running_mean)
                        inputs["running_var"] = tensor_json(module.running_var)
                if eval_mode:
                    module.eval()
            else:
                with torch.no_grad():
                    module.weight.copy_(w64.to(dtype))
                    if module.bias is not None:
                        module.bias.copy_(b64.to(dtype))
            for pname in ("weight", "bias"):
                p = getattr(module, pname, None)
                if p is not None:
                    inputs[pname] = tensor_json(p)
                    params.append((pname, p))
            y = module(x)
        elif layer in ("conv2d", "conv1d"):
            w = w64.to(dtype).requires_grad_(True)
            inputs["weight"] = tensor_json(w)
            params.append(("weight", w))
            b = None
            if b64 is not None:
                b = b64.to(dtype).requires_grad_(True)
                inputs["bias"] = tensor_json(b)
                params.append(("bias", b))
            y = build(layer, args)(x, w, b)
        else:
            y = build(layer, args)(x)
        gy = randn(*y.shape).to(dtype)
        wrt = [x] + [p for _, p in params]
        grads = torch.autograd.grad(y, wrt, gy, create_graph=double)
        entry = {
            "name": f"{name} {dtype_name}", "layer": layer, "dtype": dtype_name, "args": args,
            "training": not eval_mode, "inputs": inputs, "output": tensor_json(y), "gy": tensor_json(gy),
            "grads": {"x": tensor_json(grads[0]), **{pname: tensor_json(g) for (pname, _), g in zip(params, grads[1:])}},
        }
        if layer == "BatchNorm2d" and module.track_running_stats:
            entry["state"] = {"running_mean": tensor_json(module.running_mean), "running_var": tensor_json(module.running_var)}
        if double and not params:
            gy_leaf = gy.clone().requires_grad_(True)
            y = build(layer, args)(x)
            (dx,) = torch.autograd.grad(y, [x], gy_leaf, create_graph=True)
            s = (dx * u64.to(dtype)).sum()
            second = torch.autograd.grad(s, [x, gy_leaf], allow_unused=True)
            entry["double"] = {
                "u": tensor_json(u64.to(dtype)),
                "x": tensor_json(second[0] if second[0] is not None else torch.zeros_like(x)), "gy": tensor_json(second[1]),
            }
        elif double:
            gy_leaf = gy.clone().requires_grad_(True)
            dx, dw = torch.autograd.grad(y, [x, params[0][1]], gy_leaf, create_graph=True)
            s = (dx * u64.to(dtype)).sum() + (dw * v64.to(dtype)).sum()
            second = torch.autograd.grad(s, [x, params[0][1], gy_leaf], allow_unused=True)
            entry["double"] = {
                "u": tensor_json(u64.to(dtype)), "v": tensor_json(v64.to(dtype)),
                "x": tensor_json(second[0] if second[0] is not None else torch.zeros_like(x)),
                "weight": tensor_json(second[1]), "gy": tensor_json(second[2]),
            }
        results.append(entry)
    return results


CASES = []


def add(*args, **kwargs):
    CASES.extend(case(*args, **kwargs))


# ---- convolutions ------------------------------------------------------------------------------------------------
add("Conv2d 3->4 k3", "Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": 3}, [2, 3, 7, 6], [4, 3, 3, 3], bias=True, double=True)
add("Conv2d stride 2 padding 1", "Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1}, [2, 2, 9, 8], [3, 2, 3, 3], bias=True)
add("Conv2d per-axis k(2,3) s(2,1) p(1,2) d(2,1)", "Conv2d",
    {"in_channels": 3, "out_channels": 2, "kernel_size": [2, 3], "stride": [2, 1], "padding": [1, 2], "dilation": [2, 1]},
    [1, 3, 8, 7], [2, 3, 2, 3], bias=True, double=True)
add("Conv2d groups 2 no bias", "Conv2d", {"in_channels": 4, "out_channels": 6, "kernel_size": 3, "groups": 2, "bias": False, "padding": 1},
    [2, 4, 5, 5], [6, 2, 3, 3], double=True)
add("Conv2d depthwise", "Conv2d", {"in_channels": 3, "out_channels": 6, "kernel_size": [3, 2], "groups": 3, "stride": [1, 2]}, [2, 3, 6, 7], [6, 1, 3, 2], bias=True)
add("Conv2d same odd kernel", "Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": "same"}, [2, 2, 5, 6], [3, 2, 3, 3], bias=True)
add("Conv2d same even kernel dilation", "Conv2d", {"in_channels": 2, "out_channels": 2, "kernel_size": [2, 4], "padding": "same", "dilation": [1, 3]},
    [1, 2, 5, 9], [2, 2, 2, 4], bias=True, double=True)
add("Conv2d valid", "Conv2d", {"in_channels": 1, "out_channels": 2, "kernel_size": 5, "padding": "valid"}, [3, 1, 7, 5], [2, 1, 5, 5], bias=True)
add("Conv2d pointwise", "Conv2d", {"in_channels": 5, "out_channels": 3, "kernel_size": 1}, [2, 5, 3, 4], [3, 5, 1, 1], bias=True, double=True)
add("Conv2d stride 3 kernel 1", "Conv2d", {"in_channels": 2, "out_channels": 2, "kernel_size": 1, "stride": 3}, [1, 2, 7, 8], [2, 2, 1, 1], bias=True)
add("Conv2d kernel larger than input with padding", "Conv2d", {"in_channels": 1, "out_channels": 1, "kernel_size": 4, "padding": 2}, [1, 1, 2, 3], [1, 1, 4, 4], bias=True)
add("conv2d functional stride (1,3) padding (2,0)", "conv2d", {"stride": [1, 3], "padding": [2, 0]}, [2, 3, 4, 10], [5, 3, 3, 2], bias=True, double=True)
add("conv2d functional groups 3 dilation 2", "conv2d", {"groups": 3, "dilation": 2, "padding": 1}, [1, 6, 7, 7], [3, 2, 3, 3])
add("Conv1d 2->3 k3", "Conv1d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3}, [2, 2, 9], [3, 2, 3], bias=True, double=True)
add("Conv1d stride 2 padding 2 dilation 2", "Conv1d", {"in_channels": 3, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 2, "dilation": 2},
    [2, 3, 11], [2, 3, 3], bias=True)
add("Conv1d groups depthwise same even", "Conv1d", {"in_channels": 4, "out_channels": 4, "kernel_size": 4, "groups": 4, "padding": "same"}, [2, 4, 7], [4, 1, 4], bias=True)
add("conv1d functional stride 3", "conv1d", {"stride": 3}, [3, 2, 10], [4, 2, 2], bias=True, double=True)

# ---- pooling -----------------------------------------------------------------------------------------------------
add("MaxPool2d k2", "MaxPool2d", {"kernel_size": 2}, [2, 3, 6, 7])
add("MaxPool2d k3 s2 p1", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [2, 2, 7, 8], double=True)
add("MaxPool2d k(2,3) s(1,2) d(2,1) ceil", "MaxPool2d", {"kernel_size": [2, 3], "stride": [1, 2], "dilation": [2, 1], "ceil_mode": True}, [1, 2, 7, 8])
add("MaxPool2d k3 s2 ceil", "MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, [2, 2, 6, 8])
add("MaxPool2d ties", "MaxPool2d", {"kernel_size": 2, "stride": 1}, [2, 2, 5, 5], integer_input=True, double=True)
add("MaxPool2d ties overlapping padded", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [1, 3, 6, 6], integer_input=True)
add("MaxPool1d k3 s2 p1", "MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1}, [2, 3, 9])
add("MaxPool1d k2 d2 ceil", "MaxPool1d", {"kernel_size": 2, "dilation": 2, "ceil_mode": True}, [2, 2, 8], double=True)
add("AvgPool2d k2", "AvgPool2d", {"kernel_size": 2}, [2, 3, 6, 7])
add("AvgPool2d k3 s2 p1", "AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}, [2, 2, 7, 8])
add("AvgPool2d k3 s2 p1 exclude pad", "AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, [2, 2, 7, 8])
add("AvgPool2d k(3,2) s2 p(1,1) ceil", "AvgPool2d", {"kernel_size": [3, 2], "stride": 2, "padding": [1, 1], "ceil_mode": True}, [1, 2, 8, 7])
add("AvgPool2d k3 s2 ceil exclude pad", "AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    [1, 2, 6, 8], double=True)
add("AvgPool1d k3 s2 p1", "AvgPool1d", {"kernel_size": 3, "stride": 2, "padding": 1}, [2, 3, 9], double=True)
add("AvgPool1d k2 ceil exclude pad", "AvgPool1d", {"kernel_size": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}, [2, 2, 8])
add("AdaptiveAvgPool2d (3,2) from (7,5)", "AdaptiveAvgPool2d", {"output_size": [3, 2]}, [2, 3, 7, 5], double=True)
add("AdaptiveAvgPool2d 1", "AdaptiveAvgPool2d", {"output_size": 1}, [2, 4, 3, 5])
add("AdaptiveAvgPool2d upsample (4,5) from (3,2)", "AdaptiveAvgPool2d", {"output_size": [4, 5]}, [1, 2, 3, 2])
add("AdaptiveAvgPool1d 4 from 10", "AdaptiveAvgPool1d", {"output_size": 4}, [2, 3, 10], double=True)

# ---- Flatten and BatchNorm2d ---------------------------------------------------------------------------------------
add("Flatten default", "Flatten", {}, [2, 3, 4, 2])
add("Flatten 1..2", "Flatten", {"start_dim": 1, "end_dim": 2}, [2, 3, 4, 2])
add("BatchNorm2d training", "BatchNorm2d", {"num_features": 3}, [4, 3, 5, 2])
add("BatchNorm2d training momentum 0.3 eps 1e-3", "BatchNorm2d", {"num_features": 2, "momentum": 0.3, "eps": 1e-3}, [2, 2, 3, 3])
add("BatchNorm2d evaluation", "BatchNorm2d", {"num_features": 3}, [2, 3, 4, 4], eval_mode=True)
add("BatchNorm2d no affine", "BatchNorm2d", {"num_features": 2, "affine": False}, [3, 2, 2, 3])
add("BatchNorm2d no running stats", "BatchNorm2d", {"num_features": 2, "track_running_stats": False}, [3, 2, 3, 2])

with open(OUT, "w") as f:
    json.dump(CASES, f, indent=None, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(CASES)} cases to {OUT}")
