#!/usr/bin/env bash
# Installs what the tests need, then runs everything CI checks: layering, lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export MLFLOW_DISABLE_TELEMETRY=true

bash scripts/install-browser.sh   # Debian's Chromium for the browser tests
python -m pip install --quiet --disable-pip-version-check -e ".[test]"

lint-imports
ruff check .
ruff format --check .
mypy
python -m pytest "$@"
