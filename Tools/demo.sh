#!/usr/bin/env bash
# The main job on the bundled default model: losslessly encode the first Fashion-MNIST test
# images into one .ddpm archive, decode it (checking every pixel), and compare the file size
# with the model's variational bound on the same images; then the progressive mode: a stream
# whose every prefix decodes to a preview, lossless once complete.
#   Tools/demo.sh [N]          (default N = 4; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4}
BIN=.build/release/ddpmc
DATA=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
[ -x "$BIN" ] || swift build -c release --product ddpmc
[ -f "$DATA" ] || { echo "missing $DATA: run Tools/install-deps.sh" >&2; exit 1; }
echo "== encode the first $N Fashion-MNIST test images with the bundled model (Fixtures/models/fmnist28)"
$BIN encode "$DATA" --limit "$N" -o "$OUT/fmnist.ddpm" --force
echo "== info"
$BIN info "$OUT/fmnist.ddpm"
echo "== decode (under another BLAS kernel and one thread, to show the bits do not depend on them)"
OPENBLAS_CORETYPE=Prescott OPENBLAS_NUM_THREADS=1 DDPMC_THREADS=1 $BIN decode "$OUT/fmnist.ddpm" -o "$OUT/decoded-idx3-ubyte.gz" --force
if cmp -s <(zcat "$DATA" | tail -c +17 | head -c $((N * 784))) <(zcat "$OUT/decoded-idx3-ubyte.gz" | tail -c +17); then
  echo "decoded pixels identical to the input: yes"
else
  echo "decoded pixels DIFFER from the input" >&2; exit 1
fi
# The chain the file codes (the model's own for bits-back, 50 quadratic steps for the direct route), from `info`.
INFO=$($BIN info "$OUT/fmnist.ddpm" --json)
SPACING=$(echo "$INFO" | sed -n 's/.*"spacing" *: *"\([a-z]*\)".*/\1/p')
STEPS=$(echo "$INFO" | sed -n 's/.*"steps" *: *\([0-9]*\).*/\1/p')
echo "== the variational bound of the coded chain ($STEPS steps, $SPACING) on the same images (the rate the coder achieves)"
if [ "$SPACING" = model ]; then $BIN bound "$DATA" --limit "$N" --spacing model
else $BIN bound "$DATA" --limit "$N" --steps "$STEPS" --spacing "$SPACING"; fi
echo "== progressive: encode the first image so that any prefix of the file decodes to a preview"
$BIN encode "$DATA" --limit 1 --progressive --lossless-after 5 -o "$OUT/progressive.ddpm" --force
for STEP in 50 20; do
  $BIN decode "$OUT/progressive.ddpm" --step $STEP -o "$OUT/preview-step$STEP-idx3-ubyte.gz" --force
done
SIZE=$(stat -c %s "$OUT/progressive.ddpm")
echo "-- the first quarter of the file, as if the transfer had stopped there:"
$BIN decode "$OUT/progressive.ddpm" --bytes $((SIZE / 4)) -o "$OUT/preview-quarter-idx3-ubyte.gz" --force
echo "-- the whole file:"
$BIN decode "$OUT/progressive.ddpm" -o "$OUT/progressive-idx3-ubyte.gz" --force
echo "outputs in $OUT"
