#!/usr/bin/python3
"""NumPy reference fixtures for MyTorch's seed-004 MLP (11-785 HW1P1: "MyTorch").

Writes tests/reference/fixtures/mlp.json. tests/MyTorch.Tests/Seeds/Seed004MlpTests.cs builds the same networks
with MyTorch.Models.MLP (float64), replays the same forward / backward / step sequences and compares every
recorded quantity.

Regenerate (only needed when adding cases; the JSON file is committed, CI never runs this script):

    /usr/bin/python3 tests/reference/generate_mlp_fixtures.py

It needs only NumPy (Debian's python3-numpy) and is deterministic: every random draw comes from
np.random.default_rng(SEED), and the JSON layout is fixed, so re-running gives a byte-identical file.

Why NumPy and not PyTorch autograd: this is an independent implementation of the seed's own formulas, which differ
from torch.nn.BatchNorm1d (eps 1e-5, unbiased running variance, momentum 0.1 on the new value). The seed fixes:
  * activations keep their output as state; Sigmoid' = s(1-s), Tanh' = 1-t^2, ReLU' = [z > 0], Identity' = 1;
  * SoftmaxCrossEntropy: per-example loss -sum_j y_j (x_j - LSE(x)) with LSE by the max-shift (LogSumExp) trick;
    its derivative is softmax(x) - y, NOT divided by the batch size (so it is d(sum of losses)/d(logits));
  * Linear: W (in, out), b (1, out), z = x W + b; dW = x^T delta / batch, db = mean(delta, axis 0): averaged;
  * BatchNorm: eps 1e-8, biased batch variance, running stats E <- a E + (1-a) mu, Var <- a Var + (1-a) var_B
    with alpha 0.9, running mean starts at 0 and running var at 1, gamma 1, beta 0; dgamma = sum_i delta_i xhat_i
    and dbeta = sum_i delta_i (sums, not means); dx by the appendix formulas (eqs. 42-45 and 37); in eval mode
    xhat = (x - E) / sqrt(Var + eps) and the running stats are left alone;
  * MLP: Linear -> BatchNorm (the first num_bn_layers layers only) -> activation, for every layer;
    step with momentum beta: V <- beta V - lr dW, W <- W + V (same for b; V starts at 0 and lives on the Linear);
    BatchNorm parameters take plain steps gamma <- gamma - lr dgamma, beta <- beta - lr dbeta.
The script checks itself: the backward pass is compared with central finite differences of the summed loss
(dW, db = (1/batch) d(sum loss)/dW; dgamma, dbeta = d(sum loss)/dgamma), in train mode.

Data (kept small so that the JSON stays a few MB; every stored input is exactly representable):
  * Images are MNIST-like 28x28 = 784 pixels, zero outside the central 16x16 box ("active_pixels", 256 indices);
    inside it about half the pixels are 0, the rest a byte 1..255; x = byte / 255.0 (an IEEE division, so C# and
    NumPy produce the same double). Stored as base64 of the active bytes only, row-major over (example, active
    pixel); the other 528 pixels of each image are 0.
  * "train_batches": 5 batches of 20 images with integer labels 0..9 (one-hot in the test). Every multi-step run
    uses a DIFFERENT batch per step: step s (0-based) trains on train_batches[s]. Single forward/backward records
    use train_batches[0]. "eval_batches": 10 batches of 100 images, no labels.
  * Initial weights: W = q * 2^-14 with integer q = round(N(0,1) / sqrt(in) * 2^14) (so W ~ N(0, 1/in), exact in
    binary). Stored as the ints q (row-major over (in, out)). Biases start at zero.
  * Float results are written with repr(), which round-trips float64 exactly; shapes are PyTorch-style lists.

File format (top level): {"format", "seed", "input_size": 784, "output_size": 10, "lr": 0.008, "alpha": 0.9,
"eps": 1e-8, "pixel_divisor": 255.0, "weight_scale": 2^-14, "active_pixels": [...], "train_batches":
[{"pixels": base64, "labels": [...]}], "eval_batches": [{"pixels": base64}], "configs": [...]}.
A config: {"name", "description", "hiddens", "activations": ["Sigmoid" | "Tanh" | "ReLU" | "Identity"],
"num_bn_layers", "momentum", "init_weights": [[q...] per linear layer] or "init_weights_from": other config name,
and any of
  "forward":  train mode, x = train_batches[0]: {"output", "loss_sum" (sum of per-example losses), "errors"
              (argmax mismatches)}
  "backward": after that forward, backward(labels of train_batches[0]): {"dW": [...], "db": [...], and with BN
              "dgamma", "dbeta", "running_mean", "running_var" (after the one training forward)}
  "steps":    on a FRESH network: for s in range(n): zero_grads, forward(train_batches[s]), backward, step.
              {"n", "loss_sum": [per step, of that step's forward], "errors": [...], "W_change": W_after - W_init
              per layer (omitted where null), "b": b after, "momentum_W", "momentum_b" (the velocities), and with
              BN "gamma", "beta", "running_mean", "running_var"}
  "eval":     right after "steps" (same network): eval mode, forward every batch in eval_batches[:n_batches]:
              {"n_batches", "outputs": [one tensor per batch]}; the running stats must not move.}
A recorded tensor is {"shape": [...], "data": [row-major floats]}; a tensor with "rows" stores only those rows
(the first Linear's weight-shaped quantities: the rows of the 528 always-zero pixels are exactly 0 and are omitted
-- the test checks they are 0 in MyTorch too). The db, b and momentum_b of a Linear that feeds a BatchNorm are
analytically 0 (the batch mean cancels the bias) and are written as exact zeros instead of ~1e-17 rounding noise.
"""

import base64
import json
import os

import numpy as np

SEED = 4004
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "mlp.json")

INPUT_SIZE = 784
OUTPUT_SIZE = 10
LR = 0.008
ALPHA = 0.9
EPS = 1e-8
PIXEL_DIVISOR = 255.0
WEIGHT_BITS = 14
WEIGHT_SCALE = 2.0 ** -WEIGHT_BITS
TRAIN_BATCH = 20
N_TRAIN_BATCHES = 5
EVAL_BATCH = 100
N_EVAL_BATCHES = 10

ACTIVE_PIXELS = [r * 28 + c for r in range(6, 22) for c in range(6, 22)]  # the central 16x16 box


# ---- the seed's formulas ---------------------------------------------------------------------------------------

class Identity:
    def forward(self, x):
        self.state = x
        return x

    def derivative(self):
        return np.ones_like(self.state)


class Sigmoid:
    def forward(self, x):
        self.state = 1.0 / (1.0 + np.exp(-x))
        return self.state

    def derivative(self):
        return self.state * (1.0 - self.state)


class Tanh:
    def forward(self, x):
        self.state = np.tanh(x)
        return self.state

    def derivative(self):
        return 1.0 - self.state ** 2


class ReLU:
    def forward(self, x):
        assert np.abs(x).min() > 1e-9, "a ReLU input is too close to 0 for a robust fixture"
        self.state = np.where(x > 0, x, 0.0)
        return self.state

    def derivative(self):
        return np.where(self.state > 0, 1.0, 0.0)


ACTIVATIONS = {"Identity": Identity, "Sigmoid": Sigmoid, "Tanh": Tanh, "ReLU": ReLU}


class SoftmaxCrossEntropy:
    def forward(self, x, y):
        a = x.max(axis=1, keepdims=True)
        lse = a + np.log(np.exp(x - a).sum(axis=1, keepdims=True))
        self.softmax = np.exp(x - lse)
        self.labels = y
        return -(y * (x - lse)).sum(axis=1)

    def derivative(self):
        return self.softmax - self.labels


class BatchNorm:
    def __init__(self, n):
        self.gamma = np.ones((1, n))
        self.beta = np.zeros((1, n))
        self.dgamma = np.zeros((1, n))
        self.dbeta = np.zeros((1, n))
        self.running_mean = np.zeros((1, n))
        self.running_var = np.ones((1, n))

    def forward(self, x, eval=False):
        if eval:
            norm = (x - self.running_mean) / np.sqrt(self.running_var + EPS)
            return self.gamma * norm + self.beta
        self.x = x
        self.mean = x.mean(axis=0, keepdims=True)
        self.var = ((x - self.mean) ** 2).mean(axis=0, keepdims=True)
        self.norm = (x - self.mean) / np.sqrt(self.var + EPS)
        self.running_mean = ALPHA * self.running_mean + (1 - ALPHA) * self.mean
        self.running_var = ALPHA * self.running_var + (1 - ALPHA) * self.var
        return self.gamma * self.norm + self.beta

    def backward(self, delta):
        m = delta.shape[0]
        self.dbeta = delta.sum(axis=0, keepdims=True)
        self.dgamma = (delta * self.norm).sum(axis=0, keepdims=True)
        dnorm = delta * self.gamma
        centered = self.x - self.mean
        dvar = -0.5 * (dnorm * centered * (self.var + EPS) ** -1.5).sum(axis=0, keepdims=True)
        dmean = (-(dnorm * (self.var + EPS) ** -0.5).sum(axis=0, keepdims=True)
                 - (2.0 / m) * dvar * centered.sum(axis=0, keepdims=True))
        return dnorm * (self.var + EPS) ** -0.5 + dvar * (2.0 / m) * centered + dmean / m


class Linear:
    def __init__(self, w):
        self.W = w.copy()
        self.b = np.zeros((1, w.shape[1]))
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.momentum_W = np.zeros_like(self.W)
        self.momentum_b = np.zeros_like(self.b)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, delta):
        batch = delta.shape[0]
        self.dW = self.x.T @ delta / batch
        self.db = delta.mean(axis=0, keepdims=True)
        return delta @ self.W.T


class MLP:
    def __init__(self, hiddens, activations, weights, momentum=0.0, num_bn_layers=0):
        self.sizes = [INPUT_SIZE] + list(hiddens) + [OUTPUT_SIZE]
        assert len(activations) == len(self.sizes) - 1 and len(weights) == len(activations)
        self.linear_layers = [Linear(w) for w in weights]
        self.bn_layers = [BatchNorm(n) for n in hiddens[:num_bn_layers]]
        self.activations = [ACTIVATIONS[a]() for a in activations]
        self.criterion = SoftmaxCrossEntropy()
        self.momentum = momentum
        self.train_mode = True

    def forward(self, x):
        for i, (linear, act) in enumerate(zip(self.linear_layers, self.activations)):
            x = linear.forward(x)
            if i < len(self.bn_layers):
                x = self.bn_layers[i].forward(x, eval=not self.train_mode)
            x = act.forward(x)
        self.output = x
        return x

    def backward(self, labels):
        self.loss = self.criterion.forward(self.output, labels)
        delta = self.criterion.derivative()
        for i in reversed(range(len(self.linear_layers))):
            delta = delta * self.activations[i].derivative()
            if i < len(self.bn_layers):
                delta = self.bn_layers[i].backward(delta)
            delta = self.linear_layers[i].backward(delta)

    def zero_grads(self):
        for layer in self.linear_layers:
            layer.dW = np.zeros_like(layer.dW)
            layer.db = np.zeros_like(layer.db)
        for bn in self.bn_layers:
            bn.dgamma = np.zeros_like(bn.dgamma)
            bn.dbeta = np.zeros_like(bn.dbeta)

    def step(self):
        for layer in self.linear_layers:
            layer.momentum_W = self.momentum * layer.momentum_W - LR * layer.dW
            layer.momentum_b = self.momentum * layer.momentum_b - LR * layer.db
            layer.W = layer.W + layer.momentum_W
            layer.b = layer.b + layer.momentum_b
        for bn in self.bn_layers:
            bn.gamma = bn.gamma - LR * bn.dgamma
            bn.beta = bn.beta - LR * bn.dbeta

    def total_loss(self, labels):
        return float(SoftmaxCrossEntropy().forward(self.output, labels).sum())

    def error(self, labels):
        top2 = np.sort(self.output, axis=1)[:, -2:]
        assert np.all(top2[:, 1] - top2[:, 0] > 1e-9), "an argmax is too close to a tie for a robust fixture"
        return int((self.output.argmax(axis=1) != labels.argmax(axis=1)).sum())


# ---- data --------------------------------------------------------------------------------------------------------

rng = np.random.default_rng(SEED)


def make_images(count):
    """(count, 256) bytes for the active pixels: about half 0, the rest uniform in 1..255."""
    values = rng.integers(1, 256, size=(count, len(ACTIVE_PIXELS)))
    keep = rng.random((count, len(ACTIVE_PIXELS))) < 0.5
    return np.where(keep, values, 0).astype(np.uint8)


def to_inputs(active_bytes):
    x = np.zeros((active_bytes.shape[0], INPUT_SIZE))
    x[:, ACTIVE_PIXELS] = active_bytes.astype(np.float64) / PIXEL_DIVISOR
    return x


def one_hot(labels):
    y = np.zeros((len(labels), OUTPUT_SIZE))
    y[np.arange(len(labels)), labels] = 1.0
    return y


train_bytes = [make_images(TRAIN_BATCH) for _ in range(N_TRAIN_BATCHES)]
train_labels = [rng.integers(0, OUTPUT_SIZE, size=TRAIN_BATCH) for _ in range(N_TRAIN_BATCHES)]
eval_bytes = [make_images(EVAL_BATCH) for _ in range(N_EVAL_BATCHES)]
TRAIN_X = [to_inputs(b) for b in train_bytes]
TRAIN_Y = [one_hot(l) for l in train_labels]
EVAL_X = [to_inputs(b) for b in eval_bytes]


def make_weights(sizes):
    qs = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        q = np.rint(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in) * 2.0 ** WEIGHT_BITS).astype(np.int64)
        qs.append(q)
    return qs


# ---- records -------------------------------------------------------------------------------------------------

def tensor(a, shape=None):
    a = np.asarray(a, dtype=np.float64)
    shape = list(a.shape) if shape is None else shape
    return {"shape": shape, "data": [float(v) for v in a.ravel()]}


def weight_like(a, layer_index):
    """A weight-shaped record; for the first layer only the active-pixel rows (the others must be exactly 0)."""
    if layer_index != 0:
        return tensor(a)
    inactive = np.setdiff1d(np.arange(INPUT_SIZE), ACTIVE_PIXELS)
    assert np.all(a[inactive] == 0.0), "an always-zero pixel got a non-zero weight gradient"
    rec = tensor(a[ACTIVE_PIXELS])
    return {"shape": list(a.shape), "rows": list(ACTIVE_PIXELS), "data": rec["data"]}


def flat(a):
    return tensor(np.asarray(a).reshape(-1))


def bias_like(a, layer_index, num_bn_layers):
    """A bias-shaped record. A Linear followed by BatchNorm has an (analytically) zero bias gradient -- the batch
    mean removes the bias -- so its db, velocity and bias stay 0 up to rounding (~1e-17 here); they are written
    as exact zeros and the test compares them against its absolute floor."""
    if layer_index < num_bn_layers:
        assert np.abs(a).max() < 1e-13, ("bias of a BatchNorm'd layer is not ~0", layer_index, np.abs(a).max())
        return flat(np.zeros_like(a))
    return flat(a)


def fd_check(net_factory, x, y, mlp):
    """Central differences of the summed loss (train mode) vs. the analytic gradients of `mlp` (same state)."""
    rng_fd = np.random.default_rng(1)
    h = 1e-6

    def loss_with(mutate):
        net = net_factory()
        mutate(net)
        net.forward(x)
        return net.total_loss(y)

    batch = x.shape[0]
    for li, layer in enumerate(mlp.linear_layers):
        rows = ACTIVE_PIXELS if li == 0 else list(range(layer.W.shape[0]))
        for _ in range(6):
            r = rows[rng_fd.integers(len(rows))]
            c = int(rng_fd.integers(layer.W.shape[1]))

            def bump(d):
                def m(net):
                    net.linear_layers[li].W[r, c] += d
                return m
            num = (loss_with(bump(h)) - loss_with(bump(-h))) / (2 * h) / batch
            ana = layer.dW[r, c]
            assert abs(num - ana) <= 1e-6 * max(1.0, abs(ana)) + 1e-8, (li, r, c, num, ana)
        c = int(rng_fd.integers(layer.b.shape[1]))

        def bumpb(d):
            def m(net):
                net.linear_layers[li].b = net.linear_layers[li].b.copy()
                net.linear_layers[li].b[0, c] += d
            return m
        num = (loss_with(bumpb(h)) - loss_with(bumpb(-h))) / (2 * h) / batch
        assert abs(num - layer.db[0, c]) <= 1e-6 * max(1.0, abs(num)) + 1e-8, (li, "b", c, num, layer.db[0, c])
    for bi, bn in enumerate(mlp.bn_layers):
        for name, grad in (("gamma", bn.dgamma), ("beta", bn.dbeta)):
            c = int(rng_fd.integers(grad.shape[1]))

            def bumpg(d):
                def m(net):
                    p = getattr(net.bn_layers[bi], name).copy()
                    p[0, c] += d
                    setattr(net.bn_layers[bi], name, p)
                return m
            num = (loss_with(bumpg(h)) - loss_with(bumpg(-h))) / (2 * h)
            assert abs(num - grad[0, c]) <= 1e-6 * max(1.0, abs(num)) + 1e-8, (bi, name, c, num, grad[0, c])


CONFIGS = [
    dict(name="linear_classifier", description="seed 3.5.1: no hidden layers, Identity",
         hiddens=[], activations=["Identity"], forward=True, backward=True, steps=5),
    dict(name="single_hidden", description="seed 3.5.2: hiddens [32], Sigmoid",
         hiddens=[32], activations=["Sigmoid", "Identity"], forward=True, backward=True, steps=5),
    dict(name="two_hidden", description="seed 3.5.2: hiddens [64, 32], Sigmoid x2",
         hiddens=[64, 32], activations=["Sigmoid", "Sigmoid", "Identity"], forward=True, backward=True, steps=5),
    dict(name="five_hidden_sigmoid", description="seed 3.5.2: hiddens [32]*5, Sigmoid x5",
         hiddens=[32] * 5, activations=["Sigmoid"] * 5 + ["Identity"], forward=True, backward=True, steps=5),
    dict(name="mixed_activations", description="hiddens [32, 16, 16] with Tanh, ReLU, Sigmoid (covers every activation)",
         hiddens=[32, 16, 16], activations=["Tanh", "ReLU", "Sigmoid", "Identity"],
         forward=True, backward=True, steps=5),
    dict(name="batchnorm_train", description="seed 3.3/3.5: hiddens [64, 32], num_bn_layers 1: one forward + backward",
         hiddens=[64, 32], activations=["Sigmoid", "Sigmoid", "Identity"], num_bn_layers=1,
         init_from="two_hidden", forward=True, backward=True),
    dict(name="batchnorm_inference", description="same network: one training step, then eval on 10 batches of 100",
         hiddens=[64, 32], activations=["Sigmoid", "Sigmoid", "Identity"], num_bn_layers=1,
         init_from="two_hidden", steps=1, record_weights=False, eval=N_EVAL_BATCHES),
    dict(name="momentum", description="seed 3.5.3: hiddens [64, 32], Sigmoid x2, momentum 0.856, five steps",
         hiddens=[64, 32], activations=["Sigmoid", "Sigmoid", "Identity"], momentum=0.856,
         init_from="two_hidden", steps=5),
    dict(name="batchnorm_momentum_mixed",
         description="hiddens [32, 16], num_bn_layers 2, ReLU/Tanh, momentum 0.856: five steps (BN parameters take plain"
                     " steps), then eval",
         hiddens=[32, 16], activations=["ReLU", "Tanh", "Identity"], num_bn_layers=2, momentum=0.856,
         forward=True, backward=True, steps=5, eval=1),
]


def build_record(cfg, weight_bank):
    sizes = [INPUT_SIZE] + cfg["hiddens"] + [OUTPUT_SIZE]
    rec = {"name": cfg["name"], "description": cfg["description"], "hiddens": cfg["hiddens"],
           "activations": cfg["activations"], "num_bn_layers": cfg.get("num_bn_layers", 0),
           "momentum": cfg.get("momentum", 0.0)}
    if "init_from" in cfg:
        qs = weight_bank[cfg["init_from"]]
        rec["init_weights_from"] = cfg["init_from"]
    else:
        qs = make_weights(sizes)
        weight_bank[cfg["name"]] = qs
        rec["init_weights"] = [[int(v) for v in q.ravel()] for q in qs]
    assert [list(q.shape) for q in qs] == [[a, b] for a, b in zip(sizes[:-1], sizes[1:])]
    w0 = [q.astype(np.float64) * WEIGHT_SCALE for q in qs]
    nbn = cfg.get("num_bn_layers", 0)

    def factory():
        return MLP(cfg["hiddens"], cfg["activations"], w0, cfg.get("momentum", 0.0), cfg.get("num_bn_layers", 0))

    if cfg.get("forward"):
        net = factory()
        out = net.forward(TRAIN_X[0])
        rec["forward"] = {"output": tensor(out), "loss_sum": net.total_loss(TRAIN_Y[0]),
                          "errors": net.error(TRAIN_Y[0])}
        assert np.all(np.isfinite(out)) and np.abs(out).max() < 20
        if cfg.get("backward"):
            net.backward(TRAIN_Y[0])
            fd_check(factory, TRAIN_X[0], TRAIN_Y[0], net)
            back = {"dW": [weight_like(l.dW, i) for i, l in enumerate(net.linear_layers)],
                    "db": [bias_like(l.db, i, nbn) for i, l in enumerate(net.linear_layers)]}
            if net.bn_layers:
                back["dgamma"] = [flat(bn.dgamma) for bn in net.bn_layers]
                back["dbeta"] = [flat(bn.dbeta) for bn in net.bn_layers]
                back["running_mean"] = [flat(bn.running_mean) for bn in net.bn_layers]
                back["running_var"] = [flat(bn.running_var) for bn in net.bn_layers]
            rec["backward"] = back

    if cfg.get("steps"):
        net = factory()
        losses, errors = [], []
        for s in range(cfg["steps"]):
            net.zero_grads()
            net.forward(TRAIN_X[s])
            losses.append(net.total_loss(TRAIN_Y[s]))
            errors.append(net.error(TRAIN_Y[s]))
            net.backward(TRAIN_Y[s])
            net.step()
        steps = {"n": cfg["steps"], "loss_sum": losses, "errors": errors}
        if cfg.get("record_weights", True):
            steps["W_change"] = [weight_like(l.W - w, i) for i, (l, w) in enumerate(zip(net.linear_layers, w0))]
        steps["b"] = [bias_like(l.b, i, nbn) for i, l in enumerate(net.linear_layers)]
        if cfg.get("momentum", 0.0) != 0.0:
            steps["momentum_W"] = [weight_like(l.momentum_W, i) for i, l in enumerate(net.linear_layers)]
            steps["momentum_b"] = [bias_like(l.momentum_b, i, nbn) for i, l in enumerate(net.linear_layers)]
        if net.bn_layers:
            steps["gamma"] = [flat(bn.gamma) for bn in net.bn_layers]
            steps["beta"] = [flat(bn.beta) for bn in net.bn_layers]
            steps["running_mean"] = [flat(bn.running_mean) for bn in net.bn_layers]
            steps["running_var"] = [flat(bn.running_var) for bn in net.bn_layers]
        rec["steps"] = steps

        if cfg.get("eval"):
            net.train_mode = False
            rm = [bn.running_mean.copy() for bn in net.bn_layers]
            outputs = []
            for b in range(cfg["eval"]):
                out = net.forward(EVAL_X[b])
                assert np.all(np.isfinite(out)) and np.abs(out).max() < 50
                outputs.append(tensor(out))
            assert all(np.array_equal(a, bn.running_mean) for a, bn in zip(rm, net.bn_layers))
            rec["eval"] = {"n_batches": cfg["eval"], "outputs": outputs}
    return rec


def encode(active_bytes):
    return base64.b64encode(np.ascontiguousarray(active_bytes, dtype=np.uint8).tobytes()).decode("ascii")


def main():
    weight_bank = {}
    configs = [build_record(cfg, weight_bank) for cfg in CONFIGS]
    doc = {
        "format": "MyTorch seed-004 MLP fixtures v1; see tests/reference/generate_mlp_fixtures.py",
        "seed": SEED, "input_size": INPUT_SIZE, "output_size": OUTPUT_SIZE, "lr": LR, "alpha": ALPHA, "eps": EPS,
        "pixel_divisor": PIXEL_DIVISOR, "weight_scale": WEIGHT_SCALE, "active_pixels": ACTIVE_PIXELS,
        "train_batches": [{"pixels": encode(b), "labels": [int(v) for v in l]}
                          for b, l in zip(train_bytes, train_labels)],
        "eval_batches": [{"pixels": encode(b)} for b in eval_bytes],
        "configs": configs,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="ascii") as f:
        f.write("{\n")
        keys = list(doc)
        for i, key in enumerate(keys):
            sep = "," if i + 1 < len(keys) else ""
            if key in ("train_batches", "eval_batches", "configs"):
                f.write(json.dumps(key) + ": [\n")
                items = doc[key]
                for j, item in enumerate(items):
                    f.write("  " + json.dumps(item, separators=(",", ":")) + ("," if j + 1 < len(items) else "") + "\n")
                f.write("]" + sep + "\n")
            else:
                f.write(json.dumps(key) + ": " + json.dumps(doc[key], separators=(",", ":")) + sep + "\n")
        f.write("}\n")
    print(f"wrote {OUT}: {os.path.getsize(OUT) / 1e6:.2f} MB, {len(configs)} configs")


if __name__ == "__main__":
    main()
