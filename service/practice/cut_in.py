"""What the client says after the trainee cut in on her: "Oh. Okay." and then her chosen line.

One definition for the terminal loop (:class:`service.practice.run.ScenarioChooser`) and the
browser (the line's audio served by ``/practice/<id>/lines/<n>?after_cut_in=1`` and placed in the
stored recording), so both say and record the same thing.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

__all__ = ["CUT_IN_AUDIO", "CUT_IN_PAUSE_S", "CUT_IN_TEXT", "cut_in_lead", "cut_in_reason", "cut_in_text", "with_cut_in_lead"]

logger = logging.getLogger(__name__)

CUT_IN_TEXT = "Oh. Okay."
"""What the client says first after the trainee cut in on her (then her chosen line)."""
CUT_IN_AUDIO = Path(__file__).resolve().parents[2] / "samples" / "voice" / "cut-in.flac"
"""The client voice saying :data:`CUT_IN_TEXT` (``scripts/make_scenarios.py --cut-in`` makes it)."""
CUT_IN_PAUSE_S = 0.25
"""Silence between "Oh. Okay." and the line (s)."""


def cut_in_text(text: str) -> str:
    """The line's text as said after a cut-in."""
    return f"{CUT_IN_TEXT} {text}"


def cut_in_reason(because: str) -> str:
    """Why she said it, after a cut-in ("after a reflection (she had been cut off)")."""
    return f"{because} (she had been cut off)"


def with_cut_in_lead(line_audio: np.ndarray, lead: np.ndarray | None, sample_rate: int = 16000) -> np.ndarray:
    """The line's audio (mono float32) after a cut-in: ``lead`` ("Oh. Okay."), a pause, the line.
    ``lead`` None (the clip is missing): the line as it is."""
    line_audio = np.asarray(line_audio, dtype=np.float32).reshape(-1)
    if lead is None:
        return line_audio
    pause = np.zeros(int(CUT_IN_PAUSE_S * sample_rate), dtype=np.float32)
    return np.concatenate([np.asarray(lead, dtype=np.float32).reshape(-1), pause, line_audio])


def cut_in_lead(decode_mono) -> np.ndarray | None:
    """:data:`CUT_IN_AUDIO` decoded with ``decode_mono(path)``; None (logged) when the file is missing."""
    if not CUT_IN_AUDIO.is_file():
        logger.warning("%s is missing: the line after a cut-in is said as it is", CUT_IN_AUDIO)
        return None
    return decode_mono(CUT_IN_AUDIO)
