"""Session list, report page (audio player, clickable evidence), comments, audio, deletion."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from analysis.errors import ListenWellError
from service.store.db import get_db
from service.store.storage import audio_path, delete_session, load_report
from service.web.auth import (
    can_comment,
    can_manage_session,
    session_or_404,
    visible_trainee_ids,
)

__all__ = ["bp", "latest_job", "list_sessions", "report_figures"]

logger = logging.getLogger(__name__)
bp = Blueprint("reports", __name__)


def list_sessions(user, trainee_id: int | None = None) -> list[dict]:
    """Sessions ``user`` may see (newest first), with trainee name, job status and index."""
    ids = visible_trainee_ids(user)
    where, args = [], []
    if ids is not None:
        where.append(f"s.trainee_id IN ({','.join('?' * len(ids)) or 'NULL'})")
        args.extend(ids)
    if trainee_id is not None:
        where.append("s.trainee_id = ?")
        args.append(trainee_id)
    sql = (
        "SELECT s.*, u.username AS trainee, r.score_index, r.subscores_json,"
        " (SELECT j.status FROM jobs j WHERE j.session_id = s.id ORDER BY j.id DESC LIMIT 1) AS job_status,"
        " (SELECT j.id FROM jobs j WHERE j.session_id = s.id ORDER BY j.id DESC LIMIT 1) AS job_id"
        " FROM sessions s JOIN users u ON u.id = s.trainee_id"
        " LEFT JOIN reports r ON r.session_id = s.id"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY s.created_at DESC, s.id DESC"
    return [dict(r) for r in get_db().execute(sql, args).fetchall()]


def latest_job(session_id: int) -> dict | None:
    row = get_db().execute(
        "SELECT * FROM jobs WHERE session_id = ? ORDER BY id DESC LIMIT 1", (session_id,)
    ).fetchone()
    return dict(row) if row else None


_FIGURE_LOCK = threading.Lock()  # pyplot is not thread-safe; the server is threaded
_FIGURE_CACHE: dict[tuple[int, str], list[tuple[str, str]]] = {}


def report_figures(session_id: int, report: dict) -> list[tuple[str, str]]:
    """(caption, inline SVG) figures of a report, drawn once per report version and cached."""
    key = (session_id, hashlib.sha1(json.dumps(report, sort_keys=True).encode()).hexdigest())
    with _FIGURE_LOCK:
        if key not in _FIGURE_CACHE:
            try:
                from analysis.report.plots import report_figures as draw
                from analysis.report.types import Report

                figures = draw(Report.from_dict(report))
            except (ImportError, ListenWellError, ValueError, KeyError, TypeError) as e:
                logger.warning("figures of session %s skipped: %s", session_id, e)
                figures = []
            if len(_FIGURE_CACHE) > 64:
                _FIGURE_CACHE.clear()
            _FIGURE_CACHE[key] = figures
        return _FIGURE_CACHE[key]


def _fmt_time(seconds) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return ""
    seconds = float(seconds)
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


@bp.app_template_filter("mmss")
def mmss_filter(seconds) -> str:
    return _fmt_time(seconds)


@bp.route("/")
@login_required
def index():
    return render_template("index.html", sessions=list_sessions(current_user))


@bp.route("/sessions/<int:session_id>")
@login_required
def session_page(session_id: int):
    session = session_or_404(session_id)
    report = load_report(get_db(), session_id)
    comments = get_db().execute(
        "SELECT c.*, u.username AS author FROM comments c LEFT JOIN users u ON u.id = c.author_id"
        " WHERE c.session_id = ? ORDER BY c.at_seconds, c.id",
        (session_id,),
    ).fetchall()
    trainee = get_db().execute("SELECT username FROM users WHERE id = ?", (session["trainee_id"],)).fetchone()
    subscores = []
    if report:
        subscores = sorted(
            (report.get("subscores") or {}).values(), key=lambda s: -float(s.get("weight") or 0)
        )
    return render_template(
        "report.html",
        session=session,
        trainee=trainee["username"] if trainee else "?",
        report=report,
        subscores=subscores,
        figures=report_figures(session_id, report) if report else [],
        job=latest_job(session_id),
        comments=comments,
        can_comment=can_comment(current_user, session),
        can_delete=can_manage_session(current_user, session),
    )


@bp.route("/sessions/<int:session_id>/audio")
@login_required
def session_audio(session_id: int):
    session = session_or_404(session_id)
    path = audio_path(current_app.instance_path, session["audio_name"])
    if path is None or not path.exists():
        abort(404)
    return send_file(path, mimetype=session["audio_mime"] or "application/octet-stream", conditional=True)


@bp.route("/sessions/<int:session_id>/full")
@login_required
def full_report(session_id: int):
    """The report as the report renderer draws it (with its plots), standalone."""
    session_or_404(session_id)
    report = load_report(get_db(), session_id)
    if report is None:
        abort(404)
    try:
        from analysis.report.html import render_html
        from analysis.report.types import Report
    except ImportError:
        return "<pre>" + json.dumps(report, indent=2).replace("<", "&lt;") + "</pre>"
    return render_html(Report.from_dict(report))


@bp.route("/sessions/<int:session_id>/comments", methods=["POST"])
@login_required
def add_comment(session_id: int):
    session = session_or_404(session_id)
    if not can_comment(current_user, session):
        abort(403)
    body = request.form.get("body", "").strip()
    try:
        at = float(request.form.get("at_seconds", "0") or 0)
    except ValueError:
        at = -1.0
    if not body or len(body) > 4000:
        flash("A comment needs some text (at most 4000 characters).", "error")
    elif not math.isfinite(at) or at < 0:
        flash("The comment's time must be a number of seconds, 0 or more.", "error")
    else:
        get_db().execute(
            "INSERT INTO comments (session_id, author_id, at_seconds, body) VALUES (?, ?, ?, ?)",
            (session_id, current_user.id, at, body),
        )
        get_db().commit()
        flash("Comment added.", "info")
    return redirect(url_for("reports.session_page", session_id=session_id) + "#comments")


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@login_required
def delete(session_id: int):
    session = session_or_404(session_id)
    if not can_manage_session(current_user, session):
        abort(403)
    delete_session(get_db(), current_app.instance_path, session_id)
    flash(f"Session {session_id} and its audio were deleted.", "info")
    return redirect(url_for("reports.index"))
