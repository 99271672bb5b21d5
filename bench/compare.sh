#!/usr/bin/env bash
# dnb against PyTorch + diffusers on this machine, in one invocation (ratios are what to compare:
# the machines are shared). Usage: [ROUNDS=3] bash bench/compare.sh [dnb-binary]
# Each row alternates dnb and PyTorch ROUNDS times and reports the median of each: the machine's speed
# drifts by ±5 % within minutes, and one run of each side apart in time can move a ratio by 0.02.
set -euo pipefail
cd "$(dirname "$0")/.."
dnb="${1:-.build/release/dnb}"
rounds="${ROUNDS:-3}"
[ -x "$dnb" ] || swift build -c release --product dnb
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d['medianSeconds'], d['peakMemoryBytes'])"; }
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
line() {  # name, dnb seconds, dnb bytes, peer seconds, peer bytes
  python3 -c "print(f'| $1 | {$2:.3f} s | {$4:.3f} s | {$2/$4:.2f} | {$3/1e6:.0f} MB | {$5/1e6:.0f} MB | {$3/$5:.2f} |')"
}
row() {  # name, dnb args, peer args
  local ds=() dm=() ps=() pm=()
  for _ in $(seq "$rounds"); do
    read -r s m < <("$dnb" bench $2 --json | json); ds+=("$s"); dm+=("$m")
    read -r s m < <(python3 bench/peer_pytorch.py $3 | json); ps+=("$s"); pm+=("$m")
  done
  p_s=$(median "${ps[@]}"); p_m=$(median "${pm[@]}")
  line "$1" "$(median "${ds[@]}")" "$(median "${dm[@]}")" "$p_s" "$p_m"
}
again() {  # name, environment setting, dnb args: dnb again, against the previous row's PyTorch medians
  local ds=() dm=()
  for _ in $(seq "$rounds"); do
    read -r s m < <(env "$2" "$dnb" bench $3 --json | json); ds+=("$s"); dm+=("$m")
  done
  line "$1" "$(median "${ds[@]}")" "$(median "${dm[@]}")" "$p_s" "$p_m"
}
echo "| benchmark | dnb | PyTorch | time ratio | dnb peak | PyTorch peak | memory ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
row "training step, tutorial UNet, batch 128" "train --batch 128 --steps 5" "train --batch 128 --steps 5"
again "the same, Winograd F(2,3) (the default until 2026-11-30)" DNB_WINOGRAD_TILE=2 "train --batch 128 --steps 5"
row "training step, quickstart UNet (16, 32, 32, 64), batch 32" "train --batch 32 --steps 30 --config quickstart" "train --batch 32 --steps 30 --config quickstart"
row "50-step DDPM sampling, 64 images" "sample --batch 64 --steps 50" "sample --batch 64 --steps 50"
again "the same, Winograd F(2,3)" DNB_WINOGRAD_TILE=2 "sample --batch 64 --steps 50"
again "the same, recorded ops (no fused forward)" DNB_FUSED_INFERENCE=0 "sample --batch 64 --steps 50"
