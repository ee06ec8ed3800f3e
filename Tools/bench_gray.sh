#!/usr/bin/env bash
# Gray photos (issue #16): the five dev photos converted to luminance (Tools/prepare_data.py photo-test writes
# data/photos/*_gray_128.png), one file each with the defaults (the model `encode` chooses from the content), each
# decoded and compared; the bound of the coded chain on the same photos; the clothing model (what gray photos got
# before) on the same files; the classical codecs' stored results beside them
# (Tools/results/baselines-gray128-lossless.json, Tools/baselines.py lossless data/photos/gray128.npy).
#   Tools/bench_gray.sh [OUT_DIR]
# Environment: BIN (default .build/release/ddpmc), CLOTHING=0 skips the clothing-model files.
# Run it with no training exporting into Fixtures/models meanwhile: a model that changes between encode and decode
# is another model, and the decode refuses the file.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-$(mktemp -d)}
BIN=${BIN:-.build/release/ddpmc}
CLOTHING=${CLOTHING:-1}
mkdir -p "$OUT"
[ -x "$BIN" ] || swift build -c release --product ddpmc
names=(astronaut chelsea coffee motorcycle_left rocket)
for n in "${names[@]}"; do
  [ -f "data/photos/${n}_gray_128.png" ] || { echo "data/photos/${n}_gray_128.png is missing: python3 Tools/prepare_data.py photo-test" >&2; exit 1; }
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ)" | tee "$OUT/machine.txt"
for n in "${names[@]}"; do
  in="data/photos/${n}_gray_128.png"
  "$BIN" encode "$in" -o "$OUT/$n.ddpm" --force --json > "$OUT/$n.encode.json" 2> "$OUT/$n.encode.err"
  tr '\r' '\n' < "$OUT/$n.encode.err" | grep '^model: ' | head -1 > "$OUT/$n.model.txt" || true
  "$BIN" decode "$OUT/$n.ddpm" -o "$OUT/$n.decoded.png" --force 2> "$OUT/$n.decode.err"
  model=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['model'])" "$OUT/$n.encode.json")
  steps=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['steps'])" "$OUT/$n.encode.json")
  "$BIN" bound "$in" --model "Fixtures/models/$model" --steps "$steps" --json > "$OUT/$n.bound.json" 2> /dev/null
  if [ "$CLOTHING" = 1 ]; then
    "$BIN" encode "$in" --model Fixtures/models/fmnist28 -o "$OUT/$n.fmnist28.ddpm" --force --json > "$OUT/$n.fmnist28.json" 2> /dev/null
  fi
  echo "$n done" >&2
done
python3 - "$OUT" "${names[@]}" <<'EOF'
import json, os, sys
out, names = sys.argv[1], sys.argv[2:]
base = json.load(open("Tools/results/baselines-gray128-lossless.json"))["codecs"]
jxl = next(v for k, v in base.items() if k.startswith("JPEG XL"))["per_image"]
webp = next(v for k, v in base.items() if k.startswith("WebP"))["per_image"]
png = next(v for k, v in base.items() if k.startswith("PNG (optipng"))["per_image"]
rows = []
print("| photo (gray 128) | model | file bits/dim | bound of the coded chain | file / bound | clothing model (before) | PNG | WebP | JPEG XL |")
print("|---|---|---|---|---|---|---|---|---|")
for i, n in enumerate(names):
    e = json.load(open(f"{out}/{n}.encode.json"))
    b = json.load(open(f"{out}/{n}.bound.json"))["mean_bits_per_dim"]
    c = json.load(open(f"{out}/{n}.fmnist28.json"))["bits_per_dim"] if os.path.exists(f"{out}/{n}.fmnist28.json") else float("nan")
    exact = "decoded exactly" in open(f"{out}/{n}.decode.err").read()
    rows.append(dict(name=n, model=e["model"], bits_per_dim=e["bits_per_dim"], bound=b, clothing=c, exact=exact,
                     png=png[i], webp=webp[i], jxl=jxl[i]))
    print(f"| {n} | {e['model']} | {e['bits_per_dim']:.3f}{'' if exact else ' (NOT EXACT)'} | {b:.3f} | {e['bits_per_dim'] / b:.3f} | "
          f"{c:.3f} | {png[i]:.3f} | {webp[i]:.3f} | {jxl[i]:.3f} |")
m = lambda k: sum(r[k] for r in rows) / len(rows)  # noqa: E731
print(f"| mean | | {m('bits_per_dim'):.3f} | {m('bound'):.3f} | {m('bits_per_dim') / m('bound'):.3f} | {m('clothing'):.3f} | "
      f"{m('png'):.3f} | {m('webp'):.3f} | {m('jxl'):.3f} |")
json.dump(rows, open(f"{out}/gray.json", "w"), indent=1)
EOF
