"""Uploads and browser submissions: bad files give a clear message and store nothing."""

from __future__ import annotations

import io
import json

import pytest
from tests.web_fixtures import (  # noqa: F401
    JFK,
    ROOT,
    app,
    count,
    instance,
    login,
    make_app,
    stop_jobs,
    world,
)

WEBM = ROOT / "tests" / "data" / "formats" / "jfk4.webm"


def _post(client, trainee_id, data: bytes, filename: str, **form):
    fields = {"trainee_id": str(trainee_id), "speaker_setup": "auto", **form,
              "audio": (io.BytesIO(data), filename)}
    return client.post("/upload", data=fields, content_type="multipart/form-data")


def _nothing_stored(instance, sessions_before: int = 2):
    assert count(instance, "sessions") == sessions_before
    assert count(instance, "jobs") == sessions_before
    assert len(list((instance / "audio").iterdir())) == sessions_before
    assert list((instance / "tmp").iterdir()) == [] if (instance / "tmp").exists() else True


@pytest.mark.parametrize(
    "data, filename, status, message",
    [
        (b"", "empty.wav", 422, "is empty (0 bytes)"),
        (b"hello, these are my session notes\n" * 20, "notes.wav", 415, "not audio"),
        (JFK.read_bytes(), "jfk.exe", 415, "files ending &#39;.exe&#39; are not accepted"),
        (JFK.read_bytes(), "jfk", 415, "has no file extension"),
        (b"%PDF-1.4 fake pdf" + bytes(200), "report.mp3", 415, "is a PDF document, not audio"),
        (bytes(range(256)) * 40, "noise.flac", 415, "not a recognised audio file"),
    ],
)
def test_bad_upload_is_refused_and_nothing_stored(app, world, instance, data, filename, status, message):
    c = app.test_client()
    login(c, "sup1")
    r = _post(c, world["alice"], data, filename)
    text = r.get_data(as_text=True)
    assert r.status_code == status, text
    assert message in text
    _nothing_stored(instance)


def test_too_large_upload(instance):
    app = make_app(instance, MAX_CONTENT_LENGTH=50_000)
    from tests.web_fixtures import add_users

    ids = add_users(instance)
    c = app.test_client()
    login(c, "sup1")
    r = _post(c, ids["alice"], JFK.read_bytes(), "jfk.flac")
    assert r.status_code == 413
    assert "The upload is too large: the limit is 50 kB per upload." in r.get_data(as_text=True)
    assert count(instance, "sessions") == 0 and not any((instance / "audio").glob("*"))
    stop_jobs(app)


def test_too_long_and_too_short_audio(instance):
    app = make_app(instance, MAX_AUDIO_SECONDS=5.0, MIN_AUDIO_SECONDS=1.0)
    from tests.web_fixtures import add_users

    ids = add_users(instance)
    c = app.test_client()
    login(c, "sup1")
    r = _post(c, ids["alice"], JFK.read_bytes(), "jfk.flac")
    assert r.status_code == 413
    assert "jfk.flac lasts 11 s, over the limit of 5 s." in r.get_data(as_text=True)
    app.config["MAX_AUDIO_SECONDS"] = 60.0
    app.config["MIN_AUDIO_SECONDS"] = 30.0
    r = _post(c, ids["alice"], JFK.read_bytes(), "jfk.flac")
    assert r.status_code == 422 and "under the minimum of 30 s" in r.get_data(as_text=True)
    assert count(instance, "sessions") == 0
    stop_jobs(app)


def test_supervisor_cannot_upload_for_unassigned_trainee(app, world, instance):
    c = app.test_client()
    login(c, "sup1")
    r = _post(c, world["bob"], JFK.read_bytes(), "jfk.flac")
    assert r.status_code == 400 and "Choose one of your trainees" in r.get_data(as_text=True)
    _nothing_stored(instance)


def test_good_upload_stored_by_content_under_generated_name(app, world, instance):
    c = app.test_client()
    login(c, "sup1")
    # FLAC content under an .mp3 name: the type comes from the content
    r = _post(c, world["alice"], JFK.read_bytes(), "../../etc/My Session.mp3", title="week 1",
              speaker_setup="stereo", helper_channel="1")
    assert r.status_code == 302
    sid = int(r.headers["Location"].rsplit("/", 1)[1])
    names = {p.name for p in (instance / "audio").iterdir()}
    assert len(names) == 3
    from service.store.db import connect, db_path

    row = connect(db_path(instance)).execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone()
    assert row["audio_name"] in names and row["audio_name"].endswith(".flac")
    assert len(row["audio_name"]) == 32 + 5 and "Session" not in row["audio_name"]
    assert row["audio_mime"] == "audio/flac" and abs(row["duration"] - 11.0) < 0.2
    assert row["speaker_setup"] == "stereo" and row["helper_channel"] == 1
    job = c.get("/api/sessions").get_json()["sessions"][0]
    assert job["id"] == sid and job["job_status"] == "queued"
    page = c.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "Analysing" in page and 'id="job"' in page


def test_practice_submit_webm(app, world, instance):
    c = app.test_client()
    login(c, "alice")
    page = c.get("/practice/relapse-shame").get_data(as_text=True)
    assert 'id="consent"' in page and "conv-start" in page and "Show the situation" in page
    timeline = json.dumps([{"start": 0.5, "end": 2.0, "line": 0}])
    form = {"scenario_id": "relapse-shame", "client_timeline": timeline,
            "audio": (io.BytesIO(WEBM.read_bytes()), "recording.webm")}
    r = c.post("/practice/submit", data=form, content_type="multipart/form-data")
    assert r.status_code == 400 and r.get_json()["error"] == "no_consent"
    form["audio"] = (io.BytesIO(WEBM.read_bytes()), "recording.webm")
    r = c.post("/practice/submit", data={**form, "consent": "yes"}, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    from service.store.db import connect, db_path

    row = connect(db_path(instance)).execute("SELECT * FROM sessions WHERE id = ?", (body["session_id"],)).fetchone()
    assert row["speaker_setup"] == "scripted" and row["audio_name"].endswith(".wav")  # both sides (test_practice_audio.py)
    stored = json.loads(row["client_timeline"])
    assert stored[0]["start"] == 0.5 and stored[0]["text"]  # the scenario's first line
    assert c.get(body["job_url"]).get_json()["status"] == "queued"
    # bad uploads answer JSON with the error kind
    r = c.post("/practice/submit", data={"consent": "yes", "audio": (io.BytesIO(b""), "recording.webm")},
               content_type="multipart/form-data")
    assert r.status_code == 422 and r.get_json()["error"] == "empty_file"
    sup = app.test_client()
    login(sup, "sup1")
    r = sup.post("/practice/submit", data={"consent": "yes"}, content_type="multipart/form-data")
    assert r.status_code == 403


def test_practice_timeline_checked():
    from analysis.errors import ParameterError
    from service.web.practice import parse_timeline

    assert parse_timeline("[]") is None
    with pytest.raises(ParameterError, match="0 <= start < end"):
        parse_timeline('[{"start": 3, "end": 1}]')
    with pytest.raises(ParameterError, match="not JSON"):
        parse_timeline("[{")
