"""Routes and permission rules of the web service, through Flask's test client."""

from __future__ import annotations

import logging

import pytest
from tests.web_fixtures import (  # noqa: F401  (fixtures)
    ADMIN_PASSWORD,
    PASSWORD,
    app,
    count,
    csrf_token,
    instance,
    login,
    make_app,
    stop_jobs,
    world,
)

from service.store.db import connect, db_path

PAGES = ["/", "/upload", "/practice/", "/progress/", "/admin/users", "/sessions/1", "/sessions/1/audio",
         "/sessions/1/full", "/progress/3", "/progress/3/chart.svg", "/practice/relapse-shame", "/scenarios/add",
         "/scenarios/example.json"]
APIS = ["/api/sessions", "/api/sessions/1", "/api/jobs/1", "/api/reports/1"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_redirected_to_login(app, world, path):
    r = app.test_client().get(path)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", APIS)
def test_anonymous_api_gets_401_json(app, world, path):
    r = app.test_client().get(path)
    assert r.status_code == 401
    assert r.get_json()["error"] == "unauthorized"


def test_login_wrong_password_and_cookie_flags(app, world):
    c = app.test_client()
    r = login(c, "alice", "wrong")
    assert r.status_code == 401
    assert "wrong password" in r.get_data(as_text=True)
    r = login(c, "alice")
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert c.get("/").status_code == 200
    c.post("/logout")
    assert c.get("/").status_code == 302


def test_secure_cookie_setting(instance):
    app = make_app(instance, SESSION_COOKIE_SECURE=True)
    r = login(app.test_client(), "admin", ADMIN_PASSWORD)
    assert "Secure" in r.headers["Set-Cookie"]


def test_open_redirect_refused(app, world):
    r = app.test_client().post("/login?next=//evil.example/x", data={"username": "alice", "password": PASSWORD})
    assert r.headers["Location"] == "/"


def test_trainee_sees_only_own_sessions(app, world):
    c = app.test_client()
    login(c, "alice")
    listing = c.get("/").get_data(as_text=True)
    assert "alice 1" in listing and "bob 1" not in listing
    mine, other = world["s_alice"], world["s_bob"]
    assert c.get(f"/sessions/{mine}").status_code == 200
    # not yours and not there get one answer (404), so ids are not revealed
    for path in (f"/sessions/{other}", f"/sessions/{other}/audio", f"/sessions/{other}/full"):
        assert c.get(path).status_code == 404, path
    api = c.get("/api/sessions").get_json()["sessions"]
    assert [s["id"] for s in api] == [mine]
    assert c.get(f"/api/reports/{mine}").get_json()["index"] == 70.0
    assert c.get(f"/api/reports/{other}").status_code == 404
    assert c.get(f"/api/sessions/{other}").status_code == 404
    job_other = connect(db_path(app.instance_path)).execute(
        "SELECT id FROM jobs WHERE session_id = ?", (other,)).fetchone()[0]
    assert c.get(f"/api/jobs/{job_other}").status_code == 404
    assert c.get("/api/reports/999").status_code == 404
    assert c.get("/sessions/999").status_code == 404


def test_supervisor_sees_assigned_trainees_only(app, world):
    c = app.test_client()
    login(c, "sup1")
    page = c.get("/").get_data(as_text=True)
    assert "alice 1" in page and "bob 1" not in page
    assert c.get(f"/sessions/{world['s_alice']}").status_code == 200
    assert c.get(f"/sessions/{world['s_bob']}").status_code == 404
    assert c.get(f"/progress/{world['bob']}").status_code == 404
    overview = c.get("/progress/").get_data(as_text=True)
    assert "alice" in overview and "bob" not in overview and ">70<" in overview


def test_admin_sees_all_and_others_cannot_manage_users(app, world):
    c = app.test_client()
    login(c, "admin", ADMIN_PASSWORD)
    assert {s["id"] for s in c.get("/api/sessions").get_json()["sessions"]} == {world["s_alice"], world["s_bob"]}
    assert c.get("/admin/users").status_code == 200
    r = c.post("/admin/users", data={"username": "carol", "password": "quiet-river-lamp-42", "role": "trainee",
                                      "supervisor_id": str(world["sup1"])}, follow_redirects=True)
    assert "Created trainee" in r.get_data(as_text=True)
    r = c.post("/admin/users", data={"username": "dan", "password": "short", "role": "trainee"},
               follow_redirects=True)
    assert "at least 10 characters" in r.get_data(as_text=True)
    c2 = app.test_client()
    login(c2, "carol", "quiet-river-lamp-42")
    assert c2.get("/admin/users").status_code == 403
    login(c2 := app.test_client(), "sup1")
    assert c2.get("/admin/users").status_code == 403
    assert c2.post("/admin/users", data={"username": "x", "password": "xxxxxxxxx", "role": "admin"}).status_code == 403
    # carol is sup1's trainee now
    assert "carol" in c2.get("/upload").get_data(as_text=True)


def test_comments_pinned_to_time(app, world):
    sid = world["s_alice"]
    trainee = app.test_client()
    login(trainee, "alice")
    assert trainee.post(f"/sessions/{sid}/comments", data={"body": "mine", "at_seconds": "1"}).status_code == 403
    other_sup = app.test_client()
    login(other_sup, "sup2")
    assert other_sup.post(f"/sessions/{sid}/comments", data={"body": "x", "at_seconds": "1"}).status_code == 404
    sup = app.test_client()
    login(sup, "sup1")
    r = sup.post(f"/sessions/{sid}/comments", data={"body": "Lovely pause here", "at_seconds": "75.5"},
                 follow_redirects=True)
    assert "Comment added" in r.get_data(as_text=True)
    r = sup.post(f"/sessions/{sid}/comments", data={"body": "bad", "at_seconds": "-3"}, follow_redirects=True)
    assert "0 or more" in r.get_data(as_text=True)
    page = trainee.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "Lovely pause here" in page and 'data-start="75.5"' in page and "1:15.5" in page
    assert count(app.instance_path, "comments") == 1


def test_report_page_has_player_and_clickable_evidence(app, world):
    c = app.test_client()
    login(c, "alice")
    page = c.get(f"/sessions/{world['s_alice']}").get_data(as_text=True)
    assert '<audio id="player"' in page
    assert 'class="evidence" data-start="1.0" data-end="2.5"' in page
    assert "Reflect the feeling first." in page
    r = c.get(f"/sessions/{world['s_alice']}/audio")
    assert r.status_code == 200 and r.mimetype == "audio/flac" and r.data[:4] == b"fLaC"
    r.close()


def test_progress_chart_is_svg(app, world, instance):
    from tests.web_fixtures import JFK, make_report

    from service.store.storage import import_session

    import_session(instance, "alice", JFK, make_report(80.0), title="alice 2")
    c = app.test_client()
    login(c, "alice")
    assert c.get("/progress/").headers["Location"].endswith(f"/progress/{world['alice']}")
    page = c.get(f"/progress/{world['alice']}").get_data(as_text=True)
    assert "alice 2" in page and ">80<" in page
    r = c.get(f"/progress/{world['alice']}/chart.svg")
    assert r.mimetype == "image/svg+xml" and b"<svg" in r.data and b"index" in r.data
    assert c.get(f"/progress/{world['bob']}/chart.svg").status_code == 404


def test_delete_removes_audio_and_rows(app, world, instance):
    audio = sorted((instance / "audio").iterdir())
    assert len(audio) == 2
    c = app.test_client()
    login(c, "alice")
    assert c.post(f"/sessions/{world['s_bob']}/delete").status_code == 404
    assert len(list((instance / "audio").iterdir())) == 2
    r = c.post(f"/sessions/{world['s_alice']}/delete", follow_redirects=True)
    assert "deleted" in r.get_data(as_text=True)
    assert len(list((instance / "audio").iterdir())) == 1
    for table in ("sessions", "reports", "jobs"):
        assert count(instance, table) == 1, table
    sup2 = app.test_client()
    login(sup2, "sup2")
    assert sup2.delete(f"/api/sessions/{world['s_bob']}").get_json() == {"deleted": world["s_bob"]}
    assert list((instance / "audio").iterdir()) == []
    assert count(instance, "sessions") == 0


def test_csrf_required_on_forms_and_api(instance):
    app = make_app(instance, WTF_CSRF_ENABLED=True)
    from tests.web_fixtures import JFK, add_users, make_report

    from service.store.storage import import_session

    add_users(instance)
    sid = import_session(instance, "alice", JFK, make_report(60.0))
    c = app.test_client()
    assert login(c, "sup1").status_code == 400  # no token on the log-in form
    token = csrf_token(c, "/login")
    assert c.post("/login", data={"username": "sup1", "password": PASSWORD, "csrf_token": token}).status_code == 302
    r = c.post(f"/sessions/{sid}/comments", data={"body": "hi", "at_seconds": "0"})
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    assert c.delete(f"/api/sessions/{sid}").status_code == 400
    token = csrf_token(c)
    assert c.post(f"/sessions/{sid}/comments", data={"body": "hi", "at_seconds": "0", "csrf_token": token}
                  ).status_code == 302
    assert c.delete(f"/api/sessions/{sid}", headers={"X-CSRFToken": token}).status_code == 200
    stop_jobs(app)


def test_first_run_creates_admin_with_printed_password(tmp_path, caplog, monkeypatch):
    monkeypatch.delenv("LISTENWELL_ADMIN_PASSWORD", raising=False)
    with caplog.at_level(logging.WARNING, logger="service.web.auth"):
        app = make_app(tmp_path / "fresh", ADMIN_PASSWORD=None)
    messages = [r.getMessage() for r in caplog.records if "password" in r.getMessage()]
    assert len(messages) == 1
    password = messages[0].split("password ")[1].split(" ")[0]
    assert len(password) >= 12
    assert login(app.test_client(), "admin", password).status_code == 302
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="service.web.auth"):
        make_app(tmp_path / "fresh", ADMIN_PASSWORD=None)  # second start: no new admin
    assert not [r for r in caplog.records if "password" in r.getMessage()]
    conn = connect(db_path(tmp_path / "fresh"))
    row = conn.execute("SELECT password_hash FROM users WHERE username = 'admin'").fetchone()
    assert password not in row[0] and row[0].startswith("pbkdf2:")
    conn.close()


def test_migrations_versioned(instance, app):
    from service.store.db import latest_version, migrate, schema_version

    conn = connect(db_path(instance))
    assert schema_version(conn) == latest_version() >= 1
    assert migrate(conn) == latest_version()  # idempotent
    conn.close()


def test_pages_escape_report_text_and_forbid_outside_requests(app, world, instance):
    from tests.web_fixtures import make_report

    from service.store.storage import import_session

    sid = import_session(instance, "alice", None, make_report(50.0, quote="<script>alert(1)</script>"))
    c = app.test_client()
    login(c, "alice")
    r = c.get(f"/sessions/{sid}")
    page = r.get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    full = c.get(f"/sessions/{sid}/full").get_data(as_text=True)
    assert "<script>alert(1)" not in full
