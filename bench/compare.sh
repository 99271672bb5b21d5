#!/usr/bin/env bash
# dnb against PyTorch + diffusers on this machine, in one invocation (ratios are what to compare:
# the machines are shared). Usage: bash bench/compare.sh [dnb-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
dnb="${1:-.build/release/dnb}"
[ -x "$dnb" ] || swift build -c release --product dnb
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d['medianSeconds'], d['peakMemoryBytes'])"; }
row() {  # name, dnb args, peer args
  read -r d_s d_m < <("$dnb" bench $2 --json | json)
  read -r p_s p_m < <(python3 bench/peer_pytorch.py $3 | json)
  python3 -c "print(f'| $1 | {$d_s:.3f} s | {$p_s:.3f} s | {$d_s/$p_s:.2f} | {$d_m/1e6:.0f} MB | {$p_m/1e6:.0f} MB | {$d_m/$p_m:.2f} |')"
}
again() {  # name, environment setting, dnb args: dnb once more, against the previous row's PyTorch figures
  read -r d_s d_m < <(env "$2" "$dnb" bench $3 --json | json)
  python3 -c "print(f'| $1 | {$d_s:.3f} s | {$p_s:.3f} s | {$d_s/$p_s:.2f} | {$d_m/1e6:.0f} MB | {$p_m/1e6:.0f} MB | {$d_m/$p_m:.2f} |')"
}
echo "| benchmark | dnb | PyTorch | time ratio | dnb peak | PyTorch peak | memory ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
row "training step, tutorial UNet, batch 128" "train --batch 128 --steps 5" "train --batch 128 --steps 5"
again "the same, Winograd F(2,3) (the default until 2026-11-30)" DNB_WINOGRAD_TILE=2 "train --batch 128 --steps 5"
row "training step, quickstart UNet (16, 32, 32, 64), batch 32" "train --batch 32 --steps 30 --config quickstart" "train --batch 32 --steps 30 --config quickstart"
row "50-step DDPM sampling, 64 images" "sample --batch 64 --steps 50" "sample --batch 64 --steps 50"
again "the same, Winograd F(2,3)" DNB_WINOGRAD_TILE=2 "sample --batch 64 --steps 50"
again "the same, recorded ops (no fused forward)" DNB_FUSED_INFERENCE=0 "sample --batch 64 --steps 50"
