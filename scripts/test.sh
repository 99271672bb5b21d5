#!/usr/bin/env bash
# The test suite: install what is missing, build, run every test (Swift Testing and XCTest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --tests
bash scripts/test-venv.sh
# Tests that compare with NumPy, SciPy or nbformat fail (rather than skip) when the venv is missing.
export DNB_REQUIRE_TEST_PYTHON=1
# The data-parallel tests fail (rather than skip) when mpirun is missing.
export DNB_REQUIRE_MPI=1
swift build --build-tests
swift test --skip-build
