"""Browser practice in headless Chromium stores both sides of the conversation.

The trainee (Chromium's fake microphone playing the JFK clip) records, plays the
client's first line from the page, stops and submits to the real server. The
stored WAV must hold the mic on channel 0 and the client's line on channel 1 at
the time the page says it played; the report page's player must know its length.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.service.test_browser import (  # noqa: F401 - fixtures
    CHROMIUM,
    REPORT_TIMEOUT_MS,
    _browser,
    _login,
    fake_mic_wav,
    server,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]
LINE0 = ROOT / "samples" / "scenarios" / "relapse-shame" / "opening.flac"
ARTIFACTS = ROOT / "tests" / "artifacts"


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def test_browser_practice_stores_both_sides(server, fake_mic_wav):  # noqa: F811
    from playwright.sync_api import sync_playwright

    from service.store.db import connect, db_path

    url, instance = server
    mic = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
           f"--use-file-for-fake-audio-capture={fake_mic_wav}"]
    with sync_playwright() as p:
        browser = _browser(p, mic)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")
        page.check("#consent")
        page.click("#rec-start")
        page.wait_for_function("() => document.getElementById('elapsed').textContent >= '0:01'", timeout=20_000)
        page.click(".play-line[data-line='0']")
        page.wait_for_selector(".play-line[data-line='0'].playing", timeout=10_000)
        page.wait_for_selector(".play-line[data-line='0']:not(.playing)", timeout=20_000)  # the line has ended
        page.wait_for_timeout(1500)  # the trainee answers
        page.click("#rec-stop")
        page.wait_for_url(url + "/sessions/*", timeout=30_000)
        session_id = int(page.url.rsplit("/", 1)[1])
        conn = connect(db_path(instance))
        row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        conn.close()
        timeline = json.loads(row["client_timeline"])
        assert [t["line"] for t in timeline] == [0]
        start, end = timeline[0]["start"], timeline[0]["end"]
        line0, sr = sf.read(LINE0, dtype="float32")
        assert 1.0 <= start and abs((end - start) - line0.size / sr) < 0.6  # played in full, after 1 s
        data, rate = sf.read(instance / "audio" / row["audio_name"], dtype="float32", always_2d=True)
        assert data.shape[1] == 2 and rate == 16000
        mic_ch, client_ch = data[:, 0], data[:, 1]
        at = int(round(start * rate))
        placed = client_ch[at:at + line0.size]
        assert abs(_rms(placed) - _rms(line0)) < 0.02 * _rms(line0)  # the client's line, at its played time
        assert not client_ch[:at].any() and not client_ch[at + line0.size:].any()
        assert _rms(mic_ch) > 0.01  # the trainee's side (the fake microphone)
        page.wait_for_selector("#index", timeout=REPORT_TIMEOUT_MS)
        page.wait_for_function("() => isFinite(document.getElementById('player').duration)", timeout=10_000)
        shown = page.evaluate("document.getElementById('player').duration")
        assert abs(shown - data.shape[0] / rate) < 0.05  # the player knows the length
        report = page.request.get(f"{url}/api/reports/{session_id}").json()
        client = [t for t in report["turns"] if t["role"] == "client"]
        helper = " ".join(t["text"] for t in report["turns"] if t["role"] == "helper").lower()
        assert [t["text"] for t in client] == ["I wasn't going to come today. I used on Saturday. Eleven months, "
                                               "and I just threw it away."]  # the scripted line, in its place
        assert client[0]["start"] < start + 1.0 and client[0]["end"] > end - 1.0
        assert "americans" in helper, helper  # the mic channel is the helper's
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "practice-report-desktop.png"), full_page=False)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "practice-report-phone.png"), full_page=False)
        browser.close()
