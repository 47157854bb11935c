#!/usr/bin/python3
"""PyTorch reference fixtures for MyTorch's transposed convolutions, adaptive max pooling, resampling, padding and GroupNorm.

Writes tests/reference/fixtures/convextra.json, which tests/MyTorch.Tests/Reference/ConvExtraFixtureTests.cs replays,
in the format of generate_conv_fixtures.py (whose header documents it): "layer" and "args" (PyTorch's class or
function and its arguments), "inputs" (x and every parameter), "output", "gy", "grads", and for some cases "double"
(the gradients of s = sum(dx * u) [+ sum(dw * v)] with respect to x [, the weight] and gy). "Downsample2d",
"Upsample2d", "Downsample1d" and "Upsample1d" are the integer-factor resamplings x[:, :, ::f, ::f] and its adjoint
(zeros inserted), written here in plain PyTorch.

Regenerate (only when adding cases; the JSON file is committed):

    /usr/bin/python3 tests/reference/generate_convextra_fixtures.py

Deterministic: a fixed seed, one thread, every random draw made in float64 and then cast; floats written with repr().
"""

import json
import os

import torch
import torch.nn.functional as F

SEED = 20261209
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "convextra.json")

torch.manual_seed(SEED)
torch.set_num_threads(1)

DTYPES = [("float64", torch.float64), ("float32", torch.float32)]


def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)


def tensor_json(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def zeros_between(x, f, dims):
    for d in dims:
        shape = list(x.shape)
        shape[d] *= f
        y = x.new_zeros(shape)
        index = [slice(None)] * x.dim()
        index[d] = slice(None, None, f)
        y[tuple(index)] = x
        x = y
    return x


def build(layer, args):
    """The PyTorch module, or a function of x, for one case."""
    a = dict(args)
    if layer in ("ConvTranspose2d", "ConvTranspose1d", "GroupNorm"):
        return getattr(torch.nn, layer)(**a)
    if layer == "conv_transpose2d":
        return lambda x, w, b=None: F.conv_transpose2d(x, w, b, **a)
    if layer == "conv_transpose1d":
        return lambda x, w, b=None: F.conv_transpose1d(x, w, b, **a)
    if layer == "Downsample2d":
        return lambda x: x[:, :, ::a["factor"], ::a["factor"]]
    if layer == "Downsample1d":
        return lambda x: x[:, :, ::a["factor"]]
    if layer == "Upsample2d":
        return lambda x: zeros_between(x, a["factor"], [2, 3])
    if layer == "Upsample1d":
        return lambda x: zeros_between(x, a["factor"], [2])
    if layer == "Upsample":
        if isinstance(a.get("scale_factor"), list):
            a["scale_factor"] = tuple(a["scale_factor"])
        if isinstance(a.get("size"), list):
            a["size"] = tuple(a["size"])
    if layer in ("ZeroPad2d", "ConstantPad2d") and isinstance(a.get("padding"), list):
        a["padding"] = tuple(a["padding"])
    return {
        "AdaptiveMaxPool2d": torch.nn.AdaptiveMaxPool2d, "AdaptiveMaxPool1d": torch.nn.AdaptiveMaxPool1d,
        "Upsample": torch.nn.Upsample, "ZeroPad2d": torch.nn.ZeroPad2d, "ConstantPad2d": torch.nn.ConstantPad2d,
    }[layer](**a)


def case(name, layer, args, x_shape, weight_shape=None, bias=False, integer_input=False, double=False, eval_mode=False):
    x64 = randn(*x_shape)
    if integer_input:
        x64 = torch.round(x64 * 1.5)
    w64 = randn(*weight_shape) * 0.5 if weight_shape is not None else None
    # A transposed convolution's weight is (in, out / groups, ...): its bias has out channels.
    b64 = randn(weight_shape[1] * args.get("groups", 1)) if bias and weight_shape is not None else None
    u64 = randn(*x_shape)
    v64 = randn(*weight_shape) if weight_shape is not None else None
    results = []
    for dtype_name, dtype in DTYPES:
        x = x64.to(dtype).requires_grad_(True)
        inputs = {"x": tensor_json(x)}
        params = []
        if layer in ("ConvTranspose2d", "ConvTranspose1d", "GroupNorm"):
            module = build(layer, args).to(dtype)
            if layer == "GroupNorm":
                c = x_shape[1]
                with torch.no_grad():
                    if module.affine:
                        module.weight.copy_(randn(c).to(dtype) * 0.5 + 1)
                        module.bias.copy_(randn(c).to(dtype) * 0.5)
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
        elif layer in ("conv_transpose2d", "conv_transpose1d"):
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
            if v64 is None:
                # GroupNorm's weight: v drawn from its own generator, so the other cases' draws stay as they were.
                v64 = torch.randn(tuple(dw.shape), generator=torch.Generator().manual_seed(SEED), dtype=torch.float64)
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


# ---- transposed convolutions ---------------------------------------------------------------------------------------
add("ConvTranspose2d 3->2 k3", "ConvTranspose2d", {"in_channels": 3, "out_channels": 2, "kernel_size": 3}, [2, 3, 4, 5], [3, 2, 3, 3], bias=True, double=True)
add("ConvTranspose2d stride 2 padding 1 output_padding 1", "ConvTranspose2d",
    {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, [2, 2, 4, 3], [2, 3, 3, 3], bias=True, double=True)
add("ConvTranspose2d per-axis k(2,3) s(3,1) p(1,2) op(2,0) d(1,2)", "ConvTranspose2d",
    {"in_channels": 2, "out_channels": 2, "kernel_size": [2, 3], "stride": [3, 1], "padding": [1, 2], "output_padding": [2, 0], "dilation": [1, 2]},
    [1, 2, 3, 5], [2, 2, 2, 3], bias=True)
add("ConvTranspose2d groups 2 no bias", "ConvTranspose2d", {"in_channels": 4, "out_channels": 6, "kernel_size": 2, "stride": 2, "groups": 2, "bias": False},
    [2, 4, 3, 3], [4, 3, 2, 2], double=True)
add("ConvTranspose2d depthwise dilation 3 output_padding 2", "ConvTranspose2d",
    {"in_channels": 3, "out_channels": 3, "kernel_size": 2, "groups": 3, "dilation": 3, "output_padding": 2}, [2, 3, 3, 4], [3, 1, 2, 2], bias=True)
add("ConvTranspose2d pointwise", "ConvTranspose2d", {"in_channels": 4, "out_channels": 3, "kernel_size": 1}, [2, 4, 3, 2], [4, 3, 1, 1], bias=True)
add("ConvTranspose2d kernel 1 stride 3 (zero insertion)", "ConvTranspose2d", {"in_channels": 2, "out_channels": 2, "kernel_size": 1, "stride": 3},
    [1, 2, 3, 2], [2, 2, 1, 1], bias=True)
add("ConvTranspose2d padding larger than kernel reach", "ConvTranspose2d", {"in_channels": 1, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 2},
    [1, 1, 4, 4], [1, 2, 3, 3], bias=True)
add("conv_transpose2d functional stride (1,2) padding (0,1)", "conv_transpose2d", {"stride": [1, 2], "padding": [0, 1]}, [2, 3, 3, 4], [3, 2, 2, 3],
    bias=True, double=True)
add("conv_transpose2d functional groups 3 dilation 2", "conv_transpose2d", {"groups": 3, "dilation": 2, "padding": 1}, [1, 6, 4, 4], [6, 1, 3, 3])
add("ConvTranspose1d 2->3 k3", "ConvTranspose1d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3}, [2, 2, 6], [2, 3, 3], bias=True, double=True)
add("ConvTranspose1d stride 3 padding 1 output_padding 2 dilation 2", "ConvTranspose1d",
    {"in_channels": 3, "out_channels": 2, "kernel_size": 3, "stride": 3, "padding": 1, "output_padding": 2, "dilation": 2}, [2, 3, 5], [3, 2, 3], bias=True)
add("ConvTranspose1d groups 2", "ConvTranspose1d", {"in_channels": 4, "out_channels": 2, "kernel_size": 4, "stride": 2, "groups": 2}, [2, 4, 5], [4, 1, 4],
    bias=True)
add("conv_transpose1d functional stride 2", "conv_transpose1d", {"stride": 2}, [3, 2, 4], [2, 4, 2], bias=True, double=True)

# ---- adaptive max pooling ------------------------------------------------------------------------------------------
add("AdaptiveMaxPool2d (3,2) from (7,5)", "AdaptiveMaxPool2d", {"output_size": [3, 2]}, [2, 3, 7, 5], double=True)
add("AdaptiveMaxPool2d 1", "AdaptiveMaxPool2d", {"output_size": 1}, [2, 4, 3, 5])
add("AdaptiveMaxPool2d upsample (4,5) from (3,2)", "AdaptiveMaxPool2d", {"output_size": [4, 5]}, [1, 2, 3, 2])
add("AdaptiveMaxPool2d ties", "AdaptiveMaxPool2d", {"output_size": [2, 3]}, [2, 2, 5, 7], integer_input=True, double=True)
add("AdaptiveMaxPool1d 4 from 10", "AdaptiveMaxPool1d", {"output_size": 4}, [2, 3, 10], double=True)
add("AdaptiveMaxPool1d ties 3 from 8", "AdaptiveMaxPool1d", {"output_size": 3}, [2, 2, 8], integer_input=True)

# ---- resampling ----------------------------------------------------------------------------------------------------
add("Upsample nearest x2", "Upsample", {"scale_factor": 2.0}, [2, 2, 3, 4], double=True)
add("Upsample nearest x(1.5,3)", "Upsample", {"scale_factor": [1.5, 3.0]}, [1, 2, 4, 3])
add("Upsample nearest size (5,7)", "Upsample", {"size": [5, 7]}, [2, 2, 3, 4])
add("Upsample nearest size (2,3) downsampling", "Upsample", {"size": [2, 3]}, [1, 2, 5, 7])
add("Upsample nearest x1.7 odd", "Upsample", {"scale_factor": 1.7}, [1, 1, 3, 5])
add("Upsample nearest 1d x3", "Upsample", {"scale_factor": 3.0}, [2, 2, 4])
add("Upsample bilinear x2", "Upsample", {"scale_factor": 2.0, "mode": "bilinear"}, [2, 2, 3, 4], double=True)
add("Upsample bilinear size (5,7)", "Upsample", {"size": [5, 7], "mode": "bilinear"}, [1, 2, 3, 4])
add("Upsample bilinear align_corners size (5,7)", "Upsample", {"size": [5, 7], "mode": "bilinear", "align_corners": True}, [1, 2, 3, 4], double=True)
add("Upsample bilinear align_corners x(2,1.5)", "Upsample", {"scale_factor": [2.0, 1.5], "mode": "bilinear", "align_corners": True}, [2, 1, 3, 4])
add("Upsample bilinear x1.5 downsampling size (2,3)", "Upsample", {"size": [2, 3], "mode": "bilinear"}, [1, 2, 5, 7])
add("Upsample bilinear size 1", "Upsample", {"size": [1, 2], "mode": "bilinear", "align_corners": True}, [1, 1, 3, 4])
add("Upsample linear x2.5", "Upsample", {"scale_factor": 2.5, "mode": "linear"}, [2, 2, 5])
add("Upsample linear align_corners size 9", "Upsample", {"size": 9, "mode": "linear", "align_corners": True}, [2, 2, 4])
add("Downsample2d 2", "Downsample2d", {"factor": 2}, [2, 2, 5, 6], double=True)
add("Downsample2d 3", "Downsample2d", {"factor": 3}, [1, 3, 7, 4])
add("Upsample2d 2", "Upsample2d", {"factor": 2}, [2, 2, 3, 2], double=True)
add("Upsample2d 3", "Upsample2d", {"factor": 3}, [1, 2, 2, 3])
add("Downsample1d 3", "Downsample1d", {"factor": 3}, [2, 3, 8])
add("Upsample1d 2", "Upsample1d", {"factor": 2}, [2, 3, 4])

# ---- padding and GroupNorm -----------------------------------------------------------------------------------------
add("ZeroPad2d 1", "ZeroPad2d", {"padding": 1}, [2, 2, 3, 4], double=True)
add("ZeroPad2d (1,2,0,3)", "ZeroPad2d", {"padding": [1, 2, 0, 3]}, [2, 3, 3, 2], double=True)
add("ZeroPad2d negative crops (-1,2,1,-2)", "ZeroPad2d", {"padding": [-1, 2, 1, -2]}, [1, 2, 4, 5])
add("ZeroPad2d unbatched", "ZeroPad2d", {"padding": [2, 0, 1, 1]}, [2, 3, 3])
add("ConstantPad2d 2 value 0.5", "ConstantPad2d", {"padding": 2, "value": 0.5}, [2, 2, 3, 3], double=True)
add("ConstantPad2d (0,1,2,0) value -3", "ConstantPad2d", {"padding": [0, 1, 2, 0], "value": -3.0}, [1, 3, 2, 4])
add("GroupNorm 2 groups of 4 channels", "GroupNorm", {"num_groups": 2, "num_channels": 4}, [3, 4, 3, 2], double=True)
add("GroupNorm 3 groups of 6 channels eps 1e-3", "GroupNorm", {"num_groups": 3, "num_channels": 6, "eps": 1e-3}, [2, 6, 5])
add("GroupNorm 1 group (layer norm)", "GroupNorm", {"num_groups": 1, "num_channels": 3}, [2, 3, 2, 3])
add("GroupNorm per channel (instance norm)", "GroupNorm", {"num_groups": 4, "num_channels": 4}, [2, 4, 3, 3])
add("GroupNorm no affine", "GroupNorm", {"num_groups": 2, "num_channels": 4, "affine": False}, [2, 4, 2, 2], double=True)

with open(OUT, "w") as f:
    json.dump(CASES, f, indent=None, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(CASES)} cases to {OUT}")
