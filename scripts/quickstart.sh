#!/usr/bin/env bash
# The main job: install what is missing, build dnb (release), run the quick-start notebook.
# MNIST is found or fetched by dnb itself (DNB_DATA, ~/.cache/dnb/mnist, or a download, MD5-checked).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product dnb
out="${1:-out/quickstart}"
.build/release/dnb run notebooks/quickstart.dnb --out "$out"
echo "report: $out/report.md (figures in $out/figures/)"
