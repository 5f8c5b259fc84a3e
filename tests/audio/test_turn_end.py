"""The end-of-turn rule on known answers: completed sentences, questions, unfinished ones, pitch."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import ParameterError
from audio.devices.turn_end import TurnEndOptions, final_pitch_change, sentence_complete, turn_end_wait

SR = 16000


def _glide(f_start: float, f_end: float, seconds: float = 1.0) -> np.ndarray:
    """A voiced-like signal (pulse train through harmonics) gliding from f_start to f_end Hz."""
    t = np.arange(int(seconds * SR)) / SR
    f = np.linspace(f_start, f_end, t.size)
    phase = 2 * np.pi * np.cumsum(f) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 6))
    return (0.2 * x).astype(np.float32)


@pytest.mark.parametrize("text, done", [
    ("It sounds like you're carrying a lot of shame.", True),
    ("What was that like for you?", True),
    ("You feel like everyone can see it on you.", True),
    ("You should call your sponsor and", False),
    ("Don't be so hard on yourself, at least...", False),
    ("That card still", False),
    ("You feel like a f-", False),
    ("It was the whole thing with the.", False),  # a full stop after a word that leads on
    ("", False),
])
def test_sentence_complete(text, done):
    assert sentence_complete(text) is done


def test_falling_level_and_rising_pitch_are_told_apart():
    assert final_pitch_change(_glide(200, 200), SR) == pytest.approx(0.0, abs=0.3)
    # the last 0.25 s of a 0.3 s glide: its median is about 58 % of the way down (or up)
    falling = np.concatenate([_glide(200, 200, 0.8), _glide(200, 150, 0.3)])
    assert final_pitch_change(falling, SR) == pytest.approx(12 * np.log2(171 / 200), abs=0.5)
    rising = np.concatenate([_glide(150, 150, 0.8), _glide(150, 190, 0.3)])
    assert final_pitch_change(rising, SR) == pytest.approx(12 * np.log2(173 / 150), abs=0.5)
    # an octave error of the tracker (a jump of 12 semitones) is folded back
    octave = np.concatenate([_glide(100, 100, 0.8), _glide(200, 200, 0.3)])
    assert abs(final_pitch_change(octave, SR)) < 1.0
    assert final_pitch_change(np.zeros(SR, np.float32), SR) is None  # nothing voiced


def test_the_wait_follows_the_cues_and_says_why():
    o = TurnEndOptions(quick_s=0.2, level_s=0.4, silence_s=0.5, hold_s=0.8, fall_semitones=2.0)
    w = turn_end_wait("What was that like for you?", None, o)
    assert (w.wait_s, w.reason) == (0.2, "a question, then 0.20 s of silence")
    w = turn_end_wait("That sounds really hard.", -2.4, o)
    assert w.wait_s == 0.2 and "falling pitch (-2.4 semitones)" in w.reason
    w = turn_end_wait("That sounds really hard.", -1.5, o)  # a small fall: level
    assert (w.wait_s, w.reason) == (0.4, "a completed sentence without a falling pitch, so 0.40 s of silence")
    assert turn_end_wait("That sounds really hard.", None, o).wait_s == 0.4
    w = turn_end_wait("You should call your sponsor and", -3.0, o)
    assert (w.wait_s, w.reason) == (0.8, "an unfinished sentence, so 0.80 s of silence")
    assert turn_end_wait(None, -3.0, o).wait_s == 0.5  # no transcript yet


def test_options_are_checked():
    with pytest.raises(ParameterError, match="quick_s=0.6"):
        TurnEndOptions(quick_s=0.6, level_s=0.6, silence_s=0.5)
    with pytest.raises(ParameterError, match="level_s=0.3"):
        TurnEndOptions(quick_s=0.4, level_s=0.3)
    with pytest.raises(ParameterError, match="fall_semitones"):
        TurnEndOptions(fall_semitones=0)
