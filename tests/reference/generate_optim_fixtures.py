#!/usr/bin/python3
"""PyTorch reference fixtures for MyTorch's optimizers, learning-rate schedules and gradient clipping.

Writes tests/reference/fixtures/optim.json, which tests/MyTorch.Tests/Optim/OptimizerFixtureTests.cs replays:

- "optimizers": five steps of SGD (plain, momentum, Nesterov, weight decay, parameter groups), Adam (defaults,
  larger lr, weight decay, other betas/eps, amsgrad, groups), AdamW (and amsgrad), some with a StepLR or
  CosineAnnealingLR schedule stepped after every optimizer step, in float64 and float32. Every case trains
  the same tiny linear regression, loss = mean((X W^T + b - Y)^2) over fixed X (8x3) and Y (8x2), from the
  same initial W (2x3) and b (2). Each step records the gradients PyTorch computed (which the C# test feeds
  to MyTorch's optimizer, so only the optimizer is under test), the learning rate of each group used by the
  step, and the parameters after it.
- "schedulers": each group's learning rate at epochs 0..12 for StepLR and CosineAnnealingLR.
- "clip_grad_norm": gradients before and after torch.nn.utils.clip_grad_norm_ and the total norm it returned.

Regenerate (only needed when adding cases; the JSON file is committed, CI never needs PyTorch):

    /usr/bin/python3 tests/reference/generate_optim_fixtures.py

It uses Debian's python3-torch (written against torch 1.13, whose CPU optimizers take the single-tensor
path) and is deterministic: a fixed torch.manual_seed, CPU only, one thread and a fixed JSON layout, so
re-running gives a byte-identical file.

Tensors are {"shape": [...], "data": [...]} flattened row-major. Floats are written with repr(), which
round-trips float64 exactly; float32 values are written as the exact (double-representable) value of each
float32. Option names are MyTorch's (beta1/beta2 rather than betas); a group's "options" override the case's.
"""

import json
import math
import os

import torch

SEED = 20240612
STEPS = 5
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "optim.json")

torch.manual_seed(SEED)
torch.set_num_threads(1)

DTYPES = [("float64", torch.float64), ("float32", torch.float32)]

# The regression problem, drawn once in float64 and cast per dtype.
X = torch.randn(8, 3, dtype=torch.float64)
TRUE_W = torch.tensor([[1.5, -2.0, 0.5], [-0.7, 0.3, 2.2]], dtype=torch.float64)
Y = X @ TRUE_W.T + torch.tensor([0.4, -1.1], dtype=torch.float64) + 0.1 * torch.randn(8, 2, dtype=torch.float64)
W0 = 0.5 * torch.randn(2, 3, dtype=torch.float64)
B0 = 0.5 * torch.randn(2, dtype=torch.float64)


def tensor_json(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def torch_options(options):
    """MyTorch option names to torch.optim keyword arguments."""
    kwargs = {}
    for key, value in options.items():
        if key in ("beta1", "beta2"):
            continue
        kwargs[key] = value
    if "beta1" in options or "beta2" in options:
        kwargs["betas"] = (options.get("beta1", 0.9), options.get("beta2", 0.999))
    return kwargs


OPTIMIZERS = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW, "RMSprop": torch.optim.RMSprop,
              "Adagrad": torch.optim.Adagrad}


def make_scheduler(optimizer, spec):
    if spec is None:
        return None
    if spec["type"] == "StepLR":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=spec["step_size"], gamma=spec["gamma"])
    if spec["type"] == "CosineAnnealingLR":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=spec["t_max"], eta_min=spec["eta_min"])
    raise ValueError(spec["type"])


def optimizer_case(name, optimizer, options, groups=None, scheduler=None):
    """Five steps of `optimizer` on the regression problem, in both dtypes."""
    cases = []
    for dtype_name, dtype in DTYPES:
        w = W0.to(dtype).clone().requires_grad_(True)
        b = B0.to(dtype).clone().requires_grad_(True)
        params = [w, b]
        x, y = X.to(dtype), Y.to(dtype)
        if groups is None:
            torch_groups = [{"params": params}]
        else:
            torch_groups = [dict({"params": [params[i] for i in g["params"]]}, **torch_options(g["options"])) for g in groups]
        opt = OPTIMIZERS[optimizer](torch_groups, **torch_options(options))
        sched = make_scheduler(opt, scheduler)
        initial = [tensor_json(p) for p in params]
        steps = []
        for _ in range(STEPS):
            opt.zero_grad()
            loss = ((x @ w.T + b - y) ** 2).mean()
            loss.backward()
            lrs = [g["lr"] for g in opt.param_groups]
            grads = [tensor_json(p.grad) for p in params]
            opt.step()
            if sched is not None:
                sched.step()
            steps.append({"loss": loss.item(), "lr": lrs, "grads": grads, "params": [tensor_json(p) for p in params]})
        cases.append({"name": f"{name}_{dtype_name}", "dtype": dtype_name, "optimizer": optimizer, "options": options,
                      "groups": groups, "scheduler": scheduler, "initial": initial, "steps": steps})
    return cases


def scheduler_case(name, spec, base_lrs, epochs=12):
    params = [torch.zeros(1, requires_grad=True) for _ in base_lrs]
    opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, base_lrs)], lr=base_lrs[0])
    sched = make_scheduler(opt, spec)
    lrs = [list(sched.get_last_lr())]
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
    return {"name": name, "scheduler": spec, "base_lrs": base_lrs, "lrs": lrs}


def clip_case(name, shapes, max_norm, scale=1.0, without_grad=()):
    cases = []
    for dtype_name, dtype in DTYPES:
        params = []
        for i, shape in enumerate(shapes):
            p = torch.zeros(shape, dtype=dtype, requires_grad=True)
            if i not in without_grad:
                p.grad = (scale * torch.randn(shape, dtype=torch.float64)).to(dtype)
            params.append(p)
        before = [tensor_json(p.grad) if p.grad is not None else None for p in params]
        total = torch.nn.utils.clip_grad_norm_(params, max_norm)
        after = [tensor_json(p.grad) if p.grad is not None else None for p in params]
        cases.append({"name": f"{name}_{dtype_name}", "dtype": dtype_name, "max_norm": max_norm,
                      "grads": before, "total_norm": total.item(), "clipped": after})
    return cases


optimizers = []
optimizers += optimizer_case("sgd_plain", "SGD", {"lr": 0.1})
optimizers += optimizer_case("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9})
optimizers += optimizer_case("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True})
optimizers += optimizer_case("sgd_weight_decay", "SGD", {"lr": 0.1, "weight_decay": 0.05})
optimizers += optimizer_case("sgd_momentum_weight_decay", "SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.05})
optimizers += optimizer_case("sgd_groups", "SGD", {"lr": 0.05, "momentum": 0.9},
                             groups=[{"params": [0], "options": {}}, {"params": [1], "options": {"lr": 0.1, "momentum": 0.0}}])
optimizers += optimizer_case("sgd_step_lr", "SGD", {"lr": 0.1}, scheduler={"type": "StepLR", "step_size": 2, "gamma": 0.5})
optimizers += optimizer_case("adam_defaults", "Adam", {})
optimizers += optimizer_case("adam", "Adam", {"lr": 0.05})
optimizers += optimizer_case("adam_weight_decay", "Adam", {"lr": 0.05, "weight_decay": 0.1})
optimizers += optimizer_case("adam_betas_eps", "Adam", {"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3})
optimizers += optimizer_case("adam_amsgrad", "Adam", {"lr": 0.2, "beta2": 0.5, "amsgrad": True})
optimizers += optimizer_case("adam_groups", "Adam", {"lr": 0.05},
                             groups=[{"params": [0], "options": {"weight_decay": 0.1}}, {"params": [1], "options": {"lr": 0.01, "beta1": 0.5}}])
optimizers += optimizer_case("adam_cosine", "Adam", {"lr": 0.05},
                             scheduler={"type": "CosineAnnealingLR", "t_max": 4, "eta_min": 0.005})
optimizers += optimizer_case("adamw_defaults", "AdamW", {})
optimizers += optimizer_case("adamw", "AdamW", {"lr": 0.05, "weight_decay": 0.1})
optimizers += optimizer_case("adamw_amsgrad", "AdamW", {"lr": 0.2, "beta2": 0.5, "weight_decay": 0.1, "amsgrad": True})
optimizers += optimizer_case("adamw_step_lr", "AdamW", {"lr": 0.05}, scheduler={"type": "StepLR", "step_size": 2, "gamma": 0.3})
optimizers += optimizer_case("rmsprop_defaults", "RMSprop", {})
optimizers += optimizer_case("rmsprop", "RMSprop", {"lr": 0.02, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.05})
optimizers += optimizer_case("rmsprop_momentum_centered", "RMSprop", {"lr": 0.01, "momentum": 0.8, "centered": True})
optimizers += optimizer_case("adagrad_defaults", "Adagrad", {})
optimizers += optimizer_case("adagrad", "Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.02, "initial_accumulator_value": 0.1,
                                                    "eps": 1e-8})

# amsgrad must change the trajectory, or its cases test nothing beyond plain Adam.
plain = optimizer_case("check", "Adam", {"lr": 0.2, "beta2": 0.5})
amsgrad = [c for c in optimizers if c["name"].startswith("adam_amsgrad")]
assert plain[0]["steps"][-1]["params"] != amsgrad[0]["steps"][-1]["params"], "amsgrad made no difference"

schedulers = [
    scheduler_case("step_lr", {"type": "StepLR", "step_size": 3, "gamma": 0.5}, [0.1, 0.02]),
    scheduler_case("step_lr_default_gamma", {"type": "StepLR", "step_size": 2, "gamma": 0.1}, [1.0]),
    scheduler_case("cosine", {"type": "CosineAnnealingLR", "t_max": 5, "eta_min": 0.001}, [0.1, 0.02]),
    scheduler_case("cosine_eta_zero", {"type": "CosineAnnealingLR", "t_max": 10, "eta_min": 0.0}, [0.5]),
]

clips = []
clips += clip_case("clip_clips", [(3, 4), (4,), (2, 2, 2)], max_norm=1.0)
clips += clip_case("clip_no_change", [(3, 4), (4,)], max_norm=100.0)
clips += clip_case("clip_skips_missing_grad", [(5,), (2, 3), (3,)], max_norm=0.5, scale=3.0, without_grad=(1,))

with open(OUT, "w") as f:
    f.write("{\n")
    for i, (key, cases) in enumerate([("optimizers", optimizers), ("schedulers", schedulers), ("clip_grad_norm", clips)]):
        f.write(f'"{key}": [\n')
        f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in cases))
        f.write("\n]" + (",\n" if i < 2 else "\n"))
    f.write("}\n")
print(f"wrote {len(optimizers)} optimizer, {len(schedulers)} scheduler and {len(clips)} clipping cases to {OUT}")
