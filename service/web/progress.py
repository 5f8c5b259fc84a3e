"""Progress: a trainee's index and sub-scores over sessions (server-side SVG chart);
a supervisor's overview of their trainees' latest scores."""

from __future__ import annotations

import io
import json

from flask import Blueprint, Response, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from service.store.db import get_db
from service.web.auth import visible_trainee_ids, visible_trainees

__all__ = ["bp", "chart_svg", "score_history"]

bp = Blueprint("progress", __name__, url_prefix="/progress")


def score_history(trainee_id: int) -> list[dict]:
    """The trainee's scored sessions, oldest first: id, date, index, sub-scores."""
    rows = get_db().execute(
        "SELECT s.id, s.title, s.created_at, r.score_index, r.subscores_json FROM sessions s"
        " JOIN reports r ON r.session_id = s.id WHERE s.trainee_id = ?"
        " ORDER BY s.created_at, s.id",
        (trainee_id,),
    ).fetchall()
    return [
        {
            "id": r["id"],
            "title": r["title"],
            "created_at": r["created_at"],
            "index": r["score_index"],
            "subscores": json.loads(r["subscores_json"] or "{}"),
        }
        for r in rows
    ]


def chart_svg(history: list[dict]) -> str:
    """An SVG line chart of the index (bold) and each sub-score across sessions."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.6), dpi=100)
    ax = fig.add_subplot(111)
    xs = list(range(1, len(history) + 1))
    names = sorted({k for h in history for k in h["subscores"]})
    for name in names:
        pts = [(x, h["subscores"].get(name)) for x, h in zip(xs, history)]
        pts = [(x, y) for x, y in pts if y is not None]
        if pts:
            ax.plot(*zip(*pts), marker="o", linewidth=1, alpha=0.7, label=name.replace("_", " "))
    idx = [(x, h["index"]) for x, h in zip(xs, history) if h["index"] is not None]
    if idx:
        ax.plot(*zip(*idx), marker="o", linewidth=3, color="black", label="index")
    ax.set_ylim(0, 100)
    ax.set_xlabel("session")
    ax.set_ylabel("score (0-100)")
    ax.set_xticks(xs)
    ax.grid(alpha=0.3)
    if idx or names:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    else:
        ax.text(0.5, 0.5, "no scored sessions yet", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


def _trainee_or_abort(trainee_id: int):
    row = get_db().execute(
        "SELECT id, username FROM users WHERE id = ? AND role = 'trainee'", (trainee_id,)
    ).fetchone()
    if row is None:
        abort(404)
    ids = visible_trainee_ids(current_user)
    if ids is not None and trainee_id not in ids:
        abort(403)
    return row


@bp.route("/")
@login_required
def overview():
    if current_user.role == "trainee":
        return redirect(url_for("progress.trainee", trainee_id=current_user.id))
    rows = []
    for t in visible_trainees(current_user):
        history = score_history(int(t["id"]))
        latest = history[-1] if history else None
        rows.append({"id": t["id"], "username": t["username"], "sessions": len(history), "latest": latest})
    names = sorted({k for r in rows if r["latest"] for k in r["latest"]["subscores"]})
    return render_template("progress_overview.html", rows=rows, names=names)


@bp.route("/<int:trainee_id>")
@login_required
def trainee(trainee_id: int):
    row = _trainee_or_abort(trainee_id)
    return render_template("progress.html", trainee=row, history=score_history(trainee_id))


@bp.route("/<int:trainee_id>/chart.svg")
@login_required
def chart(trainee_id: int):
    _trainee_or_abort(trainee_id)
    return Response(chart_svg(score_history(trainee_id)), mimetype="image/svg+xml")
