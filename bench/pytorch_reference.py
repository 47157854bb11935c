#!/usr/bin/env python3
"""The measurements of `mytorch bench`, taken in PyTorch and NumPy, printed as one JSON object.

SGEMM GFLOP/s at the same shapes (NumPy float32 matmul, i.e. the system BLAS, and torch.mm), MLP training
samples/s with the same recipe (784-256-128-10 ReLU, batch 128, SGD lr 0.01 momentum 0.9, float32,
cross-entropy, standardized Fashion-MNIST) at several thread settings, inference samples/s at batch 1 and
256, test accuracy after --epochs, start-up time and peak RSS.

Installs nothing. Without NumPy or PyTorch it prints a JSON object saying so and exits 0.
Run it with Debian's interpreter, which has python3-torch and python3-numpy:

    /usr/bin/python3 bench/pytorch_reference.py --epochs 3 > pytorch.json
"""

import argparse
import gzip
import json
import os
import platform
import resource
import struct
import sys
import time

PARTS = ("gemm", "train", "inference", "startup")
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (op, m, k, n, role): the same list, names and order as GemmCase.Standard in src/MyTorch.Cli/Benchmarks.
GEMM_CASES = [
    ("AB", 128, 784, 256, "fc1 forward x W"),
    ("AB", 128, 256, 128, "fc2 forward"),
    ("AtB", 784, 128, 256, "fc1 weight gradient x^T g"),
    ("AtB", 256, 128, 128, "fc2 weight gradient"),
    ("ABt", 128, 256, 784, "fc1 input gradient g W^T"),
    ("ABt", 128, 128, 256, "fc2 input gradient"),
    ("AB", 256, 256, 256, "square"),
]
LARGE_GEMM_CASES = [
    ("AB", 512, 512, 512, "square"),
    ("AtB", 512, 512, 512, "square, A transposed"),
    ("ABt", 512, 512, 512, "square, B transposed"),
    ("AB", 1024, 1024, 1024, "square"),
]

BATCH_SIZE = 128
LEARNING_RATE = 0.01
MOMENTUM = 0.9


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", choices=PARTS, help="run one part (startup: load the data, build the model, exit)")
    p.add_argument("--quick", action="store_true", help="fewer, shorter repetitions and no GEMM above 256^3")
    p.add_argument("--epochs", type=int, default=0, help="also train a fresh model this many epochs and report test accuracy")
    p.add_argument("--data", default="auto", help="auto, fashion-mnist, mnist (the shipped digits) or a folder of IDX files")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", default="1,2",
                   help="torch thread counts to try for training and inference, comma-separated (default 1,2); the best is reported")
    args = p.parse_args()
    if args.epochs < 0:
        p.error("--epochs must be 0 or more")
    return args


ARGS = parse_args()
REPETITIONS = 3 if ARGS.quick else 7
WARMUP_SECONDS = 0.01 if ARGS.quick else 0.3
REPETITION_SECONDS = 0.02 if ARGS.quick else 0.2
WARMUP_STEPS = 5 if ARGS.quick else 100
STEPS_PER_REPETITION = 5 if ARGS.quick else 100


def progress(line):
    print("reference: " + line, file=sys.stderr, flush=True)


def since_process_start_ms():
    """Milliseconds since this process started (Linux: /proc/self/stat against /proc/uptime; 10 ms resolution)."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of the whole line
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return (uptime - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000
    except (OSError, ValueError, IndexError):
        return None


PROCESS_TO_SCRIPT_MS = since_process_start_ms()

try:
    _t = time.perf_counter()
    import numpy as np
    NUMPY_IMPORT_MS = (time.perf_counter() - _t) * 1000
    _t = time.perf_counter()
    import torch
    TORCH_IMPORT_MS = (time.perf_counter() - _t) * 1000
except ImportError as error:
    print(json.dumps({
        "tool": "pytorch",
        "available": False,
        "note": f"{error}; the reference needs NumPy and PyTorch (Debian: python3-numpy, python3-torch, run with /usr/bin/python3). Nothing measured.",
    }, indent=2))
    sys.exit(0)


def summary(values):
    """Median, best, worst, mean and spread (worst to best as % of the median) of throughput values (higher is better)."""
    s = sorted(values)
    n = len(s)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return {
        "median": round_sig(median), "best": round_sig(s[-1]), "worst": round_sig(s[0]),
        "mean": round_sig(sum(s) / n), "spread_pct": round((s[-1] - s[0]) / median * 100, 1) if median else 0.0,
        "repetitions": n, "values": [round_sig(v) for v in values],
    }


def round_sig(x, digits=4):
    if x == 0 or x != x:
        return x
    import math
    return round(x, max(0, digits - 1 - int(math.floor(math.log10(abs(x))))))


def throughput(work_per_call, call):
    """Warm-up (at least twice and WARMUP_SECONDS), calibrate calls per repetition, time REPETITIONS repetitions."""
    begin = time.perf_counter()
    count = 0
    while True:
        t = time.perf_counter()
        call()
        last = time.perf_counter() - t
        count += 1
        if count >= 2 and time.perf_counter() - begin >= WARMUP_SECONDS:
            break
    calls = max(1, min(1_000_000, int(-(-REPETITION_SECONDS // max(last, 1e-9)))))
    rates = []
    for _ in range(REPETITIONS):
        t = time.perf_counter()
        for _ in range(calls):
            call()
        rates.append(work_per_call * calls / (time.perf_counter() - t))
    return summary(rates)


# ---- BLAS: which library NumPy and torch really call, and its thread control -------------------------------

def loaded_blas():
    """The BLAS shared libraries mapped into this process, and a name for the implementation."""
    paths = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if line.split() else ""
                base = os.path.basename(path).lower()
                if path.startswith("/") and ("blas" in base or "mkl" in base or "blis" in base):
                    paths.add(os.path.realpath(path))
    except OSError:
        pass
    joined = " ".join(sorted(paths)).lower()
    if "openblas" in joined:
        kind = "OpenBLAS"
    elif "mkl" in joined:
        kind = "MKL"
    elif "blis" in joined:
        kind = "BLIS"
    elif "atlas" in joined:
        kind = "ATLAS"
    elif "/blas/libblas.so" in joined:
        kind = "reference BLAS (netlib, unoptimized)"
    else:
        kind = "unknown"
    return kind, sorted(paths)


class BlasThreads:
    """Sets the BLAS thread count at run time where the library allows it (OpenBLAS, MKL through its C API)."""

    def __init__(self, paths):
        import ctypes
        self.set = self.get = None
        self.core = None
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            if hasattr(lib, "openblas_get_corename"):
                # The kernel set OpenBLAS picked from CPUID (or OPENBLAS_CORETYPE): a CPU newer than the library is
                # taken for an old one (Prescott: SSE3 kernels), which makes the baseline meaningless.
                lib.openblas_get_corename.restype = ctypes.c_char_p
                self.core = lib.openblas_get_corename().decode()
            for setter, getter in (("openblas_set_num_threads", "openblas_get_num_threads"),
                                   ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads")):
                if hasattr(lib, setter):
                    self.set = getattr(lib, setter)
                    self.set.argtypes = [ctypes.c_int]
                    self.get = getattr(lib, getter, None)
                    return

    def count(self):
        """The current thread count; 1 for a library without threads (reference BLAS)."""
        return int(self.get()) if self.get else 1

    def __call__(self, n):
        if self.set:
            self.set(n)


# ---- data and model ------------------------------------------------------------------------------------------

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, kind, dims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find_idx(directory, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{name}(.gz) not found in {directory}")


def load_data(data):
    name = data
    if data == "auto":
        name = "fashion-mnist" if os.path.isdir(FASHION_MNIST) else "mnist"
    directory = {"fashion-mnist": FASHION_MNIST, "mnist": os.path.join(REPO, "data", "mnist-10k")}.get(name, name)
    parts = [read_idx(find_idx(directory, f)) for f in
             ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")]
    train_x = torch.from_numpy(parts[0].reshape(len(parts[0]), -1).astype(np.float32))
    test_x = torch.from_numpy(parts[2].reshape(len(parts[2]), -1).astype(np.float32))
    # One mean and standard deviation over all training pixels, as mytorch train's default and torchvision's Normalize.
    mean, std = train_x.mean(), train_x.std()
    return {
        "name": name, "path": os.path.abspath(directory),
        "train_x": (train_x - mean) / std, "train_y": torch.from_numpy(parts[1].astype(np.int64)),
        "test_x": (test_x - mean) / std, "test_y": torch.from_numpy(parts[3].astype(np.int64)),
    }


class Recipe:
    """The network, loss, optimizer and a shuffling batch source, as MlpRecipe in the C# benchmark."""

    def __init__(self, data, seed):
        torch.manual_seed(seed)
        self.data = data
        self.model = torch.nn.Sequential(
            torch.nn.Linear(data["train_x"].shape[1], 256), torch.nn.ReLU(),
            torch.nn.Linear(256, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 10))
        self.criterion = torch.nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
        self.generator = torch.Generator().manual_seed(seed)
        self.restart()

    def restart(self):
        self.order = torch.randperm(len(self.data["train_x"]), generator=self.generator)
        self.position = 0

    def next_batch(self):
        if self.position >= len(self.order):
            self.restart()
        rows = self.order[self.position:self.position + BATCH_SIZE]
        self.position += BATCH_SIZE
        return self.data["train_x"].index_select(0, rows), self.data["train_y"].index_select(0, rows)

    def step(self, x, y):
        """One step as mytorch's Trainer takes it: zero the gradients, forward, loss, item, backward, update."""
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.criterion(self.model(x), y)
        value = loss.item()
        loss.backward()
        self.optimizer.step()
        return value


# ---- the parts -----------------------------------------------------------------------------------------------

def gemm_part(blas_threads, cores):
    cases = GEMM_CASES + ([] if ARGS.quick else LARGE_GEMM_CASES)
    rng = np.random.default_rng(1234)
    results = []
    settings = [cores, 1] if blas_threads.set and cores > 1 else [blas_threads.count()]
    for threads in settings:
        blas_threads(threads)
        for op, m, k, n, role in cases:
            # A stored k x m for AtB, B stored n x k for ABt: NumPy and torch pass the transposed views to sgemm.
            a = rng.uniform(-1, 1, (k, m) if op == "AtB" else (m, k)).astype(np.float32)
            b = rng.uniform(-1, 1, (n, k) if op == "ABt" else (k, n)).astype(np.float32)
            c = np.empty((m, n), dtype=np.float32)
            a_op = a.T if op == "AtB" else a
            b_op = b.T if op == "ABt" else b
            ta, tb, tc = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c)
            ta_op = ta.t() if op == "AtB" else ta
            tb_op = tb.t() if op == "ABt" else tb
            flops = 2.0 * m * k * n / 1e9
            for backend, call in (("numpy", lambda: np.matmul(a_op, b_op, out=c)),
                                  ("torch", lambda: torch.mm(ta_op, tb_op, out=tc))):
                progress(f"gemm {backend} {op} {m}x{k}x{n} on {threads} BLAS thread{'s' if threads != 1 else ''}")
                torch.set_num_threads(1)
                results.append({"name": f"{op} {m}x{k}x{n}", "op": op, "m": m, "k": k, "n": n, "role": role,
                                "backend": backend, "threads": threads, "gflops": throughput(flops, call)})
    blas_threads(cores)
    return results


def thread_settings(cores, blas_threads):
    """(torch threads, BLAS threads) pairs to try: each --threads value with the BLAS on all cores, and 1/1.
    A BLAS without a thread count (reference BLAS) runs on one thread whatever is asked."""
    if not blas_threads.set:
        return [(int(t), 1) for t in ARGS.threads.split(",") if t.strip()]
    pairs = [(int(t), cores) for t in ARGS.threads.split(",") if t.strip()]
    if (1, 1) not in pairs and cores > 1:
        pairs.append((1, 1))
    return pairs


def train_part(data, blas_threads, cores):
    configs = []
    for torch_threads, blas in thread_settings(cores, blas_threads):
        torch.set_num_threads(torch_threads)
        blas_threads(blas)
        label = f"torch {torch_threads} thread(s), BLAS {blas_threads.count()}"
        recipe = Recipe(data, ARGS.seed)
        recipe.model.train()
        progress(f"train ({label}): {WARMUP_STEPS} warm-up steps, then {REPETITIONS} x {STEPS_PER_REPETITION} timed steps")
        for _ in range(WARMUP_STEPS):
            recipe.step(*recipe.next_batch())
        rates, step_ms = [], []
        for _ in range(REPETITIONS):
            samples = 0
            t = time.perf_counter()
            for _ in range(STEPS_PER_REPETITION):
                x, y = recipe.next_batch()
                recipe.step(x, y)
                samples += len(x)
            seconds = time.perf_counter() - t
            rates.append(samples / seconds)
            step_ms.append(seconds * 1000 / STEPS_PER_REPETITION)
        configs.append({"torch_threads": torch_threads, "blas_threads": blas_threads.count(),
                        "samples_per_second": summary(rates), "step_ms_median": round_sig(sorted(step_ms)[len(step_ms) // 2])})
    best = max(configs, key=lambda c: c["samples_per_second"]["median"])
    result = {
        "dataset": data["name"], "path": data["path"],
        "train_samples": len(data["train_x"]), "test_samples": len(data["test_x"]),
        "layers": "784-256-128-10 relu", "batch_size": BATCH_SIZE, "lr": LEARNING_RATE, "momentum": MOMENTUM,
        "warmup_steps": WARMUP_STEPS, "steps_per_repetition": STEPS_PER_REPETITION,
        "configs": configs,
        "best_config": {"torch_threads": best["torch_threads"], "blas_threads": best["blas_threads"]},
        "samples_per_second": best["samples_per_second"], "step_ms_median": best["step_ms_median"],
        "allocations": None,
    }
    if ARGS.epochs > 0:
        torch.set_num_threads(best["torch_threads"])
        blas_threads(best["blas_threads"])
        result["accuracy"] = accuracy(data)
    return result


def accuracy(data):
    recipe = Recipe(data, ARGS.seed)
    recipe.model.train()
    n = len(data["train_x"])
    epoch_rates, last_loss = [], float("nan")
    start = time.perf_counter()
    for epoch in range(1, ARGS.epochs + 1):
        recipe.restart()
        loss_sum, samples = 0.0, 0
        t = time.perf_counter()
        for _ in range(-(-n // BATCH_SIZE)):
            x, y = recipe.next_batch()
            loss_sum += recipe.step(x, y) * len(x)
            samples += len(x)
        rate = samples / (time.perf_counter() - t)
        epoch_rates.append(round_sig(rate))
        last_loss = loss_sum / samples
        progress(f"train: epoch {epoch}/{ARGS.epochs} loss {last_loss:.4f}, {rate:.0f} samples/s")
    seconds = time.perf_counter() - start
    recipe.model.eval()
    with torch.no_grad():
        outputs = torch.cat([recipe.model(data["test_x"][i:i + 1024]) for i in range(0, len(data["test_x"]), 1024)])
        test_loss = recipe.criterion(outputs, data["test_y"]).item()
        test_accuracy = (outputs.argmax(1) == data["test_y"]).float().mean().item()
    return {"epochs": ARGS.epochs, "seconds": round(seconds, 2), "epoch_samples_per_second": epoch_rates,
            "final_train_loss": round(last_loss, 4), "test_loss": round(test_loss, 4), "test_accuracy": round(test_accuracy, 4)}


def inference_part(data, recipe, blas_threads, cores):
    model = recipe.model
    model.eval()
    results = []
    with torch.no_grad():
        for batch in (1, 256):
            x = data["test_x"][:batch].clone()
            configs = []
            for torch_threads, blas in thread_settings(cores, blas_threads):
                torch.set_num_threads(torch_threads)
                blas_threads(blas)
                progress(f"inference: batch {batch}, torch {torch_threads} thread(s), BLAS {blas_threads.count()}")
                rates = throughput(len(x), lambda: model(x))
                configs.append({"torch_threads": torch_threads, "blas_threads": blas_threads.count(), "samples_per_second": rates})
            best = max(configs, key=lambda c: c["samples_per_second"]["median"])
            results.append({"batch": len(x), "configs": configs,
                            "best_config": {"torch_threads": best["torch_threads"], "blas_threads": best["blas_threads"]},
                            "samples_per_second": best["samples_per_second"],
                            "latency_us_median": round_sig(len(x) / best["samples_per_second"]["median"] * 1e6)})
    model.train()
    return results


def main():
    cores = os.cpu_count() or 1
    blas_kind, blas_paths = loaded_blas()
    blas_threads = BlasThreads(blas_paths)
    default_blas_threads = blas_threads.count()
    report = {
        "tool": "pytorch",
        "available": True,
        "machine": {
            "cpu": cpu_model(), "logical_processors": cores, "os": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
            "blas": blas_kind, "blas_libraries": blas_paths, "blas_default_threads": default_blas_threads,
            "openblas_core": blas_threads.core, "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
            "torch_default_threads": torch.get_num_threads(),
            "torch_cpu_capability": cpu_capability(),
            "avx512f": "avx512f" in cpu_flags(), "avx2": "avx2" in cpu_flags(),
        },
        "settings": {"quick": ARGS.quick, "only": ARGS.only, "epochs": ARGS.epochs, "repetitions": REPETITIONS,
                     "warmup_seconds": WARMUP_SECONDS, "repetition_seconds": REPETITION_SECONDS,
                     "thread_settings": [list(p) for p in thread_settings(cores, blas_threads)]},
    }
    runs = (lambda part: ARGS.only is None or ARGS.only == part)
    data = recipe = None
    if runs("train") or runs("inference") or runs("startup"):
        progress(f"loading {ARGS.data} and building the model")
        t = time.perf_counter()
        data = load_data(ARGS.data)
        recipe = Recipe(data, ARGS.seed)
        data_and_model_ms = (time.perf_counter() - t) * 1000
        ready = since_process_start_ms()
        report["startup"] = {
            "process_to_script_ms": round(PROCESS_TO_SCRIPT_MS, 1) if PROCESS_TO_SCRIPT_MS is not None else None,
            "import_numpy_ms": round(NUMPY_IMPORT_MS, 1), "import_torch_ms": round(TORCH_IMPORT_MS, 1),
            "data_and_model_ms": round(data_and_model_ms, 1),
            "process_to_ready_ms": round(ready, 1) if ready is not None else None,
            "dataset": data["name"],
            "peak_rss_bytes": peak_rss(),
        }
    if runs("gemm"):
        report["gemm"] = gemm_part(blas_threads, cores)
    if runs("train"):
        report["train"] = train_part(data, blas_threads, cores)
    if runs("inference"):
        report["inference"] = inference_part(data, recipe, blas_threads, cores)
    report["memory"] = {"peak_rss_bytes": peak_rss()}
    print(json.dumps(report, indent=2))


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def cpu_capability():
    """The SIMD level torch's own kernels were dispatched to (it says, e.g., 'CPU capability usage: AVX2')."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return None


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    main()
