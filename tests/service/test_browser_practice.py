"""Browser practice as a conversation, in headless Chromium with a fake microphone.

The trainee (Chromium's fake microphone looping a Piper reply with pauses) starts the
conversation; the client's lines play by themselves when the trainee pauses (end of speech in
the page, the next line chosen by the server's cue model); the take is reviewed (and redone once)
before it is submitted. The stored WAV holds the mic on channel 0 and the client's lines on
channel 1 where the page says they played; the report page tells the session's title and ticks
or flags the scenario's good-listening items.
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
    fake_mic_args,
    server,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


@pytest.fixture(scope="module")
def reply_mic_wav(tmp_path_factory) -> Path:
    """A reflection (Piper helper voice) every 11 s: 8.5 s of quiet (her longest line is 7.6 s, so
    after the first reply the trainee never talks over her), then the reply."""
    clip, sr = sf.read(ROOT / "tests" / "data" / "practice" / "reply2.flac", dtype="float32")
    period = np.zeros(int(11.0 * sr), dtype=np.float32)
    period[int(8.5 * sr):int(8.5 * sr) + clip.size] = clip[: int(2.5 * sr)]
    out = tmp_path_factory.mktemp("mic") / "replies.wav"
    sf.write(out, np.tile(period, 12), sr, subtype="PCM_16")
    return out


def test_browser_conversation_answers_by_itself_and_stores_both_sides(server, reply_mic_wav):  # noqa: F811
    from playwright.sync_api import sync_playwright

    from service.practice.scenarios import get_scenario
    from service.store.db import connect, db_path

    url, instance = server
    mic = fake_mic_args(reply_mic_wav)
    scenario = get_scenario("relapse-shame")
    with sync_playwright() as p:
        browser = _browser(p, mic)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")
        # the script is hidden: only the situation, behind a card
        assert page.locator(".line-text").count() == 0 and not page.is_visible("#situation p")
        page.click("#situation summary")
        assert "eleven months clean" in page.inner_text("#situation p")
        ARTIFACTS.mkdir(exist_ok=True)
        page.check("#consent")
        # a first take, ended after the opening and thrown away (redo)
        page.click("#conv-start")
        page.wait_for_function("() => document.getElementById('converse').dataset.lines === '1'", timeout=30_000)
        page.click("#conv-stop")
        page.wait_for_selector("#review:not([hidden])", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "practice-review-desktop.png"))
        page.click("#conv-redo")
        assert page.is_hidden("#review") and page.inner_text("#conv-state") == "Not started."
        # the real take: no clicks between the lines
        page.click("#conv-start")
        page.wait_for_function("() => +(document.getElementById('converse').dataset.lines || 0) >= 3",
                               timeout=90_000)
        page.screenshot(path=str(ARTIFACTS / "practice-conversation-desktop.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "practice-conversation-phone.png"))
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click("#conv-stop")
        page.wait_for_selector("#review:not([hidden])", timeout=10_000)
        page.wait_for_function("() => isFinite(document.getElementById('take').duration) || "
                               "document.getElementById('take').readyState >= 1", timeout=10_000)
        page.click("#conv-submit")
        page.wait_for_url(url + "/sessions/*", timeout=30_000)
        session_id = int(page.url.rsplit("/", 1)[1])
        conn = connect(db_path(instance))
        row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        conn.close()
        assert row["title"] == "Practice: Shame after a relapse"
        timeline = json.loads(row["client_timeline"])
        assert len(timeline) >= 3
        lines = scenario.all_lines
        assert lines[timeline[0]["line"]].id == "opening"
        assert all(lines[t["line"]].kind == "follow_up" for t in timeline[1:3])  # she answered, by herself
        data, rate = sf.read(instance / "audio" / row["audio_name"], dtype="float32", always_2d=True)
        assert data.shape[1] == 2 and rate == 16000
        mic_ch, client_ch = data[:, 0], data[:, 1]
        for t in timeline:
            clip, _ = sf.read(lines[t["line"]].audio, dtype="float32")
            if t.get("after_cut_in") or t.get("cut"):  # the loop may talk over the opening (test_browser_barge_in)
                continue
            at = round(t["start"] * rate)
            placed = client_ch[at:at + clip.size]
            assert abs(_rms(placed) - _rms(clip)) < 0.05 * _rms(clip)  # her line, where it played
        assert any(not t.get("cut") and not t.get("after_cut_in") for t in timeline), timeline
        assert _rms(mic_ch) > 0.01  # the trainee's side
        page.wait_for_selector("#index", timeout=REPORT_TIMEOUT_MS)
        assert page.inner_text("h1") == "Practice: Shame after a relapse"
        # the client's arc, told from the page's timeline (why each line, when the reply began)
        assert all(t.get("because", "").startswith("after ") for t in timeline[1:])
        arc = page.inner_text("#arc")
        assert arc.startswith("The ") and "heart of the matter" in arc and " at 0:" in arc, arc
        items = page.locator("#checklist li.check")
        assert items.count() == len(scenario.good_listening)
        statuses = [c.split()[-1] for c in items.evaluate_all("els => els.map(e => e.className)")]
        assert set(statuses) <= {"yes", "no", "unknown"} and {"yes", "no"} & set(statuses)
        report = page.request.get(f"{url}/api/reports/{session_id}").json()
        client = [t for t in report["turns"] if t["role"] == "client"]
        assert client[0]["text"].startswith("I wasn't going to come today")
        helper = " ".join(t["text"] for t in report["turns"] if t["role"] == "helper").lower()
        assert "judging" in helper, helper  # the mic channel is the helper's
        page.screenshot(path=str(ARTIFACTS / "practice-report-desktop.png"), full_page=False)
        browser.close()


def test_next_line_endpoint_reads_text_replies(server):  # noqa: F811
    """The server's choice for text replies (no audio): a reflection goes deeper, advice meets 'yes, but'."""
    from playwright.sync_api import sync_playwright

    url, _ = server
    with sync_playwright() as p:
        browser = _browser(p)
        page = browser.new_page()
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")
        token = page.get_attribute('meta[name="csrf-token"]', "content")

        def ask(said, text=""):
            r = page.request.post(f"{url}/practice/relapse-shame/next", headers={"X-CSRFToken": token},
                                  multipart={"said": json.dumps(said), "text": text})
            return r.status, r.json()

        assert ask([])[1]["line_id"] == "opening"
        status, j = ask(["opening"], "You feel like everyone can see it on you.")
        assert status == 200 and (j["line_id"], j["because"]) == ("sister-deeper", "after a reflection")
        assert j["src"].endswith(f"/lines/{j['line']}")
        assert ask(["opening"], "You should call your sponsor tonight.")[1]["line_id"] == "sister-yes-but"
        status, j = ask(["nope"])
        assert status == 400 and "line ids" in j["message"]
        browser.close()
