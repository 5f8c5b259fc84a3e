#!/usr/bin/env bash
# Install ListenWell and run the main job on the bundled samples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NUMBA_CACHE_DIR="${NUMBA_CACHE_DIR:-$HOME/.cache/listenwell/numba}"
exec .venv/bin/listenwell demo "$@"
