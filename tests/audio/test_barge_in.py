"""Barge-in rules shared by the terminal loop and the practice page: word gaps, where to stop,
where the reply starts when the trainee's voice began during the client's line."""

from __future__ import annotations

import numpy as np
import pytest

from audio.devices.barge_in import REPLY_LEAD_S, reply_from, voice_over_end, word_gaps, yield_at

SR = 16000


def _words() -> np.ndarray:
    """Two 200 Hz "words" of 0.5 s with 0.2 s of silence between them and 0.1 s before and after."""
    t = np.arange(int(0.5 * SR)) / SR
    word = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    quiet = lambda s: np.zeros(int(s * SR), np.float32)  # noqa: E731
    return np.concatenate([quiet(0.1), word, quiet(0.2), word, quiet(0.1)])


def test_word_gaps_are_the_silences_before_between_and_after_the_words():
    assert word_gaps(_words(), SR) == [(0.0, 0.1), (0.6, 0.8), (1.3, 1.4)]


def test_a_silent_or_empty_clip_has_no_gaps():
    assert word_gaps(np.zeros(SR, np.float32), SR) == []
    assert word_gaps(np.zeros(0, np.float32), SR) == []


def test_she_stops_at_the_next_gap_within_the_word_boundary_else_at_once():
    gaps = [(0.0, 0.1), (0.6, 0.8), (1.3, 1.4)]
    assert yield_at(gaps, 0.55, 0.1) == pytest.approx(0.6)  # the gap 50 ms ahead
    assert yield_at(gaps, 0.65, 0.1) == pytest.approx(0.65)  # already in a gap: at once
    assert yield_at(gaps, 0.3, 0.1) == pytest.approx(0.3)  # the next gap is 0.3 s away: at once
    assert yield_at([], 0.3, 0.1) == pytest.approx(0.3)


def test_reply_is_heard_from_her_voice_after_a_cut_in_or_when_she_spoke_over_the_end():
    assert reply_from(1.0, 5.0, 3.0, cut=True, voice_at_end=False) == pytest.approx(3.0 - REPLY_LEAD_S)
    assert reply_from(1.0, 5.0, 4.8, cut=False, voice_at_end=True) == pytest.approx(4.8 - REPLY_LEAD_S)
    assert reply_from(1.0, 5.0, 1.02, cut=True, voice_at_end=False) == pytest.approx(1.0)  # not before the line
    # a backchannel she finished before the end, or no voice at all: the reply starts at the line's end
    assert reply_from(1.0, 5.0, 3.0, cut=False, voice_at_end=False) == pytest.approx(5.0)
    assert reply_from(1.0, 5.0, None, cut=False, voice_at_end=False) == pytest.approx(5.0)


def _mic(*voiced: tuple[float, float], seconds: float = 3.0) -> np.ndarray:
    """A trainee microphone of ``seconds`` (the line) with a 150 Hz voice in each ``(start, end)``
    (cut at the line's end) and faint noise."""
    rng = np.random.default_rng(0)
    x = (1e-4 * rng.standard_normal(int(seconds * SR))).astype(np.float32)
    for a, b in voiced:
        t = np.arange(int(a * SR), int(min(b, seconds) * SR)) / SR
        x[int(a * SR): int(a * SR) + t.size] += (0.2 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)
    return x


def test_voice_still_going_as_the_line_ends_began_where_its_burst_began():
    # she began 0.2 s before the end of the 3 s line, and was still talking
    assert voice_over_end(_mic((2.8, 3.5)), SR) == pytest.approx(2.8, abs=0.02)
    # a word, 0.1 s of breath, then on over the end: one burst, from the first word
    assert voice_over_end(_mic((2.5, 2.7), (2.8, 3.5)), SR) == pytest.approx(2.5, abs=0.02)
    # a backchannel she finished 0.5 s before the end, silence, or nothing at all: no reply over the end
    assert voice_over_end(_mic((2.0, 2.5)), SR) is None
    assert voice_over_end(_mic(), SR) is None
    assert voice_over_end(np.zeros(0, np.float32), SR) is None
