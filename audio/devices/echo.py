"""Playback subtraction: remove the client's voice that leaks from loudspeakers into the mic.

In scripted practice the exact client signal is known (the session's client
channel). Through loudspeakers the microphone hears it again, delayed and
coloured by the room: ``mic = h * client(t - d) + trainee``. For each client
line this module finds the delay ``d`` by cross-correlation (PHAT weighting),
fits a short FIR filter ``h`` by least squares (Wiener solution, Levinson
recursion) and subtracts the predicted echo. It works line by line so that
clock drift between output and input devices does not accumulate. Pure NumPy/SciPy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from analysis.errors import ParameterError

__all__ = ["EchoOptions", "EchoLine", "cancel_echo"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EchoOptions:
    """Delay search range, filter length and the tail after each line (seconds).

    ``min_peak_ratio``: a line is only cleaned when the cross-correlation peak
    stands this many times above the other lags (else no echo path is assumed).
    """

    max_delay_s: float = 0.4
    filter_s: float = 0.064
    pre_s: float = 0.004
    tail_s: float = 0.3
    regularization: float = 1e-3
    min_peak_ratio: float = 4.0

    def __post_init__(self):
        if not (self.max_delay_s > 0 and self.filter_s > 0 and self.pre_s >= 0 and self.tail_s >= 0):
            raise ParameterError("echo options: delays and lengths must be positive (seconds)")


@dataclass(frozen=True)
class EchoLine:
    """What was removed around one client line: the delay (s), the level of the removed
    echo (dBFS) and how much the mic's energy over the line dropped (dB)."""

    start: float
    end: float
    delay_s: float
    echo_db: float
    reduction_db: float

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "delay_s": round(self.delay_s, 4),
                "echo_db": round(self.echo_db, 1), "reduction_db": round(self.reduction_db, 1)}


def _delay(mic: np.ndarray, ref: np.ndarray, max_lag: int, path: int) -> tuple[int, float]:
    """Lag (samples, >= 0) at which ``ref`` best matches ``mic`` (GCC-PHAT), and how
    clearly: the peak over the 99th percentile of the lags outside the echo path
    (``path`` samples after the peak); an echo gives a sharp peak."""
    n = 1 << int(np.ceil(np.log2(mic.size + ref.size)))
    spec = np.fft.rfft(mic, n) * np.conj(np.fft.rfft(ref, n))
    spec /= np.abs(spec) + 1e-12
    cc = np.abs(np.fft.irfft(spec, n)[: max_lag + 1])
    lag = int(np.argmax(cc))
    rest = np.delete(cc, np.arange(max(0, lag - 64), min(cc.size, lag + path)))
    floor = float(np.percentile(rest, 99)) if rest.size else 0.0
    return lag, float(cc[lag] / (floor + 1e-12))


def _fit_fir(x: np.ndarray, y: np.ndarray, taps: int, reg: float) -> np.ndarray:
    """Least-squares FIR ``h`` with ``y ~ h * x`` (Toeplitz normal equations)."""
    from scipy.linalg import solve_toeplitz

    n = 1 << int(np.ceil(np.log2(2 * x.size)))
    fx = np.fft.rfft(x, n)
    r_xx = np.fft.irfft(fx * np.conj(fx), n)[:taps]
    r_xy = np.fft.irfft(np.fft.rfft(y, n) * np.conj(fx), n)[:taps]
    col = r_xx.copy()
    col[0] += reg * r_xx[0] + 1e-12
    return solve_toeplitz(col, r_xy)


def _energy_db(x: np.ndarray) -> float:
    return 10.0 * np.log10(float(np.mean(x.astype(np.float64) ** 2)) + 1e-20)


def cancel_echo(mic: np.ndarray, reference: np.ndarray, sample_rate: int,
                lines: Sequence[tuple[float, float]], options: EchoOptions | None = None
                ) -> tuple[np.ndarray, list[EchoLine]]:
    """Subtract the echo of ``reference`` (the client track) from ``mic``.

    Parameters
    ----------
    mic, reference : np.ndarray, shape (n,), float32
        The microphone and the client track on the same clock and rate.
    sample_rate : int
        Hz.
    lines : sequence of (start, end)
        The client lines (s); only the stretch from each start to end + max delay
        + tail is touched.
    options : EchoOptions, optional

    Returns
    -------
    cleaned : np.ndarray, shape (n,), float32
    report : list of EchoLine
        Per line: the delay found, the removed echo's level and the drop in mic
        energy over the line (near 0 dB and a very low echo level: headphones).
        Lines without a clear echo path (headphones) are left unchanged
        (``echo_db`` -120, ``reduction_db`` 0).
    """
    o = options or EchoOptions()
    if mic.shape != reference.shape:
        raise ParameterError(f"mic {mic.shape} and reference {reference.shape} must have the same shape")
    out = mic.astype(np.float32, copy=True)
    max_lag = int(o.max_delay_s * sample_rate)
    pre = int(o.pre_s * sample_rate)
    taps = int(o.filter_s * sample_rate) + pre
    report: list[EchoLine] = []
    for start, end in lines:
        a = max(0, int(round(start * sample_rate)))
        b = min(mic.size, int(round((end + o.max_delay_s + o.tail_s) * sample_rate)))
        if b - a < taps * 2 or not np.any(reference[a:b]):
            report.append(EchoLine(start, end, 0.0, -120.0, 0.0))
            continue
        y = out[a:b].astype(np.float64)
        x = reference[a:b].astype(np.float64)
        d, clarity = _delay(y, x, max_lag, taps)
        logger.debug("echo line %.2f-%.2f s: delay %.3f s, peak ratio %.1f", start, end, d / sample_rate, clarity)
        if clarity < o.min_peak_ratio:  # no echo path found (headphones): leave the mic alone
            report.append(EchoLine(start, end, d / sample_rate, -120.0, 0.0))
            continue
        shift = max(0, d - pre)
        xs = np.concatenate([np.zeros(shift), x])[: x.size]  # reference delayed by `shift`
        h = _fit_fir(xs, y, taps, o.regularization)
        echo = np.convolve(xs, h)[: y.size]
        cleaned = y - echo
        line_b = min(b, int(round((end + d / sample_rate) * sample_rate)))
        span = slice(0, max(1, line_b - a))
        gain = _energy_db(y[span]) - _energy_db(cleaned[span])
        out[a:b] = cleaned.astype(np.float32)
        report.append(EchoLine(start, end, d / sample_rate, max(-120.0, _energy_db(echo[span])), float(gain)))
    return out, report
