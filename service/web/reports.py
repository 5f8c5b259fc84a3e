"""Session list, the interactive report page, the stored standalone report, comments, audio, deletion.

The report page leads with the report's summary, then a sticky player, a turn timeline
and the transcript that follow playback (drawn by ``web/static/report.js`` from a JSON
data block), pace and voice per helper turn, the practice scenario's checklist, the
details and the comments (pinned to a time, with one level of replies).
``/sessions/<id>/full`` is rendered once per report version into ``<instance>/full``
and served from there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from pathlib import Path

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
from flask import session as flask_session
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from analysis.errors import ListenWellError, QueueFullError
from analysis.report.glossary import unit_for
from analysis.report.types import Report
from analysis.scoring.summary import confirm_given_order, upgrade_report
from service.practice.scenarios import default_folder
from service.store.db import get_db
from service.store.storage import audio_path, delete_session, load_report, save_report
from service.web.auth import (
    can_comment,
    can_manage_session,
    session_or_404,
    visible_trainee_ids,
)
from service.web.extensions import csp_nonce
from service.web.full_page import stored_full_page, stored_page_csp
from service.web.jobs import enqueue, notify_runner
from service.web.queue_limits import QueueRoom
from service.web.page_cache import PageCache, StoredPage, page_key
from service.web.report_text import timeline_summary, webvtt
from service.web.report_page import (
    GLOSSARY,
    comment_threads,
    display_source,
    good_listening_checklist,
    not_judged_text,
    page_data,
    public_view,
    subscore_rows,
)
from service.web.speaker_order import (
    ANSWERS,
    answer_message,
    notes_beside_question,
    order_fix,
    speaker_question,
)

__all__ = ["bp", "latest_job", "list_sessions", "report_pages"]

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


@bp.app_template_filter("unit_for")
def unit_after(unit: str, value) -> str:
    """A figure's unit as said after its value ("1 reply"): :func:`analysis.report.glossary.unit_for`."""
    return unit_for(value if isinstance(value, (int, float)) else None, unit)


@bp.app_template_filter("clock")
def clock(seconds) -> str:
    """``m:ss.s``, to the tenth as the player shows it ("" when unknown); the text report's ``m:ss`` is
    :func:`analysis.report.sections.mmss`."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return ""
    seconds = float(seconds)
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


@bp.route("/")
@login_required
def index():
    return render_template("index.html", sessions=list_sessions(current_user))


def _comments(session_id: int) -> list[dict]:
    rows = get_db().execute(
        "SELECT c.*, u.username AS author FROM comments c LEFT JOIN users u ON u.id = c.author_id"
        " WHERE c.session_id = ? ORDER BY c.at_seconds, c.id",
        (session_id,),
    ).fetchall()
    return [dict(r) for r in rows]


def _can_reply(user, session) -> bool:
    """Supervisors and admins who may comment, and the session's own trainee, may reply."""
    return can_comment(user, session) or int(session["trainee_id"]) == int(user.id)


def _browser_arc(session, report: Report | None) -> str:
    """The client's arc for a browser conversation (the report of a CLI one carries its own)."""
    if (report is not None and report.practice) or not session["scenario_id"] or not session["client_timeline"]:
        return ""
    try:
        from service.practice.conversation import arc_sentence
        from service.web.practice import find_scenario

        scenario = find_scenario(session["scenario_id"])
        items = json.loads(session["client_timeline"])
    except (ListenWellError, ValueError) as e:
        logger.warning("no arc for session %s: %s", session["id"], e)
        return ""
    lines = scenario.all_lines
    if not scenario.branching or not all(isinstance(i, dict) and 0 <= int(i.get("line", -1)) < len(lines)
                                         for i in items):
        return ""
    turns = [{"line_id": lines[int(i["line"])].id, "because": i.get("because") or "after your reply",
              "reply_start": i.get("reply_start")} for i in items]
    return arc_sentence(scenario, turns)


def _scenario_checklist(session, report: Report | None) -> tuple[str | None, list[dict]]:
    scenario_id = session["scenario_id"]
    if not scenario_id:
        return None, []
    try:
        from service.web.practice import find_scenario

        scenario = find_scenario(scenario_id)
    except ListenWellError as e:
        logger.warning("scenario %r of session %s: %s", scenario_id, session["id"], e)
        return None, []
    return scenario.title, good_listening_checklist(scenario.good_listening, report)


def report_pages() -> PageCache:
    """This app's cache of rendered report pages (``REPORT_PAGE_CACHE`` pages; 0 turns it off)."""
    pages = current_app.extensions.get("listenwell_pages")
    if pages is None:
        pages = current_app.extensions["listenwell_pages"] = PageCache(
            current_app.config.get("REPORT_PAGE_CACHE", 128))
    return pages


def _scenarios_stamp(session) -> tuple:
    """When the scenario folders last changed (a session's page shows its scenario's checklist).

    Bundled and added scenarios are written by renaming into their folder, which changes the
    folder's modification time.
    """
    if not session["scenario_id"]:
        return ()

    stamp: list = [session["scenario_id"]]
    for folder in (Path(current_app.config.get("SCENARIOS_DIR") or default_folder()),
                   Path(current_app.instance_path) / "scenarios",
                   Path(current_app.instance_path) / "scenarios" / str(session["scenario_id"])):
        try:
            stamp.append(folder.stat().st_mtime_ns)
        except OSError:
            stamp.append(None)
    return tuple(stamp)


@bp.route("/sessions/<int:session_id>")
@login_required
def session_page(session_id: int):
    """The interactive report page; rendered once per version of what it shows (see page_cache)."""
    session = session_or_404(session_id)
    db = get_db()
    row = db.execute("SELECT report_json FROM reports WHERE session_id = ?", (session_id,)).fetchone()
    report_json = row["report_json"] if row else None
    comments = _comments(session_id)
    trainee = db.execute("SELECT username FROM users WHERE id = ?", (session["trainee_id"],)).fetchone()
    job = latest_job(session_id)
    rights = (can_comment(current_user, session), _can_reply(current_user, session),
              can_manage_session(current_user, session))
    settled = job is None or job["status"] not in ("queued", "running")
    cacheable = settled and not flask_session.get("_flashes")
    key = page_key(
        tuple(session), hashlib.sha256(report_json.encode("utf-8")).hexdigest() if report_json else None,
        [tuple(c.values()) for c in comments], tuple(trainee) if trainee else None,
        tuple(job.values()) if job else None, current_user.id, current_user.username, current_user.role,
        rights, request.script_root, _scenarios_stamp(session),
    )
    pages = report_pages()
    stored_page = pages.get(key) if cacheable else None
    if stored_page is not None:
        return stored_page.with_values(generate_csrf(), csp_nonce())
    report = public_view(json.loads(report_json), dict(session)) if report_json else None
    subscores = subscore_rows(report) if report else []
    scenario_title, checklist = _scenario_checklist(session, report)
    speaker_q = speaker_question(report, dict(session), job) if rights[2] else None
    data = page_data(report, comments) if report else None
    fix = order_fix(report, dict(session), job)
    html = render_template(
        "report.html",
        session=session,
        source=report.source if report else display_source(dict(session)),
        trainee=trainee["username"] if trainee else "?",
        report=report,
        summary=report.summary if report and report.summary.headline else None,
        subscores=subscores,
        not_judged=not_judged_text(report) if report else "",
        data=data,
        timeline_text=timeline_summary(data) if data else "",
        job=job,
        threads=comment_threads(comments),
        scenario_title=scenario_title,
        checklist=checklist,
        arc=((report.practice if report else None) or {}).get("arc") or _browser_arc(session, report),
        glossary=GLOSSARY,
        can_comment=rights[0],
        can_reply=rights[1],
        can_delete=rights[2],
        speaker_q=speaker_q,
        order_fix=fix,
        can_fix_order=rights[2],
        partial_notes=notes_beside_question(list(report.notes) if report else [], speaker_q),
    )
    if cacheable:
        pages.put(key, StoredPage(html, generate_csrf(), csp_nonce()))
    return html


@bp.route("/sessions/<int:session_id>/audio")
@login_required
def session_audio(session_id: int):
    session = session_or_404(session_id)
    path = audio_path(current_app.instance_path, session["audio_name"])
    if path is None or not path.exists():
        abort(404)
    return send_file(path, mimetype=session["audio_mime"] or "application/octet-stream", conditional=True)


@bp.route("/sessions/<int:session_id>/captions.vtt")
@login_required
def session_captions(session_id: int):
    """The player's captions (WebVTT), one cue per turn of the report; checked like the audio."""
    session = session_or_404(session_id)
    row = get_db().execute("SELECT report_json FROM reports WHERE session_id = ?", (session_id,)).fetchone()
    if row is None:
        abort(404)
    report = public_view(json.loads(row["report_json"]), dict(session))
    body = webvtt(page_data(report)["turns"])
    return current_app.response_class(body, mimetype="text/vtt", headers={"Cache-Control": "private, no-cache"})


@bp.route("/sessions/<int:session_id>/full")
@login_required
def full_report(session_id: int):
    """The report as the report renderer draws it (with its plots), standalone; rendered once, served from disk."""
    session = session_or_404(session_id)
    row = get_db().execute("SELECT report_json FROM reports WHERE session_id = ?", (session_id,)).fetchone()
    if row is None:
        abort(404)
    path = stored_full_page(current_app.instance_path, session, row["report_json"])
    response = send_file(path, mimetype="text/html", conditional=True, max_age=0)
    response.headers["Content-Security-Policy"] = stored_page_csp(str(path), Path(path).stat().st_mtime_ns)
    return response


def _comment_time(raw: str | None) -> float:
    try:
        at = float(raw or 0)
    except ValueError:
        return -1.0
    return at if math.isfinite(at) else -1.0


@bp.route("/sessions/<int:session_id>/comments", methods=["POST"])
@login_required
def add_comment(session_id: int):
    session = session_or_404(session_id)
    if not can_comment(current_user, session):
        abort(403)
    body = request.form.get("body", "").strip()
    at = _comment_time(request.form.get("at_seconds", "0"))
    if not body or len(body) > 4000:
        flash("A comment needs some text (at most 4000 characters).", "error")
    elif at < 0:
        flash("The comment's time must be a number of seconds, 0 or more.", "error")
    else:
        cur = get_db().execute(
            "INSERT INTO comments (session_id, author_id, at_seconds, body) VALUES (?, ?, ?, ?)",
            (session_id, current_user.id, at, body),
        )
        get_db().commit()
        flash("Comment added.", "info")
        return redirect(url_for("reports.session_page", session_id=session_id) + f"#comment-{cur.lastrowid}")
    return redirect(url_for("reports.session_page", session_id=session_id) + "#comments")


@bp.route("/sessions/<int:session_id>/comments/<int:comment_id>/reply", methods=["POST"])
@login_required
def reply(session_id: int, comment_id: int):
    """Reply to a comment (one level: a reply to a reply joins the same thread)."""
    session = session_or_404(session_id)
    if not _can_reply(current_user, session):
        abort(403)
    parent = get_db().execute(
        "SELECT id, parent_id, at_seconds FROM comments WHERE id = ? AND session_id = ?", (comment_id, session_id)
    ).fetchone()
    if parent is None:
        abort(404)
    top_id = parent["parent_id"] or parent["id"]
    body = request.form.get("body", "").strip()
    if not body or len(body) > 4000:
        flash("A reply needs some text (at most 4000 characters).", "error")
        return redirect(url_for("reports.session_page", session_id=session_id) + f"#comment-{top_id}")
    get_db().execute(
        "INSERT INTO comments (session_id, author_id, at_seconds, body, parent_id) VALUES (?, ?, ?, ?, ?)",
        (session_id, current_user.id, parent["at_seconds"], body, top_id),
    )
    get_db().commit()
    flash("Reply added.", "info")
    return redirect(url_for("reports.session_page", session_id=session_id) + f"#comment-{top_id}")


@bp.route("/sessions/<int:session_id>/speakers", methods=["POST"])
@login_required
def set_speakers(session_id: int):
    """Store who speaks first (the answer to the report's question) and analyse the session again.

    A stereo session's "Use the other order" button sends ``helper_channel`` (0 or 1) instead:
    the channels stay, only the helper's channel changes.
    """
    session = session_or_404(session_id)
    if not can_manage_session(current_user, session):
        abort(403)
    page = url_for("reports.session_page", session_id=session_id)
    helper = request.form.get("helper_speaker", "")
    channel = request.form.get("helper_channel")
    if channel is not None and channel not in ("0", "1"):
        flash("Choose the left (0) or the right (1) channel for the helper.", "error")
        return redirect(page)
    if channel is None and helper not in ANSWERS:
        flash("Choose whether the helper speaks first or second.", "error")
        return redirect(page)
    db = get_db()
    job = latest_job(session_id)
    if job is not None and job["status"] in ("queued", "running"):
        flash("This session is being analysed already: answer again when it is done.", "error")
        return redirect(page)
    if not session["audio_name"] or not audio_path(current_app.instance_path, session["audio_name"]).is_file():
        flash("The audio of this session is no longer kept, so it cannot be analysed again.", "error")
        return redirect(page)
    trainee = int(session["trainee_id"])
    owner = db.execute("SELECT username FROM users WHERE id = ?", (trainee,)).fetchone()
    room = QueueRoom(trainee, None if trainee == int(current_user.id) else (owner["username"] if owner else "the trainee"),
                     float(current_app.config["QUEUED_MINUTES_PER_USER"]), again="Answer again")
    try:
        room.check(db, float(session["duration"] or 0.0))
    except QueueFullError as e:
        flash(e.message, "error")
        return redirect(page)
    if channel is not None:
        db.execute("UPDATE sessions SET speaker_setup = 'stereo', helper_speaker = NULL, helper_channel = ? "
                   "WHERE id = ?", (int(channel), session_id))
    else:
        db.execute("UPDATE sessions SET speaker_setup = 'mono', helper_speaker = ?, helper_channel = NULL "
                   "WHERE id = ?", (helper, session_id))
    enqueue(db, session_id)
    db.commit()
    notify_runner(current_app)
    logger.info("session %d: speaking order set (helper %s) by user %d; queued again", session_id,
                helper if channel is None else f"channel {channel}", current_user.id)
    flash(answer_message(helper) if channel is None else
          f"Analysing again with the helper on the {'left' if channel == '0' else 'right'} channel. This takes "
          "about as long as the first analysis; the page updates when it is done.", "info")
    return redirect(page)


@bp.route("/sessions/<int:session_id>/confirm-order", methods=["POST"])
@login_required
def confirm_order(session_id: int):
    """Keep the given speaking order although the words suggested the other one ("My order is right").

    No new analysis: the stored report's order check is marked confirmed, its warning goes, and the
    summary (what to try, what to keep) is said again from the same figures."""
    session = session_or_404(session_id)
    if not can_manage_session(current_user, session):
        abort(403)
    page = url_for("reports.session_page", session_id=session_id)
    db = get_db()
    stored = load_report(db, session_id)
    if stored is None:
        flash("There is no report to confirm yet.", "error")
        return redirect(page)
    report = upgrade_report(stored)
    confirmed = confirm_given_order(report)
    if confirmed is report:
        flash("This report has no speaking order to confirm.", "info")
        return redirect(page)
    save_report(db, session_id, confirmed.to_dict())
    db.commit()
    logger.info("session %d: speaking order confirmed by user %d", session_id, current_user.id)
    flash("Kept the order you gave. What to try and what to keep are shown below.", "info")
    return redirect(page)


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@login_required
def delete(session_id: int):
    session = session_or_404(session_id)
    if not can_manage_session(current_user, session):
        abort(403)
    delete_session(get_db(), current_app.instance_path, session_id)
    flash(f"Session {session_id} and its audio were deleted.", "info")
    return redirect(url_for("reports.index"))
