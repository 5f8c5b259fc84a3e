"""Migrations on an old instance: 0003 with "Alice" and "alice" (one keeps the name, none is lost); 0004 with old jobs."""

from __future__ import annotations

import sqlite3
from importlib import resources

import pytest

from service.store.db import connect, migrate, schema_version


def test_duplicate_names_renamed_then_unique_case_insensitive(tmp_path):
    conn = connect(tmp_path / "old.sqlite3")
    sql = resources.files("service.store.migrations").joinpath("0001_init.sql").read_text(encoding="utf-8")
    conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = 1;\nCOMMIT;")
    conn.execute("INSERT INTO users (username, role) VALUES ('alice', 'trainee')")
    conn.execute("INSERT INTO users (username, role) VALUES ('Alice', 'trainee')")
    conn.execute("INSERT INTO users (username, role) VALUES ('bob', 'trainee')")
    conn.commit()
    migrate(conn)
    assert schema_version(conn) >= 3
    names = [r[0] for r in conn.execute("SELECT username FROM users ORDER BY id")]
    assert names == ["alice", "Alice-2", "bob"]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO users (username, role) VALUES ('BOB', 'trainee')")
    assert conn.execute("SELECT COUNT(*) FROM login_sessions").fetchone()[0] == 0
    conn.close()


def test_jobs_of_an_old_instance_become_analysis_jobs_and_voicing_jobs_fit_beside_them(tmp_path):
    """Migration 0004 rebuilds the jobs table: old rows keep their id, status and times as analyses."""
    conn = connect(tmp_path / "old.sqlite3")
    for number, name in enumerate(("0001_init.sql", "0002_comments_time.sql", "0003_sessions.sql"), start=1):
        sql = resources.files("service.store.migrations").joinpath(name).read_text(encoding="utf-8")
        conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.execute("INSERT INTO users (username, role) VALUES ('alice', 'trainee')")
    conn.execute("INSERT INTO users (username, role) VALUES ('sup', 'supervisor')")
    conn.execute("INSERT INTO sessions (trainee_id, duration) VALUES (1, 95.5)")
    for status in ("done", "running", "queued"):
        conn.execute("INSERT INTO jobs (session_id, status, started_at) VALUES (1, ?, '2026-01-02T03:04:05Z')",
                     (status,))
    conn.commit()
    migrate(conn)
    assert schema_version(conn) >= 4
    old = [tuple(r) for r in conn.execute(
        "SELECT id, kind, status, started_at, owner_id, audio_seconds FROM job_queue ORDER BY id")]
    assert old == [(1, "analysis", "done", "2026-01-02T03:04:05Z", 1, 95.5),
                   (2, "analysis", "running", "2026-01-02T03:04:05Z", 1, 95.5),
                   (3, "analysis", "queued", "2026-01-02T03:04:05Z", 1, 95.5)]
    # a plain insert (as before) is still an analysis; a voicing job names its user and scenario
    assert conn.execute("INSERT INTO jobs (session_id) VALUES (1)").lastrowid == 4
    voicing = conn.execute("INSERT INTO jobs (kind, user_id, payload) VALUES ('voicing', 2, '{}')").lastrowid
    assert voicing == 5
    assert conn.execute("SELECT kind, owner_id, audio_seconds FROM job_queue WHERE id = 5").fetchone()[:] == (
        "voicing", 2, 0)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO jobs (kind, user_id) VALUES ('voicing', 2)")  # no scenario
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO jobs (kind) VALUES ('analysis')")  # no session
    conn.execute("DELETE FROM sessions")  # an analysis still goes with its session
    assert [r[0] for r in conn.execute("SELECT kind FROM jobs")] == ["voicing"]
    conn.close()
