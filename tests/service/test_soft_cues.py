"""Known answers for the views that count unsure reflections less (service/eval/soft_cues.py)."""

from __future__ import annotations

import numpy as np

from analysis.cues.view import CueView
from analysis.scoring.score import score_session
from analysis.schema import CLIENT, HELPER, Turn
from service.eval.soft_cues import (drop_reflections, fit_reflection_calibration, gate_reflections,
                                    sample_reflections, unsure_reflections)


def _p(reflection: float) -> dict[str, float]:
    rest = (1.0 - reflection) / 3
    return {"question": rest, "reflection": reflection, "input": rest, "other": rest}


# turn 1: a sure reflection; 3: an unsure one; 5: a reflection the rules decided (no probability);
# 7: a question with an unsure probability that must never gain a reflection
VIEW = CueView(
    labels={1: frozenset({"reflection", "complex_reflection"}), 3: frozenset({"reflection", "simple_reflection",
                                                                                "validation"}),
            5: frozenset({"reflection"}), 7: frozenset({"question", "open_question"})},
    probs={1: _p(0.9), 3: _p(0.4), 7: {"question": 0.5, "reflection": 0.3, "input": 0.1, "other": 0.1}},
)


def test_unsure_reflections_are_the_classifier_reflections():
    assert unsure_reflections(VIEW) == {1: 0.9, 3: 0.4}


def test_gate_drops_only_reflections_under_the_threshold():
    g = gate_reflections(VIEW, 0.5)
    assert g.labels[1] == VIEW.labels[1]
    assert g.labels[3] == frozenset({"validation"})  # its other labels stay
    assert g.labels[5] == frozenset({"reflection"})  # decided by the rules: kept
    assert g.labels[7] == VIEW.labels[7]
    assert gate_reflections(VIEW, 0.95).labels.get(1) is None
    assert gate_reflections(VIEW, 0.0).labels == VIEW.labels


def test_drop_removes_a_turn_left_without_labels():
    assert 5 not in drop_reflections(VIEW, {5}).labels


def test_sampling_keeps_each_reflection_in_proportion():
    assert all(v.labels == VIEW.labels for v in sample_reflections(VIEW, lambda p: 1.0, draws=5))
    none = sample_reflections(VIEW, lambda p: 0.0, draws=5)
    assert all(1 not in v.labels and "reflection" in v.labels[5] for v in none)
    draws = sample_reflections(VIEW, lambda p: p, draws=2000, key="t1")
    kept1 = np.mean(["reflection" in v.labels.get(1, ()) for v in draws])
    kept3 = np.mean(["reflection" in v.labels.get(3, ()) for v in draws])
    assert abs(kept1 - 0.9) < 0.03 and abs(kept3 - 0.4) < 0.04
    again = sample_reflections(VIEW, lambda p: p, draws=20, key="t1")
    assert [v.labels for v in again] == [v.labels for v in draws[:20]]  # seeded by the key


def test_calibration_is_isotonic_and_clipped():
    cal = fit_reflection_calibration([0.3, 0.4, 0.6, 0.7, 0.8, 0.9], [False, False, True, False, True, True])
    assert cal(0.3) == 0.0 and cal(0.35) == 0.0
    assert cal(0.65) == 0.5  # 0.6 and 0.7 pooled (one of two is a reflection)
    assert cal(0.95) == 1.0 and cal(0.1) == 0.0
    assert fit_reflection_calibration([0.5], [True])(0.7) == 0.7  # too little to fit: identity


def test_a_dropped_unsure_reflection_lowers_reflect_and_validate():
    lines = [(CLIENT, "I have been drinking every night."), (HELPER, "You're worried about the drinking."),
             (CLIENT, "Yes."), (HELPER, "Beer has a lot of calories, you know."),
             (CLIENT, "I guess."), (HELPER, "What would you like to change?")]
    turns = [Turn(r, t, role=r, index=i) for i, (r, t) in enumerate(lines)]
    view = CueView(labels={1: frozenset({"reflection", "simple_reflection"}),
                           3: frozenset({"reflection", "simple_reflection"}),
                           5: frozenset({"question", "open_question"})},
                   probs={1: _p(0.95), 3: _p(0.45), 5: {"question": 0.9, "reflection": 0.05, "input": 0.03,
                                                        "other": 0.02}})
    before = score_session(turns, view).subscores["reflect_validate"].score
    after = score_session(turns, gate_reflections(view, 0.5)).subscores["reflect_validate"].score
    assert after < before
