#!/usr/bin/env bash
# Seconds per image of a full T = 1000 `ddpmc bound`, next to Tools/bound_reference.py (PyTorch, CPU) on the
# same model, images and noise, in the same run; also prints the per-image agreement of the two.
#
#   Tools/bench_bound.sh [N_GRAY] [N_RGB]      (defaults 4 and 2; needs `swift build -c release --product ddpmc`)
#
# Both sides run on one thread (OMP/OpenBLAS/DDPMC threads = 1, torch.set_num_threads(1)), so the figures
# compare implementations, not thread counts. Models: Fixtures/unet/gray28-plain, Fixtures/unet/learned-var and,
# if present, Fixtures/models/fmnist28 (copied first, because training overwrites it every few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
N_GRAY=${1:-4}
N_RGB=${2:-2}
BIN=.build/release/ddpmc
[ -x "$BIN" ] || { echo "build first: swift build -c release --product ddpmc" >&2; exit 1; }
CORES=$(nproc --all)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 DDPMC_THREADS=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 - "$TMP" "$N_GRAY" "$N_RGB" <<'EOF'
import sys, numpy as np
sys.path.insert(0, "Tools")
import images
tmp, ng, nr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fm = images.fmnist_split("test")[:ng] if ng > 3 else np.load("Fixtures/bound/fmnist3.npy")[:ng]
np.save(f"{tmp}/gray.npy", fm)
np.save(f"{tmp}/rgb.npy", np.load("Fixtures/bound/rgb32.npy")[:nr])
EOF

MODELS="Fixtures/unet/gray28-plain:gray Fixtures/unet/learned-var:rgb"
if [ -f Fixtures/models/fmnist28/config.json ]; then
    cp -r Fixtures/models/fmnist28 "$TMP/fmnist28"
    MODELS="$MODELS $TMP/fmnist28:gray"
fi

echo "machine: $CORES cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load $(cut -d' ' -f1-3 /proc/loadavg); one thread each"
printf "%-28s %6s %12s %12s %8s %14s\n" model images "swift s/img" "torch s/img" swift/torch "max |delta|"
for entry in $MODELS; do
    model=${entry%%:*}; kind=${entry##*:}
    images="$TMP/$kind.npy"
    n=$(python3 -c "import numpy as np; print(len(np.load('$images')))")
    s0=$(date +%s.%N)
    "$BIN" bound --model "$model" "$images" --json 2>/dev/null > "$TMP/swift.json"
    s1=$(date +%s.%N)
    python3 Tools/bound_reference.py --model "$model" "$images" --threads 1 --json 2>/dev/null > "$TMP/torch.json"
    s2=$(date +%s.%N)
    python3 - "$TMP" "$model" "$n" "$s0" "$s1" "$s2" <<'EOF'
import json, os, sys
tmp, model, n, s0, s1, s2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(float, sys.argv[4:])
a, b = json.load(open(f"{tmp}/swift.json")), json.load(open(f"{tmp}/torch.json"))
delta = max(abs(x["bits_per_dim"] - y["bits_per_dim"]) for x, y in zip(a["images"], b["images"]))
sw, tw = (s1 - s0) / n, b["seconds"] / n   # torch: the evaluation loop only, without imports and model loading
name = os.path.basename(model)
print(f"{name:<28s} {n:6d} {sw:12.2f} {tw:12.2f} {sw / tw:8.2f} {delta:14.2e}   "
      f"(mean {a['mean_bits_per_dim']:.4f} bits/dim)")
EOF
done
