"""Shared helpers for the web tests: a fresh app and instance per test, users, sessions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.store.db import connect, db_path
from service.store.storage import import_session
from service.web.app import create_app
from service.web.auth import create_user

ROOT = Path(__file__).resolve().parents[1]
JFK = ROOT / "tests" / "data" / "jfk.flac"
PASSWORD = "pass-word-1"
ADMIN_PASSWORD = "admin-pass-1"
FAST_HASH = "pbkdf2:sha256:1000"  # tests only: the service's default is scrypt


def make_report(index: float, start: float = 1.0, quote: str = "what your country can do") -> dict:
    """A report dict in the Report.to_dict() shape with one sub-score and one evidence item."""
    return {
        "report_version": 1,
        "source": "test",
        "kind": "audio",
        "created": "",
        "duration": 11.0,
        "language": "en",
        "index": index,
        "partial": False,
        "disclaimer": "Practice feedback, not a clinical rating.",
        "subscores": {
            "reflect_validate": {
                "name": "reflect_validate",
                "label": "Reflect and validate",
                "score": index - 5,
                "measured": True,
                "weight": 1.0,
                "summary": "",
                "try_instead": "Reflect the feeling first.",
                "parts": [],
                "evidence": [
                    {"speaker": "helper", "quote": quote, "start": start, "end": start + 1.5,
                     "note": "", "positive": False}
                ],
            }
        },
        "miti": {},
        "strengths": ["Let the client talk"],
        "work_on": ["Fewer closed questions"],
        "notes": [],
        "turns": [],
    }


def make_app(instance: Path, **config):
    base = {
        "INSTANCE_DIR": instance,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "JOB_WORKERS": 0,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
    }
    base.update(config)
    return create_app(base)


def add_users(instance: Path) -> dict[str, int]:
    """sup1 -> alice, sup2 -> bob (trainees); returns name -> id (the admin is 'admin')."""
    conn = connect(db_path(instance))
    ids = {"sup1": create_user(conn, "sup1", PASSWORD, "supervisor", method=FAST_HASH),
           "sup2": create_user(conn, "sup2", PASSWORD, "supervisor", method=FAST_HASH)}
    ids["alice"] = create_user(conn, "alice", PASSWORD, "trainee", ids["sup1"], method=FAST_HASH)
    ids["bob"] = create_user(conn, "bob", PASSWORD, "trainee", ids["sup2"], method=FAST_HASH)
    ids["admin"] = conn.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()[0]
    conn.commit()
    conn.close()
    return ids


def login(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def csrf_token(client, path: str = "/") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def rows(instance: Path, sql: str, *args) -> list[dict]:
    """The rows of one query on the instance's database, as dicts."""
    conn = connect(db_path(instance))
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def count(instance: Path, table: str) -> int:
    conn = connect(db_path(instance))
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def stop_jobs(app) -> None:
    runner = app.extensions.get("listenwell_jobs")
    if runner is not None:
        runner.stop()


@pytest.fixture
def instance(tmp_path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def app(instance):
    app = make_app(instance)
    yield app
    stop_jobs(app)


@pytest.fixture
def world(app, instance):
    """Users plus one finished session (with audio) for alice and one for bob."""
    ids = add_users(instance)
    ids["s_alice"] = import_session(instance, "alice", JFK, make_report(70.0), source="test", title="alice 1")
    ids["s_bob"] = import_session(instance, "bob", JFK, make_report(40.0), source="test", title="bob 1")
    return ids


def log_in(browser, url: str, user: str, viewport: dict, *, password: str = PASSWORD, **context):
    """A new page in its own browser context at ``viewport``, logged in as ``user`` on the live server at ``url``."""
    page = browser.new_context(viewport=viewport, **context).new_page()
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    return page
