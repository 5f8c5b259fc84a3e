"""Neural speech detection (Silero VAD, shipped inside faster-whisper) for speaker analysis.

Kept in ``audio/`` because it loads a model; :func:`analysis.diarize.diarize`
takes the intervals it returns as ``speech=``. Falls back to ``None`` (the
caller's energy VAD) when faster-whisper's VAD cannot be loaded.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["speech_intervals"]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000


def speech_intervals(
    mono: np.ndarray,
    sr: int = SAMPLE_RATE,
    *,
    threshold: float = 0.2,
    min_silence: float = 0.5,
    min_speech: float = 0.12,
    pad: float = 0.1,
) -> list[tuple[float, float]] | None:
    """Speech intervals in seconds from Silero VAD, or None when it is unavailable.

    ``threshold`` is the speech probability. Measured on the 13 AMI excerpts
    (regions bridged over 0.5 s): 0.5 misses 19 % of speech; 0.2 with 0.1 s
    padding misses 5.6 % with 2.7 % false alarm (chosen); 0.15 adds 12 % false alarm.
    """
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps
    except Exception as e:  # pragma: no cover - depends on the install
        logger.warning("Silero VAD unavailable (%s); using the energy VAD", e)
        return None
    x = np.asarray(mono, dtype=np.float32)
    if sr != SAMPLE_RATE:
        import soxr

        x = soxr.resample(x, sr, SAMPLE_RATE).astype(np.float32)
    if x.size < 512:
        return []
    opts = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=int(min_silence * 1000),
        min_speech_duration_ms=int(min_speech * 1000),
        speech_pad_ms=int(pad * 1000),
    )
    try:
        stamps = get_speech_timestamps(x, opts, sampling_rate=SAMPLE_RATE)
    except Exception as e:  # pragma: no cover
        logger.warning("Silero VAD failed (%s); using the energy VAD", e)
        return None
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]
