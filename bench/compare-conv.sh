#!/usr/bin/env bash
# The convolutional presets (lenet5, cnn) in MyTorch and PyTorch, alternately in one run, and the ratios the
# convolution issue sets targets for: training samples/s (lenet5 >= 1.5x, cnn >= 2x PyTorch's best thread setting),
# inference at batch 1 and 256 (>= 1.5x), 0 bytes allocated per step. Installs nothing.
#
#   bench/compare-conv.sh [--rounds N] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=2 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "compare-conv.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
python="${PYTHON:-/usr/bin/python3}"
out="${out:-$(mktemp -d /tmp/mytorch-conv.XXXXXX)}"
mkdir -p "$out"
dotnet build src/MyTorch.Cli -c Release -nologo -v quiet >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
for r in $(seq 1 "$rounds"); do
  echo "compare-conv: round $r: MyTorch" >&2
  dotnet src/MyTorch.Cli/bin/Release/net10.0/MyTorch.Cli.dll bench --only conv --json > "$out/mytorch-$r.json"
  echo "compare-conv: round $r: PyTorch" >&2
  "$python" bench/pytorch_conv_reference.py > "$out/pytorch-$r.json"
done
"$python" - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
ours = [json.load(open(f"{out}/mytorch-{r}.json")) for r in range(1, rounds + 1)]
theirs = [json.load(open(f"{out}/pytorch-{r}.json")) for r in range(1, rounds + 1)]
targets = {("lenet5", "train"): 1.5, ("cnn", "train"): 2.0}
summary = {"rounds": rounds, "core_checks": [o.get("core_checks") for o in ours], "models": {}}
for model in ("lenet5", "cnn"):
    rows = {}
    for key, short in (("train_samples_per_second", "train"), ("inference_batch_1_samples_per_second", "batch 1"),
                       ("inference_batch_256_samples_per_second", "batch 256")):
        ratios = [o["conv"][model][key]["median"] / t["models"][model]["best"][key] for o, t in zip(ours, theirs)]
        rows[short] = {"mytorch": [o["conv"][model][key]["median"] for o in ours],
                       "pytorch_best": [t["models"][model]["best"][key] for t in theirs],
                       "ratio_median": statistics.median(ratios), "target": targets.get((model, short), 1.5)}
        print(f"{model:7s} {short:10s} MyTorch {rows[short]['mytorch']}  PyTorch best {[round(v, 1) for v in rows[short]['pytorch_best']]}"
              f"  ratio {rows[short]['ratio_median']:.2f} (target {rows[short]['target']})")
    rows["train_share_of_ceiling"] = [o["conv"][model].get("train_share_of_ceiling") for o in ours]
    rows["bytes_per_train_step"] = [o["conv"][model]["train_allocations"]["bytes_per_step_current_thread"] for o in ours]
    print(f"{model:7s} share of the FMA ceiling {rows['train_share_of_ceiling']}, bytes per step {rows['bytes_per_train_step']}")
    summary["models"][model] = rows
json.dump(summary, open(f"{out}/comparison.json", "w"), indent=1)
print(f"comparison: {out}/comparison.json")
PY
