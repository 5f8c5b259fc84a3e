"""The report page is rendered once per version of what it shows and served from memory after that
(real SQLite, Flask test client with CSRF on): fresh token and nonce per response, and every change
(comments, a new analysis, another viewer, a flash message) gives a freshly rendered page."""

from __future__ import annotations

import re
import time

import pytest
from tests.web_fixtures import JFK, add_users, instance, login, make_app, make_report, stop_jobs  # noqa: F401

from service.store.db import connect, db_path
from service.store.storage import import_session, save_report
from service.web.page_cache import PageCache, StoredPage, page_key


@pytest.fixture
def app(instance):  # noqa: F811
    app = make_app(instance, WTF_CSRF_ENABLED=True)
    yield app
    stop_jobs(app)


def _client(app, user):
    c = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
    r = c.post("/login", data={"username": user, "password": "pass-word-1", "csrf_token": token})
    assert r.status_code == 302
    return c


def _token(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def _nonce(response) -> str:
    return re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)


def test_lru_keeps_the_newest_pages_and_swaps_token_and_nonce():
    cache = PageCache(capacity=2)
    for n in range(3):
        cache.put(page_key("page", n), StoredPage(f"<p>{n} tok{n} non{n} tok{n}</p>", f"tok{n}", f"non{n}"))
    assert len(cache) == 2 and cache.get(page_key("page", 0)) is None
    page = cache.get(page_key("page", 2))
    assert page.with_values("NEW", "N2") == "<p>2 NEW N2 NEW</p>"
    assert page_key("a", 1) != page_key("a", "1") and page_key((1, 2)) == page_key((1, 2))
    off = PageCache(capacity=0)
    off.put("k", StoredPage("x", "", ""))
    assert off.get("k") is None


def test_second_view_is_served_from_memory_with_its_own_token_and_nonce(app, instance):
    add_users(instance)
    sid = import_session(instance, "alice", JFK, make_report(70.0), source="test", title="cached")
    c = _client(app, "sup1")
    first = c.get(f"/sessions/{sid}")
    time.sleep(1.1)  # a CSRF token carries its time in seconds: a new second, a new token
    second = c.get(f"/sessions/{sid}")
    pages = app.extensions["listenwell_pages"]
    assert first.status_code == second.status_code == 200
    assert (pages.renders, pages.hits) == (1, 1)
    a, b = first.get_data(as_text=True), second.get_data(as_text=True)
    assert _token(a) != _token(b) and _nonce(first) != _nonce(second)
    # any nonce in the page is the one its CSP names, and no old token or nonce is left in it
    assert b.count(_nonce(second)) == a.count(_nonce(first)) and _nonce(first) not in b and _token(a) not in b
    assert a.replace(_token(a), "T").replace(_nonce(first), "N") == b.replace(_token(b), "T").replace(_nonce(second), "N")
    # the token of the page served from memory works: the comment is added and shown
    r = c.post(f"/sessions/{sid}/comments", data={"body": "Nice reflection here", "at_seconds": "2",
                                                   "csrf_token": _token(b)})
    assert r.status_code == 302
    after = c.get(f"/sessions/{sid}").get_data(as_text=True)  # carries the flash: rendered, not kept
    assert "Nice reflection here" in after and "Comment added." in after
    assert pages.renders == 1
    again = c.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "Nice reflection here" in again and "Comment added." not in again
    assert pages.renders == 2


def test_each_viewer_and_each_analysis_gets_its_own_page(app, instance):
    add_users(instance)
    sid = import_session(instance, "alice", JFK, make_report(70.0), source="test", title="cached")
    sup, trainee = _client(app, "sup1"), _client(app, "alice")
    for_sup = sup.get(f"/sessions/{sid}").get_data(as_text=True)
    for_trainee = trainee.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "Log out sup1" in for_sup and "Log out alice" in for_trainee and "Log out sup1" not in for_trainee
    assert app.extensions["listenwell_pages"].renders == 2
    # a new analysis of the session: the page shows the new index at once
    conn = connect(db_path(instance))
    save_report(conn, sid, make_report(31.0))
    conn.commit()
    conn.close()
    html = sup.get(f"/sessions/{sid}").get_data(as_text=True)
    assert app.extensions["listenwell_pages"].renders == 3
    assert re.search(r"\b31\b", html) and not re.search(r"\b70\b", html.split("report-data")[0])
    # another user's session is still refused before any page is looked up
    assert _client(app, "sup2").get(f"/sessions/{sid}").status_code == 404


def test_adding_or_replacing_a_scenario_changes_the_key_of_its_sessions_pages(app, instance):
    from service.web.reports import _scenarios_stamp

    with app.test_request_context("/"):
        assert _scenarios_stamp({"scenario_id": None}) == ()
        before = _scenarios_stamp({"scenario_id": "grief-call"})
        folder = instance / "scenarios"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".tmp-grief-call").mkdir()
        (folder / ".tmp-grief-call").rename(folder / "grief-call")  # how an import lands
        after = _scenarios_stamp({"scenario_id": "grief-call"})
    assert before != after and before[0] == after[0] == "grief-call"


def test_api_report_is_built_once_per_version_from_the_same_cache(app, instance):  # noqa: F811
    """Before: /api/reports/<id> parsed and serialised the stored report on every request."""
    add_users(instance)
    sid = import_session(instance, "alice", JFK, make_report(70.0), source="test", title="alice 1")
    c = _client(app, "sup1")
    first = c.get(f"/api/reports/{sid}")
    pages = app.extensions["listenwell_pages"]
    renders, hits = pages.renders, pages.hits
    second = c.get(f"/api/reports/{sid}")
    assert first.status_code == second.status_code == 200 and second.mimetype == "application/json"
    assert second.get_data() == first.get_data() and first.get_json()["index"] == 70.0
    assert (pages.renders, pages.hits) == (renders, hits + 1)  # served from memory
    assert _client(app, "alice").get(f"/api/reports/{sid}").get_json() == first.get_json()  # same body for its owner
    assert _client(app, "bob").get(f"/api/reports/{sid}").status_code == 404  # access is checked first
    conn = connect(db_path(instance))
    save_report(conn, sid, make_report(31.0))
    conn.commit()
    conn.close()
    assert c.get(f"/api/reports/{sid}").get_json()["index"] == 31.0  # a new analysis: built again
    assert pages.renders == renders + 1
