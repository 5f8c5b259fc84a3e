"""The durable job queue: restart recovery (real analysis), failures shown, bounded concurrency."""

from __future__ import annotations

import io
import threading
import time

import pytest
from tests.web_fixtures import JFK, add_users, instance, login, make_app, rows, stop_jobs  # noqa: F401

from service.store.db import connect, db_path
from service.web.jobs import MAX_ATTEMPTS, JobRunner


def _upload(app, trainee_id: int, n: int = 1) -> list[int]:
    c = app.test_client()
    login(c, "sup1")
    ids = []
    for i in range(n):
        r = c.post("/upload", data={"trainee_id": str(trainee_id), "speaker_setup": "auto", "title": f"s{i}",
                                    "audio": (io.BytesIO(JFK.read_bytes()), "jfk.flac")},
                   content_type="multipart/form-data")
        assert r.status_code == 302, r.get_data(as_text=True)
        ids.append(int(r.headers["Location"].rsplit("/", 1)[1]))
    return ids


def _job(instance, session_id):
    return rows(instance, "SELECT * FROM jobs WHERE session_id = ?", session_id)[0]


def _wait(instance, session_ids, timeout=240.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        jobs = [_job(instance, s) for s in session_ids]
        if all(j["status"] in ("done", "failed") for j in jobs):
            return jobs
        time.sleep(0.2)
    raise AssertionError(f"jobs not finished after {timeout} s: {jobs}")


def test_interrupted_job_finishes_after_restart(instance):
    """A job left 'running' by a stopped server is requeued and analysed (real pipeline) on restart."""
    first = make_app(instance)  # no workers: the 'server' that dies
    users = add_users(instance)
    (sid,) = _upload(first, users["alice"])
    conn = connect(db_path(instance))
    conn.execute("UPDATE jobs SET status = 'running', stage = 'transcribe', progress = 0.4, attempts = 1,"
                 " started_at = '2026-01-01T00:00:00Z' WHERE session_id = ?", (sid,))
    conn.commit()
    conn.close()
    second = make_app(instance, JOB_WORKERS=1)  # restart
    try:
        (job,) = _wait(instance, [sid])
    finally:
        stop_jobs(second)
    assert job["status"] == "done", job["error"]
    assert job["attempts"] == 2 and job["progress"] == 1.0
    c = second.test_client()
    login(c, "alice")
    report = c.get(f"/api/reports/{sid}").get_json()
    text = " ".join(t["text"] for t in report["turns"]).lower()
    assert "your country" in text
    # JFK is one voice: no index, a partial report that judges nothing (and says so in its headline)
    assert report["index"] is None and report["partial"] and not report["summary"]["judged"]
    page = c.get(f"/sessions/{sid}").get_data(as_text=True)
    from markupsafe import escape

    assert report["summary"]["headline"] and str(escape(report["summary"]["headline"])) in page
    assert "Analysing" not in page


def test_failed_job_shows_the_error(instance):
    app = make_app(instance)
    users = add_users(instance)
    (sid,) = _upload(app, users["alice"])
    conn = connect(db_path(instance))
    name = conn.execute("SELECT audio_name FROM sessions WHERE id = ?", (sid,)).fetchone()[0]
    conn.close()
    (instance / "audio" / name).write_bytes(JFK.read_bytes()[:3000])  # damaged on disk after upload
    runner = JobRunner(db_path(instance), instance, workers=0)
    assert runner.run_one() is True
    assert runner.run_one() is False  # queue empty
    job = _job(instance, sid)
    assert job["status"] == "failed"
    assert job["error"].startswith("the recording ")
    assert str(instance) not in job["error"] and ".flac" not in job["error"]
    c = app.test_client()
    login(c, "alice")
    assert c.get(f"/api/jobs/{job['id']}").get_json()["error"] == job["error"]
    page = c.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "The analysis failed" in page and "the recording " in page


@pytest.mark.parametrize("workers", [1, 2])
def test_uploads_queue_with_bounded_concurrency(instance, workers):
    """The queue runs at most JOB_WORKERS analyses at once, oldest first (analysis stubbed to a sleep)."""
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "order": []}

    def slow_analysis(path, session, progress):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
            state["order"].append(session["id"])
        progress("transcribe", 0.5)
        time.sleep(0.4)
        with lock:
            state["now"] -= 1
        return {"index": 50.0, "subscores": {}}

    app = make_app(instance, JOB_WORKERS=0, ANALYZE=slow_analysis)
    users = add_users(instance)
    sids = _upload(app, users["alice"], n=4)
    runner = JobRunner(db_path(instance), instance, workers=workers, analyze=slow_analysis, poll_seconds=0.05)
    runner.start()
    try:
        jobs = _wait(instance, sids, timeout=30)
    finally:
        runner.stop()
    assert [j["status"] for j in jobs] == ["done"] * 4
    assert state["max"] == workers
    if workers == 1:
        assert state["order"] == sids


def test_progress_is_visible_while_running(instance):
    seen = {}

    def analysis(path, session, progress):
        progress("transcribe", 0.25)
        conn = connect(db_path(instance))
        seen.update(conn.execute("SELECT status, stage, progress FROM jobs WHERE session_id = ?",
                                 (session["id"],)).fetchone())
        conn.close()
        return {"index": 61.0, "subscores": {"explore": {"name": "explore", "score": 55.0}}}

    app = make_app(instance)
    users = add_users(instance)
    (sid,) = _upload(app, users["alice"])
    assert JobRunner(db_path(instance), instance, workers=0, analyze=analysis).run_one()
    assert seen == {"status": "running", "stage": "transcribe", "progress": 0.25}
    c = app.test_client()
    login(c, "alice")
    assert c.get("/api/sessions").get_json()["sessions"][0]["index"] == 61.0


def test_gives_up_after_repeated_interruptions(instance):
    app = make_app(instance)
    users = add_users(instance)
    (sid,) = _upload(app, users["alice"])
    conn = connect(db_path(instance))
    conn.execute("UPDATE jobs SET status = 'running', attempts = ? WHERE session_id = ?", (MAX_ATTEMPTS, sid))
    conn.commit()
    conn.close()
    make_app(instance)  # restart
    job = _job(instance, sid)
    assert job["status"] == "failed" and f"gave up after {MAX_ATTEMPTS}" in job["error"]


def test_a_finished_job_stores_the_standalone_page_before_it_is_done(instance):
    """The printable page is rendered by the job, not by its first viewer."""
    from tests.service.report_page_fixtures import poor_report

    from service.web import full_page

    app = make_app(instance)
    users = add_users(instance)
    (sid,) = _upload(app, users["alice"])
    seen = {}

    def analyze(path, session, progress):
        return poor_report()

    runner = JobRunner(db_path(instance), instance, workers=0, analyze=analyze)
    original = runner._finish

    def finish(conn, job_id, status, error):  # the page is on disk when the job says done
        seen["pages"] = sorted(p.name for p in (instance / "full").glob(f"{sid}-*.html"))
        original(conn, job_id, status, error)
    runner._finish = finish
    assert runner.run_one() is True
    assert _job(instance, sid)["status"] == "done" and len(seen["pages"]) == 1
    before = full_page.RENDER_COUNT["full"]
    c = app.test_client()
    login(c, "alice")
    body = c.get(f"/sessions/{sid}/full").get_data(as_text=True)
    assert full_page.RENDER_COUNT["full"] == before and "Hold back solutions" in body
    assert (instance / "full" / seen["pages"][0]).read_text() == body
