"""Sub-score confidence: more helper turns and surer cues give a higher confidence."""

from __future__ import annotations

import pytest

from analysis.cues.types import BehaviourCode, CueResult
from analysis.report.types import SubScore
from analysis.schema import CLIENT, HELPER, Turn
from analysis.scoring.confidence import CONFIDENCE_TURNS, text_confidence, turn_certainty
from analysis.cues.view import cue_view
from analysis.scoring.score import score_session


def _turns(n_pairs: int) -> list[Turn]:
    out = []
    for i in range(n_pairs):
        out.append(Turn(CLIENT, "I have been feeling stuck lately.", role=CLIENT, index=2 * i))
        out.append(Turn(HELPER, "It sounds like you feel trapped.", role=HELPER, index=2 * i + 1))
    return out


def _cues(turns, probs):
    return CueResult(behaviours=tuple(BehaviourCode(t.index, max(probs, key=probs.get), probs, "", "model")
                                      for t in turns if t.role == HELPER))


def test_turn_certainty_known_values():
    assert turn_certainty({"question": 1.0, "reflection": 0.0, "input": 0.0, "other": 0.0}) == 1.0
    assert turn_certainty({"question": 0.25, "reflection": 0.25, "input": 0.25, "other": 0.25}) == 0.0
    assert turn_certainty({"question": 0.625, "reflection": 0.125, "input": 0.125, "other": 0.125}) == pytest.approx(0.5)
    assert turn_certainty(None) == 1.0


def test_confidence_from_helper_turns_and_certainty():
    sure = {"question": 0.0, "reflection": 1.0, "input": 0.0, "other": 0.0}
    unsure = {"question": 0.25, "reflection": 0.4, "input": 0.2, "other": 0.15}
    ten = _turns(10)
    # ten certain helper turns: n_eff = 10 -> 10 / (10 + CONFIDENCE_TURNS)
    assert text_confidence(ten, cue_view(_cues(ten, sure))) == pytest.approx(10 / (10 + CONFIDENCE_TURNS), abs=1e-3)
    assert text_confidence(ten, cue_view(_cues(ten, unsure))) < 0.2
    thirty = _turns(30)
    assert text_confidence(thirty, cue_view(_cues(thirty, sure))) == pytest.approx(0.75, abs=1e-3)


def test_score_session_sets_confidence_only_on_measured_subscores():
    short, long = _turns(2), _turns(40)
    sure = {"question": 0.0, "reflection": 1.0, "input": 0.0, "other": 0.0}
    a = score_session(short, _cues(short, sure)).subscores
    b = score_session(long, _cues(long, sure)).subscores
    assert a["reflect_validate"].confidence < 0.2 < 0.7 < b["reflect_validate"].confidence
    assert a["voice"].score is None and a["voice"].confidence is None
    assert b["make_space"].confidence == pytest.approx(40 / 50, abs=1e-3)
    d = b["reflect_validate"].to_dict()
    assert d["confidence"] == b["reflect_validate"].confidence
    assert SubScore.from_dict(d) == b["reflect_validate"]
    legacy = {k: v for k, v in d.items() if k != "confidence"}
    assert SubScore.from_dict(legacy).confidence is None


def test_index_eval_anchors_reproduce_the_shipped_points():
    """The re-anchoring used by `eval index` gives back the shipped sub-scores with the shipped targets."""
    from service.eval.index import ANCHORS, _subs_with_anchors, session_record

    class S:
        transcript_id, quality = "x", "high"
        turns = _turns(6) + [Turn(HELPER, "You should go to a meeting. Have you tried?", role=HELPER, index=12)]

    probs = {"question": 0.2, "reflection": 0.5, "input": 0.2, "other": 0.1}
    rec = session_record(S, _cues(S.turns, probs))
    again = _subs_with_anchors(rec, dict(ANCHORS))
    for k, v in rec["sub"].items():
        assert (v is None and again[k] is None) or again[k] == pytest.approx(v, abs=0.15)
    moved = _subs_with_anchors(rec, {**ANCHORS, ("reflect_validate", "reflection_to_question"): (0.0, 100.0)})
    assert moved["reflect_validate"] < rec["sub"]["reflect_validate"]
