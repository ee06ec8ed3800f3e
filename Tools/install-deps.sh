#!/usr/bin/env bash
# Installs the system packages the codec builds against (Debian). Idempotent.
set -euo pipefail
pkgs=(libopenblas-dev libpng-dev zlib1g-dev libzstd-dev libssl-dev pkg-config dataset-fashion-mnist)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
