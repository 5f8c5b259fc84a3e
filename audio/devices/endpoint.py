"""Energy-based end-of-speech detection for live replies (pure NumPy, streaming).

Audio is cut into ``frame_s`` frames; a frame is speech when its RMS level is
above ``max(threshold_db, noise_floor_db + margin_db)``, where the noise floor
follows the quiet frames. A reply has *started* once a burst of speech (speech
frames less than 0.2 s apart) has lasted ``min_speech_s``, and has *ended* once ``silence_timeout_s`` of silence follow it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.errors import ParameterError

__all__ = ["BURST_GAP_S", "EndpointOptions", "EndOfSpeechDetector", "speech_spans", "speech_bounds"]

BURST_GAP_S = 0.2
"""Speech frames closer than this (s) belong to one burst; its first frame is the onset."""


@dataclass(frozen=True)
class EndpointOptions:
    """Thresholds for end-of-speech detection (levels in dBFS, times in seconds)."""

    frame_s: float = 0.02
    threshold_db: float = -45.0
    margin_db: float = 12.0
    min_speech_s: float = 0.12
    silence_timeout_s: float = 1.5
    no_reply_timeout_s: float = 20.0
    max_reply_s: float = 120.0

    def __post_init__(self):
        for name in ("frame_s", "min_speech_s", "silence_timeout_s", "no_reply_timeout_s", "max_reply_s"):
            if not getattr(self, name) > 0:
                raise ParameterError(f"{name}={getattr(self, name)} must be positive (seconds)")
        if self.margin_db < 0:
            raise ParameterError(f"margin_db={self.margin_db} must not be negative")


class EndOfSpeechDetector:
    """Feed mono float blocks; read ``started``, ``ended``, ``speech_start``/``speech_end`` (s).

    Times are seconds since the detector's first sample (add your own offset).
    ``ended`` is also set with ``reason`` = ``"no_reply"`` when nobody speaks
    within ``no_reply_timeout_s`` and ``"max_reply"`` after ``max_reply_s``.
    """

    def __init__(self, sample_rate: int, options: EndpointOptions | None = None, *,
                 noise_floor_db: float = -70.0):
        if sample_rate <= 0:
            raise ParameterError(f"sample_rate={sample_rate} must be positive")
        self.options = options or EndpointOptions()
        self.sample_rate = int(sample_rate)
        self.frame = max(1, int(round(self.options.frame_s * sample_rate)))
        self.noise_floor_db = float(noise_floor_db)
        self._rest = np.zeros(0, dtype=np.float32)
        self._n_frames = 0
        self._silence = 0  # consecutive silent frames since the last speech frame
        self._burst_start: float | None = None  # first speech frame after a real gap
        self.started = False
        self.ended = False
        self.reason = ""
        self.speech_start: float | None = None
        self.speech_end: float | None = None

    @property
    def elapsed(self) -> float:
        return self._n_frames * self.frame / self.sample_rate

    @property
    def last_burst(self) -> tuple[float, float] | None:
        """The latest burst of speech frames, ``(start, end)`` in s, whether or not it lasted
        ``min_speech_s`` (None: no speech frame yet)."""
        if self._burst_start is None:
            return None
        fs = self.frame / self.sample_rate
        return self._burst_start, (self._n_frames - self._silence) * fs

    def _threshold(self) -> float:
        return max(self.options.threshold_db, self.noise_floor_db + self.options.margin_db)

    def _step(self, level_db: float) -> None:
        o, fs = self.options, self.frame / self.sample_rate
        t_end = (self._n_frames + 1) * fs
        if level_db > self._threshold():
            if self._burst_start is None or self._silence * fs >= BURST_GAP_S:
                self._burst_start = t_end - fs
            self._silence = 0
            if not self.started and t_end - self._burst_start >= o.min_speech_s:
                self.started = True
                self.speech_start = self._burst_start
            if self.started:
                self.speech_end = t_end
        else:
            self._silence += 1
            # follow the floor quickly down, slowly up
            rate = 0.5 if level_db < self.noise_floor_db else 0.02
            self.noise_floor_db += rate * (level_db - self.noise_floor_db)
            if self.started and self._silence * fs >= o.silence_timeout_s:
                self.ended, self.reason = True, "silence"
        self._n_frames += 1
        if not self.ended and not self.started and t_end >= o.no_reply_timeout_s:
            self.ended, self.reason = True, "no_reply"
        if not self.ended and t_end >= o.max_reply_s:
            self.ended, self.reason = True, "max_reply"

    def feed(self, samples: np.ndarray) -> bool:
        """Process more samples (1-D float in [-1, 1]); returns ``ended``."""
        x = np.concatenate([self._rest, np.asarray(samples, dtype=np.float32).reshape(-1)])
        n = x.size // self.frame
        if n:
            frames = x[: n * self.frame].reshape(n, self.frame).astype(np.float64)
            levels = 10.0 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
            for level in levels:
                if self.ended:
                    break
                self._step(float(level))
        self._rest = x[n * self.frame:]
        return self.ended


def speech_spans(mono: np.ndarray, sample_rate: int, options: EndpointOptions | None = None,
                 min_gap_s: float = 0.3) -> list[tuple[float, float]]:
    """Stretches of speech in a whole signal, ``(start, end)`` in seconds.

    Uses the same frame levels and threshold rule as :class:`EndOfSpeechDetector`
    (with a fixed floor from the quietest 10 % of frames); gaps shorter than
    ``min_gap_s`` are bridged and runs shorter than ``min_speech_s`` dropped.
    """
    o = options or EndpointOptions()
    frame = max(1, int(round(o.frame_s * sample_rate)))
    n = mono.size // frame
    if n == 0:
        return []
    frames = np.asarray(mono[: n * frame], dtype=np.float64).reshape(n, frame)
    levels = 10.0 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
    floor = float(np.percentile(levels, 10))
    speech = levels > max(o.threshold_db, floor + o.margin_db)
    spans: list[list[float]] = []
    fs = frame / sample_rate
    for i in np.flatnonzero(speech):
        start, end = i * fs, (i + 1) * fs
        if spans and start - spans[-1][1] < min_gap_s:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [(round(a, 4), round(b, 4)) for a, b in spans if b - a >= o.min_speech_s]


def speech_bounds(audio: np.ndarray, sample_rate: int, range_db: float = 40.0,
                  frame_s: float = 0.01) -> tuple[float, float]:
    """Where a clip's sound begins and ends (s): the first and last ``frame_s`` frame
    within ``range_db`` of the loudest one; ``(0, 0)`` for silence."""
    frame = max(1, int(round(frame_s * sample_rate)))
    n = audio.size // frame
    if n == 0:
        return 0.0, 0.0
    frames = np.asarray(audio[: n * frame], dtype=np.float64).reshape(n, frame)
    levels = 10.0 * np.log10(np.mean(frames * frames, axis=1) + 1e-20)
    loud = np.flatnonzero(levels > levels.max() - range_db)
    if levels.max() <= -120.0 or loud.size == 0:
        return 0.0, 0.0
    return loud[0] * frame / sample_rate, min(audio.size, (loud[-1] + 1) * frame) / sample_rate
