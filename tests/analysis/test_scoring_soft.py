"""Soft evidence: the index counts the classifier's probabilities, not only its most likely code."""

from __future__ import annotations

import pytest

from analysis.cues.types import BehaviourCode, CueResult
from analysis.cues.view import CueView, cue_view
from analysis.schema import CLIENT, HELPER, Turn
from analysis.scoring.score import score_session


def _turns() -> list[Turn]:
    text = ["I feel stuck.", "It sounds like you feel trapped.", "Yes.", "What would help?", "Not sure.",
            "You could try a meeting."]
    roles = [HELPER if i % 2 else CLIENT for i in range(len(text))]
    return [Turn(r, t, role=r, index=i) for i, (r, t) in enumerate(zip(roles, text))]


def _part(res, sub: str, name: str):
    return next(p for p in res.subscores[sub].parts if p.name == name)


def test_cue_view_keeps_probabilities_and_expected_falls_back_to_labels():
    probs = {"question": 0.1, "reflection": 0.6, "input": 0.2, "other": 0.1}
    view = cue_view(CueResult(behaviours=(BehaviourCode(1, "reflection", probs, "", "model"),
                                          BehaviourCode(3, "question", {}, "open", "rules"))))
    assert view.expected(1, "reflection") == pytest.approx(0.6)
    assert view.expected(3, "question") == 1.0 and view.expected(3, "reflection") == 0.0
    assert view.probs == {1: probs}


def test_reflections_follow_the_one_decision_and_input_share_the_probabilities():
    labels = {1: frozenset({"reflection", "simple_reflection"}), 3: frozenset({"question", "open_question"}),
              5: frozenset({"input"})}
    hard = score_session(_turns(), CueView(labels))
    soft = score_session(_turns(), CueView(labels, (), {
        1: {"question": 0.0, "reflection": 0.6, "input": 0.4, "other": 0.0},
        3: {"question": 0.8, "reflection": 0.2, "input": 0.0, "other": 0.0},
        5: {"question": 0.0, "reflection": 0.3, "input": 0.5, "other": 0.2}}))
    # R:Q counts the turns the one cue decision calls reflections and questions (the sentence beside it
    # states the same counts), whatever the probabilities: 1 reflection, 1 question
    assert _part(hard, "reflect_validate", "reflection_to_question").value == pytest.approx(1.0)
    assert _part(soft, "reflect_validate", "reflection_to_question").value == pytest.approx(1.0)
    assert _part(hard, "hold_back", "information_and_advice").value == pytest.approx(33.3, abs=0.1)
    # expected input 0.4 + 0 + 0.5 = 0.9 of 3 helper turns
    assert _part(soft, "hold_back", "information_and_advice").value == pytest.approx(30.0)
