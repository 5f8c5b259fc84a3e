"""A supervisor adds a practice scenario in the browser (headless Chromium, real server, real Piper)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.test_browser import CHROMIUM, _browser, _login, server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


def test_supervisor_fills_the_form_sees_an_error_then_the_scenario_listed(server):
    pytest.importorskip("piper")
    from playwright.sync_api import sync_playwright

    url, instance = server
    good = (ROOT / "samples" / "scenario-example.json").read_text(encoding="utf-8")
    bad = json.loads(good)
    bad["beats"][1]["variants"][0]["next"] = "nowhere"
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, url, "sup1")
        page.click("nav >> text=Scenarios")
        assert page.inner_text("h1") == "Add a practice scenario"
        page.fill("#scenario-text", json.dumps(bad, indent=2))
        page.click("#scenario-submit")
        page.wait_for_selector("#scenario-errors")
        errors = page.inner_text("#scenario-errors")
        assert "Nothing was stored" in errors and "next='nowhere' is not a beat" in errors, errors
        assert "nowhere" in page.input_value("#scenario-text")  # the text is kept to fix
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "scenario-add-error-desktop.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width  # nothing runs off a phone's screen
        page.screenshot(path=str(ARTIFACTS / "scenario-add-error-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.fill("#scenario-text", good)
        page.click("#scenario-submit")
        page.wait_for_selector(".flash", timeout=120_000)
        assert "Added “Missed a meeting”" in page.inner_text(".flash")
        assert "added by sup1" in page.inner_text("#scenario-missed-meeting")
        page.screenshot(path=str(ARTIFACTS / "scenario-add-done-desktop.png"), full_page=True)
        assert (instance / "scenarios" / "missed-meeting" / "scenario.json").is_file()
        browser.close()
