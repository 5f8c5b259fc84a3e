"""Barge-in rules shared by the terminal loop and the practice page. Pure NumPy.

When the trainee talks over a client line, the client stops at the next gap between her words
within ``word_boundary_s`` of hearing the trainee (at once when there is none): :func:`word_gaps`
finds the gaps in a clip, :func:`yield_at` picks where to stop. The browser page gets the same
gaps from the server and applies the same choice (``web/static/converse.js``, ``yieldAt``).

:func:`reply_from` says where the trainee's reply starts when her voice began during the line:
after a cut-in, or when she started over the client's last words and was still talking when the
line ended, the reply is heard from just before her voice began instead of from the line's end.
:func:`voice_over_end` finds that second case in the trainee's microphone (the terminal loop; the
page finds it with the same burst rule in ``converse.js``, ``lineOver``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from audio.devices.endpoint import BURST_GAP_S, EndOfSpeechDetector, EndpointOptions

__all__ = ["REPLY_LEAD_S", "reply_from", "voice_over_end", "word_gaps", "yield_at"]

REPLY_LEAD_S = 0.1
"""Audio kept before the trainee's voice onset when a reply is heard from inside a client line (s)."""


def word_gaps(audio: np.ndarray, sample_rate: int, *, frame_s: float = 0.01,
              below_db: float = 25.0) -> list[tuple[float, float]]:
    """The gaps between a clip's words: runs of ``frame_s`` frames ``below_db`` under its loudest,
    as ``(start, end)`` in seconds from the clip's start; [] for an empty or silent clip."""
    frame = max(1, int(round(frame_s * sample_rate)))
    x = np.asarray(audio, dtype=np.float64).reshape(-1)
    n = x.size // frame
    if n == 0:
        return []
    levels = 10 * np.log10(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    if levels.max() <= -100.0:
        return []
    quiet = levels < levels.max() - below_db
    edges = np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(round(a * frame / sample_rate, 3), round(b * frame / sample_rate, 3)) for a, b in zip(starts, ends)]


def yield_at(gaps: list[tuple[float, float]], heard_s: float, word_boundary_s: float) -> float:
    """Where in the clip (s) to stop when the trainee is heard at ``heard_s``: the start of the first
    gap within ``word_boundary_s`` (``heard_s`` itself when it falls inside a gap), else ``heard_s``."""
    for a, b in gaps:
        if b > heard_s and a <= heard_s + word_boundary_s:
            return max(a, heard_s)
    return heard_s


def reply_from(line_start: float, line_end: float, voice_onset: float | None, *, cut: bool,
               voice_at_end: bool) -> float:
    """Where to start hearing the reply to a line (s, the session clock).

    ``voice_onset``: where the trainee's voice began during the line (None: it did not). After a
    cut-in (``cut``), or when her voice was still going as the line ended (``voice_at_end``: she
    started over the client's last words), the reply starts :data:`REPLY_LEAD_S` before her voice,
    not before the line began; otherwise at the line's end.
    """
    if voice_onset is None or not (cut or voice_at_end):
        return line_end
    return max(line_start, min(line_end, voice_onset - REPLY_LEAD_S))


def voice_over_end(mic: np.ndarray, sample_rate: int, options: EndpointOptions | None = None) -> float | None:
    """Where the trainee's voice began (s into ``mic``) when it was still going as ``mic`` ends, else None.

    ``mic``: her microphone from the start of the client's line to its end. Her voice is "still
    going" when the latest burst of speech frames (:class:`audio.devices.endpoint.EndOfSpeechDetector`,
    ``options``' thresholds: frames less than ``BURST_GAP_S`` apart) reaches within ``BURST_GAP_S``
    of the end; the burst's first frame is where it began.
    """
    o = options or EndpointOptions()
    det = EndOfSpeechDetector(sample_rate, replace(o, silence_timeout_s=float("inf"),
                                                   no_reply_timeout_s=float("inf"), max_reply_s=float("inf")))
    det.feed(np.asarray(mic, dtype=np.float32).reshape(-1))
    burst = det.last_burst
    if burst is None or det.elapsed - burst[1] >= BURST_GAP_S:
        return None
    return burst[0]
