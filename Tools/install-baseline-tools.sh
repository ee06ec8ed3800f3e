#!/usr/bin/env bash
# Installs the classical-codec command-line tools used by Tools/baselines.py (Debian bookworm). Idempotent.
#   webp         -> cwebp / dwebp   (libwebp 1.2.4)
#   libjxl-tools -> cjxl / djxl     (libjxl 0.7)
#   optipng      -> optipng         (0.7.7)
#   libavif-bin  -> avifenc / avifdec (libavif 0.11, aom; optional -- AVIF is skipped if absent)
# PNG (Pillow) and JPEG (Pillow/libjpeg-turbo) come from the pinned Pillow in Tools/requirements.txt.
set -euo pipefail
pkgs=(webp libjxl-tools optipng libavif-bin)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
