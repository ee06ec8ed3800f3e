#!/usr/bin/env bash
# The shipped models' test bounds (issue: train and ship the default models), by `ddpmc bound` and by the
# PyTorch reference on the same images with the same noise and the same stratified draws of t, so the two must
# agree per image; plus what the codec's 100-step chain costs over the full chain.
#
#   Tools/bench_models.sh [N_FMNIST] [N_AGREE] [OUT_DIR]
#     N_FMNIST  Fashion-MNIST test images for the T = 1000 estimate (default 2000)
#     N_AGREE   of those, how many the PyTorch reference also evaluates (default 200)
#
# Needs a release build (`swift build -c release --product ddpmc`), Tools/requirements.txt, and
# data/photos/test128.npy (`python3 Tools/prepare_data.py photo-test`). Estimates use `--terms 100`: 100
# stratified steps per image (docs/BOUND.md), unbiased, standard error including the sampling of t.
# Copy the models first if a training run is exporting into Fixtures/models/ meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
N_FMNIST=${1:-2000}
N_AGREE=${2:-200}
OUT=${3:-$(mktemp -d)}
BIN=${BIN:-.build/release/ddpmc}
FMNIST=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
PHOTOS=${PHOTOS:-data/photos/test128.npy}
THREADS=${THREADS:-$(nproc)}
[ -x "$BIN" ] || { echo "build first: swift build -c release --product ddpmc" >&2; exit 1; }
[ -f "$PHOTOS" ] || { echo "missing $PHOTOS: python3 Tools/prepare_data.py photo-test" >&2; exit 1; }
mkdir -p "$OUT"
export DDPMC_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)" | tee "$OUT/machine.txt"
timed() { local name=$1; shift; /usr/bin/time -f "%e" -o "$OUT/$name.seconds" "$@" > "$OUT/$name.json"; }

# T = 1000, stratified: Swift on all N_FMNIST, PyTorch on the first N_AGREE (same draws, same noise).
timed fmnist-swift "$BIN" bound "$FMNIST" --limit "$N_FMNIST" --terms 100 --json --model Fixtures/models/fmnist28
timed fmnist-torch python3 Tools/bound_reference.py "$FMNIST" --limit "$N_AGREE" --terms 100 --threads "$THREADS" \
  --json --model Fixtures/models/fmnist28
timed photos-swift "$BIN" bound "$PHOTOS" --terms 100 --json --model Fixtures/models/photo32
timed photos-torch python3 Tools/bound_reference.py "$PHOTOS" --terms 100 --threads "$THREADS" --json \
  --model Fixtures/models/photo32
# The codec's 100-step chain, both spacings, on the photos (the fmnist figures: Tools/bench_lossless.sh).
timed photos-q100 "$BIN" bound "$PHOTOS" --steps 100 --json --model Fixtures/models/photo32
timed photos-e100 "$BIN" bound "$PHOTOS" --steps 100 --spacing even --json --model Fixtures/models/photo32

python3 - "$OUT" <<'EOF'
import json, sys
out = sys.argv[1]
def load(name):
    with open(f"{out}/{name}.json") as f:
        return json.load(f)
def secs(name):
    return float(open(f"{out}/{name}.seconds").read())
for set_name in ["fmnist", "photos"]:
    s, t = load(f"{set_name}-swift"), load(f"{set_name}-torch")
    n = len(t["images"])
    d = [abs(a["bits_per_dim"] - b["bits_per_dim"]) for a, b in zip(s["images"][:n], t["images"])]
    sub = sum(a["bits_per_dim"] for a in s["images"][:n]) / n
    print(f"{set_name}: T = 1000 (100 stratified terms) ddpmc {s['mean_bits_per_dim']:.4f} ± {s['stderr']:.4f} on "
          f"{len(s['images'])} images ({secs(set_name + '-swift'):.0f} s); on the first {n}: ddpmc {sub:.5f}, "
          f"PyTorch {t['mean_bits_per_dim']:.5f} ({secs(set_name + '-torch'):.0f} s), max |Δ| per image {max(d):.1e}")
for name in ["photos-q100", "photos-e100"]:
    r = load(name)
    print(f"{name}: {r['mean_bits_per_dim']:.4f} ± {r['stderr']:.4f} ({r['spacing']} spacing, {r['steps']} steps)")
EOF
echo "results in $OUT"
