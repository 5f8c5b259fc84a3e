"""The package layers hold: import-linter's contracts (pyproject.toml) are all kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def test_loose_modules_stay_few():
    """Feature code lives in subpackages: at most a dozen loose modules per top-level package."""
    for pkg in ("service", "analysis", "audio"):
        loose = [p.name for p in (ROOT / pkg).glob("*.py") if p.name != "__init__.py"]
        subpackages = [p for p in (ROOT / pkg).iterdir() if (p / "__init__.py").is_file()]
        assert len(loose) <= 12, (pkg, loose)
        assert pkg == "audio" or len(subpackages) >= 3, (pkg, subpackages)
    assert not [p.name for p in (ROOT / "audio").rglob("*.py") if p.name.startswith(("bench", "synth", "wer"))]
