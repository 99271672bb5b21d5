#!/usr/bin/env bash
# Creates (or reuses) the Python venv the tests check dnb against: .build/test-venv with the packages of
# tools/requirements-tests.txt. Reinstalled only when that file changes (its hash is kept in the venv).
# Prints nothing when the venv is current.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/test-venv
requirements=tools/requirements-tests.txt
stamp="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
echo "preparing the test venv ($venv) from $requirements"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$requirements"
echo "$stamp" > "$venv/.requirements-sha256"
