#!/usr/bin/env bash
# Installs whatever a fresh Debian 12 machine is missing for mmgen: Debian packages (libtorch,
# OpenBLAS, the PyTorch reference for benchmarks, data sources), npm dependencies and the native addon.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  libtorch-dev libopenblas0-pthread python3-torch   # runtime + benchmark reference (same BLAS)
  g++ make python3                                   # native build
  libgloo-dev                                        # <gloo/...> headers for c10d (data-parallel training)
  espeak-ng dataset-fashion-mnist gimp-data          # offline data sources
  fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf
  chromium                                           # the studio's browser tests (playwright-core)
  redis-server                                       # BullMQ job queue (serve --queue, mmgen worker); tests start their own
)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "mmgen: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "mmgen: installing npm dependencies and building the native addon"
  JOBS=2 npm ci --no-audit --no-fund
fi
if [ ! -f build/Release/mmgen_native.node ] || [ -n "$(find native binding.gyp -newer build/Release/mmgen_native.node -print -quit)" ]; then
  echo "mmgen: building the native addon"
  npm run build:native
fi
