"""Small helpers shared by the sub-score functions: ramps, weighted means, evidence."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

from analysis.cues.types import CLASSIFIER_SURE
from analysis.report.types import Evidence, ScorePart
from analysis.schema import Turn

__all__ = ["ramp", "weighted", "evidence", "quote", "merge_evidence", "transcript_unsure", "WORD_SURE", "CLASSIFIER_SURE"]

# A quoted turn with any word below this Whisper probability may hold a transcription slip
# ("Everyone in group thinks I've had it in the area"): it is shown as unsure.
WORD_SURE = 0.35


def transcript_unsure(turn: Turn) -> bool:
    """True when a word of ``turn`` was transcribed with probability under :data:`WORD_SURE`."""
    return any(float(getattr(w, "probability", 1.0)) < WORD_SURE for w in (turn.words or ()))


def ramp(x: float | None, zero_at: float, full_at: float) -> float | None:
    """Map ``x`` linearly to 0-100 points: 0 at ``zero_at``, 100 at ``full_at`` (either order), clipped."""
    if x is None:
        return None
    if full_at == zero_at:
        return 100.0 if x >= full_at else 0.0
    frac = (float(x) - zero_at) / (full_at - zero_at)
    return round(100.0 * min(1.0, max(0.0, frac)), 1)


def weighted(parts: Sequence[ScorePart]) -> float | None:
    """Weighted mean of the parts' points (parts without points are left out)."""
    have = [(p.points, p.weight) for p in parts if p.points is not None and p.weight > 0]
    total = sum(w for _, w in have)
    if not have or total <= 0:
        return None
    return round(sum(v * w for v, w in have) / total, 1)


def quote(text: str, limit: int = 200) -> str:
    """The text on one line, cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def evidence(turns: Iterable[Turn], note: str, *, positive: bool = False) -> list[Evidence]:
    """One :class:`Evidence` per turn: the turn's speaker label and role, quote, start and end (s).

    ``unsure`` is set when the transcript of the turn holds a word Whisper was unsure of
    (probability under :data:`WORD_SURE`); scoring adds the classifier's doubt later.
    """
    out = []
    for t in turns:
        out.append(
            Evidence(
                speaker=t.speaker,
                role=t.role,
                unsure=transcript_unsure(t),
                quote=quote(t.text),
                start=None if t.start is None else round(max(0.0, t.start), 2),
                end=None if t.end is None else round(max(0.0, t.end), 2),
                note=note,
                positive=positive,
            )
        )
    return out


def merge_evidence(items: Iterable[Evidence]) -> list[Evidence]:
    """One item per quoted moment (same speaker, start and quote); their notes joined with "; "."""
    out: dict[tuple, Evidence] = {}
    for e in items:
        key = (e.speaker, e.start, e.quote)
        if key in out:
            old = out[key]
            notes = old.note.split("; ")
            if e.note and e.note not in notes:
                out[key] = replace(old, note=old.note + "; " + e.note)
        else:
            out[key] = e
    return list(out.values())
