"""The heard gap is read from the session recording itself: known answers on a built session, and
the paused replies the false-start count uses."""

from __future__ import annotations

import numpy as np
import pytest

from audio.devices.practice_session import ClientLineTiming, PracticeSession
from service.bench.heard_gap import heard_gaps, paused_replies

SR = 16000


def _tone(seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (level * np.sin(2 * np.pi * 180 * t)).astype(np.float32)


def test_heard_gap_is_last_trainee_voice_to_first_client_voice():
    mic = np.zeros(8 * SR, np.float32)
    mic[int(2.0 * SR): int(3.0 * SR)] = _tone(1.0)  # trainee 2.0-3.0 s
    mic[int(5.5 * SR): int(6.0 * SR)] = _tone(0.5)  # trainee talks into line 2 (left out)
    line = np.concatenate([np.zeros(int(0.05 * SR), np.float32), _tone(1.0)])
    timings = [ClientLineTiming(0, "a", 0.55, 1.55, 1.05, audio_start=0.5),
               ClientLineTiming(1, "b", 3.4, 4.4, 1.05, audio_start=3.35),  # voice at 3.40: gap 0.40 s
               ClientLineTiming(2, "c", 5.8, 6.8, 1.05, audio_start=5.75)]
    session = PracticeSession.build(mic, SR, [line, line, line], timings, [])
    assert heard_gaps(session) == [pytest.approx(0.40, abs=0.021)]


def test_paused_replies_put_the_pause_between_words():
    a, b = _tone(0.6), _tone(0.7)
    clip = np.concatenate([a, np.zeros(int(0.04 * SR), np.float32), b, np.zeros(int(0.04 * SR), np.float32),
                           a, np.zeros(int(0.04 * SR), np.float32), b])
    words = [(0.0, 0.6), (0.64, 1.34), (1.38, 1.98), (2.02, 2.72)]
    cases = paused_replies([clip], [words], pauses_s=(0.3,))
    assert len(cases) == 2
    for paused, at in cases:
        assert paused.size == clip.size + int(0.3 * SR)
    ats = sorted(at for _, at in cases)  # after the 2nd word and after the 3rd (never after the 1st)
    assert ats == [pytest.approx(1.36, abs=0.03), pytest.approx(2.0, abs=0.03)]
    for paused, at in cases:
        i = int(at * SR)
        assert np.abs(paused[i + 800: i + int(0.28 * SR)]).max() < 1e-3  # silent inside the pause
