"""Paths the tests share: the repository, its committed test data and ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
SAMPLES = ROOT / "samples"
SHARED_DATA = Path(os.environ.get("LISTENWELL_SHARED_DATA", ROOT.parent / "shared" / "data"))
