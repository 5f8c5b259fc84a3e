"""The interactive report page in a real browser (Debian's Chromium via Playwright), desktop and phone.

A real server process serves a practice session whose report is the poor sample's real report
(with a summary) and whose audio is that sample. Screenshots go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import os

import pytest

from tests.security.live import make_users, start_server
from tests.service.report_page_fixtures import AUDIO, poor_report
from tests.web_fixtures import PASSWORD, ROOT

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="/usr/bin/chromium is not installed"),
]
ARTIFACTS = ROOT / "tests" / "artifacts"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``listenwell serve`` with sup1 -> alice and one practice session (the poor sample, with a summary)."""
    from service.store.storage import import_session

    instance = tmp_path_factory.mktemp("page") / "instance"
    make_users(instance)  # sup1 -> alice
    sid = import_session(instance, "alice", AUDIO, poor_report(), scenario_id="relapse-shame",
                         source="browser", title="Practice: shame after a relapse")
    live = start_server(instance)
    try:
        yield live.url, sid
    finally:
        live.stop()


def _page(browser, url, user, view):
    context = browser.new_context(viewport=VIEWPORTS[view])
    page = context.new_page()
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    return page


def _open_report(page, url, sid):
    page.goto(f"{url}/sessions/{sid}")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    page.wait_for_selector("#timeline svg .tl-turn")


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _in_viewport(page, selector) -> bool:
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
             return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }""", selector)


@pytest.mark.parametrize("view", ["desktop", "phone"])
def test_timeline_turn_seeks_and_transcript_follows(server, browser, view):
    url, sid = server
    page = _page(browser, url, "alice", view)
    _open_report(page, url, sid)
    report = poor_report()
    # no horizontal scroll at this width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), view
    # the page leads with the summary: headline, priorities with quotes, then the strength
    assert page.inner_text("#headline") == report["summary"]["headline"]
    assert page.locator("#priorities > li").count() == len(report["summary"]["priorities"])
    # a client turn well into the recording
    turn = next(t for t in report["turns"] if t["role"] == "client" and t["start"] > 20)
    i = report["turns"].index(turn)
    bar = page.locator(f'#timeline .tl-turn[data-i="{i}"]')
    assert "client" in bar.get_attribute("class")
    bar.click()
    page.wait_for_function(f"() => document.getElementById('player').currentTime >= {turn['start']}")
    t = page.evaluate("document.getElementById('player').currentTime")
    assert turn["start"] <= t <= turn["start"] + 3
    page.wait_for_selector(f"#turn-{i}.current")
    assert page.locator("#transcript .turn.current").count() == 1
    assert turn["text"].split()[0] in page.inner_text(f"#turn-{i}")
    # the playhead moved to the seek point
    x = float(page.get_attribute("#timeline .playhead", "x1"))
    box = page.evaluate("(() => { const r = document.querySelector(`#timeline .tl-turn[data-i='%d']`); "
                        "return [+r.getAttribute('x'), +r.getAttribute('x') + +r.getAttribute('width')]; })()" % i)
    assert box[0] - 1 <= x <= box[1] + 40
    # the transcript's current line is scrolled into its box
    visible = page.evaluate(f"""(() => {{ const box = document.getElementById('transcript').getBoundingClientRect();
        const li = document.getElementById('turn-{i}').getBoundingClientRect();
        return li.top >= box.top - 1 && li.bottom <= box.bottom + 1; }})()""")
    assert visible
    # clicking a transcript line seeks there too
    other = next(j for j, t in enumerate(report["turns"]) if t["role"] == "helper" and t["start"] > turn["end"])
    page.click(f"#turn-{other} .speaker")
    page.wait_for_selector(f"#turn-{other}.current")
    assert page.evaluate("document.getElementById('player').currentTime") >= report["turns"][other]["start"]
    page.evaluate("document.getElementById('player').pause()")
    _shot(page, f"report-{view}")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"report-top-{view}.png"))  # what a trainee sees first
    assert all(u.startswith(url) or u.startswith(("data:", "blob:")) for u in page.requests), page.requests
    page.context.close()


@pytest.mark.parametrize("view", ["desktop", "phone"])
def test_quote_plays_and_player_stays_visible(server, browser, view):
    url, sid = server
    page = _page(browser, url, "alice", view)
    _open_report(page, url, sid)
    # the last priority's quote is below the fold on both widths
    quote = page.locator("#priorities .play-quote").last
    start = float(quote.get_attribute("data-start"))
    quote.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 0
    quote.click()
    page.wait_for_function(f"() => !document.getElementById('player').paused && "
                           f"document.getElementById('player').currentTime >= {start - 0.25}")
    assert _in_viewport(page, "#player"), "the player scrolled out of view"
    assert page.inner_text("#t-now").startswith(f"{int(start // 60)}:")
    assert page.inner_text("#t-total") == "1:00.1"  # the recording's duration
    # further down the page the player is still there
    page.locator("#details").scroll_into_view_if_needed()
    assert _in_viewport(page, "#player")
    page.evaluate("document.getElementById('player').pause()")
    _shot(page, f"report-quote-{view}")
    page.context.close()


@pytest.mark.parametrize("view", ["desktop", "phone"])
def test_comment_pin_and_reply(server, browser, view):
    url, sid = server
    sup = _page(browser, url, "sup1", view)
    _open_report(sup, url, sid)
    at = 31.0 if view == "desktop" else 42.0
    sup.evaluate(f"document.getElementById('player').currentTime = {at}")
    sup.wait_for_function(f"() => document.getElementById('comment-at').value === '{at:.1f}'")
    body = f"Here the client names the fear ({view})."
    sup.fill("#comment-form textarea[name=body]", body)
    sup.click("#comment-form button[type=submit]")
    sup.wait_for_selector("text=Comment added")
    sup.wait_for_selector("#timeline svg .tl-pin")
    pins = sup.locator("#timeline .tl-pin")
    at_times = [float(pins.nth(k).get_attribute("data-t")) for k in range(pins.count())]
    assert at in at_times
    pin = pins.nth(at_times.index(at))
    assert body in pin.locator("title").text_content()
    comment_id = pin.get_attribute("data-comment")
    sup.context.close()

    trainee = _page(browser, url, "alice", view)
    _open_report(trainee, url, sid)
    assert trainee.locator("#comment-form").count() == 0  # the trainee replies, the supervisor comments
    item = trainee.locator(f"#comment-{comment_id}")
    item.locator("summary").click()
    reply = f"I froze there, I did not know what to say ({view})."
    item.locator("textarea[name=body]").fill(reply)
    item.locator("button[type=submit]").click()
    trainee.wait_for_selector("text=Reply added")
    replies = trainee.locator(f"#comment-{comment_id} .replies .reply")
    assert replies.count() == 1 and reply in replies.inner_text() and "alice" in replies.inner_text()
    # clicking the pin seeks to the comment's time
    trainee.locator(f'#timeline .tl-pin[data-comment="{comment_id}"] circle').click()
    trainee.wait_for_function(f"() => document.getElementById('player').currentTime >= {at}")
    trainee.evaluate("document.getElementById('player').pause()")
    assert trainee.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _shot(trainee, f"report-comments-{view}")
    trainee.context.close()
