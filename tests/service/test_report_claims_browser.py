"""The report page's claims in a real browser: good, poor, minimising and one-microphone sessions.

Each session is real audio through the real pipeline: the two bundled role-plays in stereo, the
good one again on one microphone (helper second, as the page's answer gives it), and a voiced
bench script of warm minimising (tests/data/claims/c049). A real server serves them; Chromium
opens each page at desktop and phone width and checks what the summary claims against the figures
it shows. Screenshots of the top of each page go to tests/artifacts/ (the ones in docs/img come
from here).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.paths import SAMPLES
from tests.security.live import make_users, start_server
from tests.web_fixtures import ROOT, log_in

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="/usr/bin/chromium is not installed"),
]
ARTIFACTS = ROOT / "tests" / "artifacts"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
MINIMISING = ROOT / "tests" / "data" / "claims" / "c049-warm-minimising-pills.json"


def _reports(tmp) -> dict[str, tuple[str, dict]]:
    """kind -> (audio path, report dict), each from the real pipeline."""
    import soundfile as sf

    from service.eval.claims import load_script
    from service.eval.claims_run import voice_script
    from service.pipeline import AnalysisSettings, analyze_file

    stereo = AnalysisSettings(setup="stereo", helper_channel=0)
    good, poor = SAMPLES / "dialogues" / "listens-well.stereo.wav", SAMPLES / "dialogues" / "jumps-to-fixes.stereo.wav"
    audio, _ = voice_script(load_script(MINIMISING), tmp / "voices")
    mini = tmp / "minimising.stereo.wav"
    sf.write(mini, np.asarray(audio).T, 16000, subtype="PCM_16")
    mono = SAMPLES / "dialogues" / "listens-well.wav"
    return {
        "good": (str(good), analyze_file(good, stereo).to_dict()),
        "poor": (str(poor), analyze_file(poor, stereo).to_dict()),
        "minimising": (str(mini), analyze_file(mini, stereo).to_dict()),
        "one-mic": (str(mono), analyze_file(mono, AnalysisSettings(setup="mono", helper_speaker="second")).to_dict()),
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from service.store.storage import import_session

    tmp = tmp_path_factory.mktemp("claims")
    instance = tmp / "instance"
    make_users(instance)  # sup1 -> alice
    sessions = {}
    for kind, (audio, report) in _reports(tmp).items():
        sid = import_session(instance, "alice", audio, report, source="upload", title=f"Claims: {kind}")
        sessions[kind] = (sid, report)
    live = start_server(instance)
    try:
        yield live.url, sessions
    finally:
        live.stop()


@pytest.mark.parametrize("view", ["desktop", "phone"])
@pytest.mark.parametrize("kind", ["good", "poor", "minimising", "one-mic"])
def test_claims_show_their_figures(server, browser, kind, view):
    url, sessions = server
    sid, report = sessions[kind]
    summary = report["summary"]
    page = log_in(browser, url, "alice", VIEWPORTS[view])
    page.goto(f"{url}/sessions/{sid}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), view
    assert page.inner_text("#headline") == summary["headline"]
    # each priority shows the figures it rests on, at least one outside its band; the strength all inside
    for i, p in enumerate(summary["priorities"]):
        item = page.locator("#priorities > li").nth(i)
        assert item.locator("details.proof li.off-band").count() >= 1
        assert p["evidence"]["quote"][:30] in item.inner_text()
    if summary["strength"]:
        box = page.locator("#strength")
        assert box.locator("details.proof li").count() == len(summary["strength"]["because"])
        assert box.locator("details.proof li.off-band").count() == 0
        box.locator("details.proof > summary").click()  # opens by click (and by keyboard: a <summary>)
        assert box.locator("details.proof li").first.is_visible()
    space = page.inner_text("#sub-make_space")
    if kind == "one-mic" and not report["timing"]["overlaps_measured"]:  # the MFCC path alone
        assert "not measured with one microphone" in space and "cut in on the client: 0" not in space
    elif kind == "one-mic":  # the overlap-aware path measures cut-ins on one microphone, as stereo does
        assert "times you cut in on the client:" in space and "not measured with one microphone" not in space
    if kind == "minimising":  # "Don't be so hard on yourself... at least" is never praised as reflecting
        strength = (summary["strength"] or {}).get("subscore")
        assert strength != "reflect_validate"
        assert "made a feeling smaller" in page.inner_text("#sub-hold_back")
    if kind == "good":
        assert summary["strength"] is not None and report["index"] >= 75
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"report-{kind}-{view}.png"), full_page=False)
    (ARTIFACTS / f"report-{kind}.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    page.context.close()
