#!/usr/bin/env bash
# dnb's quickstart notebook against the same recipe in PyTorch + diffusers, in one invocation:
# the same training budget (PyTorch gets 480 s, the budget of ../shared/notes/platform.md's table,
# once with the notes' best recipe and once with the quickstart's 4-level UNet; dnb gets whatever its
# notebook's step count takes, printed below), 512 samples from each
# (50 DDIM steps from the EMA weights), scored by the same MNIST classifier (bench/score_samples.py).
#
#   bash bench/quickstart_compare.sh                # unconditional
#   bash bench/quickstart_compare.sh conditional    # num_class_embeds=10, digits 0-9 requested in turn
# NOTES_RECIPE_ONLY=1 skips the second PyTorch run. Needs: pip install torch diffusers==0.32.2 numpy pillow.
# About 30 minutes on 2 cores (20 with NOTES_RECIPE_ONLY).
set -euo pipefail
cd "$(dirname "$0")/.."
variant=${1:-unconditional}
out=${OUT:-/tmp/dnb-quickstart-compare}/$variant
rm -rf "$out" && mkdir -p "$out"
dnb_args=() peer_args=() label_args=()
if [ "$variant" = conditional ]; then
    dnb_args=(--set num_class_embeds=10) peer_args=(--class-conditional) label_args=(--labels 0 1 2 3 4 5 6 7 8 9)
elif [ "$variant" != unconditional ]; then
    echo "usage: bash bench/quickstart_compare.sh [unconditional|conditional]" >&2; exit 2
fi

swift build -c release --product dnb >/dev/null
dnb=.build/release/dnb
$dnb run notebooks/quickstart.dnb --out "$out/dnb" "${dnb_args[@]}" >"$out/dnb.log"
echo "dnb training cell: $(grep -o 'cell [0-9]* (train) · [^<]*' "$out/dnb/report.md")"

# More samples than the notebook shows, from its saved model, with a seed it did not use.
cat >"$out/samples.dnb" <<NOTEBOOK
# 512 samples from the quickstart's model

\`\`\`dnb id=samples
seed 1
model load path=$out/dnb/model
scheduler create type=ddim timestep_spacing=trailing
sample n=512 steps=50 columns=32
save tensor name=samples path=samples.npy
\`\`\`
NOTEBOOK
$dnb run "$out/samples.dnb" --out "$out/dnb-samples" >/dev/null

# PyTorch with the notes' recipe (3 levels: 16, 32, 32), then with the quickstart's 4-level UNet.
echo "PyTorch, notes' recipe: $(cd bench && python3 peer_quickstart.py --seconds 480 --samples 512 --out "$out/peer.npy" "${peer_args[@]}" 2>/dev/null)"
if [ -z "${NOTES_RECIPE_ONLY:-}" ]; then
    echo "PyTorch, quickstart's UNet: $(cd bench && python3 peer_quickstart.py --seconds 480 --samples 512 --out "$out/peer-4.npy" --block-out-channels 16 32 32 64 "${peer_args[@]}" 2>/dev/null)"
fi
echo "score, dnb quickstart:            $(python3 bench/score_samples.py "$out/dnb-samples/samples.npy" --range symmetric "${label_args[@]}")"
echo "score, PyTorch notes' recipe:     $(python3 bench/score_samples.py "$out/peer.npy" --range symmetric "${label_args[@]}")"
if [ -z "${NOTES_RECIPE_ONLY:-}" ]; then
    echo "score, PyTorch quickstart's UNet: $(python3 bench/score_samples.py "$out/peer-4.npy" --range symmetric "${label_args[@]}")"
fi
