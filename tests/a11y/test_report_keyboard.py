"""The report page by keyboard alone, its captions and its text alternatives, in Debian's Chromium.

A real server serves the poor sample's real report with its audio (as the report-page browser tests
do). Every check uses the keyboard: Tab to reach, arrow keys to move along the timeline, Enter to
play or open. The captions are the WebVTT track the page loads from /sessions/<id>/captions.vtt.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.a11y.test_axe_pages import CHROMIUM, WIDTHS
from tests.security.live import make_users, start_server
from tests.service.report_page_fixtures import AUDIO, poor_report
from tests.web_fixtures import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="/usr/bin/chromium is not installed"),
]
REPORT = poor_report()
TIMED = sorted((i for i, t in enumerate(REPORT["turns"]) if t["start"] is not None and t["end"] is not None),
               key=lambda i: (REPORT["turns"][i]["start"], i))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from service.store.storage import import_session

    instance = tmp_path_factory.mktemp("keys") / "instance"
    make_users(instance)
    sid = import_session(instance, "alice", AUDIO, REPORT, scenario_id="relapse-shame", source="browser",
                         title="Practice: shame after a relapse")
    live = start_server(instance)
    try:
        yield live.url, sid
    finally:
        live.stop()


def _report(browser, url, sid, view="desktop"):
    page = browser.new_context(viewport=WIDTHS[view]).new_page()
    page.goto(url + "/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(url + "/")
    page.goto(f"{url}/sessions/{sid}")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    page.wait_for_selector("#timeline svg .tl-turn")
    return page


def _active(page, attr: str) -> str | None:
    return page.evaluate(f"document.activeElement.getAttribute('{attr}')")


def _playing_from(page, start: float) -> float:
    page.wait_for_function(f"() => !document.getElementById('player').paused && "
                           f"document.getElementById('player').currentTime >= {start - 0.25}")
    t = page.evaluate("document.getElementById('player').currentTime")
    page.evaluate("document.getElementById('player').pause()")
    return t


def test_timeline_by_keyboard(server, browser):
    url, sid = server
    page = _report(browser, url, sid)
    # Tab from the player reaches the timeline: exactly one turn is in the Tab order, the first
    page.focus("#player")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('#timeline')"):
            break
    assert _active(page, "data-i") == str(TIMED[0])
    assert page.locator('#timeline .tl-turn[tabindex="0"]').count() == 1
    # arrows move along the turns in time order; Home and End jump to the ends
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert _active(page, "data-i") == str(TIMED[3])
    page.keyboard.press("ArrowLeft")
    assert _active(page, "data-i") == str(TIMED[2])
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label.startswith(f"Turn 3 of {len(TIMED)}, ")
    page.keyboard.press("End")
    assert _active(page, "data-i") == str(TIMED[-1])
    page.keyboard.press("Home")
    assert _active(page, "data-i") == str(TIMED[0])
    page.keyboard.press("ArrowLeft")  # stays on the first
    assert _active(page, "data-i") == str(TIMED[0])
    # Enter plays the focused turn; Tab then leaves the timeline (one stop, not one per turn)
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    turn = REPORT["turns"][TIMED[5]]
    page.keyboard.press("Enter")
    assert turn["start"] <= _playing_from(page, turn["start"]) <= turn["start"] + 3
    assert page.locator('#timeline .tl-turn[tabindex="0"]').get_attribute("data-i") == str(TIMED[5])
    page.keyboard.press("Tab")
    assert not page.evaluate("!!document.activeElement.closest('#timeline')")
    page.context.close()


def test_quote_transcript_and_parts_by_keyboard(server, browser):
    url, sid = server
    page = _report(browser, url, sid)
    # a quote: Enter on its button plays the moment
    quote = page.locator("#priorities .play-quote").first
    start = float(quote.get_attribute("data-start"))
    quote.focus()
    page.keyboard.press("Enter")
    assert start - 0.25 <= _playing_from(page, start) <= start + 3
    # a transcript line: each has a button with its time; Enter listens from there
    i = next(j for j in TIMED if REPORT["turns"][j]["start"] > 20)
    page.focus(f"#turn-{i} button.when")
    assert _active(page, "aria-label") == f"Listen from {page.inner_text(f'#turn-{i} button.when')} (" + \
        ("Helper" if REPORT["turns"][i]["role"] == "helper" else "Client") + ")"
    page.keyboard.press("Enter")
    _playing_from(page, REPORT["turns"][i]["start"])
    page.wait_for_selector(f"#turn-{i}.current")
    # the transcript box scrolls by keyboard (it is focusable)
    assert page.get_attribute("#transcript", "tabindex") == "0"
    # a part opens with Enter on its summary
    for box in ("#miti", "#glossary details"):
        assert page.evaluate(f"document.querySelector('{box}').open") is False
        page.focus(f"{box} > summary")
        page.keyboard.press("Enter")
        assert page.evaluate(f"document.querySelector('{box}').open") is True, box
    page.context.close()


def test_captions_track_follows_the_transcript(server, browser):
    url, sid = server
    page = _report(browser, url, sid)
    timed = [REPORT["turns"][i] for i in TIMED if REPORT["turns"][i]["text"].strip()]
    page.wait_for_function("() => { const t = document.getElementById('player').textTracks[0];"
                           " return t && t.cues && t.cues.length > 0; }")
    track = page.evaluate("""(() => { const t = document.getElementById('player').textTracks[0];
        return {kind: t.kind, label: t.label, mode: t.mode, n: t.cues.length,
                cues: Array.from(t.cues).slice(0, 3).map(c => [c.startTime, c.endTime, c.text])}; })()""")
    assert (track["kind"], track["label"], track["mode"]) == ("captions", "Transcript", "showing")
    assert track["n"] == len(timed)
    for (start, end, text), turn in zip(track["cues"], sorted(timed, key=lambda t: t["start"])):
        assert abs(start - turn["start"]) < 0.001 and abs(end - turn["end"]) < 0.001
        assert text == f"<v {'Helper' if turn['role'] == 'helper' else 'Client'}>{' '.join(turn['text'].split())}"
    page.context.close()


def test_text_alternatives_for_timeline_and_pace(server, browser):
    url, sid = server
    page = _report(browser, url, sid)
    helper_turns = sum(1 for i in TIMED if REPORT["turns"][i]["role"] == "helper")
    text = page.text_content("#timeline-text")
    assert f"Helper: {helper_turns} turns, " in text
    assert page.get_attribute("#timeline", "aria-describedby") == "timeline-text"
    share = round(100 * REPORT["timing"]["talk_share_helper"])
    said = int(re.search(r"Helper: \d+ turns, (\d+) % of the talk", text).group(1))
    assert abs(said - share) <= 2, (said, share)  # talk time from the turns vs the report's own share
    labels = page.eval_on_selector_all("#pace svg.pace-svg", "els => els.map(e => e.getAttribute('aria-label'))")
    assert labels and all(re.match(r"^(Pace|Voice): ", s) for s in labels)
    assert any(re.search(r"\d+ words/min", s) for s in labels)
    page.context.close()


def test_phone_score_stacks_above_headline(server, browser):
    url, sid = server
    page = _report(browser, url, sid, "phone")
    score = page.locator("#index").bounding_box()
    headline = page.locator("#headline").bounding_box()
    assert score["y"] + score["height"] <= headline["y"] + 1  # above, not beside
    assert headline["width"] >= 300  # the headline gets the card's width, not a narrow column
    page.context.close()
