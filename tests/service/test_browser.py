"""A real browser (Debian's Chromium via Playwright) against the real server in a subprocess.

Upload flow (supervisor): log in, upload a bundled sample, wait for the job,
open the report, click an evidence moment (the audio element's time changes),
add a comment pinned to the player's time. Practice flow (trainee): record with
Chromium's fake microphone playing a bundled sample, submit, get a report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.live import make_users, start_server
from tests.web_fixtures import JFK, PASSWORD, ROOT

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
BASE_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]
REPORT_TIMEOUT_MS = 150_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``listenwell serve`` on 127.0.0.1 with a supervisor (sup1) and a trainee (alice)."""
    instance = tmp_path_factory.mktemp("browser") / "instance"
    make_users(instance)  # sup1 -> alice
    live = start_server(instance)
    try:
        yield live.url, instance
    finally:
        live.stop()


@pytest.fixture(scope="module")
def fake_mic_wav(tmp_path_factory) -> Path:
    """The bundled JFK sample as 16-bit PCM WAV for Chromium's fake microphone."""
    import soundfile as sf

    data, rate = sf.read(JFK, dtype="int16")
    out = tmp_path_factory.mktemp("mic") / "jfk.wav"
    sf.write(out, data, rate, subtype="PCM_16")
    return out


def fake_mic_args(wav, autoplay: bool = True) -> list[str]:
    """Chromium flags that play ``wav`` as the microphone (and let the page play audio unprompted)."""
    args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}"]
    return args + (["--autoplay-policy=no-user-gesture-required"] if autoplay else [])


def _browser(playwright, extra=()):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=BASE_ARGS + list(extra))


def _login(page, url, user):
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")


def test_upload_report_evidence_and_comment(server):
    from playwright.sync_api import sync_playwright

    url, instance = server
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        _login(page, url, "sup1")
        page.goto(url + "/upload")
        page.select_option("select[name=trainee_id]", label="alice")
        page.fill("input[name=title]", "browser upload")
        # a two-person role-play (helper left), so the report flags moments to play
        page.set_input_files("input[name=audio]", str(ROOT / "samples" / "dialogues" / "jumps-to-fixes.stereo.wav"))
        page.check("input[name=speaker_setup][value=stereo]")
        page.select_option("select[name=helper_channel]", "0")
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#index", timeout=REPORT_TIMEOUT_MS)  # the page reloads when the job is done
        assert page.locator("audio#player").count() == 1
        page.wait_for_selector("#timeline svg .tl-turn")  # the turn timeline, drawn in the browser
        page.wait_for_function("() => document.getElementById('player').readyState >= 1")
        buttons = page.locator("#details .evidence")
        assert buttons.count() > 0, "the poor helper's report quotes no evidence"
        target = None
        for i in range(buttons.count()):
            if float(buttons.nth(i).get_attribute("data-start")) > 1.0:
                target = buttons.nth(i)
                break
        assert target is not None, "no evidence item with a time after 1 s"
        start = float(target.get_attribute("data-start"))
        assert page.evaluate("document.getElementById('player').currentTime") == 0
        target.click()
        page.wait_for_function(f"() => document.getElementById('player').currentTime >= {start - 0.25}")
        t = page.evaluate("document.getElementById('player').currentTime")
        assert start - 0.25 <= t <= start + 3
        page.click("#comment-now")
        at = float(page.input_value("#comment-at"))
        assert at >= start - 0.25
        page.fill("textarea[name=body]", "Good pause before answering here.")
        page.click("#comment-form button[type=submit]")
        page.wait_for_selector("text=Comment added")
        assert "Good pause before answering here." in page.inner_text("#comments")
        browser.close()
    # nothing left the machine
    assert all(u.startswith(url) or u.startswith(("data:", "blob:")) for u in requests), requests


def test_practice_recording_with_fake_microphone(server, fake_mic_wav):
    from playwright.sync_api import sync_playwright

    url, _ = server
    mic = fake_mic_args(fake_mic_wav, autoplay=False)
    with sync_playwright() as p:
        browser = _browser(p, mic)
        page = browser.new_page()
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")  # a branching scenario: the conversation page
        assert page.is_disabled("#conv-start")  # consent first
        page.check("#consent")
        page.click("#conv-start")
        page.wait_for_function("() => +(document.getElementById('converse').dataset.lines || 0) >= 1",
                               timeout=30_000)  # the client has spoken
        page.wait_for_function("() => document.getElementById('level').value > 0", timeout=20_000)  # the meter moves
        page.wait_for_timeout(6_000)  # let the fake microphone speak
        page.click("#conv-stop")
        page.wait_for_selector("#review:not([hidden])", timeout=10_000)
        page.click("#conv-submit")
        page.wait_for_url(url + "/sessions/*", timeout=30_000)
        page.wait_for_selector("#index", timeout=REPORT_TIMEOUT_MS)
        assert "browser" in page.inner_text(".meta")
        session_id = page.url.rsplit("/", 1)[1]
        report = page.request.get(f"{url}/api/reports/{session_id}").json()
        heard = " ".join(t["text"] for t in report["turns"]).lower()
        assert "americans" in heard, heard  # the fake microphone's words reached the transcript
        browser.close()
