"""Adding a practice scenario in the web UI: checked, voiced locally with Piper, stored whole or not at all.

Real Flask app (test client), real Piper voice, real files in a fresh instance folder.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.web_fixtures import ADMIN_PASSWORD, ROOT, app, instance, login, rows, world

EXAMPLE = ROOT / "samples" / "scenario-example.json"


def _client(app, user):
    c = app.test_client()
    login(c, user)
    return c


def _stored(instance: Path) -> list[str]:
    """Everything left under scenarios/ and tmp/ in the instance."""
    return sorted(str(p.relative_to(instance)) for d in ("scenarios", "tmp") if (instance / d).is_dir()
                  for p in (instance / d).rglob("*"))


def test_supervisor_adds_a_scenario_trainee_practises_it_owner_deletes_it(app, world, instance):
    pytest.importorskip("piper")
    sup = _client(app, "sup1")
    text = EXAMPLE.read_text(encoding="utf-8")
    r = sup.post("/scenarios/add", data={"text": text})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    follow = r.headers["Location"]
    job_id = int(follow.rsplit("=", 1)[1])
    page = sup.get(follow).get_data(as_text=True)  # queued: the page follows the voicing job
    assert "Voicing “Missed a meeting”" in page and f"/api/jobs/{job_id}" in page and "added by sup1" not in page
    assert sup.get(f"/api/jobs/{job_id}").get_json()["scenario"] == {
        "id": "missed-meeting", "title": "Missed a meeting", "lines": 7}
    assert not (instance / "scenarios" / "missed-meeting").exists()
    assert _run_jobs(instance) == 1  # the job runner voices it
    job = sup.get(f"/api/jobs/{job_id}").get_json()
    assert (job["kind"], job["status"], job["progress"]) == ("voicing", "done", 1.0)
    page = sup.get(follow).get_data(as_text=True)
    assert "Added “Missed a meeting”: 7 client lines voiced" in page and "added by sup1" in page
    assert "Voicing “Missed a meeting”" not in page
    folder = instance / "scenarios" / "missed-meeting"
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert all((f.stat().st_mode & 0o777) == 0o600 for f in folder.iterdir())
    assert not list((instance / "tmp").iterdir())  # the work folder was renamed into place

    trainee = _client(app, "alice")
    listing = trainee.get("/practice/").get_data(as_text=True)
    assert "Missed a meeting" in listing and "/practice/missed-meeting" in listing
    assert "Shame after a relapse" in listing  # the bundled ones are still there
    # every line is served as real speech of a plausible length (short lines: 0.8-4 s)
    data = json.loads(text)
    n_lines = 2 + sum(len(b["variants"]) for b in data["beats"])
    for n in range(n_lines):
        r = trainee.get(f"/practice/missed-meeting/lines/{n}")
        assert r.status_code == 200
        audio, sr = sf.read(io.BytesIO(r.get_data()), dtype="float32")
        assert sr == 16000 and 0.8 < audio.size / sr < 4.0, (n, audio.size / sr)
        speech = np.abs(audio) > 0.02
        assert speech.mean() > 0.2  # mostly voice, not silence
        r.close()
    assert trainee.get(f"/practice/missed-meeting/lines/{n_lines}").status_code == 404
    # it can be practised like the bundled ones: the client reacts through the cue model
    ask = lambda said, t: trainee.post("/practice/missed-meeting/next",
                                       data={"said": json.dumps(said), "text": t}).get_json()
    assert ask([], "")["line_id"] == "opening"
    j = ask(["opening"], "What was that like for you?")
    assert (j["line_id"], j["advice_early"]) == ("why-deeper", False)
    j = ask(["opening"], "You should just go next week.")
    assert (j["line_id"], j["advice_early"]) == ("why-yes-but", True)
    assert "Missed a meeting" in trainee.get("/practice/missed-meeting").get_data(as_text=True)
    # a practice session of it: its report page lists the added scenario's items (none shown yet)
    from tests.service.report_page_fixtures import AUDIO, poor_report

    from service.store.storage import import_session

    sid = import_session(instance, "alice", AUDIO, poor_report(), scenario_id="missed-meeting", source="browser")
    report_page = trainee.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "Good listening in “Missed a meeting”" in report_page
    assert "Reflect the guilt before anything else" in report_page and "Ask what kept him away" in report_page

    # the same id again is refused, nothing changes
    r = sup.post("/scenarios/add", data={"text": text})
    assert r.status_code == 400 and "already used" in r.get_data(as_text=True)
    # another supervisor may not delete it; bundled scenarios cannot be deleted
    other = _client(app, "sup2")
    assert other.post("/scenarios/missed-meeting/delete").status_code == 403
    assert sup.post("/scenarios/relapse-shame/delete").status_code == 404
    assert sup.post("/scenarios/missed-meeting/delete").status_code == 302
    assert not folder.exists() and "Missed a meeting" not in trainee.get("/practice/").get_data(as_text=True)
    # the session stays; its page (kept in memory before) no longer claims the deleted scenario's items
    after = trainee.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "Reflect the guilt before anything else" not in after and 'id="checklist"' not in after
    assert trainee.get("/practice/missed-meeting").status_code == 404


def _run_jobs(instance: Path) -> int:
    """Run every queued job in this process (the app under test has no workers); return how many ran."""
    from service.store.db import db_path
    from service.web.jobs import JobRunner

    runner, n = JobRunner(db_path(instance), instance, workers=0), 0
    while runner.run_one():
        n += 1
    return n


@pytest.mark.parametrize("text, message", [
    ('{"id": "x", "title": ', "This is not valid JSON: Expecting value at line 1"),
    ("", "Paste the scenario"),
    ("[1, 2]", "one JSON object"),
])
def test_not_json_is_a_clear_error_and_nothing_is_stored(app, world, instance, text, message):
    r = _client(app, "sup1").post("/scenarios/add", data={"text": text})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "The scenario was not added" in page and message in page, page[:3000]
    assert _stored(instance) == [] or all(not p.startswith("scenarios/") for p in _stored(instance))
    assert not list((instance / "tmp").iterdir()) if (instance / "tmp").is_dir() else True


def test_invalid_scenario_lists_the_loaders_reason_and_stores_nothing(app, world, instance):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["beats"][0]["variants"] = [v for v in data["beats"][0]["variants"] if v["id"] != "why-goes-on"]
    r = _client(app, "sup1").post("/scenarios/add", data={"text": json.dumps(data)})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "beat &#39;why&#39;: no variant answers" in page and "closed_question" in page, page[:3000]
    assert "scenario.json" not in page  # the temporary file's name is not shown
    assert not (instance / "scenarios").exists() or not list((instance / "scenarios").iterdir())
    assert not list((instance / "tmp").iterdir())


def test_bundled_id_is_refused_as_a_file_upload(app, world, instance):
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["id"] = "relapse-shame"
    r = _client(app, "sup1").post("/scenarios/add", data={"file": (io.BytesIO(json.dumps(data).encode()), "s.json")},
                                  content_type="multipart/form-data")
    assert r.status_code == 400 and "The id &#39;relapse-shame&#39; is already used" in r.get_data(as_text=True)


def test_trainees_may_not_add_or_delete(app, world):
    trainee = _client(app, "alice")
    assert trainee.get("/scenarios/add").status_code == 403
    assert trainee.post("/scenarios/add", data={"text": EXAMPLE.read_text()}).status_code == 403
    assert trainee.post("/scenarios/missed-meeting/delete").status_code == 403
    assert "/scenarios/add" not in trainee.get("/practice/").get_data(as_text=True)  # no menu entry


def test_a_title_already_used_is_refused(app, world, instance):
    """Trainees choose a scenario by its title: a new id with a bundled scenario's title (any case or spacing)."""
    from service.practice.scenarios import get_scenario

    bundled = get_scenario("relapse-shame").title
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["id"], data["title"] = "my-new-id", "  " + bundled.upper().replace(" ", "  ") + " "
    r = _client(app, "sup1").post("/scenarios/add", data={"text": json.dumps(data)})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "is already used by the scenario &#39;relapse-shame&#39;" in page, page[:2000]
    assert "give this one a different title" in page
    assert not (instance / "scenarios").exists() or not list((instance / "scenarios").iterdir())


def test_loader_refuses_two_files_with_one_title(tmp_path):
    from analysis.errors import ListenWellError
    from service.practice.scenarios import load_scenarios

    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    (tmp_path / "a.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({**data, "id": "other-id", "title": data["title"].lower()}),
                                     encoding="utf-8")
    with pytest.raises(ListenWellError, match="scenario title .* is used by both a.json and b.json"):
        load_scenarios(tmp_path)
    (tmp_path / "b.json").write_text(json.dumps({**data, "id": "other-id", "title": "Another title"}), encoding="utf-8")
    assert [s.id for s in load_scenarios(tmp_path)] == sorted([data["id"], "other-id"])


def test_a_voicing_that_fails_stores_nothing_and_the_page_says_why(app, world, instance, monkeypatch):
    """Piper fails on the third line: the job fails with the reason, no folder is left, the text comes back."""
    from analysis.errors import ModelUnavailableError
    from service.practice import voicing

    real = voicing.synthesize_line
    calls = {"n": 0}

    def third_fails(text, voice):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ModelUnavailableError("could not load the Piper voice: broken install")
        return real(text, voice)

    monkeypatch.setattr(voicing, "synthesize_line", third_fails)
    sup = _client(app, "sup1")
    r = sup.post("/scenarios/add", data={"text": EXAMPLE.read_text(encoding="utf-8")})
    assert r.status_code == 302
    follow = r.headers["Location"]
    assert _run_jobs(instance) == 1
    job = sup.get(f"/api/jobs/{int(follow.rsplit('=', 1)[1])}").get_json()
    assert job["status"] == "failed" and job["error"] == "could not load the Piper voice: broken install"
    page = sup.get(follow).get_data(as_text=True)
    assert "“Missed a meeting” was not added" in page and "broken install. Nothing was stored." in page
    assert "broken install" in page and "missed-meeting" in page.split('id="scenario-text"')[1][:2000]
    assert not (instance / "scenarios" / "missed-meeting").exists()
    assert not list((instance / "tmp").iterdir())  # the half-voiced work folder is gone
    assert "Missed a meeting" not in _client(app, "alice").get("/practice/").get_data(as_text=True)


def test_an_id_or_title_waiting_to_be_voiced_is_taken(app, world, instance):
    sup = _client(app, "sup1")
    text = EXAMPLE.read_text(encoding="utf-8")
    assert sup.post("/scenarios/add", data={"text": text}).status_code == 302
    r = sup.post("/scenarios/add", data={"text": text})  # the same id, still queued
    assert r.status_code == 400 and "The id &#39;missed-meeting&#39; is already used" in r.get_data(as_text=True)
    other = json.loads(text)
    other["id"] = "another-id"
    r = _client(app, "sup2").post("/scenarios/add", data={"text": json.dumps(other)})
    assert r.status_code == 400 and "The title &#39;Missed a meeting&#39; is already used" in r.get_data(as_text=True)
    page = sup.get("/scenarios/add").get_data(as_text=True)  # its adder sees it waiting
    assert "Voicing “Missed a meeting”" in page and "Waiting for its turn" in page
    assert "Voicing “Missed a meeting”" not in _client(app, "sup2").get("/scenarios/add").get_data(as_text=True)
    # another supervisor cannot follow it; an admin can
    job_id = rows(instance, "SELECT id FROM jobs WHERE kind = 'voicing'")[0]["id"]
    assert _client(app, "sup2").get(f"/api/jobs/{job_id}").status_code == 404
    admin = app.test_client()
    login(admin, "admin", ADMIN_PASSWORD)
    assert admin.get(f"/api/jobs/{job_id}").get_json()["scenario"]["id"] == "missed-meeting"
