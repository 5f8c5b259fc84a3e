"""Progress at a glance: trends, chosen sub-scores, needs-attention, and the pages that show them.

Known answers from sessions seeded in a temporary instance (real SQLite) with
known dates and scores; partial reports must not count.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from service.web.progress_trends import (
    SessionPoint,
    axis_labels,
    choose_subscores,
    counted,
    needs_attention,
    point_from_report,
    trend,
)
from service.store.db import connect, db_path
from service.store.storage import import_session
from tests.web_fixtures import add_users, app, instance, login, make_report  # noqa: F401 - fixtures

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=timezone.utc)


def _p(i: int, days_ago: float, index, partial=False, **subs) -> SessionPoint:
    labels = {"reflect_validate": "Reflect and validate", "explore": "Explore with open questions",
              "make_space": "Make space", "voice": "Voice"}
    return SessionPoint(i, f"s{i}", NOW - timedelta(days=days_ago), index, dict(subs),
                        {k: labels[k] for k in subs}, partial)


HISTORY = [
    _p(1, 30, 40.0, reflect_validate=5.0, explore=60.0, make_space=90.0, voice=None),
    _p(2, 20, 50.0, reflect_validate=13.0, explore=55.0, make_space=80.0, voice=70.0),
    _p(3, 15, None, True, reflect_validate=100.0, explore=0.0, make_space=100.0),  # partial: never counted
    _p(4, 10, 62.0, reflect_validate=40.0, explore=None, make_space=85.0, voice=60.0),
    _p(5, 5, 71.4, reflect_validate=81.0, explore=45.0, make_space=75.0, voice=None),
]


def test_partial_sessions_do_not_count():
    assert [p.id for p in counted(HISTORY)] == [1, 2, 4, 5]


def test_trend_sentences_over_the_last_three_measured_sessions():
    assert trend(HISTORY).sentence == "Listening index up from 50 to 71 over three sessions."
    assert trend(HISTORY, "reflect_validate").sentence == "Reflect and validate up from 13 to 81 over three sessions."
    # explore was not measured in session 4: the last three where it was are 1, 2 and 5
    t = trend(HISTORY, "explore")
    assert (t.first, t.last, t.sessions) == (60.0, 45.0, 3)
    assert t.sentence == "Explore with open questions down from 60 to 45 over three sessions."
    assert trend(HISTORY, "voice").sentence == "Voice down from 70 to 60 over two sessions."
    assert trend(HISTORY, "make_space").sentence == "Make space down from 80 to 75 over three sessions."
    steady = [_p(1, 3, 60.0), _p(2, 2, 61.0), _p(3, 1, 62.4)]
    assert trend(steady).sentence == "Listening index about the same (60 to 62) over three sessions."
    assert trend(HISTORY[:1]) is None


def test_the_two_subscores_that_most_need_work():
    # last three counted (2, 4, 5): explore (55+45)/2 = 50, reflect (13+40+81)/3 = 44.7, voice 65, make space 80
    assert choose_subscores(HISTORY) == ["reflect_validate", "explore"]


def test_needs_attention_reasons():
    assert not needs_attention(HISTORY[:2] + HISTORY[3:], NOW).flagged
    fell = [_p(1, 6, 80.0), _p(2, 4, 75.0), _p(3, 2, 64.0)]
    assert needs_attention(fell, NOW).reasons == (
        "Index fell by 16 points over the last three sessions (80 to 64).",)
    assert not needs_attention([_p(1, 6, 80.0), _p(2, 4, 75.0), _p(3, 2, 70.0)], NOW).flagged  # 10: not more
    quiet = needs_attention([_p(1, 20, 70.0), _p(2, 15, 72.0)], NOW)
    assert quiet.reasons == ("No session for 15 days.",)
    last_partial = needs_attention(HISTORY[:3], NOW)
    assert last_partial.reasons[-1].startswith("The last session could not be fully scored")
    assert needs_attention([], NOW).reasons == ("No sessions yet.",)


def test_point_from_report_reads_measured_and_judged():
    report = make_report(70.0)
    report["subscores"]["voice"] = {"name": "voice", "label": "Voice", "score": None, "measured": False}
    p = point_from_report(7, "t", "2026-03-01T10:00:00Z", report)
    assert p.counts and p.subscores == {"reflect_validate": 65.0, "voice": None}
    assert p.labels["reflect_validate"] == "Reflect and validate"
    assert p.when == datetime(2026, 3, 1, 10, tzinfo=timezone.utc)
    assert not point_from_report(7, "t", "2026-03-01 10:00:00", {**report, "partial": True}).counts
    assert not point_from_report(7, "t", "2026-03-01 10:00:00", {**report, "summary": {"judged": False}}).counts
    assert not point_from_report(7, "t", "2026-03-01 10:00:00", {**report, "index": None}).counts
    # a part the report did not judge is a gap in its line, like one not measured
    unsure = {**report, "subscores": {**report["subscores"],
                                      "reflect_validate": {**report["subscores"]["reflect_validate"], "judged": False}}}
    assert point_from_report(7, "t", "2026-03-01 10:00:00", unsure).subscores["reflect_validate"] is None


def test_a_session_with_nothing_judged_does_not_count_or_drive_a_fall():
    report = make_report(70.0)
    unjudged = {**report, "index": 34.0, "subscores": {
        "reflect_validate": {**report["subscores"]["reflect_validate"], "judged": False},
        "voice": {"name": "voice", "label": "Voice", "score": None, "measured": False}}}
    p = point_from_report(9, "t", "2026-03-19T10:00:00Z", unjudged)
    assert not p.counts and p.partial
    history = [point_from_report(i, "t", f"2026-03-1{i}T10:00:00Z", report) for i in (6, 7)] + [p]
    # without the rule, 65 -> 34 read as "Index fell by 36 points"; now the last session is flagged for its
    # recording and the trend is over the two judged sessions (70 to 70)
    assert needs_attention(history, NOW).reasons == (
        "The last session could not be fully scored (a partial report): check its recording.",)
    assert trend(history).sentence == "Listening index about the same (70 to 70) over two sessions."


def test_axis_labels_are_distinct_per_session():
    d = datetime(2025, 12, 7, 9, 5, tzinfo=timezone.utc)
    assert axis_labels([d - timedelta(days=2), d]) == ["05 Dec", "07 Dec"]
    assert axis_labels([d - timedelta(days=2), d, d + timedelta(hours=5, minutes=1)]) == [
        "05 Dec", "07 Dec 09:05", "07 Dec 14:06"]
    same = axis_labels([d, d + timedelta(seconds=20), d + timedelta(minutes=1)])
    assert same == ["07 Dec 09:05 #1", "07 Dec 09:05 #2", "07 Dec 09:06"]
    ten = axis_labels([d + timedelta(minutes=3 * k) for k in range(10)])
    assert len(set(ten)) == 10 and all(label.startswith("07 Dec ") for label in ten)


# -- the pages, with sessions seeded in a real instance -------------------------------------------

def _seed(instance_dir, username: str, sessions: list[tuple[int, float | None, bool, dict]]) -> list[int]:
    """sessions: (days ago, index, partial, {subscore: score or None})."""
    now = datetime.now(timezone.utc)
    ids = []
    for days, index, partial, subs in sessions:
        report = make_report(index if index is not None else 50.0)
        report["index"], report["partial"] = index, partial
        report["subscores"] = {k: {"name": k, "label": k.replace("_", " ").capitalize(), "score": v,
                                   "measured": v is not None} for k, v in subs.items()}
        sid = import_session(instance_dir, username, None, report, title=f"{username} {days}d")
        conn = connect(db_path(instance_dir))
        when = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        conn.execute("UPDATE sessions SET created_at = ? WHERE id = ?", (when, sid))
        conn.commit()
        conn.close()
        ids.append(sid)
    return ids


@pytest.fixture
def seeded(app, instance):  # noqa: F811
    ids = add_users(instance)
    _seed(instance, "alice", [
        (9, 70.0, False, {"reflect_validate": 13.0, "explore": 50.0, "make_space": 90.0}),
        (6, 60.0, False, {"reflect_validate": 40.0, "explore": None, "make_space": 95.0}),
        (4, None, True, {"reflect_validate": 100.0, "explore": 100.0, "make_space": 100.0}),
        (2, 55.0, False, {"reflect_validate": 81.0, "explore": 30.0, "make_space": 85.0}),
    ])
    conn = connect(db_path(instance))
    conn.execute("INSERT INTO users (username, role, supervisor_id) VALUES ('cara', 'trainee', ?)", (ids["sup1"],))
    conn.commit()
    conn.close()
    _seed(instance, "cara", [(30, 50.0, False, {"make_space": 50.0}), (20, 58.0, False, {"make_space": 60.0})])
    return ids


def test_trainee_page_trends_partial_rows_and_chart(app, seeded):  # noqa: F811
    c = app.test_client()
    login(c, "alice")
    page = c.get(f"/progress/{seeded['alice']}").get_data(as_text=True)
    assert "Listening index down from 70 to 55 over three sessions." in page
    assert "Reflect validate up from 13 to 81 over three sessions." in page
    assert "Explore down from 50 to 30 over two sessions." in page  # not measured once: a gap, not a zero
    assert "Make space" not in page.split('id="trends"')[1].split("</ul>")[0]  # not among the two chosen
    assert page.count("partly scored: not counted") == 1
    assert "Needs attention" not in page  # shown to supervisors only
    svg = c.get(f"/progress/{seeded['alice']}/chart.svg").get_data(as_text=True)
    assert "Listening index" in svg and "Reflect validate" in svg and "Make space" not in svg
    assert "session" not in svg.lower()  # dates on the axis, not "session 1..n"
    day = (datetime.now(timezone.utc) - timedelta(days=9)).strftime("%d %b")
    assert day in svg
    chosen = c.get(f"/progress/{seeded['alice']}/chart.svg?show=make_space").get_data(as_text=True)
    assert "Make space" in chosen and "Reflect validate" not in chosen


def test_overview_flags_with_reasons(app, seeded):  # noqa: F811
    c = app.test_client()
    login(c, "sup1")
    page = c.get("/progress/").get_data(as_text=True)
    rows = page.split("<tbody>")[1].split("</tr>")
    alice, cara = rows[0], rows[1]  # flagged trainees first, then by name
    assert "cara" in cara and "No session for 20 days." in cara and "<strong>58</strong>" in cara
    assert "alice" in alice and "Index fell by 15 points over the last three sessions (70 to 55)." in alice
    assert "<strong>55</strong>" in alice and "3 scored, 1 partial" in alice
    assert "bob" not in page


def test_chart_axis_tells_same_day_sessions_apart(app, instance):  # noqa: F811
    import re

    ids = add_users(instance)
    sids = _seed(instance, "alice", [(1, 50.0 + k, False, {"explore": 40.0}) for k in range(5)])
    conn = connect(db_path(instance))  # five sessions on one day, 14 minutes apart
    for k, sid in enumerate(sids):
        conn.execute("UPDATE sessions SET created_at = ? WHERE id = ?", (f"2025-12-07T09:{14 * k:02d}:00Z", sid))
    conn.commit()
    conn.close()
    c = app.test_client()
    login(c, "alice")
    svg = c.get(f"/progress/{ids['alice']}/chart.svg").get_data(as_text=True)
    # the tick labels: matplotlib writes each text as a comment before its glyphs
    ticks = [t for t in re.findall(r"<!-- (.*?) -->", svg) if re.match(r"\d\d [A-Z][a-z]{2}$|\d\d:\d\d", t)]
    times = [t for t in ticks if re.match(r"\d\d:\d\d", t)]
    assert times == ["09:00", "09:14", "09:28", "09:42", "09:56"], ticks
    assert ticks.count("07 Dec") == 5
