#!/usr/bin/env bash
# Peak resident memory (/usr/bin/time -v) and the error line of `mytorch` on hostile input files, for
# docs/robustness.md. Run from the repository root after `dotnet build MyTorch.sln -c Release`:
#   bash tests/MyTorch.Cli.Tests/robustness/measure-rss.sh [work-folder]
# The inputs are generated into the work folder (default /tmp/mytorch-rss); nothing is written elsewhere.
set -u
WORK=${1:-/tmp/mytorch-rss}
CLI=src/MyTorch.Cli/bin/Release/net10.0/MyTorch.Cli.dll
mkdir -p "$WORK"
python3 - "$WORK" <<'PY'
import gzip, os, random, struct, sys
w = sys.argv[1]
def path(name): return os.path.join(w, name)
n = 1_000_000
with open(path('million-columns.csv'), 'w') as f:          # 9.9 MB: a million feature columns
    f.write(','.join(f'c{i}' for i in range(n)) + ',label\n')
    f.write(','.join('0' for _ in range(n)) + ',0\n')
r = random.Random(1)
with open(path('65536-classes.csv'), 'w') as f:            # 156 KB: labels up to 65,535
    f.write('a,b,label\n'); i = 0
    while f.tell() < 156_000:
        f.write(f'{r.randint(0, 9)},{r.randint(0, 9)},{65535 if i == 0 else r.randint(0, 65535)}\n'); i += 1
with open(path('control-characters.csv'), 'w') as f:       # an escape sequence, a forged line and a NUL in a name and a cell
    f.write('a,"x\x1b[2J\nerror: forged\x00",label\n1,2,0\n3,"\x1b]0;owned\x07",1\n')
with open(path('long-name.csv'), 'w') as f:                # a 1 MB column name in a bad file
    f.write('a,' + 'n' * 1_000_000 + ',label\n1,x,0\n')
with open(path('label-only.csv'), 'w') as f:
    f.write('label\n0\n1\n0\n')
b = path('bomb'); os.makedirs(b, exist_ok=True)            # 2.2 MB-class bomb: 2.7 million images claimed, the zeros really there
with gzip.open(os.path.join(b, 'train-images-idx3-ubyte.gz'), 'wb', compresslevel=9) as g:
    g.write(struct.pack('>HBBiii', 0, 8, 3, 2_700_000, 28, 28)); z = bytes(1 << 20); left = 2_700_000 * 784
    while left > 0: k = min(left, len(z)); g.write(z[:k]); left -= k
for name, count, shape in [('train-labels-idx1-ubyte.gz', 10, []), ('t10k-images-idx3-ubyte.gz', 2, [28, 28]), ('t10k-labels-idx1-ubyte.gz', 2, [])]:
    with gzip.open(os.path.join(b, name), 'wb') as g:
        g.write(struct.pack('>HBB' + 'i' * (1 + len(shape)), 0, 8, 1 + len(shape), count, *shape) + bytes(count * max(1, 784 if shape else 1)))
c = path('cut-trailer'); os.makedirs(c, exist_ok=True)    # valid MNIST files but the training images' gzip trailer cut off
for name in ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']:
    data = open(os.path.join('data/mnist-10k', name + '.gz'), 'rb').read() if os.path.exists(os.path.join('data/mnist-10k', name + '.gz')) else gzip.compress(open(os.path.join('data/mnist-10k', name), 'rb').read())
    open(os.path.join(c, name + '.gz'), 'wb').write(data[:-8] if name.startswith('train-images') else data)
os.makedirs(path('model-folder.safetensors'), exist_ok=True)
if not os.path.exists(path('zero.csv')): os.symlink('/dev/zero', path('zero.csv'))
PY
run() {
  local label=$1; shift
  /usr/bin/time -v dotnet "$CLI" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
  local rc=$?
  local rss; rss=$(grep "Maximum resident" "$WORK/err.txt" | awk '{print $NF}')
  local line; line=$(grep -v -P '^\t' "$WORK/err.txt" | grep '^error: ' | head -1)
  local bytes; bytes=$(printf '%s' "$line" | wc -c)
  # Control characters in the printed line, counted (the table below shows the line itself only up to 160 characters).
  local controls; controls=$(printf '%s' "$line" | tr -d '\n' | LC_ALL=C grep -c -P '[\x00-\x1F\x7F]' || true)
  printf '| %s | %s | %d MB | %d | %d | %s |\n' "$label" "$rc" $((rss / 1024)) "$bytes" "$controls" "${line:0:160}"
}
echo "| input | exit | peak RSS | error line, bytes | lines with control characters | error (first 160 characters) |"
echo "|---|---:|---:|---:|---:|---|"
run "1M-column CSV (9.9 MB), --hidden 8" train --data "$WORK/million-columns.csv" --hidden 8 --epochs 1 --json --out "$WORK/run1"
run "65,536-class CSV (156 KB)" train --data "$WORK/65536-classes.csv" --epochs 1 --json --out "$WORK/run2"
run "eval of that 65,536-class model" eval --model "$WORK/run2/model.safetensors" --data "$WORK/65536-classes.csv"
run "gzip bomb: 2.7M images claimed" train --data "$WORK/bomb" --epochs 1 --out "$WORK/run3"
run "gzip trailer cut off" train --data "$WORK/cut-trailer" --epochs 1 --out "$WORK/run4"
run "CSV symlink to /dev/zero" train --data "$WORK/zero.csv" --epochs 1 --out "$WORK/run5"
run "--model that is a folder" eval --model "$WORK/model-folder.safetensors"
run "control characters in names and cells" train --data "$WORK/control-characters.csv" --epochs 1 --out "$WORK/run6"
run "1 MB column name" train --data "$WORK/long-name.csv" --epochs 1 --out "$WORK/run7"
run "CSV with only the label" train --data "$WORK/label-only.csv" --epochs 1 --out "$WORK/run8"
run "model file given to --resume" train --resume "$WORK/run2/model.safetensors" --out "$WORK/run9"
