#!/usr/bin/env bash
# Installs the Debian packages dnb builds against, only those that are missing.
# `--tests` adds what only the test suite uses: the aarch64 cross compiler and qemu's user-mode
# emulator (scripts/check-arm64.sh compiles the C kernels for arm64 and runs them there) and
# Debian's Fashion-MNIST package (the tests load it as a user would), and Open MPI's mpirun (the
# data-parallel tests; a plain dnb needs no MPI, and under mpirun it loads Open MPI's library itself).
set -euo pipefail
packages=(libopenblas-dev libreadline-dev libcairo2-dev libpng-dev zlib1g-dev libssl-dev libzmq3-dev libcmark-gfm-dev libcmark-gfm-extensions-dev fonts-dejavu-core pkg-config)
if [ "${1:-}" = "--tests" ]; then
  packages+=(gcc-aarch64-linux-gnu qemu-user dataset-fashion-mnist openmpi-bin)
  # The test venv (scripts/test-venv.sh) needs a python3 that can make venvs; Debian's needs python3-venv.
  python3 -m venv --help >/dev/null 2>&1 || packages+=(python3-venv)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
