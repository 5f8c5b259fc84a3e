"""Has the trainee finished her turn? Silence plus what the reply says and how its pitch ends. Pure NumPy.

A silence timer alone has to wait long enough (0.5 s) for a pause inside a sentence to pass.
A person hearing "It sounds like you're carrying a lot of shame." with a falling voice knows the
turn is over much sooner, and hearing "You should call your sponsor tonight and..." knows it is not.
:func:`turn_end_wait` says how much silence to wait after the last voiced frame, from two cues
read at the pause:

* the transcript of the reply so far: a *completed sentence* ends with ``.``, ``?`` or ``!`` and
  not on a word that leads on ("and", "but", "because", "the", "um", ...); Whisper marks a reply
  cut off mid-sentence with "..." or leaves it without a full stop;
* the pitch at the end of the reply: *falling* when the last voiced 0.25 s are at least
  ``fall_semitones`` below the median of the 0.6 s before them (:func:`final_pitch_change`).

A question, or a completed sentence with falling pitch, ends the turn after ``quick_s``; a
sentence that is plainly unfinished waits ``hold_s`` (longer than the plain timer: she is
pausing mid-sentence); anything else (a completed sentence with level pitch, no transcript yet)
waits ``silence_s``, the plain silence timer. Each answer carries its reason in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from analysis.errors import ParameterError

__all__ = ["TurnEndOptions", "TurnEndWait", "final_pitch_change", "sentence_complete", "turn_end_wait"]

LEADING_ON = frozenset(
    "and but or so because cause if when while which who the a an to of for with my your our their "
    "um uh er than".split())
"""Words a finished sentence does not end on (a pause after them is a pause inside the sentence)."""


@dataclass(frozen=True)
class TurnEndOptions:
    """Silence to wait (s) for each reading of a pause; ``fall_semitones``: a falling end."""

    quick_s: float = 0.3
    level_s: float = 0.4
    silence_s: float = 0.5
    hold_s: float = 0.8
    fall_semitones: float = 2.0

    def __post_init__(self):
        if not 0 < self.quick_s <= self.level_s <= self.silence_s <= self.hold_s:
            raise ParameterError(f"need 0 < quick_s={self.quick_s} <= level_s={self.level_s} <= "
                                 f"silence_s={self.silence_s} <= hold_s={self.hold_s} (seconds)")
        if self.fall_semitones <= 0:
            raise ParameterError(f"fall_semitones={self.fall_semitones} must be positive")


@dataclass(frozen=True)
class TurnEndWait:
    """How long to wait after the last voiced frame, and why."""

    wait_s: float
    reason: str


def sentence_complete(text: str) -> bool:
    """True when ``text`` ends a sentence (``.``/``?``/``!``, not an ellipsis, not on a leading-on word)."""
    t = text.strip()
    if not t or t.endswith(("...", "…", ",", "-", "—")) or t[-1] not in ".?!":
        return False
    words = re.findall(r"[a-z']+", t.lower())
    return bool(words) and words[-1] not in LEADING_ON


def _pitch(frames: np.ndarray, sample_rate: int, fmin: float = 70.0, fmax: float = 400.0) -> np.ndarray:
    """Per-frame pitch (Hz) by normalised autocorrelation; NaN where unvoiced. frames: (n, size)."""
    lo, hi = int(sample_rate / fmax), int(sample_rate / fmin)
    out = np.full(frames.shape[0], np.nan)
    for i, f in enumerate(frames):
        f = f - f.mean()
        energy = float(np.dot(f, f))
        if energy <= 1e-8 or f.size <= hi:
            continue
        spec = np.fft.rfft(f, 2 * f.size)
        ac = np.fft.irfft(spec * np.conj(spec))[: f.size]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] / ac[0] > 0.45:
            out[i] = sample_rate / lag
    return out


def final_pitch_change(audio: np.ndarray, sample_rate: int, *, tail_s: float = 0.25, before_s: float = 0.6,
                       frame_s: float = 0.04, hop_s: float = 0.01) -> float | None:
    """Semitones from the median pitch of the ``before_s`` before the last voiced ``tail_s`` to that tail
    (negative = falling). ``audio`` ends at (or a little after) the reply's last voiced frame;
    None when either part has too few voiced frames. A change of 9 semitones or more is read as
    an octave error of the pitch tracker and folded back by 12."""
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    size, hop = int(frame_s * sample_rate), int(hop_s * sample_rate)
    need = int((tail_s + before_s + frame_s) * sample_rate) + size
    x = x[-need:]
    if x.size < size * 2:
        return None
    n = 1 + (x.size - size) // hop
    frames = np.lib.stride_tricks.sliding_window_view(x, size)[::hop][:n]
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    f0 = _pitch(frames, sample_rate)
    f0[level < level.max() - 30] = np.nan
    voiced = np.flatnonzero(~np.isnan(f0))
    if voiced.size < 6:
        return None
    last = voiced[-1]
    k_tail = max(1, int(tail_s / hop_s))
    tail = f0[max(0, last - k_tail + 1): last + 1]
    before = f0[max(0, last - k_tail - int(before_s / hop_s) + 1): max(0, last - k_tail + 1)]
    tail, before = tail[~np.isnan(tail)], before[~np.isnan(before)]
    if tail.size < 3 or before.size < 3:
        return None
    change = float(12 * np.log2(np.median(tail) / np.median(before)))
    return change - 12 * np.sign(change) if abs(change) >= 9 else change


def turn_end_wait(text: str | None, pitch_change: float | None,
                  options: TurnEndOptions | None = None) -> TurnEndWait:
    """Silence to wait before the turn counts as over, from the reply's text so far and its final
    pitch change (semitones; None = not measured). ``text`` None: no transcript yet."""
    o = options or TurnEndOptions()
    if text is None or not text.strip():
        return TurnEndWait(o.silence_s, f"{o.silence_s:.2f} s of silence")
    if not sentence_complete(text):
        return TurnEndWait(o.hold_s, f"an unfinished sentence, so {o.hold_s:.2f} s of silence")
    if text.strip().endswith("?"):
        return TurnEndWait(o.quick_s, f"a question, then {o.quick_s:.2f} s of silence")
    if pitch_change is not None and pitch_change <= -o.fall_semitones:
        return TurnEndWait(o.quick_s, f"a completed sentence with falling pitch ({pitch_change:+.1f} semitones), "
                                      f"then {o.quick_s:.2f} s of silence")
    return TurnEndWait(o.level_s, f"a completed sentence without a falling pitch, so {o.level_s:.2f} s of silence")
