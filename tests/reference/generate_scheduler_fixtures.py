"""Writes fixtures/schedulers.json: PyTorch's learning-rate (and momentum) sequences of ReduceLROnPlateau and
OneCycleLR, for MyTorch's scheduler tests (tests/MyTorch.Tests/Training/SchedulerFixtureTests.cs) to replay.

Run with the PyTorch at /usr/bin/python3:  /usr/bin/python3 tests/reference/generate_scheduler_fixtures.py
"""
import json
import os

import torch

torch.manual_seed(0)
torch.set_num_threads(1)


def optimizer(kind, lr):
    params = [torch.nn.Parameter(torch.zeros(2))]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr)


def plateau_cases():
    # A validation curve that falls, stalls, rises and falls again, with small changes below and above the threshold.
    metrics = [1.0, 0.8, 0.7, 0.7, 0.69995, 0.71, 0.72, 0.65, 0.66, 0.66, 0.66, 0.66, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
               0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    rising = [0.1, 0.2, 0.2, 0.2, 0.25, 0.25, 0.25, 0.25, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
    configs = [
        ("defaults", {}, metrics),
        ("patience2_factor0.5", {"patience": 2, "factor": 0.5}, metrics),
        ("patience0", {"patience": 0}, metrics),
        ("cooldown2_minlr", {"patience": 1, "factor": 0.5, "cooldown": 2, "min_lr": 0.02}, metrics),
        ("abs_threshold", {"patience": 1, "threshold": 0.05, "threshold_mode": "abs"}, metrics),
        ("max_mode", {"mode": "max", "patience": 1, "factor": 0.5}, rising),
        ("max_abs", {"mode": "max", "patience": 1, "threshold": 0.02, "threshold_mode": "abs"}, rising),
        ("eps_blocks", {"patience": 0, "factor": 0.5, "eps": 0.03}, metrics),
    ]
    cases = []
    for name, kwargs, values in configs:
        opt = optimizer("sgd", 0.1)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        lrs = []
        for v in values:
            sched.step(v)
            lrs.append(opt.param_groups[0]["lr"])
        cases.append({"name": name, "lr": 0.1, "kwargs": kwargs, "metrics": values, "lrs": lrs})
    return cases


def one_cycle_cases():
    configs = [
        ("defaults_sgd", "sgd", {"max_lr": 0.1, "total_steps": 50}),
        ("defaults_adam", "adam", {"max_lr": 0.01, "total_steps": 37}),
        ("epochs_steps", "sgd", {"max_lr": 1.0, "epochs": 4, "steps_per_epoch": 9}),
        ("linear", "sgd", {"max_lr": 0.3, "total_steps": 40, "anneal_strategy": "linear"}),
        ("three_phase", "sgd", {"max_lr": 0.2, "total_steps": 45, "three_phase": True}),
        ("no_momentum", "sgd", {"max_lr": 0.05, "total_steps": 20, "cycle_momentum": False, "pct_start": 0.5}),
        ("factors", "adam", {"max_lr": 0.02, "total_steps": 33, "div_factor": 10.0, "final_div_factor": 100.0,
                             "base_momentum": 0.8, "max_momentum": 0.9, "pct_start": 0.25}),
        ("short", "sgd", {"max_lr": 0.1, "total_steps": 7}),
    ]
    cases = []
    for name, kind, kwargs in configs:
        opt = optimizer(kind, 0.5)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, **kwargs)
        total = kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]
        lrs, momenta = [], []
        for step in range(total):
            group = opt.param_groups[0]
            lrs.append(group["lr"])
            momenta.append(group["betas"][0] if kind == "adam" else group["momentum"])
            if step < total - 1:
                opt.step()
                sched.step()
        cases.append({"name": name, "optimizer": kind, "kwargs": kwargs, "total": total, "lrs": lrs, "momenta": momenta})
    return cases


fixtures = {"torch_version": torch.__version__, "reduce_lr_on_plateau": plateau_cases(), "one_cycle": one_cycle_cases()}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "schedulers.json")
with open(path, "w") as f:
    json.dump(fixtures, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", path)
