"""Kaldi-style log mel filterbank features in NumPy (the input of the CAM++ speaker encoder).

The settings are those CAM++ was trained with (Kaldi's ``compute-fbank-feats`` defaults, 80 bins,
no dither): 25 ms frames every 10 ms at 16 kHz, only whole frames (Kaldi's ``snip_edges``); each
frame has its mean removed, is pre-emphasised (0.97, the first sample against itself), weighted by
Kaldi's "povey" window (a Hann window raised to 0.85) and zero-padded to 512 samples; the power
spectrum is pooled by 80 triangular filters equally spaced on Kaldi's mel scale
(``1127 ln(1 + f / 700)``) from 20 Hz to 8 kHz, over the 256 bins below the Nyquist frequency, and
the log taken (floored at float32's epsilon). :func:`fbank` leaves the mean in;
CAM++ wants it removed per segment (``normalise=True`` in :func:`segment_fbank`).
"""

from __future__ import annotations

import functools

import numpy as np

from analysis.errors import ParameterError

__all__ = ["fbank", "segment_fbank", "kaldi_mel_banks", "fbank_frames", "SAMPLE_RATE", "N_BINS",
           "FRAME_LENGTH", "FRAME_SHIFT"]

SAMPLE_RATE = 16000
FRAME_LENGTH = 400  # 25 ms
FRAME_SHIFT = 160  # 10 ms
N_FFT = 512  # the frame length rounded up to a power of two
N_BINS = 80
LOW_HZ = 20.0
PREEMPHASIS = 0.97
_FLOOR = float(np.finfo(np.float32).eps)


def fbank_frames(n_samples: int) -> int:
    """Number of frames for ``n_samples`` samples (whole frames only): ``1 + (n - 400) // 160``, or 0."""
    return 0 if n_samples < FRAME_LENGTH else 1 + (n_samples - FRAME_LENGTH) // FRAME_SHIFT


def _mel(f):
    return 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


@functools.lru_cache(maxsize=2)
def kaldi_mel_banks(n_bins: int = N_BINS) -> np.ndarray:
    """Kaldi's triangular mel filters over the 257 bins of a 512-point FFT at 16 kHz (the last one, Nyquist, unused).

    Returns
    -------
    np.ndarray, shape (257, n_bins), float32
    """
    lo, hi = _mel(LOW_HZ), _mel(SAMPLE_RATE / 2)
    delta = (hi - lo) / (n_bins + 1)
    left = lo + delta * np.arange(n_bins)
    centre, right = left + delta, left + 2 * delta
    mel = _mel(np.arange(N_FFT // 2) * (SAMPLE_RATE / N_FFT))[:, None]
    up = (mel - left) / (centre - left)
    down = (right - mel) / (right - centre)
    w = np.where((mel > left) & (mel < right), np.where(mel <= centre, up, down), 0.0)
    return np.vstack([w, np.zeros((1, n_bins))]).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _povey_window() -> np.ndarray:
    n = np.arange(FRAME_LENGTH)
    return ((0.5 - 0.5 * np.cos(2 * np.pi * n / (FRAME_LENGTH - 1))) ** 0.85).astype(np.float32)


def fbank(samples: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Log mel filterbank energies of 16 kHz samples.

    Parameters
    ----------
    samples : np.ndarray, shape (n,)
        Mono samples (any scale: a gain only shifts every value by the same amount).
    sr : int
        Must be 16000.

    Returns
    -------
    np.ndarray, shape (fbank_frames(n), 80), float32
    """
    if sr != SAMPLE_RATE:
        raise ParameterError(f"sr={sr}: Kaldi fbank for CAM++ needs {SAMPLE_RATE} Hz samples")
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    n = fbank_frames(x.size)
    if n == 0:
        return np.zeros((0, N_BINS), dtype=np.float32)
    from scipy.fft import rfft

    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME_LENGTH)[::FRAME_SHIFT][:n]
    frames = frames - frames.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    emph = np.empty_like(frames)
    emph[:, 1:] = frames[:, 1:] - np.float32(PREEMPHASIS) * frames[:, :-1]
    emph[:, 0] = frames[:, 0] * np.float32(1.0 - PREEMPHASIS)
    emph *= _povey_window()
    spec = rfft(emph, n=N_FFT, axis=1, workers=1)  # float32 in, complex64 out
    power = spec.real ** 2 + spec.imag ** 2
    return np.log(np.maximum(power @ kaldi_mel_banks(), np.float32(_FLOOR)))


def segment_fbank(samples: np.ndarray, sr: int = SAMPLE_RATE, *, normalise: bool = True) -> np.ndarray:
    """:func:`fbank` of one segment, with each bin's mean over the segment removed when ``normalise``."""
    f = fbank(samples, sr)
    if normalise and f.shape[0]:
        f = f - f.mean(axis=0, keepdims=True)
    return f
