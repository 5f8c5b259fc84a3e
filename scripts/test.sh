#!/usr/bin/env bash
# Install ListenWell with its test extras and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$HOME/.cache/listenwell/numba}"
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
