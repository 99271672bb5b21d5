#!/usr/bin/env bash
# The no-grad UNet forward's settings timed against each other in one invocation, interleaved so that
# the shared machine's load falls on all alike: recorded ops (DNB_FUSED_INFERENCE=0, the "before"),
# the fused path with F(4,3) (the default), and the fused path with F(2,3).
# Usage: bash bench/inference_paths.sh [rounds] [dnb-binary]   (default 3 rounds of 10-step runs, batch 64)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
dnb="${2:-.build/release/dnb}"
[ -x "$dnb" ] || swift build -c release --product dnb
settings=("DNB_FUSED_INFERENCE=0" "DNB_FUSED_INFERENCE=1" "DNB_WINOGRAD_TILE=2")
names=("recorded ops, F(4,3)" "fused, F(4,3)" "fused, F(2,3)")
declare -A wall cpu
for ((r = 0; r < rounds; r++)); do
  for i in "${!settings[@]}"; do
    out=$( { env "${settings[$i]}" /usr/bin/time -f "cpu %U %S" "$dnb" bench sample --batch 64 --steps 10 --json; } 2>&1 )
    w=$(grep -o '"medianSeconds":[0-9.]*' <<<"$out" | cut -d: -f2)
    c=$(awk '/^cpu/ {print $2 + $3}' <<<"$out")
    wall[$i]+="$w "; cpu[$i]+="$c "
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of 10-step DDPM sampling, batch 64 (medians)"
echo "| forward | wall s | × recorded | CPU s | × recorded |"
echo "| --- | ---: | ---: | ---: | ---: |"
w0=$(median <<<"${wall[0]}"); c0=$(median <<<"${cpu[0]}")
for i in "${!settings[@]}"; do
  w=$(median <<<"${wall[$i]}"); c=$(median <<<"${cpu[$i]}")
  awk -v n="${names[$i]}" -v w="$w" -v w0="$w0" -v c="$c" -v c0="$c0" \
    'BEGIN {printf "| %s | %.3f | %.2f | %.2f | %.2f |\n", n, w, w / w0, c, c / c0}'
done
