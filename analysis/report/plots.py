"""Report figures drawn with matplotlib (no pyplot: thread-safe) and returned as inline SVG strings.

Turn timeline (interruptions and overlaps marked), talk share, and pitch and
energy per speaker when the prosody stage kept a track.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any, Sequence

from analysis.prosody.types import ProsodyResult, ProsodyTrack
from analysis.report.glossary import percent, speaker_name
from analysis.report.types import Report
from analysis.schema import CLIENT, HELPER
from analysis.timing.types import TimingEvent

__all__ = ["report_figures", "timeline_svg", "talk_share_svg", "prosody_svg"]

logger = logging.getLogger(__name__)
COLORS = {HELPER: "#1f5fbf", CLIENT: "#9a3d8c"}


def _figure(width: float, height: float, rows: int = 1, sharex: bool = False):
    """A matplotlib Figure without pyplot (no global state, safe in threaded servers)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots(rows, 1, sharex=sharex)


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text[text.find("<svg"):], flags=re.S)
    return text


def _spans(events: Sequence[TimingEvent]) -> list[tuple[float, float]]:
    return [(e.start, e.end if e.end > e.start else e.start + 0.3) for e in events]


def timeline_svg(report: Report) -> str | None:
    """Turns per role over time (s), overlaps shaded, interruptions marked with a red triangle."""
    turns = [t for t in report.turns if t.start is not None and t.end is not None]
    if not turns:
        return None
    end = max(t.end for t in turns)
    fig, ax = _figure(9, 1.9)
    rows = {HELPER: 1, CLIENT: 0}
    for t in turns:
        role = t.role if t.role in rows else CLIENT
        ax.broken_barh([(t.start, max(t.end - t.start, 0.05))], (rows[role] - 0.35, 0.7),
                       color=COLORS[role], alpha=0.85)
    timing = report.timing
    seen = timing is not None and timing.overlaps_measured  # one microphone: none of these can be seen
    for s, e in _spans(timing.overlaps if seen else ()):
        ax.axvspan(s, e, color="#f0b400", alpha=0.35, lw=0)
    ints = _spans(timing.interruptions if seen else ())
    if ints:
        ax.scatter([s for s, _ in ints], [1.5] * len(ints), marker="v", color="#d0301c", zorder=5,
                   label="you cut in")
    backs = _spans(timing.backchannels if seen else ())
    if backs:
        ax.scatter([s for s, _ in backs], [1.5] * len(backs), marker="o", color="#2e9e5b", zorder=5, s=14,
                   label="short mm-hmm (listening)")
    if ints or backs:
        ax.legend(loc="upper right", fontsize=7, frameon=False, ncol=2)
    ax.set_yticks([0, 1], ["Client", "You (helper)"])
    ax.set_ylim(-0.6, 1.8)
    ax.set_xlim(0, end * 1.01)
    ax.set_xlabel("time (s)")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def talk_share_svg(report: Report) -> str | None:
    """Horizontal bar: your vs the client's share of speaking time (or words, text only).

    Reads the one talk-share figure the timing stage measured (``timing.talk_share_helper``),
    rounded by :func:`~analysis.report.glossary.percent` like every sentence and table.
    """
    share = None if report.timing is None else report.timing.talk_share_helper
    timed = share is not None
    if share is None:
        amount = {HELPER: 0.0, CLIENT: 0.0}
        for t in report.turns:
            if t.role in amount:
                amount[t.role] += len(t.text.split())
        total = sum(amount.values())
        if total <= 0:
            return None
        share = amount[HELPER] / total
    shown = {HELPER: percent(share), CLIENT: 100 - percent(share)}
    fractions = {HELPER: float(share), CLIENT: 1.0 - float(share)}
    fig, ax = _figure(6, 0.9)
    left = 0.0
    for role in (HELPER, CLIENT):
        share = fractions[role]
        ax.barh([0], [share], left=left, color=COLORS[role])
        ax.text(left + share / 2, 0, f"{speaker_name(role)} {shown[role]} %", ha="center", va="center", color="white",
                fontsize=9)
        left += share
    ax.set_xlim(0, 1)
    ax.axis("off")
    ax.set_title("who talked how much (" + ("speaking time" if timed else "words") + "; aim: you under 50 %)",
                 fontsize=9)
    return _svg(fig)


def _track(prosody: ProsodyResult, role: str) -> ProsodyTrack | None:
    return next((tr for tr in prosody.tracks if tr.role == role and tr.times), None)


def _with_gaps(times: list[float], values: list, hop: float) -> tuple[list[float], list[float]]:
    """Insert NaN where frames are missing (speaker silent) so lines do not bridge the gaps."""
    xs: list[float] = []
    ys: list[float] = []
    for i, (t, v) in enumerate(zip(times, values)):
        if i and t - times[i - 1] > 2.5 * hop:
            xs.append(t)
            ys.append(float("nan"))
        xs.append(t)
        ys.append(float("nan") if v is None else float(v))
    return xs, ys


def prosody_svg(report: Report) -> str | None:
    """Pitch (Hz) and energy (dB) over time per speaker, when tracks are in the report."""
    if not report.prosody:
        return None
    tracks = {r: _track(report.prosody, r) for r in (HELPER, CLIENT)}
    tracks = {r: t for r, t in tracks.items() if t}
    if not tracks:
        return None
    fig, (a1, a2) = _figure(9, 3.2, rows=2, sharex=True)
    for role, tr in tracks.items():
        times = list(tr.times)
        if len(tr.f0_hz) == len(times):
            a1.plot(times, [float("nan") if p is None else p for p in tr.f0_hz], ".", ms=1.5, color=COLORS[role],
                    label=role)
        if len(tr.energy_db) == len(times):
            a2.plot(*_with_gaps(times, list(tr.energy_db), tr.hop_s or 0.05), lw=0.6, color=COLORS[role])
    a1.set_ylabel("pitch (Hz)")
    a2.set_ylabel("energy (dB)")
    a2.set_xlabel("time (s)")
    a1.legend(loc="upper right", fontsize=7, frameon=False)
    for a in (a1, a2):
        a.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def report_figures(report: Report) -> list[tuple[str, str]]:
    """(caption, inline SVG) for each figure that the report's data allows."""
    out = []
    for caption, fn in (
        ("Who spoke when: you (blue) and the client (purple); shaded = both talking, red ▼ = you cut in, "
         "green ● = a short \"mm-hmm\" while the client talked", timeline_svg),
        ("Talk share: how much of the speaking was yours", talk_share_svg),
        ("Pitch and energy per speaker (for supervisors): how high the voice is (Hz) and how loud (dB) "
         "over time", prosody_svg),
    ):
        try:
            svg = fn(report)
        except (ValueError, TypeError, KeyError) as e:
            logger.warning("figure %r skipped: %s", caption, e)
            svg = None
        if svg:
            out.append((caption, svg))
    return out
