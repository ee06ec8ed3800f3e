#!/usr/bin/env bash
# Progressive coding benchmark: `ddpmc rd` on the first N images of a data set for several chunk
# KL budgets (sample/ddim reconstructions at the default budget only), then encode/decode timings
# of one progressive file at the default budget.
#   Tools/bench_progressive.sh [N] [OUT] [BUDGETS]     (env: BIN, DATA, MODEL, STEPS, CLASSICAL)
set -euo pipefail
N=${1:-200}
OUT=${2:-$(mktemp -d)}
BUDGETS=${3:-"8 12 16"}
BIN=${BIN:-.build/release/ddpmc}
DATA=${DATA:-/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz}
STEPS=${STEPS:-100}
CLASSICAL=${CLASSICAL:-Tools/results/baselines-fmnist200-lossy.csv}
MODEL_ARGS=()
[ -n "${MODEL:-}" ] && MODEL_ARGS=(--model "$MODEL")
mkdir -p "$OUT"
DEFAULT=${DEFAULT:-12}
for b in $BUDGETS; do
  echo "== chunk budget $b bits" >&2
  EXTRA=(--reconstruct-at none)
  [ "$b" = "$DEFAULT" ] && EXTRA=()
  $BIN rd "$DATA" --limit "$N" --out "$OUT/budget$b" --steps "$STEPS" --chunk-bits "$b" --every 1 \
    --classical "$CLASSICAL" "${EXTRA[@]}" "${MODEL_ARGS[@]}" 2> >(tr '\r' '\n' | grep -v ETA >&2)
done
echo "== timings at the default budget" >&2
/usr/bin/time -f "%e" -o "$OUT/encode.time" $BIN encode "$DATA" --limit "$N" --progressive --steps "$STEPS" \
  -o "$OUT/progressive.ddpm" "${MODEL_ARGS[@]}" --json > "$OUT/encode.json"
/usr/bin/time -f "%e" -o "$OUT/decode.time" $BIN decode "$OUT/progressive.ddpm" -o "$OUT/decoded.npy" "${MODEL_ARGS[@]}" --json > "$OUT/decode.json"
HALF=$(( $(stat -c %s "$OUT/progressive.ddpm") / 2 ))
/usr/bin/time -f "%e" -o "$OUT/decode-half.time" $BIN decode "$OUT/progressive.ddpm" --bytes "$HALF" -o "$OUT/decoded-half.npy" "${MODEL_ARGS[@]}" --json > "$OUT/decode-half.json"
python3 Tools/summarize_progressive.py "$OUT" $BUDGETS
