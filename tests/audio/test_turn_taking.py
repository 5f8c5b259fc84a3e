"""Turn-taking parts that need no model: the client's line starts just before her voice does."""

from __future__ import annotations

import numpy as np
import pytest

from audio.devices.endpoint import speech_bounds
from audio.devices.practice_session import SESSION_RATE
from audio.devices.turn_taking import LEAD_KEEP_S, NextLine


def _clip(lead_s: float, tone_s: float = 0.5) -> np.ndarray:
    t = np.arange(int(tone_s * SESSION_RATE)) / SESSION_RATE
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return np.concatenate([np.zeros(int(lead_s * SESSION_RATE), dtype=np.float32), tone])


@pytest.mark.parametrize("lead", [0.05, 0.2, 1.0])
def test_the_lead_silence_of_a_line_is_cut_to_lead_keep(lead):
    line = NextLine("a", "Hello.", _clip(lead), "after your reply")
    onset, _ = speech_bounds(line.audio, SESSION_RATE)
    assert onset == pytest.approx(LEAD_KEEP_S, abs=0.011)
    assert line.audio.size == pytest.approx(_clip(lead).size - (lead - LEAD_KEEP_S) * SESSION_RATE, abs=160)
    assert line.audio.dtype == np.float32


def test_a_line_that_starts_at_once_or_is_silent_is_kept_whole():
    now = _clip(0.0)
    assert NextLine("a", "Hi.", now, "x").audio.size == now.size
    silent = np.zeros(SESSION_RATE, dtype=np.float32)
    assert NextLine("b", "...", silent, "x").audio.size == silent.size
