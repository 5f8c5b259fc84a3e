"""Issue 21: "one trainee's six 59-minute uploads were accepted at once, and another's 12 s clip waited
more than 2 minutes behind them."

Against a real ``listenwell serve`` with no job workers (every upload stays queued): a trainee may
have at most ``QUEUED_MINUTES_PER_USER`` (120) minutes of audio waiting. Two 59-minute uploads fit
(118 minutes); the third to sixth are refused with 429 and a plain message before anything is
stored, on the upload page and in the practice page's JSON; another trainee's clip is still taken.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from service.store.db import connect, db_path
from tests.security.live import log_in, make_users, start_server
from tests.web_fixtures import FAST_HASH, JFK, PASSWORD

SR = 16000


def _silence(path: Path, minutes: float) -> Path:
    """``minutes`` of 16 kHz silence as FLAC (tiny: a 59-minute file is under 200 kB)."""
    with sf.SoundFile(path, "w", SR, 1, format="FLAC", subtype="PCM_16") as f:
        left = int(minutes * 60 * SR)
        while left > 0:
            n = min(left, 60 * SR)
            f.write(np.zeros(n, dtype=np.int16))
            left -= n
    return path


def _state(instance: Path) -> tuple[int, int, list[str]]:
    """Sessions, jobs, and the files in audio/ and tmp/."""
    conn = connect(db_path(instance))
    try:
        sessions = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        jobs = conn.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
    finally:
        conn.close()
    files = sorted(p.name for d in ("audio", "tmp") if (instance / d).is_dir() for p in (instance / d).iterdir())
    return sessions, jobs, files


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    root = tmp_path_factory.mktemp("limits")
    instance = root / "instance"
    ids = make_users(instance)
    from service.web.auth import create_user

    conn = connect(db_path(instance))
    ids["bob"] = create_user(conn, "bob", PASSWORD, "trainee", ids["sup1"], method=FAST_HASH)
    conn.commit()
    conn.close()
    server = start_server(instance, "--workers", "0")
    yield server, ids, _silence(root / "long-session.flac", 59)
    server.stop()


def _upload(s, url, trainee_id, path: Path):
    return s.post(url + "/upload", data={"trainee_id": trainee_id, "speaker_setup": "auto"},
                  files={"audio": (path.name, path.read_bytes())}, allow_redirects=False, timeout=60)


def test_six_long_uploads_two_accepted_the_rest_refused_with_the_reason(live):
    server, ids, long_file = live
    sup = log_in(server.url, "sup1")
    answers = [_upload(sup, server.url, ids["alice"], long_file) for _ in range(6)]
    assert [r.status_code for r in answers] == [302, 302, 429, 429, 429, 429]
    page = answers[2].text
    message = ("alice has 118 minutes waiting to be analysed, and this recording is 59 minutes; the limit is "
               "120 minutes. Upload it when some have finished.")
    assert message in page and 'class="flash error"' in page and "Upload a session recording" in page
    before = _state(server.instance)
    assert before[:2] == (2, 2) and not any(name.startswith("upload-") for name in before[2])

    # the trainee herself: the same limit, said to her
    alice = log_in(server.url, "alice")
    r = _upload(alice, server.url, ids["alice"], long_file)
    assert r.status_code == 429 and "You have 118 minutes waiting to be analysed" in r.text
    # the practice page's JSON: a 3-minute recording no longer fits either
    three = _silence(long_file.with_name("three-minutes.flac"), 3)
    r = alice.post(server.url + "/practice/submit", data={"consent": "yes"},
                   files={"audio": ("recording.flac", three.read_bytes())}, timeout=60)
    assert r.status_code == 429, r.text[:300]
    assert r.json() == {"error": "queue_full", "message": (
        "You have 118 minutes waiting to be analysed, and this recording is 3 minutes; the limit is 120 minutes. "
        "Submit it when some have finished.")}
    assert _state(server.instance) == before  # nothing stored for any refusal

    # another trainee's 11 s clip is taken at once
    r = _upload(sup, server.url, ids["bob"], JFK)
    assert r.status_code == 302, r.text[:300]
    assert _state(server.instance)[:2] == (3, 3)
