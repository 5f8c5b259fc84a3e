"""Issue 21, item 7: private modes from the first moment, deletions gone from the file and the WAL
at once, and one answer (404) for "not yours" and "does not exist", on a real server."""

from __future__ import annotations

import os
import re
import stat

import pytest
import requests

from service.store.db import connect, db_path
from service.store.storage import import_session
from service.web.auth import create_user
from tests.security.live import log_in, make_users, start_server
from tests.web_fixtures import FAST_HASH, JFK, PASSWORD, make_report


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A fresh instance (umask 022) with alice (sup1) and bob (sup2), each with a finished session."""
    instance = tmp_path_factory.mktemp("privacy") / "instance"
    ids = make_users(instance)
    conn = connect(db_path(instance))
    ids["sup2"] = create_user(conn, "sup2", PASSWORD, "supervisor", method=FAST_HASH)
    ids["bob"] = create_user(conn, "bob", PASSWORD, "trainee", ids["sup2"], method=FAST_HASH)
    conn.commit()
    conn.close()
    ids["s_alice"] = import_session(instance, "alice", JFK, make_report(70.0), source="test", title="alice 1")
    ids["s_bob"] = import_session(instance, "bob", None, make_report(60.0), source="test", title="bob 1")
    server = start_server(instance, "--workers", "0", umask=0o022)
    yield server, ids
    server.stop()


def test_stored_full_pages_are_private_from_the_first_moment(live):
    server, ids = live
    full = server.instance / "full"
    assert not full.exists()  # a fresh instance: the folder is made by the first request below
    s = log_in(server.url, "alice")
    assert s.get(f"{server.url}/sessions/{ids['s_alice']}/full", timeout=30).status_code == 200
    assert stat.S_IMODE(full.stat().st_mode) == 0o700  # before: 0755
    pages = list(full.iterdir())
    assert pages and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in pages)


def test_a_deleted_session_is_gone_from_the_file_and_its_wal_at_once(live):
    server, _ = live
    marker = "relapse-after-the-funeral-" + os.urandom(4).hex()
    sid = import_session(server.instance, "alice", None, make_report(55.0, quote=marker), source="test")
    db = db_path(server.instance)
    raw = lambda: db.read_bytes() + (db.with_name(db.name + "-wal").read_bytes()
                                     if db.with_name(db.name + "-wal").exists() else b"")
    assert marker.encode() in raw()
    s = log_in(server.url, "sup1")
    assert s.delete(f"{server.url}/api/sessions/{sid}", timeout=10).status_code == 200
    assert marker.encode() not in raw()  # no checkpoint by hand: the deletion ran one (before: in the WAL)


def _plain(text: str, *numbers: int) -> str:
    """A response without its per-response tokens (CSP nonce, CSRF token) and with the ids asked for as N."""
    text = re.sub(r'(nonce|content)="[^"]*"', "", text)
    for n in numbers:
        text = re.sub(rf"\b{n}\b", "N", text)
    return text


def test_not_yours_and_not_there_get_the_same_answer(live):
    server, ids = live
    alice = log_in(server.url, "alice")
    conn = connect(db_path(server.instance))
    job_bob = conn.execute("SELECT id FROM jobs WHERE session_id = ?", (ids["s_bob"],)).fetchone()
    conn.close()
    missing_session, missing_user = 10**6, 10**6
    pairs = [
        (f"/sessions/{ids['s_bob']}", f"/sessions/{missing_session}"),
        (f"/sessions/{ids['s_bob']}/audio", f"/sessions/{missing_session}/audio"),
        (f"/progress/{ids['bob']}", f"/progress/{missing_user}"),
        (f"/api/sessions/{ids['s_bob']}", f"/api/sessions/{missing_session}"),
        (f"/api/reports/{ids['s_bob']}", f"/api/reports/{missing_session}"),
    ]
    for theirs, nothing in pairs:
        a, b = alice.get(server.url + theirs, timeout=10), alice.get(server.url + nothing, timeout=10)
        assert a.status_code == b.status_code == 404, (theirs, a.status_code, b.status_code)
        assert _plain(a.text, ids["s_bob"], ids["bob"]) == _plain(b.text, missing_session), theirs
    if job_bob is not None:  # an imported session may have no job row; then a queued one is made below
        job_id = job_bob[0]
    else:
        conn = connect(db_path(server.instance))
        job_id = conn.execute("INSERT INTO jobs (session_id, status) VALUES (?, 'queued')",
                              (ids["s_bob"],)).lastrowid
        conn.commit()
        conn.close()
    r = alice.get(f"{server.url}/api/jobs/{job_id}", timeout=10)
    assert r.status_code == 404 and f"session {ids['s_bob']}" not in r.text and "session" not in r.json()["message"]
    assert requests.get(f"{server.url}/api/jobs/{job_id}", timeout=10).status_code == 401
