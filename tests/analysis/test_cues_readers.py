"""One line, one decision: the report's cues and scorer, the scenario checklist and the practice reader agree.

Also: staying with a feeling is judged by what the reply does, in any words.
"""

from __future__ import annotations

import pytest

from analysis.cues.detect import CueOptions, detect_cues
from analysis.cues.reply import classify_reply
from analysis.cues.view import cue_view
from analysis.schema import CLIENT, HELPER, Turn
from service.pipeline import score_transcript
from analysis.report.types import Report
from service.web.report_page import good_listening_checklist
from tests.report_fixtures import make_turns

SHAME = "I relapsed last weekend and I feel so ashamed. I had ninety days."
MINIMISING = "Don't be so hard on yourself. At least it was only once."


@pytest.mark.parametrize("use_model", [True, False])
def test_the_shame_line_reads_the_same_in_all_three_readers(use_model):
    turns = make_turns([(CLIENT, SHAME), (HELPER, MINIMISING)], timed=True)
    from analysis.cues.types import CueOptions as _O  # noqa: F401  (the pipeline uses its defaults)

    if use_model:
        report = score_transcript(turns)
    else:
        report = Report(cues=detect_cues(turns, CueOptions(use_model=False)))
    cues = report.cues.to_dict()
    # 1. the report: its cues and MITI summary
    assert cues["summary"]["reflections"] == 0 and cues["summary"]["minimising"] == 1
    assert not [c for c in cues["cues"] if c["kind"] == "reflection"]
    code = next(b for b in cues["behaviours"] if b["turn_index"] == 1)
    assert "minimising" in code["codes"] and "reflection" not in code["behaviour"]
    # the scorer reads the cues through CueView: no reflection, not even as soft evidence
    view = cue_view(cues)
    assert not view.has(1, "reflection") and view.has(1, "minimising")
    assert view.expected(1, "reflection") == 0.0
    # 2. the scenario checklist (cue counts in report.json)
    item = good_listening_checklist(["Reflect the shame and the courage together."], report)[0]
    assert item["status"] == "no" and item["reason"] == "0 reflections found"
    # 3. the practice client's reply reader
    move = classify_reply(MINIMISING, SHAME, use_model=use_model)
    assert move.move == "fixing" and move.label == "minimising"


def test_the_scorer_counts_no_reflection_for_the_shame_line():
    report = score_transcript(make_turns([(CLIENT, SHAME), (HELPER, MINIMISING)], timed=True)).to_dict()
    assert report["miti"]["reflections"] == 0 and report["miti"]["minimising"] == 1


def _stance(client: str, helper: str, use_model: bool = False):
    res = detect_cues([Turn("c", client, role=CLIENT), Turn("h", helper, role=HELPER)],
                      CueOptions(use_model=use_model))
    return {e.kind for e in res.events}


@pytest.mark.parametrize("use_model", [False, True])
@pytest.mark.parametrize("client,helper", [
    ("My dad was furious when he found out.", "It hurt that he saw it that way."),
    ("I let everyone down, especially my daughter.", "What has it been like with your daughter since then?"),
    ("I feel like such a failure since the relapse.", "That makes sense you'd feel that way."),
    ("I'm so ashamed of what I did.", "What was that like for you?"),
    ("I feel so alone since my wife left.", "It sounds like the house is very quiet now."),
])
def test_replies_that_stay_with_a_feeling_in_other_words(client, helper, use_model):
    kinds = _stance(client, helper, use_model)
    assert "feeling_reflected" in kinds and "feeling_missed" not in kinds and "topic_avoidance" not in kinds


@pytest.mark.parametrize("use_model", [False, True])
@pytest.mark.parametrize("client,helper", [
    ("My dad was furious when he found out.", "Have you thought about going to a meeting tonight?"),
    ("I let everyone down, especially my daughter.", "Don't worry, everyone slips."),
    ("I let everyone down, especially my daughter.", "How is work going these days?"),
    ("I feel so alone since my wife left.", "You should join a gym, it gets you out of the house."),
    ("I'm so ashamed of what I did.", "Meetings are on Tuesdays and Thursdays at seven at the church hall downtown."),
])
def test_replies_that_move_away_from_a_feeling(client, helper, use_model):
    kinds = _stance(client, helper, use_model)
    assert "feeling_missed" in kinds and "feeling_reflected" not in kinds
    assert "topic_avoidance" in kinds


def test_a_late_reflection_after_a_fix_still_counts_but_the_fix_is_flagged():
    res = detect_cues([Turn("c", "I feel so alone since my wife left.", role=CLIENT),
                       Turn("h", "You should join a gym.", role=HELPER),
                       Turn("c", "Maybe.", role=CLIENT),
                       Turn("h", "It sounds like the evenings are the loneliest part.", role=HELPER)],
                      CueOptions(use_model=False))
    kinds = {(e.kind, e.turn_index) for e in res.events}
    assert ("solution_before_exploration", 1) in kinds and ("feeling_missed", 1) in kinds
