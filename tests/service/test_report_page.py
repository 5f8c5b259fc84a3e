"""The report page's server side: stored /full page, no server path in answers, threaded comments,
migration 0002, the scenario checklist and the page's data block (real SQLite, Flask test client)."""

from __future__ import annotations

import json
import re
import sqlite3

from tests.service.report_page_fixtures import AUDIO, poor_report
from tests.web_fixtures import JFK, ROOT, add_users, app, instance, login  # noqa: F401  (fixtures)

from service.store.db import connect, db_path, migrate
from service.store.storage import import_session, save_report
from service.web import full_page
from analysis.report.types import Report
from service.web.report_page import comment_threads, good_listening_checklist, page_data, public_report


def _client(app, user):
    c = app.test_client()
    login(c, user)
    return c


def _data_block(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_full_page_is_rendered_once_and_served_from_disk(app, instance, monkeypatch):
    add_users(instance)
    sid = import_session(instance, "alice", AUDIO, poor_report())
    c = _client(app, "alice")
    before = full_page.RENDER_COUNT["full"]
    first = c.get(f"/sessions/{sid}/full")
    assert first.status_code == 200 and first.mimetype == "text/html"
    body = first.get_data(as_text=True)
    assert "Hold back solutions" in body
    assert full_page.RENDER_COUNT["full"] == before + 1
    stored = list((instance / "full").glob(f"{sid}-*.html"))
    assert len(stored) == 1 and stored[0].read_text() == body
    mtime = stored[0].stat().st_mtime_ns
    # its own <style> is allowed by hash (the site-wide CSP would block it), and no script may run
    import base64
    import hashlib
    import re

    csp = first.headers["Content-Security-Policy"]
    styles = re.findall(r"<style[^>]*>(.*?)</style>", body, flags=re.S)
    assert styles and "script-src 'none'" in csp and "unsafe-inline'" not in csp.replace("style-src-attr 'unsafe-inline'", "")
    for css in styles:
        assert "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'" in csp

    def fail(*a, **k):  # a second request must not draw the report again
        raise AssertionError("the stored page was rendered again")

    monkeypatch.setattr(full_page, "render_full", fail)
    second = c.get(f"/sessions/{sid}/full")
    assert second.get_data(as_text=True) == body
    assert full_page.RENDER_COUNT["full"] == before + 1
    assert stored[0].stat().st_mtime_ns == mtime
    monkeypatch.undo()
    # a new analysis of the session replaces the stored page
    changed = poor_report()
    changed["index"] = 42.0
    conn = connect(db_path(instance))
    save_report(conn, sid, changed)
    conn.commit()
    conn.close()
    third = c.get(f"/sessions/{sid}/full").get_data(as_text=True)
    assert full_page.RENDER_COUNT["full"] == before + 2
    now = list((instance / "full").glob(f"{sid}-*.html"))
    assert len(now) == 1 and now[0] != stored[0] and now[0].read_text() == third
    # deleting the session removes its stored page
    sup = _client(app, "sup1")
    assert sup.post(f"/sessions/{sid}/delete").status_code == 302
    assert not list((instance / "full").glob(f"{sid}-*.html"))


def test_no_server_path_in_any_page_or_api_answer(app, instance):
    add_users(instance)
    report = poor_report()
    report["source"] = str(AUDIO.resolve())  # what `listenwell analyze` writes: the path it read
    report["settings"]["transcribe"]["model"] = str(instance / "models" / "tiny.en")
    sid = import_session(instance, "alice", JFK, report, source="upload", title="paths")
    c = _client(app, "sup1")
    answers = {path: c.get(path) for path in (
        "/", f"/sessions/{sid}", f"/sessions/{sid}/full", f"/api/reports/{sid}", "/api/sessions",
        f"/api/sessions/{sid}")}
    for path, r in answers.items():
        assert r.status_code == 200, path
        text = r.get_data(as_text=True)
        for secret in (str(instance), str(ROOT), str(AUDIO.parent), "/tmp/"):
            assert secret not in text, (path, secret)
    api = answers[f"/api/reports/{sid}"].get_json()
    assert api["source"] == "jfk.flac"  # the file's name as it was given, not where it is stored
    assert api["settings"]["transcribe"]["model"] == "tiny.en"
    assert answers[f"/api/sessions/{sid}"].get_json()["source_name"] == "jfk.flac"
    assert '<span id="source">jfk.flac</span>' in answers[f"/sessions/{sid}"].get_data(as_text=True)


def test_summary_block_only_when_the_report_has_one(app, instance):
    add_users(instance)
    with_summary = import_session(instance, "alice", AUDIO, poor_report())
    without = import_session(instance, "alice", AUDIO, poor_report(with_summary=False))
    c = _client(app, "alice")
    page = c.get(f"/sessions/{with_summary}").get_data(as_text=True)
    summary = poor_report()["summary"]
    assert 'id="headline"' in page and summary["headline"].replace("'", "&#39;") in page
    assert page.count('class="priority"') == len(summary["priorities"]) == 3
    first = summary["priorities"][0]["evidence"]
    assert f'class="evidence play-quote" data-start="{first["start"]}" data-end="{first["end"]}"' in page
    assert page.index('id="summary"') < page.index('id="timeline-card"') < page.index('id="details"')
    plain = c.get(f"/sessions/{without}").get_data(as_text=True)
    assert 'id="headline"' not in plain and 'class="priority"' not in plain
    assert "To work on" in plain  # the older report's lists instead
    assert "onsubmit" not in page and "onclick" not in page  # no inline handlers
    assert len(re.findall(r"<script(?![^>]*(src=|application/json))", page)) == 0  # no inline script


def test_page_data_block_matches_the_report(app, instance):
    add_users(instance)
    report = poor_report()
    sid = import_session(instance, "alice", AUDIO, report)
    data = _data_block(_client(app, "alice").get(f"/sessions/{sid}").get_data(as_text=True))
    assert [t["start"] for t in data["turns"]] == [t["start"] for t in report["turns"]]
    assert [t["who"] for t in data["turns"][:2]] == ["Client", "Helper"]
    assert len(data["interruptions"]) == len(report["timing"]["interruptions"]) == 2
    helper_turns = [t for t in report["prosody"]["turns"] if t["role"] == "helper"]
    assert [round(p["wpm"]) for p in data["pace"]] == [round(t["wpm"]) for t in helper_turns]
    assert data["bands"]["pace"] == [120.0, report["prosody"]["options"]["rushed_wpm"]]
    assert {m["kind"] for m in data["marks"]} == {"priority"}
    assert data["duration"] == report["duration"]


def test_comment_threads_and_trainee_replies(app, instance):
    add_users(instance)
    sid = import_session(instance, "alice", AUDIO, poor_report())
    sup = _client(app, "sup1")
    sup.post(f"/sessions/{sid}/comments", data={"body": "Listen to this pause", "at_seconds": "20.5"})
    sup.post(f"/sessions/{sid}/comments", data={"body": "Earlier moment", "at_seconds": "3"})
    conn = connect(db_path(instance))
    first = conn.execute("SELECT id FROM comments WHERE body = 'Listen to this pause'").fetchone()[0]
    conn.close()
    alice = _client(app, "alice")
    r = alice.post(f"/sessions/{sid}/comments/{first}/reply", data={"body": "I rushed there."}, follow_redirects=True)
    assert r.status_code == 200 and "Reply added" in r.get_data(as_text=True)
    conn = connect(db_path(instance))
    reply_id = conn.execute("SELECT id FROM comments WHERE parent_id = ?", (first,)).fetchone()[0]
    conn.close()
    # a reply to a reply joins the same thread (one level)
    assert sup.post(f"/sessions/{sid}/comments/{reply_id}/reply", data={"body": "Yes, slow down."}).status_code == 302
    assert alice.post(f"/sessions/{sid}/comments/{first}/reply", data={"body": " "}, follow_redirects=True) \
        .get_data(as_text=True).count("A reply needs some text") == 1
    bob = _client(app, "bob")  # another supervisor's trainee
    assert bob.post(f"/sessions/{sid}/comments/{first}/reply", data={"body": "x"}).status_code == 404
    assert alice.post(f"/sessions/{sid}/comments/999/reply", data={"body": "x"}).status_code == 404
    html = alice.get(f"/sessions/{sid}").get_data(as_text=True)
    thread = html[html.index(f'id="comment-{first}"'):]
    replies = thread[thread.index('<ul class="replies">'):thread.index("</ul>")]
    assert replies.index("I rushed there.") < replies.index("Yes, slow down.")
    data = _data_block(html)
    assert [(p["at"], p["body"]) for p in data["pins"]] == [(3.0, "Earlier moment"), (20.5, "Listen to this pause")]
    conn = connect(db_path(instance))
    rows = [dict(r) for r in conn.execute(
        "SELECT c.*, u.username AS author FROM comments c LEFT JOIN users u ON u.id = c.author_id").fetchall()]
    conn.close()
    threads = comment_threads(rows)
    assert [t["body"] for t in threads] == ["Earlier moment", "Listen to this pause"]
    assert [(r["author"], r["body"], r["at_seconds"]) for r in threads[1]["replies"]] == [
        ("alice", "I rushed there.", 20.5), ("sup1", "Yes, slow down.", 20.5)]


def test_migration_0002_keeps_old_comments(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    sql = (ROOT / "service" / "store" / "migrations" / "0001_init.sql").read_text()
    conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = 1;\nCOMMIT;")
    conn.execute("INSERT INTO users (username, role) VALUES ('t', 'trainee')")
    conn.execute("INSERT INTO sessions (trainee_id) VALUES (1)")
    conn.execute("INSERT INTO comments (session_id, author_id, at_seconds, body) VALUES (1, 1, 12.5, 'old one')")
    conn.commit()
    conn.close()
    conn = connect(path)
    assert migrate(conn) >= 2
    row = dict(conn.execute("SELECT * FROM comments").fetchone())
    assert (row["at_seconds"], row["body"], row["parent_id"]) == (12.5, "old one", None)
    assert conn.execute("SELECT source_name FROM sessions").fetchone()[0] is None
    conn.close()


def test_checklist_ticks_only_with_evidence():
    items = ["Reflect the shame and the courage together.", "Ask open questions about what happened.",
             "Let the silence after her first sentence be.", "Ask permission before offering anything practical.",
             "Notice the weather outside."]
    poor = poor_report()
    got = {c["text"]: c for c in good_listening_checklist(items, Report.from_dict(poor))}
    assert got[items[0]]["status"] == "no" and got[items[0]]["reason"] == "0 reflections found"
    assert got[items[1]]["status"] == "no"
    assert got[items[2]]["status"] == "no" and "0.1 s" in got[items[2]]["reason"]  # median pause 0.07 s
    assert got[items[3]]["status"] == "no" and got[items[3]]["reason"] == "0 of 4 pieces of advice came after asking"
    assert got[items[4]]["status"] == "unknown" and got[items[4]]["evidence"] is None
    # the same report with one reflection found: ticked, with the reflection as evidence
    poor["cues"]["summary"]["reflections"] = 1
    poor["cues"]["cues"].append({"turn_index": 3, "role": "helper", "kind": "reflection", "label": "complex",
                                 "quote": "It sounds like you feel like a fraud.", "start": 19.05, "end": 21.0})
    ticked = good_listening_checklist(items[:1], Report.from_dict(poor))[0]
    assert ticked["status"] == "yes" and ticked["evidence"]["start"] == 19.05
    assert [c["status"] for c in good_listening_checklist(items, None)] == ["unknown"] * 5


def test_practice_page_shows_scenario_checklist(app, instance):
    add_users(instance)
    sid = import_session(instance, "alice", AUDIO, poor_report(), scenario_id="relapse-shame", source="browser")
    html = _client(app, "alice").get(f"/sessions/{sid}").get_data(as_text=True)
    assert "Good listening in “Shame after a relapse”" in html
    assert html.count('class="check no"') == 5  # the poor helper shows none of the five
    other = import_session(instance, "alice", AUDIO, poor_report())
    assert 'id="checklist"' not in _client(app, "alice").get(f"/sessions/{other}").get_data(as_text=True)


def test_public_report_strips_paths_but_keeps_words():
    report = {"source": "/srv/x/instance/audio/abc.wav", "notes": ["a/b is not a path", "C:\\data\\f.wav"],
              "turns": [{"text": "/ slash at the start of words"}]}
    out = public_report(report, {"source_name": "my role-play.m4a", "audio_name": "abc.wav", "source": "upload"})
    assert out["source"] == "my role-play.m4a"
    assert out["notes"] == ["a/b is not a path", "f.wav"]
    assert report["source"].startswith("/srv")  # the stored dict is not changed
    assert page_data(Report.from_dict({"turns": [], "duration": None}))["duration"] == 0.0
