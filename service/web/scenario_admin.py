"""Supervisors and admins add practice scenarios (JSON, pasted or as a file) and delete their own.

The work (checking, voicing with Piper, storing whole or not at all) is in
:mod:`service.practice.added`; this blueprint is the page around it.
"""

from __future__ import annotations

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

from service.practice.added import (
    MAX_LINES,
    MAX_SCENARIO_BYTES,
    ScenarioImportError,
    added_info,
    delete_added,
    import_scenario,
    is_added,
)
from service.web.auth import role_required
from service.web.practice import scenarios_or_empty

__all__ = ["EXAMPLE", "bp"]

logger = logging.getLogger(__name__)
bp = Blueprint("scenarios", __name__, url_prefix="/scenarios")
EXAMPLE = Path(__file__).resolve().parents[2] / "samples" / "scenario-example.json"


def _may_delete(info: dict) -> bool:
    return current_user.role == "admin" or int(info.get("user_id", -1)) == int(current_user.id)


def _page(text: str = "", errors: list[str] | None = None, status: int = 200):
    instance = current_app.instance_path
    rows = []
    for s in scenarios_or_empty():
        added = is_added(s, instance)
        info = added_info(s) if added else {}
        rows.append({"scenario": s, "added": added, "info": info, "may_delete": added and _may_delete(info)})
    return render_template("scenario_add.html", text=text, errors=errors or [], rows=rows,
                           max_lines=MAX_LINES, max_kb=MAX_SCENARIO_BYTES // 1000), status


@bp.route("/add", methods=["GET", "POST"])
@role_required("supervisor", "admin")
def add():
    if request.method == "GET":
        return _page()
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
    try:
        scenario, seconds = import_scenario(
            current_app.instance_path, text, bundled_folder=current_app.config.get("SCENARIOS_DIR"),
            user_id=current_user.id, username=current_user.username)
    except ScenarioImportError as e:
        return _page(text, e.errors, 400)
    flash(f"Added “{scenario.title}”: {len(scenario.all_lines)} client lines voiced in {seconds:.0f} s. "
          "Trainees find it on their Practice page.", "info")
    return redirect(url_for("scenarios.add"))


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
