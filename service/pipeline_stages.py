"""Small adapters between the pipeline and the analysis stages.

Scripted practice gives the client's lines as a timeline; these helpers turn
it into (start, end, text) items and put the known text into the client turns
that :func:`analysis.speakers.turns.build_turns` makes from speaker activity.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Sequence

from analysis.errors import ParameterError
from analysis.schema import CLIENT, Turn

__all__ = ["timeline_items", "fill_client_text", "shared_speech_probs"]

logger = logging.getLogger(__name__)


def cut_offs(client_timeline: Sequence[Any]) -> list[float]:
    """End times (s) of the client lines the trainee cut off (items given as dicts with ``"cut": true``)."""
    return sorted(float(item["end"]) for item in client_timeline
                  if isinstance(item, dict) and item.get("cut") and item.get("end") is not None)


def timeline_items(client_timeline: Sequence[Any]) -> list[tuple[float, float, str]]:
    """(start, end, text) per client line (s).

    Items may be dicts with start/end/text, ``[start, end]`` or ``[start, end, text]``
    sequences, or objects with those attributes (Turn, SpeechRegion).
    """
    out = []
    for item in client_timeline:
        if isinstance(item, dict):
            start, end, text = item.get("start"), item.get("end"), item.get("text", "")
        elif isinstance(item, (list, tuple)) and len(item) in (2, 3):
            start, end, text = item[0], item[1], item[2] if len(item) == 3 else ""
        else:
            start, end, text = getattr(item, "start", None), getattr(item, "end", None), getattr(item, "text", "")
        if start is None or end is None:
            raise ParameterError(f"a client timeline item needs start and end times: {item!r}")
        try:
            start, end = float(start), float(end)
        except (TypeError, ValueError) as e:
            raise ParameterError(f"client timeline times must be numbers: {item!r}") from e
        if end < start:
            raise ParameterError(f"a client timeline item ends before it starts: {item!r}")
        out.append((float(start), float(end), str(text or "")))
    return sorted(out)


def fill_client_text(turns: Sequence[Turn], timeline: Sequence[tuple[float, float, str]]) -> list[Turn]:
    """Give each client turn the text of the scripted lines it overlaps (the mic does not carry it)."""
    out = []
    for t in turns:
        if t.speaker == CLIENT and t.start is not None and t.end is not None:
            lines = [text for a, b, text in timeline if min(b, t.end) - max(a, t.start) > 0 and text]
            if lines:
                t = replace(t, text=" ".join(lines))
        out.append(t)
    return out


def shared_speech_probs(mono, sample_rate: int):
    """Silero VAD probabilities of the mono mix, computed once for transcription and diarization.

    Scored as one sequence, exactly as faster-whisper scores them, so the
    transcription's speech regions do not change. None when the VAD cannot run
    (each stage then runs its own, as before) or the audio is not at 16 kHz.
    """
    if sample_rate != 16000:
        return None
    try:
        from audio.vad import speech_probabilities

        return speech_probabilities(mono, workers=1)
    except Exception as e:  # pragma: no cover - depends on the install
        logger.warning("shared Silero VAD pass failed (%s); each stage runs its own", e)
        return None
