"""Silent pauses inside turns, from the audio (energy) or from word times, binned by length."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from analysis.prosody.types import PauseCounts
from analysis.schema import Word

__all__ = ["bin_pauses", "silent_gaps", "word_gaps"]


def bin_pauses(
    durations: Iterable[float], *, min_pause_s: float = 0.1, brief_max_s: float = 0.2, long_min_s: float = 1.0
) -> PauseCounts:
    """Count pauses by length: brief < ``brief_max_s`` <= medium <= ``long_min_s`` < long (s).

    Durations under ``min_pause_s`` are not pauses (articulation gaps) and are dropped.
    """
    d = np.asarray([x for x in durations if x >= min_pause_s], dtype=float)
    if len(d) == 0:
        return PauseCounts()
    return PauseCounts(
        brief=int(np.sum(d < brief_max_s)),
        medium=int(np.sum((d >= brief_max_s) & (d <= long_min_s))),
        long=int(np.sum(d > long_min_s)),
        total_s=float(d.sum()),
        longest_s=float(d.max()),
    )


def silent_gaps(active: np.ndarray, hop_s: float, window_s: float) -> list[float]:
    """Lengths (s) of inactive runs strictly between active frames.

    Parameters
    ----------
    active : ndarray of bool, shape (n_frames,)
        Frame is sounding (above the silence threshold), on a grid of ``hop_s``.
    hop_s : float
        Frame step in seconds.
    window_s : float
        Analysis window of the level measure. A frame is silent only when its
        whole window is, so ``k`` silent frames span ``(k - 1) * hop_s +
        window_s`` plus on average one hop of slack at the two edges: the gap
        is taken as ``k * hop_s + window_s`` seconds.

    Returns
    -------
    list of float
        Gap lengths in seconds, in time order; silence before the first and
        after the last active frame is not a pause.
    """
    a = np.asarray(active, dtype=bool)
    on = np.flatnonzero(a)
    if len(on) < 2:
        return []
    a = a[on[0] : on[-1] + 1]
    edges = np.diff(np.concatenate([[1], a.astype(np.int8), [1]]))
    starts, ends = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
    return [float((e - s) * hop_s + window_s) for s, e in zip(starts, ends)]


def word_gaps(words: Sequence[Word]) -> list[float]:
    """Gaps (s) between consecutive timed words (overlaps give no gap)."""
    timed = [w for w in words if w.start == w.start and w.end == w.end]
    return [max(0.0, b.start - a.end) for a, b in zip(timed, timed[1:])]
