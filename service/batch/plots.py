"""Plots comparing trainees for ``summary.html``, drawn with matplotlib as inline SVG.

Uses ``matplotlib.figure.Figure`` directly (no pyplot state, no GUI backend);
SVG ids are salted with a fixed string so the same rows give the same page.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from typing import Any

from analysis.report.types import NOT_JUDGED
from service.batch.summary import column_title

__all__ = ["cohort_plots"]

logger = logging.getLogger(__name__)

_NO_TRAINEE = "(unnamed)"


def _svg(fig) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "listenwell-batch"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", buf.getvalue(), flags=re.S)
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _by_trainee(rows: list[dict[str, Any]], column: str) -> dict[str, list[float]]:
    groups: dict[str, list[float]] = {}
    for row in rows:
        value = row.get(column)
        if row.get("status") not in ("done", "skipped") or value in (None, ""):
            continue
        groups.setdefault(row.get("trainee") or _NO_TRAINEE, []).append(float(value))
    return dict(sorted(groups.items()))


def _index_plot(rows: list[dict[str, Any]]):
    from matplotlib.figure import Figure

    groups = _by_trainee(rows, "index")
    if not groups:
        return None
    fig = Figure(figsize=(max(4.0, 0.9 * len(groups) + 2), 3.2))
    ax = fig.subplots()
    for i, (name, values) in enumerate(groups.items()):
        n = len(values)
        xs = [i + (k - (n - 1) / 2) * min(0.08, 0.6 / max(n, 1)) for k in range(n)]
        ax.scatter(xs, values, s=22, alpha=0.8, zorder=3)
        med = statistics.median(values)
        ax.plot([i - 0.3, i + 0.3], [med, med], color="black", linewidth=1.5, zorder=4)
    ax.set_xticks(range(len(groups)), list(groups), rotation=30, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("listening score (0-100)")
    ax.grid(axis="y", alpha=0.3)
    return fig


def _subscore_heatmap(rows: list[dict[str, Any]]):
    from matplotlib.figure import Figure

    names = sorted({k for r in rows for k in r if k.startswith("subscore.")})
    trainees = sorted({r.get("trainee") or _NO_TRAINEE for r in rows if r.get("status") in ("done", "skipped")})
    if not names or not trainees:
        return None
    grid: list[list[float]] = []
    for t in trainees:
        line = []
        for n in names:
            vals = [
                float(r[n])
                for r in rows
                if (r.get("trainee") or _NO_TRAINEE) == t and r.get(n) not in (None, "", NOT_JUDGED)
            ]
            line.append(statistics.fmean(vals) if vals else float("nan"))
        grid.append(line)
    fig = Figure(figsize=(max(4.0, 0.8 * len(names) + 2.5), max(2.0, 0.45 * len(trainees) + 1.5)))
    ax = fig.subplots()
    im = ax.imshow(grid, vmin=0, vmax=100, cmap="RdYlGn", aspect="auto")
    ax.set_xticks(range(len(names)), [column_title(n) for n in names], rotation=35, ha="right")
    ax.set_yticks(range(len(trainees)), trainees)
    for i, line in enumerate(grid):
        for j, v in enumerate(line):
            if v == v:  # not NaN
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label="average part score (0-100)")
    return fig


def _talk_share_plot(rows: list[dict[str, Any]]):
    from matplotlib.figure import Figure

    names = sorted({k for r in rows for k in r if k.startswith("timing.") and "talk_share" in k})
    column = next((k for k in names if "helper" in k), names[0] if names else None)
    if column is None:
        return None
    points: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        if r.get(column) in (None, "") or r.get("index") in (None, ""):
            continue
        points.setdefault(r.get("trainee") or _NO_TRAINEE, []).append((float(r[column]), float(r["index"])))
    if not points:
        return None
    fig = Figure(figsize=(4.8, 3.4))
    ax = fig.subplots()
    for name, pts in sorted(points.items()):
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=24, label=name, alpha=0.85)
    ax.set_xlabel(column_title(column))
    ax.set_ylabel("listening score (0-100)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    if len(points) <= 12:
        ax.legend(fontsize=7, loc="best")
    return fig


def cohort_plots(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(caption, svg)`` pairs comparing trainees; empty when nothing was scored."""
    makers = (
        ("Index per recording, by trainee (line: median)", _index_plot),
        ("Mean sub-scores by trainee", _subscore_heatmap),
        ("Helper talk share against the listening score", _talk_share_plot),
    )
    out = []
    for caption, make in makers:
        try:
            fig = make(rows)
        except (ValueError, TypeError) as e:  # a malformed value must not lose the summary
            logger.warning("could not draw %r: %s", caption, e)
            continue
        if fig is not None:
            out.append((caption, _svg(fig)))
    return out
