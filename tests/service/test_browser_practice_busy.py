"""The conversation page waits and sends a reply again when the server says it is busy (429/503, Retry-After).

Headless Chromium with a fake microphone (as ``test_browser_practice.py``): the server's first answer
to a reply is replaced by the busy answer the decision bound gives (``{"error": "busy"}``, 429,
``Retry-After: 1``); the page keeps "The client is thinking…", sends the same reply again a second
later and the conversation goes on.
"""

from __future__ import annotations

import json

import pytest

from tests.service.test_browser import CHROMIUM, _browser, _login, fake_mic_args, server  # noqa: F401 - fixtures
from tests.service.test_browser_practice import reply_mic_wav  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


def test_a_busy_answer_is_retried_and_the_client_answers(server, reply_mic_wav):  # noqa: F811
    from playwright.sync_api import sync_playwright

    url, _ = server
    mic = fake_mic_args(reply_mic_wav)
    seen = {"busy": 0, "after": 0}

    def next_route(route):
        said = (route.request.post_data_buffer or b"").split(b'name="said"', 1)[-1][:200]
        if b"opening" not in said:  # the opening itself: no reply to decide on
            route.continue_()
        elif seen["busy"] == 0:
            seen["busy"] += 1
            route.fulfill(status=429, headers={"Retry-After": "1", "Content-Type": "application/json"},
                          body=json.dumps({"error": "busy", "retry_after": 1,
                                           "message": "The client is still answering your previous reply."}))
        else:
            seen["after"] += 1
            route.continue_()

    with sync_playwright() as p:
        browser = _browser(p, mic)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")
        page.route("**/practice/relapse-shame/next", next_route)
        page.check("#consent")
        page.click("#conv-start")
        page.wait_for_function("() => +(document.getElementById('converse').dataset.lines || 0) >= 2",
                               timeout=90_000)
        assert seen["busy"] == 1 and seen["after"] >= 1
        assert "could not answer" not in page.inner_text("#conv-state")
        page.click("#conv-stop")
        browser.close()
