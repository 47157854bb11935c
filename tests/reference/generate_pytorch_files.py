#!/usr/bin/python3
"""PyTorch-written model files for MyTorch's importers (PyTorchStateDict, TorchFile, Safetensors with conversion).

Writes tests/reference/fixtures/pytorch-files/, which tests/MyTorch.Tests/IO/PyTorchImportTests.cs and
tests/MyTorch.Cli.Tests/ImportCommandTests.cs read:

  * mlp.pt, mlp.safetensors: the state dict of Sequential(Linear(6, 8), BatchNorm1d(8), ReLU, Linear(8, 5), ReLU,
    Linear(5, 3)) after a few training-mode forwards (so the BatchNorm running statistics and num_batches_tracked are
    not their initial values), saved by torch.save and by a safetensors writer. mlp.json holds inputs x and the
    model's eval-mode outputs y in float64 (the model is float32; y is computed in float64 from the float32 weights).
  * checkpoint.pt: a training checkpoint dict holding mlp.pt's state dict under "model_state_dict" beside an SGD
    optimizer's state dict (momentum buffers, param groups) and plain values.
  * mnist-mlp.pt: Sequential(Linear(784, 16), ReLU, Linear(16, 10)) and, in mnist-mlp.json, its softmax
    probabilities for the first 8 test images of data/mnist-10k with inputs scaled to [0, 1] (x / 255).
  * cnn.pt: Sequential(Conv2d(1, 4, 5, padding=2), BatchNorm2d(4), ReLU, MaxPool2d(2), Conv2d(4, 8, 5), ReLU,
    MaxPool2d(2), Flatten, Linear(200, 10)), taking (N, 1, 28, 28) images (no Unflatten, so its indices are one below
    MyTorch's for the spec conv:4:5:p=2,bn,relu,maxpool:2,conv:8:5,relu,maxpool:2,flatten,linear), after a few
    training-mode forwards; cnn.json holds its softmax probabilities for the first 8 test images, inputs x / 255.
  * dtypes.pt, dtypes.safetensors: one tensor per dtype (float16, bfloat16, float32, float64, int64, int32, int16,
    int8, uint8, bool), plus, in dtypes.pt only, views: a transpose, a slice with a storage offset and a step, two
    tensors sharing one storage, a 0-d tensor, an empty tensor and an expanded (stride 0) tensor. dtypes.json holds
    every tensor's shape and values as float64.
  * legacy.pt: a state dict saved with _use_new_zipfile_serialization=False (the pre-1.6 format, refused).

BatchNorm1d uses eps=1e-8, MyTorch's BatchNorm1d default (PyTorch's is 1e-5), so that outputs agree exactly.
The safetensors files are written here by hand, as the format's specification describes (an 8-byte little-endian
header length, a JSON header with dtype, shape and data_offsets and a __metadata__ object, then the data), because
Debian has no python3-safetensors; the layout is that of safetensors.torch.save_file (the header padded with spaces
to a multiple of 8 bytes).

Regenerate (the files are committed; CI never needs PyTorch):

    /usr/bin/python3 tests/reference/generate_pytorch_files.py

Deterministic: fixed seeds, one thread; torch.save writes the same bytes for the same tensors. Only legacy.pt differs
from run to run (the legacy format keys storages by object id), and what the tests check of it does not.
"""

import copy
import gzip
import json
import os
import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "pytorch-files")

CODES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
         torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def save_safetensors(path, tensors, metadata=None):
    """Writes a safetensors file: data in dict order, each tensor's raw little-endian bytes."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, tensor in tensors.items():
        t = tensor.contiguous()
        # bfloat16 has no numpy dtype: its bytes are those of the int16 view.
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def values(tensor):
    return {"shape": list(tensor.shape), "data": [float(v) for v in tensor.to(torch.float64).reshape(-1).tolist()]}


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def mlp():
    torch.manual_seed(21)
    model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8, eps=1e-8), torch.nn.ReLU(),
                                torch.nn.Linear(8, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, 6) * 2 + 1)
    model.eval()
    state = model.state_dict()
    torch.save(state, os.path.join(OUT, "mlp.pt"))
    saved = copy.deepcopy(state)
    save_safetensors(os.path.join(OUT, "mlp.safetensors"), state, {"format": "pt"})
    x = torch.randn(4, 6, dtype=torch.float64)
    with torch.no_grad():
        y = model.double()(x)
    write_json(os.path.join(OUT, "mlp.json"), {"x": values(x), "y": values(y), "num_batches_tracked": int(state["1.num_batches_tracked"])})
    # A training checkpoint around the same state dict: an optimizer that has taken a step (on a copy of the model).
    trained = copy.deepcopy(model).float().train()
    optimizer = torch.optim.SGD(trained.parameters(), lr=0.1, momentum=0.9)
    trained(torch.ones(4, 6)).sum().backward()
    optimizer.step()
    torch.save({"epoch": 3, "model_state_dict": saved, "optimizer_state_dict": optimizer.state_dict(), "loss": 0.25,
                "note": None, "flags": [True, False]}, os.path.join(OUT, "checkpoint.pt"))


def mnist_images(count):
    root = os.path.join(os.path.dirname(OUT), "..", "..", "..", "data", "mnist-10k", "t10k-images-idx3-ubyte.gz")
    return np.frombuffer(gzip.open(root).read()[16:16 + count * 784], dtype=np.uint8).reshape(count, 784)


def mnist_mlp():
    torch.manual_seed(2121)
    model = torch.nn.Sequential(torch.nn.Linear(784, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)).eval()
    torch.save(model.state_dict(), os.path.join(OUT, "mnist-mlp.pt"))
    x = torch.from_numpy(mnist_images(8).astype(np.float64)) / 255
    with torch.no_grad():
        p = torch.softmax(model.double()(x), dim=1)
    write_json(os.path.join(OUT, "mnist-mlp.json"), {"count": 8, "probabilities": values(p)})


def cnn():
    torch.manual_seed(2122)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 5, padding=2), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Conv2d(4, 8, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                torch.nn.Linear(200, 10))
    x = torch.from_numpy(mnist_images(8).astype(np.float32)).reshape(8, 1, 28, 28) / 255
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(x + 0.1 * torch.randn_like(x))
    model.eval()
    torch.save(model.state_dict(), os.path.join(OUT, "cnn.pt"))
    with torch.no_grad():
        p = torch.softmax(model.double()(x.double()), dim=1)
    write_json(os.path.join(OUT, "cnn.json"), {"count": 8, "probabilities": values(p)})


def dtypes():
    torch.manual_seed(7)
    base = torch.randn(3, 4) * 10
    plain = {
        "f32": base.clone(),
        "f64": base.double() / 3,
        "f16": base.half(),
        "bf16": base.bfloat16(),
        "i64": torch.arange(-6, 6).reshape(3, 4) * 1000003,
        "i32": torch.arange(-6, 6, dtype=torch.int32) * 100003,
        "i16": torch.arange(-6, 6, dtype=torch.int16) * 1003,
        "i8": torch.arange(-6, 6, dtype=torch.int8) * 13,
        "u8": torch.arange(0, 12, dtype=torch.uint8) * 21,
        "bool": base > 0,
    }
    shared = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = {
        "transposed": base.t(),
        "sliced": shared[1:, ::2],
        "row": shared[2],
        "scalar": torch.tensor(3.5, dtype=torch.float64),
        "empty": torch.zeros(0, 3),
        "expanded": torch.tensor([1.0, 2.0, 3.0]).unsqueeze(0).expand(2, 3),
    }
    torch.save({**plain, **views}, os.path.join(OUT, "dtypes.pt"))
    save_safetensors(os.path.join(OUT, "dtypes.safetensors"), plain)
    write_json(os.path.join(OUT, "dtypes.json"), {name: values(t) for name, t in {**plain, **views}.items()})


def legacy():
    torch.manual_seed(1)
    torch.save(torch.nn.Linear(2, 2).state_dict(), os.path.join(OUT, "legacy.pt"), _use_new_zipfile_serialization=False)


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    mlp()
    mnist_mlp()
    cnn()
    dtypes()
    legacy()


if __name__ == "__main__":
    main()
