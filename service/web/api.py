"""JSON API under /api/ with the same permissions as the pages (session log-in).

Reads are GET; every state-changing request (POST/DELETE) needs the CSRF token
in the ``X-CSRFToken`` header, as the pages' scripts send it.
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from analysis.errors import ListenWellError
from service.store.db import get_db
from service.store.storage import delete_session
from service.web.auth import can_manage_session, can_view_session
from service.web.page_cache import StoredPage, page_key
from service.web.report_page import public_report
from service.web.reports import list_sessions, report_pages
from service.web.upload import human_bytes

__all__ = ["bp", "job_json", "register_errors", "session_json"]

bp = Blueprint("api", __name__, url_prefix="/api")


def _err(kind: str, message: str, status: int):
    return jsonify(error=kind, message=message), status


@bp.before_request
def _require_login():
    if not current_user.is_authenticated:
        return _err("unauthorized", "log in first (session cookie)", 401)
    return None


def _visible_session(session_id: int):
    row = get_db().execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None or not can_view_session(current_user, row):  # one answer: ids are not revealed
        return None, _err("not_found", f"session {session_id} not found", 404)
    return row, None


def job_json(row) -> dict:
    """A job as the pages poll it; a voicing job also names its scenario (``scenario``: id, title, lines)."""
    out = {
        "id": row["id"],
        "kind": row["kind"],
        "session_id": row["session_id"],
        "status": row["status"],
        "stage": row["stage"],
        "progress": row["progress"],
        "error": row["error"],
        "attempts": row["attempts"],
        "created_at": row["created_at"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
    }
    if row["kind"] == "voicing":
        payload = json.loads(row["payload"])
        out["scenario"] = {"id": payload.get("id"), "title": payload.get("title"), "lines": payload.get("lines")}
    return out


def session_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "trainee": row.get("trainee"),
        "trainee_id": row["trainee_id"],
        "title": row["title"],
        "scenario_id": row["scenario_id"],
        "source": row["source"],
        "source_name": row.get("source_name"),
        "duration": row["duration"],
        "speaker_setup": row["speaker_setup"],
        "created_at": row["created_at"],
        "job_id": row.get("job_id"),
        "job_status": row.get("job_status"),
        "index": row.get("score_index"),
        "report_url": f"/api/reports/{row['id']}" if row.get("score_index") is not None or row.get("job_status") == "done" else None,
    }


@bp.get("/sessions")
def sessions():
    return jsonify(sessions=[session_json(r) for r in list_sessions(current_user)])


@bp.get("/sessions/<int:session_id>")
def session(session_id: int):
    row, error = _visible_session(session_id)
    if error:
        return error
    rows = [r for r in list_sessions(current_user, trainee_id=row["trainee_id"]) if r["id"] == session_id]
    return jsonify(session_json(rows[0]))


@bp.delete("/sessions/<int:session_id>")
def delete(session_id: int):
    row, error = _visible_session(session_id)
    if error:
        return error
    if not can_manage_session(current_user, row):
        return _err("forbidden", f"you may not delete session {session_id}", 403)
    delete_session(get_db(), current_app.instance_path, session_id)
    return jsonify(deleted=session_id)


@bp.get("/jobs/<int:job_id>")
def job(job_id: int):
    row = get_db().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is not None and row["kind"] == "voicing":  # the supervisor who added the scenario, or an admin
        visible = current_user.role == "admin" or int(row["user_id"]) == int(current_user.id)
    else:
        session = None if row is None else get_db().execute(
            "SELECT * FROM sessions WHERE id = ?", (row["session_id"],)).fetchone()
        visible = session is not None and can_view_session(current_user, session)
    if not visible:
        return _err("not_found", f"job {job_id} not found", 404)  # never names another user's session
    return jsonify(job_json(row))


@bp.get("/reports/<int:session_id>")
def report(session_id: int):
    """The session's report: the same JSON as ``listenwell analyze --json`` writes."""
    row, error = _visible_session(session_id)
    if error:
        return error
    stored = get_db().execute("SELECT report_json FROM reports WHERE session_id = ?", (session_id,)).fetchone()
    if stored is None:
        return _err("not_found", f"session {session_id} has no report yet", 404)
    # Built once per version of the session row and the stored report, in the report pages' cache
    # (access was checked above; the body depends on nothing about the viewer).
    pages = report_pages()
    key = page_key("api-report", tuple(row), hashlib.sha256(stored["report_json"].encode("utf-8")).hexdigest())
    page = pages.get(key)
    if page is None:
        public = public_report(json.loads(stored["report_json"]), dict(row))  # no server path: the file's name
        page = StoredPage(current_app.json.response(public).get_data(as_text=True), "", "")
        pages.put(key, page)
    return current_app.response_class(page.html, mimetype=current_app.json.mimetype)


def register_errors(app: Flask) -> None:
    """One handler per error kind: JSON under /api/, a page elsewhere."""

    def wants_json() -> bool:
        return request.path.startswith("/api/") or request.path == "/practice/submit"

    @app.errorhandler(ListenWellError)
    def _lw(e: ListenWellError):
        if wants_json():
            return jsonify(e.to_dict()), e.status_code
        return render_template("error.html", code=e.status_code, message=e.message), e.status_code

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(e):
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0

        message = f"The upload is too large: the limit is {human_bytes(limit)} per upload."
        if wants_json():
            return _err("too_large", message, 413)
        return render_template("error.html", code=413, message=message), 413

    @app.errorhandler(OverflowError)
    def _overflow(e):  # an id too large for SQLite (query strings, forms): it names nothing
        message = "There is nothing with that number."
        if wants_json():
            return _err("not_found", message, 404)
        return render_template("error.html", code=404, message=message), 404

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        if wants_json():
            return _err(e.name.lower().replace(" ", "_"), e.description or e.name, e.code or 500)
        return render_template("error.html", code=e.code, message=e.description), e.code
