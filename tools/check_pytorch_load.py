#!/usr/bin/env python3
"""Checks that PyTorch reads a model written by `mytorch train` and computes the same outputs.

    python3 tools/check_pytorch_load.py runs/<run>/model.safetensors

Needs PyTorch (Debian: apt-get install python3-torch). The safetensors package is not needed: the format
is read here with struct and json, exactly as its specification describes, so this also checks that the
file follows it. Builds the torch.nn.Sequential the metadata describes, loads the weights with
load_state_dict(strict=True), and compares its test-set predictions with `mytorch predict`.
"""
import gzip
import json
import struct
import subprocess
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[base + begin:base + end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata


ACTIVATIONS = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU,
               "leaky-relu": torch.nn.LeakyReLU, "softplus": torch.nn.Softplus, "identity": torch.nn.Identity,
               "silu": torch.nn.SiLU}
PRESETS = {
    "lenet5": "conv:6:5:p=2,relu,maxpool:2,conv:16:5,relu,maxpool:2,flatten,linear:120,relu,linear:84,relu,linear",
    "cnn": "conv:32:3:p=1,bn,relu,conv:32:3:p=1,bn,relu,maxpool:2,"
           "conv:64:3:p=1,bn,relu,conv:64:3:p=1,bn,relu,maxpool:2,flatten,dropout:0.25,linear:128,relu,dropout:0.25,linear",
}


def build_spec(spec, inputs, outputs):
    """The torch.nn.Sequential of a `--model` layer list, module for module as src/MyTorch.Cli/Training/ModelSpec.cs builds it."""
    tokens = [t.strip().split(":") for t in PRESETS.get(spec, spec).split(",")]
    image_kinds = {"conv", "maxpool", "avgpool", "gap"}
    layers, shape = [], [inputs]
    if any(t[0] in image_kinds for t in tokens):
        if tokens[0][0] == "input":
            shape = [int(v) for v in tokens[0][1:]]
        else:
            side = round(inputs ** 0.5)
            shape = [1, side, side]
        layers.append(torch.nn.Unflatten(1, tuple(shape)))
    if tokens[0][0] == "input":
        tokens = tokens[1:]
    for i, (kind, *args) in enumerate(tokens):
        sizes = [int(a) for a in args if "=" not in a and a != "nobias" and kind != "dropout"]
        opts = dict(a.split("=", 1) for a in args if "=" in a)
        if kind == "linear" and len(shape) == 3:
            layers.append(torch.nn.Flatten())
        if kind == "conv":
            padding = "same" if opts.get("p") == "same" else int(opts.get("p", 0))
            module = torch.nn.Conv2d(shape[0], sizes[0], sizes[1], stride=int(opts.get("s", 1)), padding=padding,
                                     dilation=int(opts.get("d", 1)), groups=int(opts.get("g", 1)), bias="nobias" not in args)
        elif kind in ("maxpool", "avgpool"):
            pool = torch.nn.MaxPool2d if kind == "maxpool" else torch.nn.AvgPool2d
            module = pool(sizes[0], stride=int(opts.get("s", sizes[0])), padding=int(opts.get("p", 0)))
        elif kind == "gap":
            module = torch.nn.AdaptiveAvgPool2d(1)
        elif kind == "bn":
            module = torch.nn.BatchNorm2d(shape[0]) if len(shape) == 3 else torch.nn.BatchNorm1d(shape[0], eps=1e-8, momentum=0.1)
        elif kind == "dropout":
            module = torch.nn.Dropout(float(args[0]))
        elif kind == "flatten":
            module = torch.nn.Flatten()
        elif kind == "linear":
            module = torch.nn.Linear(shape[-1] if len(shape) == 1 else shape[0] * shape[1] * shape[2],
                                     sizes[0] if sizes else outputs)
        else:
            module = ACTIVATIONS[kind]()
        layers.append(module)
        with torch.no_grad():
            shape = list(torch.nn.Sequential(*layers).eval()(torch.zeros(1, inputs)).shape[1:])
    return torch.nn.Sequential(*layers)


def build(config, inputs, outputs):
    if config.get("model", "mlp") != "mlp":
        return build_spec(config["model"], inputs, outputs)
    activations = ACTIVATIONS
    layers, previous = [], inputs
    for i, size in enumerate(config["hidden"]):
        layers.append(torch.nn.Linear(previous, size))
        if i < config["batch_norm"]:
            layers.append(torch.nn.BatchNorm1d(size, eps=1e-8, momentum=0.1))
        layers.append(activations[config["activation"]]())
        if config["dropout"] > 0:
            layers.append(torch.nn.Dropout(config["dropout"]))
        previous = size
    layers.append(torch.nn.Linear(previous, outputs))
    return torch.nn.Sequential(*layers)


def main(path):
    tensors, metadata = load_safetensors(path)
    config = json.loads(metadata["config"])
    inputs, classes = int(metadata["inputs"]), int(metadata["classes"])
    outputs = 1 if config["loss"] == "bce" else classes
    model = build(config, inputs, outputs).double().eval()
    state = {k: v.double() for k, v in tensors.items() if not k.startswith(("input_normalizer.", "target_scaler.", "optimizer."))}
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            state[key] = value
    model.load_state_dict(state, strict=True)

    images = gzip.open("data/mnist-10k/t10k-images-idx3-ubyte.gz").read()[16:]
    x = torch.from_numpy(np.frombuffer(images, dtype=np.uint8).reshape(-1, 784).astype(np.float64))
    mean = tensors["input_normalizer.mean"].double()
    std = tensors["input_normalizer.std"].double()
    with torch.no_grad():
        probabilities = torch.softmax(model((x - mean) / std), dim=1).numpy()

    with open("/tmp/check-images.idx", "wb") as f:
        f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, x.shape[0], 28, 28) + images)
    out = subprocess.run(["dotnet", "run", "--project", "src/MyTorch.Cli", "-c", "Release", "--", "predict",
                          "--model", path, "--input", "/tmp/check-images.idx"], capture_output=True, text=True, check=True).stdout
    rows = [line.split(",") for line in out.strip().splitlines()[1:]]
    ours = np.array([[float(v) for v in row[1:]] for row in rows])
    same_class = (ours.argmax(1) == probabilities.argmax(1)).mean()
    print(f"PyTorch loaded {len(state)} tensors strictly; predictions agree on {same_class:.2%} of {len(rows)} images; "
          f"max |probability difference| {np.abs(ours - probabilities).max():.2e}")
    return 0 if same_class == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
