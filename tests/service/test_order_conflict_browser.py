"""The wrong-order box on the report page in a real browser (Debian's Chromium), desktop and phone.

A real server serves the bundled good role-play (one microphone, the client speaks first) with
the report the pipeline writes when told "the helper speaks first". Screenshots go to
tests/artifacts/report-wrong-order-{desktop,phone}.png (docs/img has the looked-at copies).
"""

from __future__ import annotations

import os

import pytest

from tests.security.live import make_users, start_server
from tests.service.test_report_page_browser import ARTIFACTS, CHROMIUM, VIEWPORTS, _in_viewport, _page
from tests.web_fixtures import ROOT

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="/usr/bin/chromium is not installed"),
]
AUDIO = ROOT / "samples" / "dialogues" / "listens-well.wav"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from service.pipeline import AnalysisSettings, analyze_file
    from service.store.db import connect, db_path
    from service.store.storage import import_session

    report = analyze_file(AUDIO, AnalysisSettings(setup="mono", helper_speaker="first")).to_dict()
    instance = tmp_path_factory.mktemp("order") / "instance"
    make_users(instance)
    sid = import_session(instance, "alice", AUDIO, report, source="upload", title="Role-play: after a relapse")
    conn = connect(db_path(instance))
    conn.execute("UPDATE sessions SET speaker_setup = 'mono', helper_speaker = 'first' WHERE id = ?", (sid,))
    conn.commit()
    conn.close()
    live = start_server(instance)
    try:
        yield live.url, sid
    finally:
        live.stop()


@pytest.mark.parametrize("view", list(VIEWPORTS))
def test_the_conflict_box_is_the_first_thing_seen(server, browser, view):
    url, sid = server
    page = _page(browser, url, "alice", view)
    page.goto(f"{url}/sessions/{sid}")
    page.wait_for_selector("#order-conflict")
    assert _in_viewport(page, "#order-conflict")  # on screen without scrolling
    box = page.locator("#order-conflict")
    assert "You said the helper speaks first" in box.inner_text()
    assert "The recording opens with: “I don't really know where to start" in box.inner_text()
    button = box.get_by_role("button", name="Use the other order")
    assert button.count() == 1 and button.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-wrong-order-{view}.png"))
    page.context.close()


def test_my_order_is_right_keeps_it_and_shows_what_to_try(server, browser):
    """The second answer in the box: no new analysis, the same figures, the claims said, the box gone."""
    url, sid = server
    page = _page(browser, url, "alice", "desktop")
    page.goto(f"{url}/sessions/{sid}")
    headline = page.locator("#headline").inner_text()
    assert "held back until the order is settled" in headline and "Keep doing" not in headline
    score = page.locator("#index").inner_text()
    page.get_by_role("button", name="My order is right").click()
    page.wait_for_load_state()
    assert page.locator("#order-conflict").count() == 0
    assert "Kept the order you gave" in page.content()
    assert page.locator("#index").inner_text() == score  # the same figures, not analysed again
    headline = page.locator("#headline").inner_text()
    assert "held back" not in headline and ("biggest step up" in headline or "Keep doing" in headline)
    page.context.close()
