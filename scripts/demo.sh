#!/usr/bin/env bash
# Install ListenWell and run the main job on the bundled samples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/listenwell demo "$@"
