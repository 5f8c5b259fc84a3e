#!/usr/bin/env bash
# Install ListenWell with its test extras and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
# -m "slow or not slow": the whole suite (the quick default in pyproject.toml leaves slow tests out).
exec .venv/bin/python -m pytest -q -p no:cacheprovider -m "slow or not slow" "$@"
