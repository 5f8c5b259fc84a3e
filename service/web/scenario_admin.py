"""Supervisors and admins add practice scenarios (JSON, pasted or as a file) and delete their own.

Adding checks the scenario in the request (:func:`service.practice.added.check_scenario`: well
under a second; every reason shown at once) and queues a **voicing job** (Piper, a second or so a
line) that the job runner works outside the request; the page follows it ("Voicing line 12 of 40")
and shows the scenario in the list when it is stored, or the reason when it is not (nothing is
stored then).
"""

from __future__ import annotations

import json
import logging
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
from flask_login import current_user

from analysis.errors import QueueFullError
from service.practice.added import (
    MAX_LINES,
    MAX_SCENARIO_BYTES,
    ScenarioImportError,
    added_info,
    check_scenario,
    delete_added,
    is_added,
)
from service.store.db import get_db
from service.web.auth import role_required
from service.web.job_queue import enqueue_voicing, pending_voicings
from service.web.jobs import notify_runner
from service.web.practice import scenarios_or_empty
from service.web.queue_limits import check_voicing_room

__all__ = ["EXAMPLE", "bp"]

logger = logging.getLogger(__name__)
bp = Blueprint("scenarios", __name__, url_prefix="/scenarios")
EXAMPLE = Path(__file__).resolve().parents[2] / "samples" / "scenario-example.json"


def _may_delete(info: dict) -> bool:
    return current_user.role == "admin" or int(info.get("user_id", -1)) == int(current_user.id)


def _voicing_jobs(shown: int | None) -> list[dict]:
    """The user's voicing jobs to show: those waiting or running, and job ``shown`` (the one just added)."""
    rows = get_db().execute(
        "SELECT *, (julianday(finished_at) - julianday(started_at)) * 86400 AS seconds FROM jobs"
        " WHERE kind = 'voicing' AND user_id = ?"
        " AND (status IN ('queued', 'running') OR id = ?) ORDER BY id", (int(current_user.id), shown or -1)).fetchall()
    out = []
    for row in rows:
        payload = json.loads(row["payload"])
        out.append({"id": row["id"], "status": row["status"], "stage": row["stage"], "progress": row["progress"],
                    "error": row["error"], "title": payload.get("title", ""), "scenario_id": payload.get("id"),
                    "lines": payload.get("lines", 0), "seconds": row["seconds"], "text": payload.get("text", "{}")})
    return out


def _page(text: str = "", errors: list[str] | None = None, status: int = 200, shown: int | None = None):
    instance = current_app.instance_path
    rows = []
    for s in scenarios_or_empty():
        added = is_added(s, instance)
        info = added_info(s) if added else {}
        rows.append({"scenario": s, "added": added, "info": info, "may_delete": added and _may_delete(info)})
    voicing = _voicing_jobs(shown)
    failed = [j for j in voicing if j["status"] == "failed"]
    if failed and not text:  # the scenario that could not be voiced, back in the box to fix
        text = json.dumps(json.loads(failed[0]["text"]), indent=2, ensure_ascii=False)
    busy = get_db().execute("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')").fetchone()[0]
    just_added = {j["scenario_id"] for j in voicing if j["status"] == "done"}
    return render_template("scenario_add.html", text=text, errors=errors or [], rows=rows, voicing=voicing,
                           busy=max(0, busy - sum(j["status"] == "queued" for j in voicing)), just_added=just_added,
                           max_lines=MAX_LINES, max_kb=MAX_SCENARIO_BYTES // 1000), status


@bp.route("/add", methods=["GET", "POST"])
@role_required("supervisor", "admin")
def add():
    if request.method == "GET":
        return _page(shown=request.args.get("job", type=int))
    text = request.form.get("text") or ""
    f = request.files.get("file")
    if f is not None and f.filename:
        if text.strip():
            return _page(text, ["Give the scenario one way: paste it or choose a file, not both."], 400)
        raw = f.stream.read(MAX_SCENARIO_BYTES + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _page("", [f"{f.filename} is not a UTF-8 text file."], 400)
    db = get_db()
    if db.in_transaction:
        db.commit()
    db.execute("BEGIN IMMEDIATE")  # the check and the queueing at once: two adds never take one id or title
    try:
        check_voicing_room(db, int(current_user.id), int(current_app.config.get("VOICINGS_PER_USER") or 0))
        checked = check_scenario(current_app.instance_path, text, bundled_folder=current_app.config.get("SCENARIOS_DIR"),
                                 pending=pending_voicings(db))
        job_id = enqueue_voicing(db, int(current_user.id), {
            "text": checked.text, "id": checked.id, "title": checked.title, "lines": checked.lines,
            "username": current_user.username})
        db.commit()
    except QueueFullError as e:
        db.rollback()
        return _page(text, [e.message], e.status_code)
    except ScenarioImportError as e:
        db.rollback()
        return _page(text, e.errors, 400)
    except BaseException:
        db.rollback()
        raise
    notify_runner(current_app)
    logger.info("scenario %r queued for voicing by %s (job %d, %d lines)", checked.id, current_user.username, job_id,
                checked.lines)
    return redirect(url_for("scenarios.add", job=job_id))


@bp.route("/example.json")
@role_required("supervisor", "admin")
def example():
    return send_file(EXAMPLE, mimetype="application/json", as_attachment=True,
                     download_name="scenario-example.json")


@bp.route("/<scenario_id>/delete", methods=["POST"])
@role_required("supervisor", "admin")
def delete(scenario_id: str):
    instance = current_app.instance_path
    scenario = next((s for s in scenarios_or_empty() if s.id == scenario_id), None)
    if scenario is None or not is_added(scenario, instance):
        abort(404)  # bundled scenarios cannot be deleted here
    if not _may_delete(added_info(scenario)):
        abort(403)
    delete_added(instance, scenario_id)
    flash(f"Deleted “{scenario.title}”. Sessions already recorded with it keep their audio and report.", "info")
    return redirect(url_for("scenarios.add"))
