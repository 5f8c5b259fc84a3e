"""Barge-in in browser practice: headless Chromium with a fake microphone against the real server.

The fake microphone is quiet for 2 s, then says a reflection ("It sounds like you're carrying a lot
of shame, and you still came today.", Piper helper voice) over the client's 5.4 s opening. The
client stops (the line is marked cut, and her channel in the stored recording falls silent where she
stopped), the reply is heard from where the trainee's voice began (not from where she stopped),
her next line says she was cut off ("Oh. Okay." first, the same words and audio as the terminal's),
and the report counts the cut-in. How soon she stops is a benchmark figure, not tested here
(``python -m tests.service.browser_gap``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.service.test_browser import CHROMIUM, REPORT_TIMEOUT_MS, _browser, _login, fake_mic_args, server  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
TALK_AT_S = 2.0


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def _mic_with_reply(folder: Path, name: str, at_s: float) -> Path:
    """A 45 s fake microphone: silence, the first reflective reply starting ``at_s`` in."""
    from audio.devices.turn_taking import split_replies

    x, sr = sf.read(ROOT / "tests" / "data" / "practice" / "reflective-replies.flac", dtype="float32")
    reply = split_replies(x, sr)[0]
    mic = np.zeros(int(45 * sr), dtype=np.float32)
    mic[int(at_s * sr):int(at_s * sr) + reply.size] = reply
    out = folder / name
    sf.write(out, mic, sr, subtype="PCM_16")
    return out


@pytest.fixture(scope="module")
def cut_in_mic_wav(tmp_path_factory) -> Path:
    return _mic_with_reply(tmp_path_factory.mktemp("mic"), "cut-in.wav", TALK_AT_S)


def test_talking_over_her_line_stops_her_and_her_next_line_says_so(server, cut_in_mic_wav):  # noqa: F811
    from playwright.sync_api import sync_playwright

    from service.practice.cut_in import CUT_IN_AUDIO
    from service.practice.scenarios import get_scenario
    from service.store.db import connect, db_path

    url, instance = server
    lines = get_scenario("relapse-shame").all_lines
    mic = fake_mic_args(cut_in_mic_wav)
    with sync_playwright() as p:
        browser = _browser(p, mic)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")
        assert page.is_checked("#yield-on")  # on by default
        page.check("#meter-on")
        page.check("#consent")
        page.click("#conv-start")
        page.wait_for_function("() => document.getElementById('converse').dataset.cuts === '1'", timeout=30_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "practice-barge-in-desktop.png"), full_page=True)
        # her next line ("Oh. Okay." and the line chosen for the reflection) plays to the end
        page.wait_for_function("() => +(document.getElementById('converse').dataset.lines || 0) >= 2",
                               timeout=60_000)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "practice-barge-in-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click("#conv-stop")
        page.wait_for_selector("#review:not([hidden])", timeout=10_000)
        assert "she stopped once when you talked over her" in page.inner_text("#review-note")
        assert page.locator("#meter-marks li.interrupted").count() == 1
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "practice-barge-in-review-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click("#conv-submit")
        page.wait_for_url(url + "/sessions/*", timeout=30_000)
        session_id = int(page.url.rsplit("/", 1)[1])
        conn = connect(db_path(instance))
        row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        conn.close()
        timeline = json.loads(row["client_timeline"])
        opening, after = timeline[0], timeline[1]
        assert lines[opening["line"]].id == "opening" and opening["cut"] is True
        assert opening["end"] - opening["start"] < sf.info(lines[opening["line"]].audio).duration - 1.0
        # the reflection was heard whole (it began over her line): she goes deeper, and says she was cut off
        assert lines[after["line"]].id == "sister-deeper" and after["after_cut_in"] is True
        assert after["text"].startswith("Oh. Okay. ") and after["because"] == "after a reflection (she had been cut off)"
        assert after["reply_start"] < opening["end"]  # the reply counts from the trainee's voice, inside her line
        data, rate = sf.read(instance / "audio" / row["audio_name"], dtype="float32", always_2d=True)
        client = data[:, 1]
        stop, nxt = int(opening["end"] * rate), int(after["start"] * rate)
        assert _rms(client[int(opening["start"] * rate):stop]) > 0.01 and _rms(client[stop + 160:nxt]) < 1e-4
        lead, _ = sf.read(CUT_IN_AUDIO, dtype="float32")
        np.testing.assert_allclose(client[nxt:nxt + lead.size], lead, atol=2e-3)  # "Oh. Okay." first
        page.wait_for_selector("#index", timeout=REPORT_TIMEOUT_MS)
        report = page.request.get(f"{url}/api/reports/{session_id}").json()
        cuts = report["timing"]["interruptions"]
        assert len(cuts) == 1 and opening["start"] < cuts[0]["start"] < opening["end"]
        helper = " ".join(t["text"] for t in report["turns"] if t["role"] == "helper").lower()
        assert "shame" in helper
        page.screenshot(path=str(ARTIFACTS / "practice-barge-in-report-desktop.png"), full_page=False)
        browser.close()


@pytest.fixture(scope="module")
def late_mic_wav(tmp_path_factory) -> Path:
    """The same reflection, starting 4.5 s in: over the last second of her opening."""
    return _mic_with_reply(tmp_path_factory.mktemp("mic"), "late.wav", 4.5)


def test_a_reply_begun_over_her_last_words_is_heard_from_its_start(server, late_mic_wav):  # noqa: F811
    """With barge-in off she finishes her line; the reply that began over it is still heard whole."""
    from playwright.sync_api import sync_playwright

    from service.practice.scenarios import get_scenario
    from service.store.db import connect, db_path

    url, instance = server
    lines = get_scenario("relapse-shame").all_lines
    mic = fake_mic_args(late_mic_wav)
    with sync_playwright() as p:
        browser = _browser(p, mic)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")
        page.uncheck("#yield-on")
        page.check("#consent")
        page.click("#conv-start")
        page.wait_for_function("() => +(document.getElementById('converse').dataset.lines || 0) >= 2",
                               timeout=60_000)
        page.click("#conv-stop")
        page.wait_for_selector("#review:not([hidden])", timeout=10_000)
        page.click("#conv-submit")
        page.wait_for_url(url + "/sessions/*", timeout=30_000)
        session_id = int(page.url.rsplit("/", 1)[1])
        browser.close()
    conn = connect(db_path(instance))
    row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    conn.close()
    opening, after = json.loads(row["client_timeline"])[:2]
    assert "cut" not in opening and "after_cut_in" not in after  # she finished her line
    assert after["reply_start"] < opening["end"]  # the reply counts from the trainee's voice
    assert lines[after["line"]].id == "sister-deeper" and after["because"] == "after a reflection"
