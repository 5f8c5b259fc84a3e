"""Level statistics and input-quality checks (clipping, narrow band, silence)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["level_stats", "clipped_fraction", "high_band_ratio_db"]


def level_stats(energy_db: np.ndarray) -> tuple[float, float]:
    """Median level and its SD (both dB) over the given frame levels (NaN when none)."""
    e = np.asarray(energy_db, dtype=float)
    e = e[np.isfinite(e)]
    if len(e) == 0:
        return math.nan, math.nan
    return float(np.median(e)), float(np.std(e))


def clipped_fraction(y: np.ndarray, *, level: float = 0.999) -> float:
    """Fraction of samples at or beyond ``level`` of full scale (clipping)."""
    y = np.asarray(y)
    if y.size == 0:
        return 0.0
    return float(np.count_nonzero(np.abs(y) >= level)) / y.size


def high_band_ratio_db(y: np.ndarray, sr: int, *, cutoff_hz: float = 3900.0) -> float:
    """Power above ``cutoff_hz`` relative to total power, in dB (about -inf for 8 kHz audio upsampled).

    Parameters
    ----------
    y : ndarray, shape (n,)
        Mono audio.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    float
        ``10 log10(P_high / P_total)``; NaN when ``sr / 2 <= cutoff_hz`` or silent.
    """
    y = np.asarray(y, dtype=np.float32)
    n = 1024
    if sr / 2 <= cutoff_hz or len(y) < n:
        return math.nan
    blocks = y[: len(y) // n * n].reshape(-1, n)
    power = np.einsum("ij,ij->i", blocks, blocks)
    loud = blocks[np.argsort(power)[-256:]]  # the loudest blocks: speech, not background
    spec = np.abs(np.fft.rfft(loud * np.hanning(n), axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    total = float(spec.sum())
    if total <= 1e-20:
        return math.nan
    high = float(spec[:, freqs >= cutoff_hz].sum())
    return 10.0 * math.log10(max(high, 1e-30) / total)
