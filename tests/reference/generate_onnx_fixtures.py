#!/usr/bin/python3
"""ONNX files made by PyTorch's own exporter, for MyTorch's ONNX import.

Writes tests/reference/fixtures/onnx/<name>.onnx (torch.onnx.export, opset 17, a dynamic batch dimension named
"batch", input "input", output "output") and tests/reference/fixtures/onnx.json: for each model its file name, an
input batch and PyTorch's output for it (float32, flattened row-major, each value written as the exact double of
the float32). tests/MyTorch.Tests/Onnx/PyTorchOnnxImportTests.cs loads each file with MyTorch's importer, runs the
input and compares.

Regenerate (only needed when adding models; the files are committed):

    /usr/bin/python3 tests/reference/generate_onnx_fixtures.py

Deterministic: a fixed seed, one thread, evaluation mode, CPU only.
"""

import json
import os

import torch
from torch import nn

SEED = 20261208
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "fixtures", "onnx")
OUT_JSON = os.path.join(HERE, "fixtures", "onnx.json")

torch.manual_seed(SEED)
torch.set_num_threads(1)


class Residual(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return x + self.inner(x)


def randomize_batchnorm(bn):
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(bn.num_features) * 0.5)
        bn.running_var.copy_(0.5 + torch.rand(bn.num_features))
        bn.weight.copy_(1 + 0.1 * torch.randn(bn.num_features))
        bn.bias.copy_(0.1 * torch.randn(bn.num_features))


def models():
    yield "mlp_relu", nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), (4,)
    bn = nn.BatchNorm1d(6)
    randomize_batchnorm(bn)
    yield "batchnorm_tanh_dropout", nn.Sequential(nn.Linear(5, 6), bn, nn.Tanh(), nn.Dropout(0.3), nn.Linear(6, 2)), (5,)
    ln = nn.LayerNorm(7)
    with torch.no_grad():
        ln.weight.copy_(1 + 0.1 * torch.randn(7))
        ln.bias.copy_(0.1 * torch.randn(7))
    yield "layernorm_gelu", nn.Sequential(nn.Linear(3, 7), ln, nn.GELU(), nn.Linear(7, 4)), (3,)
    yield "activations", nn.Sequential(nn.Linear(4, 6), nn.SiLU(), nn.Linear(6, 6), nn.LeakyReLU(0.2), nn.Linear(6, 6),
                                       nn.Softplus(), nn.Linear(6, 6), nn.Sigmoid(), nn.Linear(6, 2)), (4,)
    yield "residual", nn.Sequential(nn.Linear(4, 5), Residual(nn.Sequential(nn.Linear(5, 5), nn.Tanh())), nn.Linear(5, 2)), (4,)
    yield "flatten_softmax", nn.Sequential(nn.Flatten(), nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3), nn.Softmax(dim=1)), (2, 3)
    # For `mytorch eval/predict --model FILE.onnx` on data/tabular/diabetes-risk.csv: 6 raw features in, 2 logits out.
    yield "tabular_logits", nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 2)), (6,)
    bn2 = nn.BatchNorm2d(4)
    randomize_batchnorm(bn2)
    yield "cnn", nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), bn2, nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, stride=2, padding=0),
                               nn.AvgPool2d(2, ceil_mode=False, count_include_pad=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                               nn.Linear(6, 3)), (1, 12, 12)
    yield "cnn_same_groups", nn.Sequential(nn.Conv2d(2, 4, (3, 2), padding=(1, 1), dilation=(1, 2), groups=2), nn.Tanh(),
                                           nn.MaxPool2d(3, stride=2, padding=1), nn.AvgPool2d(2, padding=1, count_include_pad=False),
                                           nn.Flatten(), nn.Linear(4 * 3 * 3, 2)), (2, 8, 8)
    yield "conv1d", nn.Sequential(nn.Conv1d(3, 4, 3, stride=2, padding=1), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(4, 2, 3, padding=1),
                                  nn.AdaptiveAvgPool1d(1), nn.Flatten()), (3, 16)
    # For `mytorch eval/predict --model FILE.onnx` on MNIST: images (1, 28, 28) in, 10 logits out.
    yield "mnist_cnn", nn.Sequential(nn.Conv2d(1, 2, 5, stride=3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32, 10)), (1, 28, 28)


def exact(t):
    return [float(v) for v in t.detach().to(torch.float64).reshape(-1).tolist()]


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    cases = []
    for name, model, feature_shape in models():
        model.eval()
        sample = torch.randn((3,) + feature_shape)
        path = os.path.join(OUT_DIR, name + ".onnx")
        torch.onnx.export(model, sample, path, opset_version=17, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        x = torch.randn((5,) + feature_shape)
        with torch.no_grad():
            y = model(x)
        cases.append({"name": name, "file": "onnx/" + name + ".onnx",
                      "input": {"shape": list(x.shape), "data": exact(x)},
                      "output": {"shape": list(y.shape), "data": exact(y)}})
    with open(OUT_JSON, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, sort_keys=True) for c in cases) + "\n]\n")


if __name__ == "__main__":
    main()
