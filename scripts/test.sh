#!/usr/bin/env bash
# Installs what the tests need, then runs everything CI checks: layering, lint, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export MLFLOW_DISABLE_TELEMETRY=true

bash scripts/install-system.sh   # Debian's Chromium, Redis and PostgreSQL, when missing
pip_install=(python -m pip install --quiet --disable-pip-version-check)
# The CPU wheel of torch first: anything that depends on torch would otherwise pull a CUDA build.
"${pip_install[@]}" "torch==2.13.0"
"${pip_install[@]}" -e ".[test]"

lint-imports
ruff check .
ruff format --check .
mypy
python -m pytest "$@"
