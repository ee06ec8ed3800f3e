#!/usr/bin/env bash
# The model's own chain against the previous default (100 quadratic steps), paired in one run on one machine:
# the same images, the same seed, one archive per model and chain (the user's defaults otherwise); file size,
# `ddpmc bound` of the same chain on the same images, encode and decode wall time, exactness; then the model's
# chain with one worker thread against two (DDPMC_THREADS) (time, and the same bytes).
#   Tools/bench_chain.sh [OUT_DIR]
# Environment: FMNIST_N (default 200), PHOTOS (default data/photos/test128.npy, Tools/prepare_data.py photo-test),
# BIN (default .build/release/ddpmc), BOUND=0 skips `ddpmc bound`, ONE_THREAD=0 skips the one-thread run,
# BASE_FM / BASE_PH (default: the shipped models) the model directories of the 100-quadratic-step runs.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-$(mktemp -d)}
FMNIST_N=${FMNIST_N:-200}
FMNIST=${FMNIST:-/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz}
PHOTOS=${PHOTOS:-data/photos/test128.npy}
BIN=${BIN:-.build/release/ddpmc}
BOUND=${BOUND:-1}
ONE_THREAD=${ONE_THREAD:-1}
mkdir -p "$OUT"
[ -x "$BIN" ] || swift build -c release --product ddpmc
[ -f "$PHOTOS" ] || { echo "$PHOTOS is missing: python3 Tools/prepare_data.py photo-test" >&2; exit 1; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ)" | tee "$OUT/machine.txt"

# run NAME MODEL INPUT THREADS ARGS...: encode (timed, JSON), decode (timed), exactness against the input.
run() {
  local name=$1 model=$2 input=$3 threads=$4; shift 4
  local -x DDPMC_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
  local limit=(); [ "$input" = "$FMNIST" ] && limit=(--limit "$FMNIST_N")
  echo "== $name ($threads thread(s)): encode $*" >&2
  /usr/bin/time -f "%e" -o "$OUT/$name.encode.time" \
    "$BIN" encode "$input" "${limit[@]}" --model "$model" "$@" -o "$OUT/$name.ddpm" --force --json \
    > "$OUT/$name.encode.json"
  /usr/bin/time -f "%e" -o "$OUT/$name.decode.time" \
    "$BIN" decode "$OUT/$name.ddpm" --model "$model" -o "$OUT/$name.decoded.npy" --force
  python3 - "$input" "$OUT/$name.decoded.npy" "$FMNIST_N" <<'PY'
import gzip, sys, numpy as np
src, dec, n = sys.argv[1], np.load(sys.argv[2]), int(sys.argv[3])
if src.endswith(".gz"):
    a = np.frombuffer(gzip.open(src).read(), np.uint8, offset=16).reshape(-1, 28, 28)[:n]
else:
    a = np.load(src)
assert dec.shape == a.shape and (dec == a).all(), "decoded pixels differ"
PY
  echo "exact" > "$OUT/$name.exact"
  # The analytic bound of the same chain on the same images (seed 0).
  [ "$BOUND" = 1 ] || return 0
  "$BIN" bound "$input" "${limit[@]}" --model "$model" "$@" --json > "$OUT/$name.bound.json"
}

FM=Fixtures/models/fmnist28 PH=Fixtures/models/photo32
# The previous default's weights may differ from today's (a model trained further since): BASE_FM / BASE_PH name
# the directories the 100-quadratic-step runs use (default: today's models, so that only the chain differs).
BASE_FM=${BASE_FM:-$FM} BASE_PH=${BASE_PH:-$PH}
echo "100 quadratic steps with $BASE_FM and $BASE_PH; the model's chain with $FM and $PH" | tee "$OUT/models.txt"
run fmnist-q100 "$BASE_FM" "$FMNIST" 2 --steps 100 --spacing quadratic
run fmnist-model "$FM" "$FMNIST" 2 --spacing model
run photos-q100 "$BASE_PH" "$PHOTOS" 2 --steps 100 --spacing quadratic
run photos-model "$PH" "$PHOTOS" 2 --spacing model
# One worker thread (DDPMC_THREADS; OpenBLAS itself always runs on the calling thread): the speed-up of the second
# core (and the same bytes).
if [ "$ONE_THREAD" = 1 ]; then
run fmnist-model-1thread "$FM" "$FMNIST" 1 --spacing model
if cmp -s "$OUT/fmnist-model-1thread.ddpm" "$OUT/fmnist-model.ddpm"; then echo "1 and 2 threads: identical files"
else echo "1 and 2 threads: FILES DIFFER"; fi | tee "$OUT/threads.txt"
fi

python3 - "$OUT" <<'PY' | tee "$OUT/summary.md"
import json, os, sys
out = sys.argv[1]
def rd(n, ext):
    p = os.path.join(out, f"{n}.{ext}")
    return open(p).read().strip() if os.path.exists(p) else None
print("| run | steps | file bits/dim | the chain's bound (± se) | net of initial bits | encode s | decode s | exact |")
print("|---|---|---|---|---|---|---|---|")
rows = {}
for n in ["fmnist-q100", "fmnist-model", "fmnist-model-1thread", "photos-q100", "photos-model"]:
    if rd(n, "encode.json") is None:
        continue
    j = json.loads(rd(n, "encode.json"))
    b = json.loads(rd(n, "bound.json") or "null")
    bound = f"{b['mean_bits_per_dim']:.4f} ± {b['stderr']:.4f}" if b else "-"
    rows[n] = (float(rd(n, "encode.time")), float(rd(n, "decode.time")))
    print(f"| {n} | {j['steps']} | {j['bits_per_dim']:.4f} | {bound} | {j['net_bits_per_dim']:.4f} | "
          f"{rows[n][0]:.1f} | {rows[n][1]:.1f} | {rd(n, 'exact') or '-'} |")
for m in ["fmnist", "photos"]:
    q, o = rows[f"{m}-q100"], rows[f"{m}-model"]
    print(f"\n{m}: encode {q[0] / o[0]:.2f}x, decode {q[1] / o[1]:.2f}x faster with the model's chain")
if "fmnist-model-1thread" in rows:
    t1, t2 = rows["fmnist-model-1thread"], rows["fmnist-model"]
    print(f"fmnist, model's chain: 2 threads vs 1: encode {t1[0] / t2[0]:.2f}x, decode {t1[1] / t2[1]:.2f}x")
PY
