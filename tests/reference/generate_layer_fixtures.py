#!/usr/bin/python3
"""PyTorch reference fixtures for MyTorch's Linear and LayerNorm layers and a five-step training run.

Writes tests/reference/fixtures/layers.json, which tests/MyTorch.Tests/NN/LayerParityTests.cs replays:

  * "cases": one Linear or LayerNorm layer, in float64 and float32: the input x, the layer's parameters, PyTorch's
    forward output, a random upstream gradient dL/dy of the output's shape, and the gradients of x and of every
    parameter from torch.autograd.grad(y, [x, params...], grad_output).
  * "five_steps": a tiny network Linear(4, 6) -> Tanh -> LayerNorm(6) -> Linear(6, 3), loss written out as
    ((y - t) ** 2).mean(), trained with plain SGD (p <- p - lr * p.grad, lr 0.1) for five steps on one fixed batch,
    from fixed initial weights: the loss of every step (before its update) and every parameter after the five steps.
    One run in float64, one in float32 (its initial weights are the float64 ones rounded to float32).

Regenerate (only needed when adding cases; the JSON file is committed):

    /usr/bin/python3 tests/reference/generate_layer_fixtures.py

It uses Debian's python3-torch (written against torch 1.13) and is deterministic: a fixed torch.manual_seed, CPU
only, one thread, and a fixed JSON layout, so re-running gives a byte-identical file. CI never needs PyTorch: the
tests read only the committed JSON.

Layout conventions (everything is written in MyTorch's layout, so the test copies values straight in):
  * Linear: MyTorch's weight is (in, out) and computes x W + b with a bias of shape (1, out); PyTorch's nn.Linear
    weight is (out, in) with a bias of shape (out,). The script transposes the weight (and its gradient) and reshapes
    the bias (and its gradient) to (1, out) when writing.
  * LayerNorm: weight and bias are (normalized_shape,) in both libraries; eps is PyTorch's default 1e-5. The
    parameters are randomized (not ones/zeros) so their gradients and effect are visible.
  * five_steps parameters are keyed by MyTorch's state-dict names for Sequential(Linear, Tanh, LayerNorm, Linear):
    "0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias".

A tensor is {"shape": [...], "data": [row-major floats]}. Floats are written with repr(), which round-trips float64
exactly; float32 values are written as the exact (double-representable) value of each float32, so reading them as
double and converting to float is exact. Every random draw is made in float64 from the seeded generator and then
cast, so the float32 cases see the float64 cases' inputs rounded to float32.
"""

import json
import os

import torch

SEED = 20240917
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "layers.json")

torch.manual_seed(SEED)
torch.set_num_threads(1)

DTYPES = [("float64", torch.float64), ("float32", torch.float32)]


def randn(*shape):
    return torch.randn(shape, dtype=torch.float64)


DOUBLE_BACKWARD = torch.Generator().manual_seed(20261208)


def double_backward(case, grads, wrt, transpose_weight):
    """For float64: v and d/d(x, weight) sum(v * dL/dx), the second derivative PyTorch gives (draws of their own)."""
    if grads[0].dtype != torch.float64 or not grads[0].requires_grad:
        return
    v = torch.randn(grads[0].shape, dtype=torch.float64, generator=DOUBLE_BACKWARD)
    second = torch.autograd.grad(grads[0], wrt, v, allow_unused=True)
    second = [s if s is not None else torch.zeros_like(w) for s, w in zip(second, wrt)]
    case["v"] = tensor_json(v)
    case["double_x"] = tensor_json(second[0])
    if len(wrt) > 1:
        case["double_weight"] = tensor_json(second[1].t() if transpose_weight else second[1])


def tensor_json(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


# ---- single-layer cases ------------------------------------------------------------------------------------------

def linear_case(name, dtype_name, dtype, x64, w64, b64, g64):
    """w64 is in MyTorch's (in, out) layout, b64 (1, out)."""
    x = x64.to(dtype).requires_grad_(True)
    layer = torch.nn.Linear(w64.shape[0], w64.shape[1], bias=b64 is not None).to(dtype)
    with torch.no_grad():
        layer.weight.copy_(w64.t().to(dtype))
        if b64 is not None:
            layer.bias.copy_(b64.reshape(-1).to(dtype))
    y = layer(x)
    g = g64.to(dtype)
    params = [layer.weight] + ([layer.bias] if b64 is not None else [])
    grads = torch.autograd.grad(y, [x] + params, g, create_graph=True)
    case = {
        "name": name, "module": "linear", "dtype": dtype_name,
        "in_features": w64.shape[0], "out_features": w64.shape[1], "bias": b64 is not None,
        "x": tensor_json(x), "weight": tensor_json(layer.weight.t()),
        "bias_value": tensor_json(layer.bias.reshape(1, -1)) if b64 is not None else None,
        "output": tensor_json(y), "grad_output": tensor_json(g),
        "grad_x": tensor_json(grads[0]), "grad_weight": tensor_json(grads[1].t()),
        "grad_bias": tensor_json(grads[2].reshape(1, -1)) if b64 is not None else None,
    }
    double_backward(case, grads, [x, layer.weight], transpose_weight=True)
    return case


def layer_norm_case(name, dtype_name, dtype, x64, w64, b64, g64):
    n = x64.shape[-1]
    x = x64.to(dtype).requires_grad_(True)
    affine = w64 is not None
    layer = torch.nn.LayerNorm(n, elementwise_affine=affine).to(dtype)
    if affine:
        with torch.no_grad():
            layer.weight.copy_(w64.to(dtype))
            layer.bias.copy_(b64.to(dtype))
    y = layer(x)
    g = g64.to(dtype)
    params = [layer.weight, layer.bias] if affine else []
    grads = torch.autograd.grad(y, [x] + params, g, create_graph=True)
    case = {
        "name": name, "module": "layer_norm", "dtype": dtype_name,
        "normalized_shape": n, "eps": layer.eps, "elementwise_affine": affine,
        "x": tensor_json(x),
        "weight": tensor_json(layer.weight) if affine else None,
        "bias_value": tensor_json(layer.bias) if affine else None,
        "output": tensor_json(y), "grad_output": tensor_json(g),
        "grad_x": tensor_json(grads[0]),
        "grad_weight": tensor_json(grads[1]) if affine else None,
        "grad_bias": tensor_json(grads[2]) if affine else None,
    }
    double_backward(case, grads, [x] + params[:1], transpose_weight=False)
    return case


def build_cases():
    cases = []
    # Linear: (batch, in) input, a 3-D input (leading batch dims), no bias.
    linear_specs = [
        ("linear_2d", (5, 4), 4, 3, True),
        ("linear_3d", (2, 3, 4), 4, 5, True),
        ("linear_nobias", (6, 3), 3, 2, False),
        ("linear_wide", (3, 17), 17, 9, True),
    ]
    for name, xshape, fin, fout, bias in linear_specs:
        x = randn(*xshape)
        w = randn(fin, fout) / fin ** 0.5
        b = 0.5 * randn(1, fout) if bias else None
        g = randn(*xshape[:-1], fout)
        for dname, dt in DTYPES:
            cases.append(linear_case(f"{name}_{dname}", dname, dt, x, w, b, g))
    # LayerNorm: 2-D and 3-D inputs, with and without affine parameters; one input with a large offset and scale.
    ln_specs = [
        ("layer_norm_2d", (5, 6), True, 1.0, 0.0),
        ("layer_norm_3d", (2, 3, 7), True, 1.0, 0.0),
        ("layer_norm_no_affine", (4, 5), False, 1.0, 0.0),
        ("layer_norm_offset", (3, 8), True, 10.0, 5.0),
    ]
    for name, xshape, affine, scale, offset in ln_specs:
        n = xshape[-1]
        x = offset + scale * randn(*xshape)
        w = 1.0 + 0.3 * randn(n) if affine else None
        b = 0.3 * randn(n) if affine else None
        g = randn(*xshape)
        for dname, dt in DTYPES:
            cases.append(layer_norm_case(f"{name}_{dname}", dname, dt, x, w, b, g))
    return cases


# ---- five steps of SGD -------------------------------------------------------------------------------------------

SIZES = (4, 6, 3)
BATCH = 8
LR = 0.1
STEPS = 5
PARAM_NAMES = ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"]


def mytorch_layout(name, p):
    """A PyTorch parameter in MyTorch's layout: Linear weights transposed, Linear biases (1, out)."""
    if name in ("0.weight", "3.weight"):
        return p.t()
    if name in ("0.bias", "3.bias"):
        return p.reshape(1, -1)
    return p


def five_steps():
    n_in, hidden, n_out = SIZES
    x64 = randn(BATCH, n_in)
    t64 = randn(BATCH, n_out)
    init64 = {
        "0.weight": randn(n_in, hidden) / n_in ** 0.5,
        "0.bias": 0.2 * randn(1, hidden),
        "2.weight": 1.0 + 0.2 * randn(hidden),
        "2.bias": 0.2 * randn(hidden),
        "3.weight": randn(hidden, n_out) / hidden ** 0.5,
        "3.bias": 0.2 * randn(1, n_out),
    }
    runs = []
    for dname, dt in DTYPES:
        net = torch.nn.Sequential(
            torch.nn.Linear(n_in, hidden), torch.nn.Tanh(), torch.nn.LayerNorm(hidden), torch.nn.Linear(hidden, n_out)
        ).to(dt)
        params = dict(net.named_parameters())
        assert sorted(params) == sorted(PARAM_NAMES), sorted(params)
        with torch.no_grad():
            for name in PARAM_NAMES:
                value = init64[name].to(dt)
                if name in ("0.weight", "3.weight"):
                    value = value.t()
                elif name in ("0.bias", "3.bias"):
                    value = value.reshape(-1)
                params[name].copy_(value)
        init = {name: tensor_json(mytorch_layout(name, params[name])) for name in PARAM_NAMES}
        x = x64.to(dt)
        t = t64.to(dt)
        losses = []
        for _ in range(STEPS):
            for p in net.parameters():
                p.grad = None
            y = net(x)
            loss = ((y - t) ** 2).mean()
            loss.backward()
            losses.append(float(loss.item()))
            with torch.no_grad():
                for p in net.parameters():
                    p -= LR * p.grad
        runs.append({
            "name": f"five_steps_{dname}", "dtype": dname, "sizes": list(SIZES), "lr": LR, "steps": STEPS,
            "x": tensor_json(x), "t": tensor_json(t), "init": init, "losses": losses,
            "final": {name: tensor_json(mytorch_layout(name, params[name])) for name in PARAM_NAMES},
        })
    return runs


def main():
    cases = build_cases()
    runs = five_steps()
    lines = ["{", f'"format": 1, "seed": {SEED}, "torch_version": {json.dumps(torch.__version__)},', '"cases": [']
    lines.append(",\n".join(json.dumps(c, separators=(", ", ": ")) for c in cases))
    lines.append("],")
    lines.append('"five_steps": [')
    lines.append(",\n".join(json.dumps(r, separators=(", ", ": ")) for r in runs))
    lines.append("]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # the file must parse
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {OUT}: {len(cases)} layer cases, {len(runs)} five-step runs")


if __name__ == "__main__":
    main()
