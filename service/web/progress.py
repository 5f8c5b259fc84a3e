"""Progress: a trainee's index and (at most two) sub-scores over time, with trend sentences;
a supervisor's overview with each trainee's last index, trend and "needs attention" flag.

Every figure comes from :mod:`service.web.progress_trends`; this blueprint only reads
the database and renders (HTML, and a server-side SVG chart with dates on the axis).
"""

from __future__ import annotations

import io
import json
import logging
import math
from datetime import datetime, timezone

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from service.web.progress_trends import (
    INDEX,
    SessionPoint,
    axis_labels,
    choose_subscores,
    counted,
    needs_attention,
    point_from_report,
    trend,
)
from service.store.db import get_db
from service.web.auth import visible_trainee_ids, visible_trainees

__all__ = ["bp", "score_history", "chart_svg", "shown_subscores"]

logger = logging.getLogger(__name__)
bp = Blueprint("progress", __name__, url_prefix="/progress")
MAX_SHOWN = 2


def score_history(trainee_id: int) -> list[SessionPoint]:
    """The trainee's sessions with a report, oldest first (partial ones included, marked)."""
    rows = get_db().execute(
        "SELECT s.id, s.title, s.created_at, r.report_json FROM sessions s"
        " JOIN reports r ON r.session_id = s.id WHERE s.trainee_id = ?"
        " ORDER BY s.created_at, s.id",
        (trainee_id,),
    ).fetchall()
    out = []
    for r in rows:
        try:
            report = json.loads(r["report_json"] or "{}")
        except json.JSONDecodeError:
            logger.warning("session %s has an unreadable report; shown as partial", r["id"])
            report = {}
        out.append(point_from_report(r["id"], r["title"], r["created_at"], report))
    return out


def shown_subscores(history: list[SessionPoint], asked: list[str]) -> list[str]:
    """The sub-scores to draw: the viewer's choice (known names, at most two), else the two
    that most need work."""
    known = {k for p in history for k in p.subscores}
    picked = [k for k in dict.fromkeys(asked) if k in known][:MAX_SHOWN]
    return picked or choose_subscores(history, MAX_SHOWN)


def _labels(history: list[SessionPoint]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for p in history:
        labels.update(p.labels)
    for p in history:
        for k in p.subscores:
            labels.setdefault(k, k.replace("_", " ").capitalize())
    return dict(sorted(labels.items(), key=lambda kv: kv[1]))


def chart_svg(history: list[SessionPoint], keys: list[str]) -> str:
    """SVG line chart, one step per counted session (labelled with its date, and its time when a day
    holds several): the index (bold) and ``keys`` sub-scores; unmeasured points are gaps; partial
    reports are not plotted."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    points = counted(history)
    labels = _labels(history)
    fig = Figure(figsize=(6.4, 3.6), dpi=100)
    ax = fig.add_subplot(111)
    xs = list(range(len(points)))
    colours = ("#1f77b4", "#d62728")
    for colour, key in zip(colours, keys):
        ys = [p.subscores.get(key) for p in points]
        ys = [math.nan if y is None else y for y in ys]
        ax.plot(xs, ys, marker="o", linewidth=1.8, color=colour, label=labels.get(key, key))
    ax.plot(xs, [p.index for p in points], marker="o", linewidth=3, color="black", label="Listening index")
    ax.set_ylim(0, 100)
    ax.set_ylabel("score (0-100)", fontsize=11)
    ax.grid(alpha=0.3)
    if points:
        every = max(1, math.ceil(len(points) / 8))  # at most eight labels
        ticks = xs[::-1][::every][::-1]
        names = axis_labels([p.when for p in points])
        ax.set_xticks(ticks, [names[i][:6] + names[i][6:].replace(" ", "\n", 1) for i in ticks])
        ax.set_xlim(-0.5, len(points) - 0.5)
        ax.legend(fontsize=10, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    else:
        ax.set_xticks([])
        ax.text(0.5, 0.5, "no fully scored sessions yet", ha="center", va="center", transform=ax.transAxes)
    ax.tick_params(labelsize=10)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def _trainee_or_abort(trainee_id: int):
    row = get_db().execute(
        "SELECT id, username FROM users WHERE id = ? AND role = 'trainee'", (trainee_id,)
    ).fetchone()
    ids = visible_trainee_ids(current_user)
    if row is None or (ids is not None and trainee_id not in ids):
        abort(404)  # one answer for "no such trainee" and "not yours": ids are not revealed
    return row


def _now() -> datetime:
    return datetime.now(timezone.utc)


@bp.route("/")
@login_required
def overview():
    if current_user.role == "trainee":
        return redirect(url_for("progress.trainee", trainee_id=current_user.id))
    rows = []
    now = _now()
    for t in visible_trainees(current_user):
        history = score_history(int(t["id"]))
        scored = counted(history)
        rows.append({
            "id": t["id"], "username": t["username"], "sessions": len(scored), "partial": len(history) - len(scored),
            "last": scored[-1] if scored else None, "last_any": history[-1] if history else None,
            "trend": trend(history, INDEX), "attention": needs_attention(history, now),
        })
    rows.sort(key=lambda r: (not r["attention"].flagged, r["username"]))
    return render_template("progress_overview.html", rows=rows)


@bp.route("/<int:trainee_id>")
@login_required
def trainee(trainee_id: int):
    row = _trainee_or_abort(trainee_id)
    history = score_history(trainee_id)
    keys = shown_subscores(history, request.args.getlist("show"))
    trends = [t for t in (trend(history, k) for k in [INDEX, *keys]) if t is not None]
    return render_template("progress.html", trainee=row, history=history, keys=keys, trends=trends,
                           labels=_labels(history), scored=counted(history),
                           attention=needs_attention(history, _now()))


@bp.route("/<int:trainee_id>/chart.svg")
@login_required
def chart(trainee_id: int):
    _trainee_or_abort(trainee_id)
    history = score_history(trainee_id)
    return Response(chart_svg(history, shown_subscores(history, request.args.getlist("show"))),
                    mimetype="image/svg+xml")
