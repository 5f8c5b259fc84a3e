"""Answering the speaking-order question on the report page: stored, analysed again, shown."""

from __future__ import annotations

import io
import time

from tests.web_fixtures import JFK, add_users, instance, login, make_app, rows, stop_jobs  # noqa: F401

from analysis.report.types import Report
from service.web.speaker_order import speaker_question


def _session(instance, sid):
    return rows(instance, "SELECT * FROM sessions WHERE id = ?", sid)[0]


def _jobs(instance, sid):
    return rows(instance, "SELECT * FROM jobs WHERE session_id = ? ORDER BY id", sid)


def _wait(instance, sid, n_jobs, timeout=240.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        jobs = _jobs(instance, sid)
        if len(jobs) >= n_jobs and all(j["status"] in ("done", "failed") for j in jobs):
            return jobs[-1]
        time.sleep(0.2)
    raise AssertionError(f"jobs of session {sid} not finished after {timeout} s: {_jobs(instance, sid)}")


def _upload_jfk(c, trainee_id: int, title: str) -> int:
    """Upload JFK (one voice, one channel) for a trainee as sup1; the new session's id."""
    login(c, "sup1")
    r = c.post("/upload", data={"trainee_id": str(trainee_id), "speaker_setup": "auto", "title": title,
                                "audio": (io.BytesIO(JFK.read_bytes()), "jfk.flac")},
               content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    return int(r.headers["Location"].rsplit("/", 1)[1])


def test_question_is_offered_only_for_diarized_mono_with_audio():
    unsure = Report.from_dict({"speakers": {"source": "diarization", "uncertain_count": True, "speakers": ["spk0"]},
                               "settings": {}})
    session = {"audio_name": "a.flac", "helper_speaker": None}
    assert speaker_question(unsure, session, None) == {"ask": True, "current": None, "voices": 1}
    assert speaker_question(unsure, session, {"status": "running"}) is None
    assert speaker_question(unsure, {"audio_name": None}, None) is None
    stereo = Report.from_dict({"speakers": {"source": "channels", "uncertain_count": False, "speakers": ["ch0", "ch1"]}})
    assert speaker_question(stereo, session, None) is None
    # once the order is given the question is answered: it moves to the "mixed up?" box
    given = Report.from_dict({"speakers": {"source": "diarization", "uncertain_count": False, "speakers": ["spk0", "spk1"]},
                              "settings": {"helper_speaker": "second"}})
    q = speaker_question(given, {"audio_name": "a.flac", "helper_speaker": "speaker1"}, {"status": "done"})
    assert q == {"ask": False, "current": "second", "voices": 2}


def test_answer_reanalyses_the_session_as_two_people(instance):
    """JFK alone on one microphone: one voice, unsure, so the page asks. Answering 'the helper speaks
    first' stores the order and runs the real pipeline again, which now splits two voices."""
    app = make_app(instance, JOB_WORKERS=1)
    try:
        users = add_users(instance)
        c = app.test_client()
        sid = _upload_jfk(c, users["alice"], "one mic")
        assert _wait(instance, sid, 1)["status"] == "done"
        first = c.get(f"/api/reports/{sid}").get_json()
        assert first["speakers"]["uncertain_count"] and len(first["speakers"]["speakers"]) == 1
        page = c.get(f"/sessions/{sid}").get_data(as_text=True)
        assert 'id="ask-order"' in page and "One voice or two?" in page and 'id="speakers-fix"' not in page

        # a trainee who does not own the session may not answer; a bad answer changes nothing
        login(c, "bob")
        assert c.post(f"/sessions/{sid}/speakers", data={"helper_speaker": "first"}).status_code == 404
        login(c, "alice")
        r = c.post(f"/sessions/{sid}/speakers", data={"helper_speaker": "third"}, follow_redirects=True)
        assert "Choose whether the helper speaks first or second." in r.get_data(as_text=True)
        assert len(_jobs(instance, sid)) == 1 and _session(instance, sid)["helper_speaker"] is None

        r = c.post(f"/sessions/{sid}/speakers", data={"helper_speaker": "first"})
        assert r.status_code == 302
        s = _session(instance, sid)
        assert (s["speaker_setup"], s["helper_speaker"]) == ("mono", "first")
        job = _wait(instance, sid, 2)
        assert job["status"] == "done", job["error"]
        second = c.get(f"/api/reports/{sid}").get_json()
        assert second["speakers"]["info"]["speakers_given"] == 2
        assert second["speakers"]["speakers"] == ["spk0", "spk1"] and not second["speakers"]["uncertain_count"]
        assert second["settings"]["helper_speaker"] == "first"
        assert second["speakers"]["roles"]["helper"] == "spk0"
        assert " ".join(t["text"] for t in second["turns"]).lower().count("country") >= 2
        page = c.get(f"/sessions/{sid}").get_data(as_text=True)
        assert 'id="ask-order"' not in page and 'id="speakers-fix"' in page
        assert "the helper was set to speak first" in page
        assert 'value="first" disabled' in page  # the answer already given cannot be sent twice
    finally:
        stop_jobs(app)


def test_no_answer_while_an_analysis_is_queued(instance):
    app = make_app(instance)  # no workers: the upload's job stays queued
    try:
        users = add_users(instance)
        c = app.test_client()
        sid = _upload_jfk(c, users["alice"], "q")
        r = c.post(f"/sessions/{sid}/speakers", data={"helper_speaker": "second"}, follow_redirects=True)
        assert "being analysed already" in r.get_data(as_text=True)
        assert len(_jobs(instance, sid)) == 1 and _session(instance, sid)["helper_speaker"] is None
    finally:
        stop_jobs(app)


def test_a_wrong_order_shows_the_conflict_box_and_one_click_fixes_it(instance):
    """The good role-play on one microphone (the client speaks first) uploaded as "the helper speaks first":
    the page leads with the conflict and one "Use the other order" button; clicking it analyses the session
    again with the helper second (the real job runner and pipeline), and the box is gone."""
    from pathlib import Path

    listens_well = Path(__file__).resolve().parents[2] / "samples" / "dialogues" / "listens-well.wav"
    app = make_app(instance, JOB_WORKERS=1)
    try:
        users = add_users(instance)
        c = app.test_client()
        login(c, "sup1")
        r = c.post("/upload", data={"trainee_id": str(users["alice"]), "speaker_setup": "mono", "title": "swapped",
                                    "helper_speaker": "first",
                                    "audio": (io.BytesIO(listens_well.read_bytes()), "listens-well.wav")},
                   content_type="multipart/form-data")
        assert r.status_code == 302, r.get_data(as_text=True)
        sid = int(r.headers["Location"].rsplit("/", 1)[1])
        assert _wait(instance, sid, 1)["status"] == "done"
        first = c.get(f"/api/reports/{sid}").get_json()
        assert first["speakers"]["roles"]["check"]["conflict"] is True

        login(c, "alice")
        page = c.get(f"/sessions/{sid}").get_data(as_text=True)
        assert 'id="order-conflict"' in page
        assert page.index('id="order-conflict"') < page.index('id="summary"')  # above the score and headline
        assert "You said the helper speaks first, but what each voice says suggests the helper speaks second" in page
        box = page[page.index('id="order-conflict"'):page.index("</section>", page.index('id="order-conflict"'))]
        assert box.count("<button") == 2  # the other order, or this one confirmed
        assert 'name="helper_speaker" value="second">Use the other order</button>' in box
        assert f'action="/sessions/{sid}/confirm-order"' in box and ">My order is right</button>" in box
        assert "held back until the order is settled" in page  # no claim about words that may be the client's

        r = c.post(f"/sessions/{sid}/speakers", data={"helper_speaker": "second"}, follow_redirects=True)
        assert "with the helper speaking second" in r.get_data(as_text=True)
        job = _wait(instance, sid, 2)
        assert job["status"] == "done", job["error"]
        second = c.get(f"/api/reports/{sid}").get_json()
        assert second["settings"]["helper_speaker"] == "second"
        assert second["speakers"]["roles"]["check"]["conflict"] is False
        assert second["index"] > first["index"] + 20
        page = c.get(f"/sessions/{sid}").get_data(as_text=True)
        assert 'id="order-conflict"' not in page and "the helper was set to speak second" in page
    finally:
        stop_jobs(app)


def test_my_order_is_right_is_kept_without_a_new_analysis_and_only_by_those_who_may(instance):
    """"My order is right": the stored report is re-summarised (check confirmed, claims said), no job runs;
    another trainee gets the one 404, and a report with nothing to confirm stays as it is."""
    from pathlib import Path

    from service.pipeline import AnalysisSettings, analyze_file
    from service.store.storage import import_session

    audio = Path(__file__).resolve().parents[2] / "samples" / "dialogues" / "listens-well.wav"
    report = analyze_file(audio, AnalysisSettings(setup="mono", helper_speaker="first", prosody=False)).to_dict()
    assert report["summary"]["priorities"] == [] and report["summary"]["strength"] is None  # held back
    app = make_app(instance)
    try:
        add_users(instance)
        sid = import_session(instance, "alice", audio, report, source="upload", title="kept")
        c = app.test_client()
        jobs = _jobs(instance, sid)
        login(c, "bob")
        assert c.post(f"/sessions/{sid}/confirm-order").status_code == 404
        login(c, "alice")
        r = c.post(f"/sessions/{sid}/confirm-order", follow_redirects=True)
        assert "Kept the order you gave" in r.get_data(as_text=True)
        kept = c.get(f"/api/reports/{sid}").get_json()
        check = kept["speakers"]["roles"]["check"]
        assert check["conflict"] is True and check["confirmed"] is True and kept["settings"]["order_confirmed"]
        assert kept["summary"]["priorities"] or kept["summary"]["strength"]
        assert kept["index"] == report["index"] and _jobs(instance, sid) == jobs  # not analysed again
        assert 'id="order-conflict"' not in c.get(f"/sessions/{sid}").get_data(as_text=True)
        r = c.post(f"/sessions/{sid}/confirm-order", follow_redirects=True)
        assert "no speaking order to confirm" in r.get_data(as_text=True)
    finally:
        stop_jobs(app)
