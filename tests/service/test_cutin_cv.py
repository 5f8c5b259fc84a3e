"""Leave-one-dialogue-out choice of an overlap setting on planted cut-ins (service/eval/cutin_cv.py)."""

from __future__ import annotations

import pytest

from service.eval.cutin_cv import CutinCount, leave_one_dialogue_out, pooled, wilson


def test_wilson_interval_known_values():
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)
    assert wilson(10, 10)[1] == 1.0 and wilson(0, 5)[0] == 0.0
    assert wilson(0, 0) is None


def test_counts_give_precision_recall_f1():
    c = CutinCount(found=8, planted=10, false_alarms=2)
    assert c.recall == 0.8 and c.precision == 0.8 and c.f1 == pytest.approx(0.8)
    assert CutinCount(0, 4, 0).precision is None and CutinCount(0, 4, 0).f1 == 0.0
    assert (c + CutinCount(1, 2, 0)) == CutinCount(9, 12, 2)
    d = c.to_dict()
    assert d["recall"] == 0.8 and d["recall_95"] == wilson(8, 10)


def test_each_dialogue_is_scored_with_the_setting_chosen_on_the_others():
    counts = {
        "default": {"a": CutinCount(3, 6, 0), "b": CutinCount(2, 5, 0), "c": CutinCount(4, 4, 0)},
        "low": {"a": CutinCount(6, 6, 0), "b": CutinCount(5, 5, 3), "c": CutinCount(4, 4, 0)},
        "lower": {"a": CutinCount(6, 6, 4), "b": CutinCount(5, 5, 0), "c": CutinCount(4, 4, 4)},
    }
    folds = {f.dialogue: f for f in leave_one_dialogue_out(counts)}
    # held out a: on b+c, default F1 0.8, low 9/9 found with 3 false: 0.857, lower 9/9 with 4 false: 0.818
    assert folds["a"].chosen == "low" and folds["a"].held_out == CutinCount(6, 6, 0)
    # held out b: on a+c, low is perfect (10/10, none false)
    assert folds["b"].chosen == "low" and folds["b"].held_out == CutinCount(5, 5, 3)
    assert folds["c"].chosen == "low"
    assert pooled(folds.values()) == CutinCount(15, 15, 3)


def test_ties_go_to_the_earlier_setting_and_dialogues_must_match():
    tie = {"default": {"a": CutinCount(1, 2, 0), "b": CutinCount(1, 2, 0)},
           "other": {"a": CutinCount(1, 2, 0), "b": CutinCount(1, 2, 0)}}
    assert {f.chosen for f in leave_one_dialogue_out(tie)} == {"default"}
    assert {f.chosen for f in leave_one_dialogue_out(tie, order=["other", "default"])} == {"other"}
    with pytest.raises(ValueError):
        leave_one_dialogue_out({"x": {"a": CutinCount(1, 1, 0)}, "y": {"b": CutinCount(1, 1, 0)}})
    with pytest.raises(ValueError):
        leave_one_dialogue_out({"x": {"a": CutinCount(1, 1, 0)}})
