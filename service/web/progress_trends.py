"""Progress at a glance: which sessions count, trends, the sub-scores to show, "needs attention".

Pure functions over :class:`SessionPoint` (no Flask, no database), so every
figure the progress pages show is computed here once:

* a session **counts** when its report was fully judged: not partial, with an
  index, and with at least one sub-score judged (a partial report, or one where
  nothing could be judged, is listed but never plotted or used in a trend);
* a **trend** compares the first and the last of the last three counted
  sessions where the measure was taken ("Reflect and validate up from 13 to 81
  over three sessions");
* the **chosen sub-scores** are the two with the lowest average over those
  sessions (the two that most need work), unless the viewer picks others;
* **needs attention** (supervisor overview) when the index fell by more than
  10 points over the last three counted sessions, when there has been no
  session for 14 days, or when the last session could not be fully scored.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence

__all__ = [
    "SessionPoint",
    "Trend",
    "Attention",
    "TREND_WINDOW",
    "FALL_POINTS",
    "QUIET_DAYS",
    "STEADY_POINTS",
    "point_from_report",
    "counted",
    "trend",
    "choose_subscores",
    "needs_attention",
    "parse_time",
    "axis_labels",
]

logger = logging.getLogger(__name__)

TREND_WINDOW = 3  # sessions a trend looks back over
FALL_POINTS = 10.0  # an index fall above this over the window needs attention
QUIET_DAYS = 14  # no session for this long needs attention
STEADY_POINTS = 3.0  # a change smaller than this reads as "about the same"
INDEX = "index"
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class SessionPoint:
    """One session on the progress chart: its time, index and sub-scores (None: not measured)."""

    id: int
    title: str
    when: datetime
    index: float | None
    subscores: dict[str, float | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    partial: bool = False

    @property
    def counts(self) -> bool:
        """Fully judged: not partial and with an index."""
        return not self.partial and self.index is not None

    def value(self, key: str) -> float | None:
        return self.index if key == INDEX else self.subscores.get(key)


@dataclass(frozen=True)
class Trend:
    """First and last value over the last few counted sessions where ``key`` was measured."""

    key: str
    label: str
    first: float
    last: float
    sessions: int

    @property
    def change(self) -> float:
        return self.last - self.first

    @property
    def sentence(self) -> str:
        """``Reflect and validate up from 13 to 81 over three sessions.``"""
        over = f"over {_count(self.sessions)} sessions"
        a, b = round(self.first), round(self.last)
        if abs(self.change) < STEADY_POINTS:
            return f"{self.label} about the same ({a} to {b}) {over}."
        return f"{self.label} {'up' if self.change > 0 else 'down'} from {a} to {b} {over}."


@dataclass(frozen=True)
class Attention:
    """Whether a trainee needs a supervisor's attention, and why (plain sentences)."""

    reasons: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)


def _count(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def parse_time(text: str) -> datetime:
    """A stored UTC time (``2026-03-01T10:00:00Z`` or SQLite's ``2026-03-01 10:00:00``)."""
    t = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "T"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def point_from_report(session_id: int, title: str, created_at: str, report: dict[str, Any] | None) -> SessionPoint:
    """A :class:`SessionPoint` from a stored report dict (``Report.to_dict()`` shape).

    A report that says ``judged: false`` (top level or in its ``summary``) counts as partial, and so
    does one with sub-scores none of which was judged ("not measured" throughout).
    """
    report = report or {}
    subs: dict[str, float | None] = {}
    labels: dict[str, str] = {}
    raw = report.get("subscores") or {}
    for key, sub in (raw.items() if isinstance(raw, dict) else ()):
        if isinstance(sub, dict):
            score = sub.get("score")
            # a part the report did not judge (too few turns, unsure cues) is a gap, not a point
            measured = sub.get("measured", score is not None) and sub.get("judged", True) is not False
            labels[key] = str(sub.get("label") or key.replace("_", " ").capitalize())
        else:
            score, measured = sub, sub is not None
        subs[key] = float(score) if measured and _number(score) else None
    index = report.get("index")
    index = float(index) if _number(index) else None
    summary = report.get("summary") if isinstance(report.get("summary"), dict) else {}
    judged = report.get("judged", summary.get("judged", True)) is not False
    nothing_judged = bool(subs) and all(v is None for v in subs.values())
    partial = bool(report.get("partial", False)) or not judged or not report or nothing_judged
    return SessionPoint(int(session_id), title, parse_time(created_at), index, subs, labels, partial)


def counted(points: Sequence[SessionPoint]) -> list[SessionPoint]:
    """The fully judged sessions, oldest first."""
    return sorted((p for p in points if p.counts), key=lambda p: (p.when, p.id))


def _label(points: Sequence[SessionPoint], key: str) -> str:
    if key == INDEX:
        return "Listening index"
    for p in reversed(points):
        if key in p.labels:
            return p.labels[key]
    return key.replace("_", " ").capitalize()


def trend(points: Sequence[SessionPoint], key: str = INDEX, window: int = TREND_WINDOW) -> Trend | None:
    """The trend of ``key`` (``"index"`` or a sub-score name) over the last ``window`` counted
    sessions where it was measured; None with fewer than two such sessions."""
    measured = [p for p in counted(points) if p.value(key) is not None][-window:]
    if len(measured) < 2:
        return None
    return Trend(key, _label(points, key), float(measured[0].value(key)), float(measured[-1].value(key)),
                 len(measured))


def choose_subscores(points: Sequence[SessionPoint], k: int = 2, window: int = TREND_WINDOW) -> list[str]:
    """The ``k`` sub-scores that most need work: lowest average over the last ``window`` counted
    sessions (measured values only); ties broken by name."""
    recent = counted(points)[-window:]
    means = {}
    for key in sorted({key for p in recent for key in p.subscores}):
        values = [p.subscores[key] for p in recent if p.subscores.get(key) is not None]
        if values:
            means[key] = sum(values) / len(values)
    return sorted(means, key=lambda key: (means[key], key))[:k]


def needs_attention(points: Sequence[SessionPoint], now: datetime, *, fall: float = FALL_POINTS,
                    quiet_days: int = QUIET_DAYS, window: int = TREND_WINDOW) -> Attention:
    """Reasons a supervisor should look at this trainee (none: all is well)."""
    reasons = []
    everything = sorted(points, key=lambda p: (p.when, p.id))
    if not everything:
        return Attention(("No sessions yet.",))
    t = trend(points, INDEX, window)
    if t is not None and -t.change > fall:
        reasons.append(f"Index fell by {round(-t.change)} points over the last {_count(t.sessions)} sessions "
                       f"({round(t.first)} to {round(t.last)}).")
    days = (now - everything[-1].when).total_seconds() / 86400
    if days > quiet_days:
        reasons.append(f"No session for {int(days)} days.")
    if not everything[-1].counts:
        reasons.append("The last session could not be fully scored (a partial report): check its recording.")
    return Attention(tuple(reasons))


def axis_labels(whens: Sequence[datetime]) -> list[str]:
    """One distinct label per session for the chart's x-axis: the day ("07 Dec"), with the time
    ("07 Dec 14:05") for days that hold more than one session, and "#n" (the session's number on
    the chart) for sessions in the same minute."""
    days = [w.strftime("%d %b") for w in whens]
    labels = [d if days.count(d) == 1 else w.strftime("%d %b %H:%M") for d, w in zip(days, whens)]
    return [f"{label} #{n}" if labels.count(label) > 1 else label for n, label in enumerate(labels, 1)]
