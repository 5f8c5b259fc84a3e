"""Sliding-window speaker segmentation with overlap: who speaks in each 10 s chunk, frame by frame.

A segmentation network (:class:`analysis.speakers.segmentation_model.SegmentationModel`, or any
callable with its ``forward`` signature) gives every frame of each chunk the probabilities of the
powerset classes; a local speaker's probability of speaking is the sum over the classes that hold
it, and a threshold gives each of the chunk's (up to three) local speakers a 0/1 activity, two of
them at once where people talk over each other. The local speakers of two chunks are not the
same people: :mod:`analysis.speakers.overlap_diarize` links them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from analysis.errors import ParameterError
from analysis.speakers.segmentation_model import (
    CHUNK_SAMPLES,
    POWERSET,
    SAMPLE_RATE,
    frame_step,
    num_frames,
    powerset_to_speakers,
)

__all__ = ["LocalSegmentation", "segment_chunks", "SegmentFn"]

_MEMBERSHIP = powerset_to_speakers(np.arange(len(POWERSET)))  # (7, 3): which local speakers each class holds
SegmentFn = Callable[[np.ndarray], np.ndarray]  # (batch, samples) -> (batch, frames, 7) log-probabilities


@dataclass(frozen=True)
class LocalSegmentation:
    """Per-chunk local speaker activity.

    ``starts``: chunk start times (s), shape (C,); ``activity``: (C, F, 3) probability that each
    local speaker speaks in each frame (the sum of the powerset classes it belongs to);
    :meth:`binary` thresholds it. ``frame_times``: (F,) centre of each frame from its chunk's start (s); ``duration``:
    the recording's length (s); ``chunk``: chunk length (s).
    """

    starts: np.ndarray
    activity: np.ndarray
    frame_times: np.ndarray
    duration: float
    chunk: float

    def binary(self, threshold: float = 0.5, overlap_threshold: float | None = None) -> np.ndarray:
        """(C, F, 3) 0/1 activity: a local speaker speaks where its probability reaches ``threshold``.

        With ``overlap_threshold`` (below ``threshold``), a local speaker who speaks goes on speaking
        while its probability stays at or above ``overlap_threshold`` and another local speaker
        speaks: a voice that someone cuts in on is masked by the newcomer and the network's
        probability for it sags before it stops.
        """
        on = self.activity >= threshold
        if overlap_threshold is None or overlap_threshold >= threshold:
            return on.astype(np.float32)
        others = on.sum(axis=2, keepdims=True) - on > 0
        weak = (self.activity >= overlap_threshold) & others & ~on
        out = on.copy()
        for f in range(1, out.shape[1]):  # a weak frame continues a run, never starts one
            out[:, f] |= weak[:, f] & out[:, f - 1]
        return out.astype(np.float32)

    @property
    def n_chunks(self) -> int:
        return int(self.starts.size)

    def times(self, c: int) -> np.ndarray:
        """Absolute frame-centre times (s) of chunk ``c``."""
        return self.starts[c] + self.frame_times

    def to_grid(self, values: np.ndarray, hop: float) -> tuple[np.ndarray, np.ndarray]:
        """Average per-chunk frame values (C, F, K) onto a regular grid of ``hop`` s.

        Returns (mean (N, K), covered (N,) bool); cells no frame falls in take the nearest
        covered frame of the chunk (frames are ~17 ms, cells may be finer).
        """
        n = int(np.ceil(self.duration / hop))
        k = values.shape[2]
        total = np.zeros((n, k), dtype=np.float64)
        count = np.zeros(n, dtype=np.float64)
        step, _ = frame_step()
        cell_t = (np.arange(n) + 0.5) * hop
        for c in range(self.n_chunks):
            a = self.starts[c]
            lo, hi = int(np.floor(a / hop)), min(n, int(np.ceil((a + self.chunk) / hop)))
            if hi <= lo:
                continue
            f = np.clip(np.round((cell_t[lo:hi] - a - self.frame_times[0]) / step).astype(int), 0,
                        self.frame_times.size - 1)
            total[lo:hi] += values[c, f]
            count[lo:hi] += 1
        covered = count > 0
        total[covered] /= count[covered, None]
        return total, covered


def segment_chunks(mono: np.ndarray, sr: int, segment: SegmentFn, *, step: float = 10.0,
                   batch: int = 64, only: Sequence[tuple[float, float]] | None = None) -> LocalSegmentation:
    """Run the segmentation network over 10 s chunks every ``step`` s.

    Parameters
    ----------
    mono : np.ndarray, shape (n,)
    sr : int
        Sample rate; resampled to 16 kHz when different.
    segment : callable
        ``(batch, 160000) -> (batch, frames, 7)`` log-probabilities.
    step : float
        Seconds between chunk starts (10: no overlap; 5: every moment seen twice).
    batch : int
        Chunks per call (the LSTM steps them together).
    only : sequence of (start, end), optional
        Speech intervals (s): a chunk that none of them touches is not run (nobody speaks in it).

    Returns
    -------
    LocalSegmentation
        The last chunk is zero-padded past the end; a recording under 10 s is one padded chunk.
    """
    if step <= 0 or step > CHUNK_SAMPLES / SAMPLE_RATE:
        raise ParameterError(f"step={step} must be in (0, 10] s")
    x = np.asarray(mono, dtype=np.float32)
    if x.ndim != 1:
        raise ParameterError(f"mono must be one-dimensional, got shape {x.shape}")
    if sr != SAMPLE_RATE:
        from scipy.signal import resample_poly

        g = np.gcd(int(sr), SAMPLE_RATE)
        x = resample_poly(x, SAMPLE_RATE // g, int(sr) // g).astype(np.float32)
    duration = x.size / SAMPLE_RATE
    hop = int(round(step * SAMPLE_RATE))
    last = max(0, x.size - CHUNK_SAMPLES)
    starts = list(range(0, last + 1, hop))
    if starts[-1] < last:
        starts.append(starts[-1] + hop)
    run = [i for i, a in enumerate(starts) if only is None or any(
        b0 < (a + CHUNK_SAMPLES) / SAMPLE_RATE and b1 > a / SAMPLE_RATE for b0, b1 in only)]
    n_frames = num_frames(CHUNK_SAMPLES)
    activity = np.zeros((len(starts), n_frames, _MEMBERSHIP.shape[1]), dtype=np.float32)
    for s in range(0, len(run), batch):
        block = np.zeros((len(run[s: s + batch]), CHUNK_SAMPLES), dtype=np.float32)
        for i, c in enumerate(run[s: s + batch]):
            piece = x[starts[c]: starts[c] + CHUNK_SAMPLES]
            block[i, : piece.size] = piece
        probs = np.exp(np.asarray(segment(block), dtype=np.float32))  # (b, F, 7)
        activity[run[s: s + batch]] = probs @ _MEMBERSHIP
    f_step, field = frame_step()
    frame_times = np.arange(activity.shape[1]) * f_step + field / 2
    return LocalSegmentation(np.asarray(starts, dtype=np.float64) / SAMPLE_RATE, activity, frame_times, duration,
                             CHUNK_SAMPLES / SAMPLE_RATE)
