#!/usr/bin/env bash
# Which bundled photo model codes a small RGB input better: centre crops of the five dev photos, one file each,
# with photo32 (32×32 patches, bootstrapped bits-back) and photo (the whole image, direct route), beside JPEG XL.
# Prints one line per crop and model: SIZE NAME MODEL BITS/DIM ROUTE BOOTSTRAP_PATCHES ENCODE_SECONDS.
#   Tools/bench_photo_choice.sh [OUT_DIR]      (SIZES="32 48 64 96" by default; BIN: .build/release/ddpmc)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-$(mktemp -d)}
BIN=${BIN:-.build/release/ddpmc}
SIZES=${SIZES:-32 48 64 96}
PHOTOS=${PHOTOS:-data/photos/test128.npy}
[ -f "$PHOTOS" ] || { echo "$PHOTOS is missing: python3 Tools/prepare_data.py photo-test" >&2; exit 1; }
command -v cjxl >/dev/null || { echo "cjxl is missing: apt-get install libjxl-tools" >&2; exit 1; }
mkdir -p "$OUT"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ)"
python3 - "$PHOTOS" "$OUT" $SIZES <<'PY'
import sys
import numpy as np
from PIL import Image
names = ["astronaut", "chelsea", "coffee", "motorcycle_left", "rocket"]
a, out = np.load(sys.argv[1]), sys.argv[2]
for s in map(int, sys.argv[3:]):
    o = (a.shape[1] - s) // 2
    for i, n in enumerate(names):
        Image.fromarray(a[i, o:o + s, o:o + s]).save(f"{out}/{n}-{s}.png")
PY
for s in $SIZES; do
  for n in astronaut chelsea coffee motorcycle_left rocket; do
    f="$OUT/$n-$s.png"
    for m in photo32 photo; do
      /usr/bin/time -f "%e" -o "$OUT/$n-$s-$m.time" "$BIN" encode "$f" --model "Fixtures/models/$m" \
        -o "$OUT/$n-$s-$m.ddpm" --force --json > "$OUT/$n-$s-$m.json" 2>/dev/null
      echo "$s $n $m $(python3 -c "import json; d = json.load(open('$OUT/$n-$s-$m.json')); print(round(d['bits_per_dim'], 4), d['route'], d.get('bootstrap_patches'))") $(cat "$OUT/$n-$s-$m.time")"
    done
    cjxl -d 0 -e 9 "$f" "$OUT/$n-$s.jxl" >/dev/null 2>&1
    echo "$s $n jxl $(python3 -c "import os; print(round(os.path.getsize('$OUT/$n-$s.jxl') * 8 / ($s * $s * 3), 4))")"
  done
done
