"""Small helpers shared by the sub-score functions: ramps, weighted means, evidence."""

from __future__ import annotations

from typing import Iterable, Sequence

from analysis.report.types import Evidence, ScorePart
from analysis.schema import Turn

__all__ = ["ramp", "weighted", "evidence", "quote", "merge_evidence"]


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
    """One :class:`Evidence` per turn: role (or speaker), quote, start and end (s)."""
    out = []
    for t in turns:
        out.append(
            Evidence(
                speaker=t.role or t.speaker,
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
                out[key] = Evidence(old.speaker, old.quote, old.start, old.end, old.note + "; " + e.note, old.positive)
        else:
            out[key] = e
    return list(out.values())
