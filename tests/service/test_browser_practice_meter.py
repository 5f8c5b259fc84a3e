"""The optional live listening meter in browser practice (headless Chromium, fake microphone).

Off by default (nothing of it shows); turned on, the choice is remembered (localStorage), the
talk share so far is told in words against the report's band, and a fix given before any
exploring gets a "You gave advice early" mark from the server's cue model.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.service.test_browser import CHROMIUM, _browser, _login, fake_mic_args, server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def advice_mic_wav(tmp_path_factory) -> Path:
    """The first fixing reply ("Don't be so hard on yourself. At least it was only once.", Piper
    helper voice) every 7 s: 3.5 s of quiet, then the reply."""
    audio, sr = sf.read(ROOT / "tests" / "data" / "practice" / "fixing-replies.flac", dtype="float32")
    loud = np.flatnonzero(np.abs(audio) > 0.02)
    start = loud[0]
    gaps = np.flatnonzero(np.diff(loud) > sr)  # the first silence of 1 s or more ends the reply
    end = loud[gaps[0]] if gaps.size else loud[-1]
    clip = audio[max(0, start - sr // 20):end + sr // 20]
    assert 1.5 < clip.size / sr < 4.5, clip.size / sr
    period = np.zeros(int(7.0 * sr), dtype=np.float32)
    period[int(3.5 * sr):int(3.5 * sr) + clip.size] = clip
    out = tmp_path_factory.mktemp("mic") / "advice.wav"
    sf.write(out, np.tile(period, 12), sr, subtype="PCM_16")
    return out


def test_live_meter_off_by_default_then_shows_talk_share_and_advice_mark(server, advice_mic_wav):
    from playwright.sync_api import sync_playwright

    from analysis.report.glossary import BANDS

    url, _ = server
    low, high, _ = BANDS["talk_share"]
    mic = fake_mic_args(advice_mic_wav)
    with sync_playwright() as p:
        browser = _browser(p, mic)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")
        # off by default: the toggle is unticked and nothing of the meter shows
        assert not page.is_checked("#meter-on")
        assert page.is_hidden("#live-meter") and page.is_hidden("#talk-share")
        page.check("#meter-on")
        assert page.is_visible("#talk-share") and page.inner_text("#talk-share") == "Nothing said yet."
        page.reload()
        assert page.is_checked("#meter-on") and page.is_visible("#live-meter")  # remembered
        page.check("#consent")
        page.click("#conv-start")
        page.wait_for_selector("#meter-marks li.advice", timeout=120_000)
        page.wait_for_function("() => +(document.getElementById('converse').dataset.lines || 0) >= 2",
                               timeout=60_000)
        text = page.inner_text("#talk-share")
        m = re.match(r"You have talked (\d+)% of the time so far \(aim: ([^,]+), ", text)
        assert m, text
        aim = f"{round(low)}-{round(high)}%" if round(low) > 0 else f"at most {round(high)}%"  # not "0-50%"
        assert 0 < int(m.group(1)) < 100 and m.group(2) == aim
        mark = page.inner_text("#meter-marks li.advice")
        assert re.match(r"You gave advice early at \d+:\d\d: ", mark), mark
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "practice-meter-desktop.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        box = page.locator("#live-meter").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # fits the phone's width
        page.screenshot(path=str(ARTIFACTS / "practice-meter-phone.png"), full_page=True)
        page.click("#conv-stop")
        page.wait_for_selector("#review:not([hidden])", timeout=10_000)
        # turned off again: hidden, and remembered off
        page.uncheck("#meter-on")
        assert page.is_hidden("#live-meter")
        page.reload()
        assert not page.is_checked("#meter-on") and page.is_hidden("#live-meter")
        browser.close()
