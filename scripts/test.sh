#!/usr/bin/env bash
# The test suite: install what is missing, build, run every test (Swift Testing and XCTest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --tests
swift build --build-tests
swift test --skip-build
