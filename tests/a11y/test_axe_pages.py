"""Every page checked by axe-core (WCAG 2.2 AA rules) in Debian's Chromium, at 1280 and 390 px.

A real server serves an instance with a supervisor (sup1), a trainee (alice) and the admin; alice has
three sessions (the poor sample's real report with its audio, and two more reports), so the session
list, the report, the progress chart and the overview all have content. axe-core comes from npm
(``tests/a11y/package.json``, installed by ``scripts/setup.sh --test``); the test asserts zero
serious or critical violations on each page.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from tests.security.live import make_users, start_server
from tests.service.report_page_fixtures import AUDIO, poor_report
from tests.web_fixtures import ADMIN_PASSWORD, PASSWORD, log_in

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="/usr/bin/chromium is not installed"),
    # in CI (CI=true) a missing axe-core fails instead of skipping: scripts/setup.sh --test installs it
    pytest.mark.skipif(not AXE.exists() and not os.environ.get("CI"),
                       reason="axe-core is not installed (scripts/setup.sh --test)"),
]


def _later(report: dict, shift: float) -> dict:
    """The same report with every scored sub-score moved by ``shift`` points (a second, third session)."""
    out = copy.deepcopy(report)
    for sub in out["subscores"].values():
        if sub.get("score") is not None:
            sub["score"] = max(0.0, min(100.0, sub["score"] + shift))
    if out.get("index") is not None:
        out["index"] = max(0.0, min(100.0, out["index"] + shift))
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from service.store.storage import import_session

    instance = tmp_path_factory.mktemp("axe") / "instance"
    ids = make_users(instance)
    report = poor_report()
    sid = import_session(instance, "alice", AUDIO, report, scenario_id="relapse-shame",
                         source="browser", title="Practice: shame after a relapse")
    import_session(instance, "alice", None, _later(report, 8), title="Second try")
    import_session(instance, "alice", None, _later(report, 15), title="Third try")
    live = start_server(instance)
    try:
        yield live.url, sid, ids
    finally:
        live.stop()


def _log_in(browser, url: str, user: str, view: str):
    return log_in(browser, url, user, WIDTHS[view], password=ADMIN_PASSWORD if user == "admin" else PASSWORD,
                  bypass_csp=True)


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.2 AA violations on the page, one line each (the context bypasses
    the page's CSP so the script can be injected)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


# (user, path template, a selector the page shows once ready)
PAGES = {
    "sessions": ("alice", "/", "main"),
    "report": ("alice", "/sessions/{sid}", "#timeline svg .tl-turn"),
    "report-supervisor": ("sup1", "/sessions/{sid}", "#timeline svg .tl-turn"),
    "practice-list": ("alice", "/practice/", "main"),
    "practice-page": ("alice", "/practice/relapse-shame", "main"),
    "progress-trainee": ("alice", "/progress/{alice}", "main"),
    "progress-overview": ("sup1", "/progress/", "main"),
    "scenarios-add": ("sup1", "/scenarios/add", "main"),
    "admin-users": ("admin", "/admin/users", "main"),
    "account-password": ("alice", "/account/password", "main"),
    "upload": ("sup1", "/upload", "main"),
}


@pytest.mark.parametrize("view", list(WIDTHS))
def test_login_page_has_no_serious_violation(server, browser, view):
    url, _, _ = server
    page = browser.new_context(viewport=WIDTHS[view], bypass_csp=True).new_page()
    page.goto(url + "/login")
    assert serious_violations(page) == []
    page.context.close()


@pytest.mark.parametrize("view", list(WIDTHS))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_violation(server, browser, name, view):
    url, sid, ids = server
    user, path, ready = PAGES[name]
    page = _log_in(browser, url, user, view)
    response = page.goto(url + path.format(sid=sid, alice=ids["alice"]))
    assert response.status == 200, (name, response.status)
    page.wait_for_selector(ready)
    assert serious_violations(page) == [], name
    page.context.close()


def test_scenario_voicing_card_and_its_end_have_no_serious_violation(server, browser):
    """The card that follows a voicing job (issue 21) and the note when it is done, at both widths."""
    url, _, _ = server
    text = (Path(__file__).resolve().parents[2] / "samples" / "scenario-example.json").read_text()
    page = _log_in(browser, url, "sup1", "desktop")
    page.goto(url + "/scenarios/add")
    page.fill("textarea[name=text]", text)
    page.click("#scenario-submit")
    page.wait_for_selector("section.voicing-job, #voicing-done")
    for view in WIDTHS:
        page.set_viewport_size(WIDTHS[view])
        assert serious_violations(page) == [], view
    page.wait_for_selector("#voicing-done", timeout=120_000)
    for view in WIDTHS:
        page.set_viewport_size(WIDTHS[view])
        page.reload()
        assert serious_violations(page) == [], view
    page.context.close()
