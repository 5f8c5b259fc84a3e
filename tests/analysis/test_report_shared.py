"""The two voiced AnnoMI dialogues in ../shared/data/dialogue, analysed as audio: high must score above low."""

from __future__ import annotations

import pytest

from service.pipeline import AnalysisSettings, analyze_file

pytestmark = pytest.mark.slow  # two 7-minute recordings through the whole pipeline (about 1-2 min)


@pytest.fixture(scope="module")
def reports(request):
    from tests.paths import SHARED_DATA

    if not (SHARED_DATA / "dialogue").is_dir():
        pytest.skip("../shared/data/dialogue is not present")
    settings = AnalysisSettings(setup="stereo", helper_channel=0)
    return {name: analyze_file(SHARED_DATA / "dialogue" / f"{name}.stereo.flac", settings)
            for name in ("annomi119-high", "annomi131-low")}


def test_high_quality_session_scores_clearly_above_low(reports, shared_data):
    high, low = reports["annomi119-high"], reports["annomi131-low"]
    assert high.index is not None and low.index is not None
    assert high.index >= low.index + 15, (high.index, low.index)  # measured 86.6 vs 52.9
    share = {k: next(p.value for p in r.subscores["make_space"].parts if p.name == "helper_talk_share")
             for k, r in reports.items()}
    assert share["annomi131-low"] > share["annomi119-high"] + 15  # 71 % vs 41 % of words in the text
    assert high.subscores["reflect_validate"].score >= low.subscores["reflect_validate"].score
    for r in reports.values():
        assert r.duration > 400 and not r.partial and len(r.turns) > 40
