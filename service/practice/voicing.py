"""Voice a practice scenario's client lines with Piper: one code path for build time and import.

``scripts/make_scenarios.py`` voices the bundled scenarios with it (committed audio), and the web
page "Add a practice scenario" voices a supervisor's scenario on import. Each line becomes 16 kHz
mono FLAC in the client voice (:func:`service.synth.voice.synthesize_line`) with 50 ms of
silence at each edge, at the path named by its ``audio`` field (relative to the scenario's folder),
``ID/LINE-ID.flac`` by default.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import ParameterError
from analysis.schema import CLIENT
from service.practice.scenarios import inside
from service.synth.voice import synthesize_line

__all__ = ["LEAD_S", "scenario_lines", "voice_scenario_lines"]

logger = logging.getLogger(__name__)

LEAD_S = 0.05  # a little silence around each line so playback does not clip the onset


def scenario_lines(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every line to voice in a scenario's JSON: format 1 ``lines``; format 2 opening, beat
    variants and closing (the dicts themselves, so their ``audio`` can be filled in)."""
    if "beats" in data:
        out = [data.get("opening")] + [v for b in data["beats"] for v in b["variants"]] + [data.get("closing")]
        return [x for x in out if isinstance(x, dict)]
    return list(data["lines"])


def voice_scenario_lines(data: dict[str, Any], folder: Path, *, default_prefix: str | None = None,
                         force: bool = False, progress: Callable[[int, int], None] | None = None) -> tuple[int, bool]:
    """Voice the lines of an already validated scenario ``data`` into ``folder``.

    A line without ``audio`` gets ``PREFIX/LINE-ID.flac`` (``PREFIX`` defaults to the scenario's
    id; "" puts the files in ``folder`` itself) and ``data`` is updated in place. Lines whose
    file exists are kept unless ``force``. ``progress(done, total)`` is called after each line.

    Returns
    -------
    written : int
        How many audio files were written.
    changed : bool
        Whether ``data`` got new ``audio`` fields (the JSON should be written back).
    """
    import soundfile as sf

    prefix = data["id"] if default_prefix is None else default_prefix
    lines = scenario_lines(data)
    written, changed = 0, False
    for i, line in enumerate(lines, start=1):
        name = f"{line['id']}.flac" if line.get("id") else f"{i:02d}.flac"
        rel = line.get("audio") or (f"{prefix}/{name}" if prefix else name)
        if line.get("audio") != rel:
            line["audio"], changed = rel, True
        out = inside(folder, rel) if not Path(rel).is_absolute() else None
        if out is None or out == Path(folder).resolve():
            raise ParameterError(f"line {i}: audio path {rel!r} leaves the scenario's folder {folder}")
        if not out.is_file() or force:
            audio, sr = synthesize_line(line["text"], CLIENT)
            pad = np.zeros(int(LEAD_S * sr), dtype=np.float32)
            out.parent.mkdir(parents=True, exist_ok=True)
            sf.write(out, np.concatenate([pad, audio, pad]), sr, format="FLAC", subtype="PCM_16")
            written += 1
            logger.info("%s: %.2f s", rel, audio.size / sr + 2 * LEAD_S)
        if progress is not None:
            progress(i, len(lines))
    return written, changed
