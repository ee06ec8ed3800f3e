#!/usr/bin/env bash
# Lossless-coding benchmark (issue: bits-back ANS): on the first N Fashion-MNIST test images,
# the archive's rate against `ddpmc bound` on the same images, the coder overhead, initial bits,
# single-image rates, encode/decode time split, and a grid-resolution sweep.
#   Tools/bench_lossless.sh [MODEL_DIR] [N] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-Fixtures/models/fmnist28}
N=${2:-200}
OUT=${3:-$(mktemp -d)}
DATA=${DATA:-/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz}
SWEEP_N=${SWEEP_N:-50}
SWEEP_STEPS=${SWEEP_STEPS:-100}
BIN=${BIN:-.build/release/ddpmc}
STEPS=${STEPS:-}   # empty: the model's full chain
STEPARG=(); [ -n "$STEPS" ] && STEPARG=(--steps "$STEPS")
mkdir -p "$OUT"
[ -x "$BIN" ] || swift build -c release --product ddpmc
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)" | tee "$OUT/machine.txt"
echo "chain: ${STEPS:-full} steps" | tee -a "$OUT/machine.txt"
echo "model: $MODEL ($(python3 -c "import json;print(json.load(open('$MODEL/training_info.json'))['step'])" 2>/dev/null || echo '?') training steps)" | tee -a "$OUT/machine.txt"

# 1. Archive of N images, full chain: encode, decode (timed), exactness.
/usr/bin/time -f "%e" -o "$OUT/encode.time" $BIN encode "$DATA" --limit "$N" "${STEPARG[@]}" -o "$OUT/archive.ddpm" --model "$MODEL" --json > "$OUT/encode.json"
/usr/bin/time -f "%e" -o "$OUT/decode.time" $BIN decode "$OUT/archive.ddpm" -o "$OUT/decoded-idx3-ubyte.gz" --model "$MODEL"
python3 - "$DATA" "$OUT/decoded-idx3-ubyte.gz" "$N" <<'PY'
import gzip, sys
a = gzip.open(sys.argv[1]).read(); b = gzip.open(sys.argv[2]).read(); n = int(sys.argv[3])
assert b[16:] == a[16:16 + n * 784], "decoded pixels differ"
print("decode exact: yes")
PY
# 2. The analytic bound on the same images.
$BIN bound "$DATA" --limit "$N" "${STEPARG[@]}" --model "$MODEL" --json > "$OUT/bound.json"
# 3. Single images (the initial bits are paid by each).
for i in 1 2 3; do
  python3 - "$DATA" "$OUT/single$i.npy" "$i" <<'PY'
import gzip, sys, numpy as np
d = np.frombuffer(gzip.open(sys.argv[1]).read(), np.uint8, offset=16).reshape(-1, 28, 28)
np.save(sys.argv[2], d[int(sys.argv[3]) - 1:int(sys.argv[3])])
PY
  $BIN encode "$OUT/single$i.npy" "${STEPARG[@]}" -o "$OUT/single$i.ddpm" --model "$MODEL" --json > "$OUT/single$i.json"
done
# 4. Grid sweep on a respaced chain.
for b in 3 4 5 6 7 8; do
  $BIN encode "$DATA" --limit "$SWEEP_N" --steps "$SWEEP_STEPS" --grid-bits "$b" -o "$OUT/sweep$b.ddpm" --model "$MODEL" --json > "$OUT/sweep$b.json"
done
$BIN bound "$DATA" --limit "$SWEEP_N" --steps "$SWEEP_STEPS" --model "$MODEL" --json > "$OUT/sweep-bound.json"
python3 Tools/summarize_lossless.py "$OUT" | tee "$OUT/summary.md"
