#!/usr/bin/env bash
# Runs `mytorch bench` and bench/pytorch_reference.py side by side, in one run on this machine, and prints both
# sides and the ratios against the targets of the performance issue. Installs nothing.
#
#   bench/compare-pytorch.sh [--epochs N] [--data auto|fashion-mnist|mnist|DIR] [--quick] [--out DIR] [--blas-dir DIR]
#
# --epochs N     epochs of the accuracy runs on both sides (default 3; 0 skips them)
# --seeds N      accuracy runs per side, seeds 42, 1, 2, ... (default 3): one seed's test accuracy varies by about
#                a percentage point, so the sides are compared on the mean
# --quick        short repetitions (a smoke run of the script itself; the numbers mean little)
# --out DIR      where the JSON files and comparison.json go (default: a new folder under /tmp)
# --blas-dir DIR a folder holding a libblas.so.3 (for example OpenBLAS unpacked with dpkg -x) that NumPy and
#                PyTorch load instead of the system's, for this run only (LD_LIBRARY_PATH)
# Environment: PYTHON (default /usr/bin/python3, Debian's, which has python3-torch and python3-numpy);
# OPENBLAS_CORETYPE is passed through; when unset and OpenBLAS mistakes this CPU for an old one (Prescott), it is
# set to SkylakeX (AVX-512) or Haswell (AVX2) for the reference, and the report says so.
set -euo pipefail
cd "$(dirname "$0")/.."

epochs=3 seeds=3 data=auto quick="" out="" blas_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) epochs="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --quick) quick="--quick"; shift ;;
    --out) out="$2"; shift 2 ;;
    --blas-dir) blas_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "compare-pytorch.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
python="${PYTHON:-/usr/bin/python3}"
out="${out:-$(mktemp -d /tmp/mytorch-compare.XXXXXX)}"
mkdir -p "$out"
log() { echo "compare: $*" >&2; }

log "building MyTorch (Release)"
dotnet build src/MyTorch.Cli -c Release -nologo -v quiet >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }
mytorch=(dotnet src/MyTorch.Cli/bin/Release/net10.0/MyTorch.Cli.dll)

if [ -n "$blas_dir" ]; then
  [ -f "$blas_dir/libblas.so.3" ] || { echo "compare-pytorch.sh: no libblas.so.3 in $blas_dir" >&2; exit 2; }
  export LD_LIBRARY_PATH="$blas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  log "NumPy and PyTorch load the BLAS in $blas_dir"
fi

# OpenBLAS 0.3.21 (Debian 12) does not know CPUs newer than it and falls back to SSE3 kernels for them.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  core="$("$python" -c 'import ctypes, numpy
paths = {l.split()[-1] for l in open("/proc/self/maps") if "openblas" in l.lower() and l.split()[-1].startswith("/")}
for p in paths:
    lib = ctypes.CDLL(p)
    if hasattr(lib, "openblas_get_corename"):
        lib.openblas_get_corename.restype = ctypes.c_char_p; print(lib.openblas_get_corename().decode()); break' 2>/dev/null || true)"
  case "$core" in
    Prescott|Core2|Penryn|Dunnington|Nehalem|Atom|Katmai|Coppermine|Northwood|Banias)
      if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
      elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
      [ -n "${OPENBLAS_CORETYPE:-}" ] && log "OpenBLAS took this CPU for $core; running the reference with OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE" ;;
  esac
fi

# Each side and part in its own process, the sides alternating, so that each peak RSS belongs to one part and a
# change in the machine's load during the run hits both sides alike. /usr/bin/time adds wall time and max RSS.
timed() { # timed NAME COMMAND...: stdout to NAME.json, stderr to NAME.log, "wall_s max_rss_kib" to NAME.time
  local name="$1"; shift
  log "$name: $*"
  echo "$name $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/loadavg.log"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" >"$out/$name.json" 2>"$out/$name.log"
  else # no max RSS then; wall time from bash's clock
    local start=$EPOCHREALTIME
    "$@" >"$out/$name.json" 2>"$out/$name.log"
    awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f 0\n", b - a }' >"$out/$name.time"
  fi
}
# The reference has no core check of its own: MyTorch's runs in a process of its own just before and just after
# each of its multi-threaded measurements (MyTorch's bench does the same in-process), so that every round says
# whether it ran on whole cores (see CoreCheck.cs: a VM's vCPUs may share one core for minutes at a time).
checked() { # checked NAME COMMAND...: as timed, between two core checks (cores-before-NAME, cores-after-NAME)
  local name="$1"
  "${mytorch[@]}" bench --json --only cores ${quick:+--quick} >"$out/cores-before-$name.json" 2>>"$out/cores.log"
  timed "$@"
  "${mytorch[@]}" bench --json --only cores ${quick:+--quick} >"$out/cores-after-$name.json" 2>>"$out/cores.log"
}
train_data="$data"
if [ "$data" = auto ]; then
  if [ -d /usr/share/datasets/fashion-mnist ]; then train_data=fashion-mnist; else train_data=mnist; fi
fi

mt=("${mytorch[@]}" bench --json --data "$data" ${quick:+--quick})
py=("$python" bench/pytorch_reference.py --data "$data" ${quick:+--quick})

for i in 1 2 3; do
  timed "mytorch-startup-$i" "${mt[@]}" --only startup
  timed "pytorch-startup-$i" "${py[@]}" --only startup
  timed "mytorch-train-epochs0-$i" "${mytorch[@]}" train --epochs 0 --data "$train_data" --json --out "$out/train-epochs0"
  timed "pytorch-import-$i" "$python" -c "import torch"
done
timed mytorch-gemm "${mt[@]}" --only gemm
checked pytorch-gemm "${py[@]}" --only gemm
if [ -n "$blas_dir" ]; then
  # The same shapes again, MyTorch and this BLAS timed alternately in one process (paired repetitions), which a
  # machine whose speed drifts between the runs above cannot skew.
  timed mytorch-gemm-paired "${mt[@]}" --only gemm --blas "$blas_dir/libblas.so.3"
fi
timed mytorch-train "${mt[@]}" --only train --epochs "$epochs"
checked pytorch-train "${py[@]}" --only train --epochs "$epochs"
timed mytorch-train-1thread "${mt[@]}" --only train --threads 1
timed mytorch-inference "${mt[@]}" --only inference
checked pytorch-inference "${py[@]}" --only inference
timed mytorch-inference-1thread "${mt[@]}" --only inference --threads 1
for i in 2 3; do # two more alternating rounds: the comparison takes the median of the three rounds' ratios
  timed "mytorch-inference-$i" "${mt[@]}" --only inference
  checked "pytorch-inference-$i" "${py[@]}" --only inference
  timed "mytorch-train-$i" "${mt[@]}" --only train
  checked "pytorch-train-$i" "${py[@]}" --only train
done
if [ "$epochs" -gt 0 ]; then
  for ((seed = 1; seed < seeds; seed++)); do # the main train runs above used seed 42
    timed "mytorch-accuracy-seed$seed" "${mytorch[@]}" bench --json --data "$data" --quick --only train --epochs "$epochs" --seed "$seed"
    timed "pytorch-accuracy-seed$seed" "$python" bench/pytorch_reference.py --data "$data" --quick --only train --epochs "$epochs" --seed "$seed" --threads 1
  done
fi

"$python" bench/compare_results.py "$out"
log "raw results in $out"
