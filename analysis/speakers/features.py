"""Frame features for speaker clustering: mel cepstra computed with NumPy (fast, no numba)."""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["cepstra"]


_F_SP = 200.0 / 3  # Slaney's mel scale: linear below 1 kHz, logarithmic above
_LOG_STEP = np.log(6.4) / 27.0


def _hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    return np.where(f < 1000.0, f / _F_SP, 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / _LOG_STEP)


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    return np.where(m < 15.0, m * _F_SP, 1000.0 * np.exp(_LOG_STEP * (m - 15.0)))


@functools.lru_cache(maxsize=8)
def _mel_dct(sr: int, n_fft: int, n_mels: int, n_ceps: int) -> tuple[np.ndarray, np.ndarray]:
    """Triangular mel filterbank (Slaney scale and area norm, 60 Hz to 7.6 kHz) and an orthonormal DCT-II."""
    fmax = min(7600.0, sr / 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(60.0), _hz_to_mel(fmax), n_mels + 2))
    freqs = np.linspace(0.0, sr / 2, n_fft // 2 + 1)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    mel = np.maximum(0.0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))
    mel *= (2.0 / (hi - lo))  # equal area per band
    k = np.arange(n_mels)
    basis = np.sqrt(2.0 / n_mels) * np.cos(np.pi / n_mels * (k[None, :] + 0.5) * np.arange(n_ceps)[:, None])
    basis[0] /= np.sqrt(2.0)
    return mel.astype(np.float32), basis.astype(np.float32)


def cepstra(
    signal: np.ndarray, sr: int, *, hop: float = 0.01, frame: float = 0.025, n_mels: int = 40,
    n_ceps: int = 20, drop_c0: bool = True, only: np.ndarray | None = None,
) -> np.ndarray:
    """Mel-frequency cepstral coefficients, one row per ``hop`` seconds.

    Parameters
    ----------
    signal : np.ndarray, shape (n,)
        Samples.
    sr : int
        Sample rate (Hz).
    hop, frame : float
        Frame step and length (s); frame ``i`` is centred at ``i * hop``.
    n_mels, n_ceps : int
        Mel bands and cepstral coefficients kept.
    drop_c0 : bool
        Drop the energy-like 0th coefficient (loudness is not identity).
    only : np.ndarray of bool, optional
        Compute just these frames (e.g. speech); the other rows are zero.

    Returns
    -------
    np.ndarray, shape (ceil(n / (hop*sr)), n_ceps - drop_c0), float32
    """
    from scipy.fft import rfft

    x = np.asarray(signal, dtype=np.float32)
    h = max(1, int(round(hop * sr)))
    w = max(h, int(round(frame * sr)))
    n_fft = 1 << int(np.ceil(np.log2(w)))
    n_frames = int(np.ceil(x.size / h)) if x.size else 0
    n_out = n_ceps - int(drop_c0)
    if n_frames == 0:
        return np.zeros((0, n_out), dtype=np.float32)
    xp = np.pad(x, (w // 2, w + h))
    x = np.r_[xp[:1], xp[1:] - np.float32(0.97) * xp[:-1]].astype(np.float32)  # pre-emphasis
    mel, basis = _mel_dct(sr, n_fft, n_mels, n_ceps)
    win = np.hanning(w).astype(np.float32)
    out = np.zeros((n_frames, n_out), dtype=np.float32)
    todo = np.arange(n_frames) if only is None else np.flatnonzero(np.asarray(only[:n_frames], dtype=bool))
    view = np.lib.stride_tricks.sliding_window_view(x, w)
    block = 4096
    for s in range(0, todo.size, block):
        idx = todo[s: s + block]
        spec = rfft(view[idx * h] * win, n=n_fft, axis=1)
        power = spec.real ** 2 + spec.imag ** 2
        logmel = np.log(power @ mel.T + 1e-8)
        out[idx] = (logmel @ basis.T)[:, int(drop_c0):]
    return out
