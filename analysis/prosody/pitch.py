"""Frame-level pitch (f0), periodicity and energy in one pass over the audio.

The estimator is YIN (de Cheveigné & Kawahara 2002): a cumulative mean
normalised difference function per frame, the first trough under a threshold,
parabolic refinement. Unlike ``librosa.yin`` it also returns the trough depth
(the *aperiodicity*, 0 for a perfectly periodic frame, about 1 for noise) so
that voicing can be decided from periodicity and energy together, and it only
analyses frames above an energy gate. It is plain NumPy (FFTs, strided
frames): it does not import librosa, so no numba code is compiled or loaded
and a fresh process pays no first-call cost (librosa's ``import`` alone
compiles its numba functions into an empty cache: about 35 s here).

The README ("Pitch tracker: pyin or yin? Measured") records the measurement behind this choice
(agreement with ``librosa.pyin`` on speech, and speed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from analysis.errors import ParameterError

__all__ = ["FrameFeatures", "frame_features", "hz_to_semitones", "pitch_stats"]

logger = logging.getLogger(__name__)

_BLOCK = 4096  # frames per FFT block: bounds memory on long audio


@dataclass(frozen=True, eq=False)
class FrameFeatures:
    """Per-frame measurements on a common time grid.

    Attributes
    ----------
    times : ndarray, shape (n_frames,)
        Frame centres in seconds.
    f0_hz : ndarray, shape (n_frames,)
        Fundamental frequency in Hz, NaN where the frame is unvoiced.
    aperiodicity : ndarray, shape (n_frames,)
        YIN trough depth (0 periodic .. ~1 noise); NaN where not analysed.
    energy_db : ndarray, shape (n_frames,)
        RMS level in dBFS (a full-scale sine reads -3 dB); floor -120 dB.
    """

    times: np.ndarray
    f0_hz: np.ndarray
    aperiodicity: np.ndarray
    energy_db: np.ndarray

    @property
    def voiced(self) -> np.ndarray:
        return np.isfinite(self.f0_hz)

    @property
    def hop_s(self) -> float:
        return float(self.times[1] - self.times[0]) if len(self.times) > 1 else 0.0


def _rms_db(y: np.ndarray, frame_length: int, hop: int, n_frames: int) -> np.ndarray:
    """RMS in dB of ``frame_length`` windows centred at ``k * hop`` (zero padding), as librosa.feature.rms."""
    half = frame_length // 2
    sq = np.concatenate([[0.0], np.cumsum(np.square(y, dtype=np.float64))])
    centres = np.arange(n_frames) * hop
    lo = np.clip(centres - half, 0, len(y))
    hi = np.clip(centres - half + frame_length, 0, len(y))
    rms = np.sqrt(np.maximum(sq[hi] - sq[lo], 0.0) / frame_length)
    return 20.0 * np.log10(np.maximum(rms, 1e-6))


def _yin_block(frames: np.ndarray, win: int, min_p: int, max_p: int, threshold: float):
    """YIN on a block of frames (m, win + max_p): returns (period in samples, trough depth)."""
    m, length = frames.shape
    n_fft = 1 << int(np.ceil(np.log2(length)))
    head = np.zeros((m, n_fft), dtype=np.float32)
    head[:, :win] = frames[:, :win]
    spec_a = np.fft.rfft(head, axis=1)
    spec_b = np.fft.rfft(frames, n=n_fft, axis=1)
    cross = np.fft.irfft(np.conj(spec_a) * spec_b, n=n_fft, axis=1)[:, : max_p + 1]
    sq = np.square(frames, dtype=np.float64)
    csum = np.concatenate([np.zeros((m, 1)), np.cumsum(sq, axis=1)], axis=1)
    lags = np.arange(max_p + 1)
    e_shift = csum[:, lags + win] - csum[:, lags]  # energy of x[tau : tau + win]
    e0 = e_shift[:, :1]
    diff = np.maximum(e0 + e_shift - 2.0 * cross, 0.0)
    diff[:, 0] = 0.0
    running = np.cumsum(diff[:, 1:], axis=1) / lags[1:]
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] / np.maximum(running, 1e-12)
    seg = cmnd[:, min_p : max_p + 1]
    inner = np.zeros_like(seg, dtype=bool)
    inner[:, 1:-1] = (seg[:, 1:-1] <= seg[:, :-2]) & (seg[:, 1:-1] <= seg[:, 2:])
    candidates = inner & (seg < threshold)
    has = candidates.any(axis=1)
    first = candidates.argmax(axis=1)
    # Without a trough under the threshold take the deepest interior trough.
    masked = np.where(inner, seg, np.inf)
    deepest = masked.argmin(axis=1)
    idx = np.where(has, first, deepest)
    rows = np.arange(m)
    depth = seg[rows, idx]
    depth = np.where(np.isfinite(masked[rows, idx]), depth, 1.0)
    i = np.clip(idx, 1, seg.shape[1] - 2)
    left, mid, right = seg[rows, i - 1], seg[rows, i], seg[rows, i + 1]
    denom = left - 2.0 * mid + right
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0.0)
    shift = np.clip(shift, -1.0, 1.0)
    period = min_p + i + shift
    return period, depth


def frame_features(
    y: np.ndarray,
    sr: int,
    *,
    fmin: float = 65.0,
    fmax: float = 400.0,
    hop_s: float = 0.01,
    energy_win_s: float = 0.025,
    pitch_win_s: float = 0.04,
    trough_threshold: float = 0.15,
    voicing_threshold: float = 0.35,
    gate_db: float = -60.0,
    gate_rel_db: float = 40.0,
    pitch_sr: int | None = 8000,
) -> FrameFeatures:
    """Pitch, aperiodicity and energy per frame for one mono signal.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Mono float audio, nominal range [-1, 1].
    sr : int
        Sample rate in Hz (any; 16 kHz in ListenWell).
    fmin, fmax : float
        Pitch search range in Hz.
    hop_s : float
        Frame step in seconds (frame ``k`` is centred at ``k * hop`` samples).
    energy_win_s, pitch_win_s : float
        RMS window and YIN integration window in seconds.
    trough_threshold : float
        YIN absolute threshold for picking the first trough.
    voicing_threshold : float
        A frame is voiced when its trough depth is below this value (and it
        passes the energy gate).
    gate_db, gate_rel_db : float
        Frames quieter than ``max(gate_db, loud - gate_rel_db)`` dBFS (``loud``
        the 99th percentile level) are not analysed for pitch.
    pitch_sr : int or None
        Pitch is tracked on the audio resampled to this rate (Hz) when ``sr`` is
        higher (half the work at 16 kHz, same accuracy for f0 <= 400 Hz); None
        keeps ``sr``. Energy always uses the audio at ``sr``.

    Returns
    -------
    FrameFeatures
    """
    if not 0 < fmin < fmax:
        raise ParameterError(f"fmin={fmin} must be positive and less than fmax={fmax}")
    if fmax >= sr / 2:
        raise ParameterError(f"fmax={fmax} Hz must be below the Nyquist frequency {sr / 2} Hz")
    if hop_s <= 0:
        raise ParameterError(f"hop_s={hop_s} must be positive")
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"expected mono audio of shape (n,), got shape {y.shape}")
    hop = max(1, int(round(hop_s * sr)))
    n_frames = 1 + len(y) // hop
    times = np.arange(n_frames) * hop / sr
    f0 = np.full(n_frames, np.nan)
    aper = np.full(n_frames, np.nan)
    if len(y) == 0:
        return FrameFeatures(times, f0, aper, np.full(n_frames, -120.0))
    e_len = max(2, 2 * int(round(energy_win_s * sr / 2)))
    energy = _rms_db(y, e_len, hop, n_frames)

    psr = sr
    if pitch_sr and sr > pitch_sr:
        import soxr

        psr = int(pitch_sr)
        y_p = soxr.resample(y, sr, psr).astype(np.float32)
    else:
        y_p = y
    p_hop = hop * psr / sr
    if abs(p_hop - round(p_hop)) > 1e-9:  # keep the frame grid identical
        psr, y_p, p_hop = sr, y, hop
    p_hop = int(round(p_hop))
    min_p = max(2, int(np.floor(psr / fmax)))
    max_p = int(np.ceil(psr / fmin))
    win = max(int(round(pitch_win_s * psr)), max_p)
    length = win + max_p
    length += length % 2
    need = (n_frames - 1) * p_hop + length
    padded = np.pad(y_p, (length // 2, max(length // 2, need - len(y_p) - length // 2)))
    frames = np.lib.stride_tricks.sliding_window_view(padded, length)[::p_hop][:n_frames]
    if len(energy) and np.isfinite(energy).any():
        loud = float(np.percentile(energy, 99))
    else:
        loud = -120.0
    gate = max(gate_db, loud - gate_rel_db)
    todo = np.flatnonzero(energy > gate)
    for b in range(0, len(todo), _BLOCK):
        sel = todo[b : b + _BLOCK]
        block = np.asarray(frames[sel], dtype=np.float32)
        block = block - block.mean(axis=1, keepdims=True)
        period, depth = _yin_block(block, win, min_p, max_p, trough_threshold)
        aper[sel] = depth
        hz = psr / period
        ok = (depth < voicing_threshold) & (hz >= fmin * 0.97) & (hz <= fmax * 1.03)
        f0[sel[ok]] = hz[ok]
    f0 = _fix_octave_jumps(f0, fmin=fmin, fmax=fmax)
    f0 = _drop_short_runs(f0, min_run=3)
    return FrameFeatures(times, f0, aper, energy)


def _fix_octave_jumps(f0: np.ndarray, *, fmin: float, fmax: float, half_width: int = 25) -> np.ndarray:
    """Move octave errors back next to the local median pitch, unvoice wild outliers.

    The local reference is the median of the ``half_width`` voiced frames on
    each side. A frame more than 7 semitones away is halved or
    doubled when that lands within 4 semitones of the reference (and inside
    [fmin, fmax]), otherwise it is unvoiced.
    """
    voiced = np.flatnonzero(np.isfinite(f0))
    if len(voiced) < 5:
        return f0
    st = 12.0 * np.log2(f0[voiced])
    out = f0.copy()
    # Local median over the neighbouring voiced frames (a run of them, gaps skipped).
    from scipy.ndimage import median_filter

    ref = median_filter(st, size=2 * half_width + 1, mode="nearest")
    dev = st - ref
    bad = np.abs(dev) > 7.0
    for k in np.flatnonzero(bad):
        i = voiced[k]
        fixed = f0[i] / 2.0 if dev[k] > 0 else f0[i] * 2.0
        if fmin <= fixed <= fmax and abs(12.0 * np.log2(fixed) - ref[k]) < 4.0:
            out[i] = fixed
        else:
            out[i] = np.nan
    return out


def _drop_short_runs(f0: np.ndarray, min_run: int) -> np.ndarray:
    """Unvoice voiced runs shorter than ``min_run`` frames (isolated spurious picks)."""
    voiced = np.isfinite(f0)
    if not voiced.any():
        return f0
    edges = np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    out = f0.copy()
    for s, e in zip(starts, ends):
        if e - s < min_run:
            out[s:e] = np.nan
    return out


def hz_to_semitones(f_hz: np.ndarray, ref_hz: float) -> np.ndarray:
    """Semitones of ``f_hz`` relative to ``ref_hz`` (12 per octave)."""
    return 12.0 * np.log2(np.asarray(f_hz, dtype=float) / ref_hz)


def pitch_stats(f0_hz: np.ndarray, *, low_pct: float = 2.0, high_pct: float = 98.0):
    """Median (Hz), range (semitones, ``high_pct`` - ``low_pct`` percentile) and SD (semitones).

    Parameters
    ----------
    f0_hz : ndarray
        f0 values in Hz; NaNs (unvoiced frames) are ignored.

    Returns
    -------
    tuple of (float, float, float)
        ``(median_hz, range_st, sd_st)``, each NaN when there are no voiced frames.
    """
    f = np.asarray(f0_hz, dtype=float)
    f = f[np.isfinite(f)]
    if len(f) == 0:
        return float("nan"), float("nan"), float("nan")
    med = float(np.median(f))
    st = hz_to_semitones(f, med)
    lo, hi = np.percentile(st, [low_pct, high_pct])
    return med, float(hi - lo), float(np.std(st))
