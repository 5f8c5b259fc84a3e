"""Bootstrap intervals (sessions resampled) and per-class calibration, on cases with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import service.eval.metrics as M
from analysis.cues.model import apply_class_bias, fit_class_bias


def test_auc_interval_of_perfect_separation_is_a_point():
    res = M.bootstrap_auc([3.0, 4.0, 5.0], [0.0, 1.0, 2.0], n_boot=300)
    assert res["value"] == 1.0 and res["ci"] == (1.0, 1.0)


def test_auc_interval_matches_hanley_mcneil_width():
    rng = np.random.default_rng(7)
    n1 = n0 = 300
    pos, neg = rng.normal(1.0, 1.0, n1), rng.normal(0.0, 1.0, n0)
    res = M.bootstrap_auc(list(pos), list(neg), n_boot=2000)
    a = res["value"]
    assert abs(a - stats.norm.cdf(1 / math.sqrt(2))) < 0.05  # true AUC 0.760
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))
    lo, hi = res["ci"]
    assert lo < a < hi
    assert (hi - lo) == pytest.approx(2 * 1.96 * se, rel=0.2)


def test_macro_f1_interval_of_a_binomial_case():
    # 1000 one-utterance sessions, two balanced classes, each prediction right with probability 0.8:
    # macro-F1 is about the accuracy, whose standard error is sqrt(0.8 * 0.2 / 1000).
    rng = np.random.default_rng(3)
    gold = [["a"] if i % 2 else ["b"] for i in range(1000)]
    pred = [[g[0] if rng.random() < 0.8 else ("b" if g[0] == "a" else "a")] for g in gold]
    conf = M.session_confusions(gold, pred, ("a", "b"))
    res = M.bootstrap_macro_f1(conf, n_boot=2000)
    lo, hi = res["ci"]
    assert lo < res["value"] < hi
    assert abs(res["value"] - 0.8) < 0.04
    assert (hi - lo) == pytest.approx(2 * 1.96 * math.sqrt(0.16 / 1000), rel=0.25)


def test_macro_f1_interval_resamples_sessions_not_utterances():
    # Two sessions of 100 utterances: one all right, one all wrong. Resampling sessions swings
    # between 0 and 1; resampling utterances would give a narrow interval around 0.5.
    gold = [["a"] * 50 + ["b"] * 50, ["a"] * 50 + ["b"] * 50]
    pred = [["a"] * 50 + ["b"] * 50, ["b"] * 50 + ["a"] * 50]
    res = M.bootstrap_macro_f1(M.session_confusions(gold, pred, ("a", "b")), n_boot=1000)
    assert res["value"] == 0.5
    assert res["ci"][0] == 0.0 and res["ci"][1] == 1.0


def test_paired_difference_of_identical_scores_is_zero():
    a = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2]
    y = [True, True, True, False, False, False]
    d = M.bootstrap_auc_difference(a, a, y, n_boot=200)
    assert d["value"] == 0.0 and d["ci"] == (0.0, 0.0)
    better = M.bootstrap_auc_difference([1, 1, 1, 0, 0, 0], [0.1, 0.9, 0.3, 0.7, 0.2, 0.5], y, n_boot=500)
    assert better["value"] > 0 and better["ci"][1] > 0


def test_class_bias_recovers_an_under_predicted_class():
    rng = np.random.default_rng(0)
    classes = ("question", "reflection", "input", "other")
    gold = list(rng.choice(classes, 2000))
    # A classifier whose "other" probability is squashed by a factor e^2: after argmax it misses "other".
    logits = np.array([[2.0 if c == g else 0.0 for c in classes] for g in gold]) + rng.normal(0, 0.8, (2000, 4))
    logits[:, 3] -= 2.0
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)

    def mf1(p):
        pred = [classes[i] for i in np.argmax(p, 1)]
        return np.mean([M.prf([g == c for g in gold], [q == c for q in pred])["f1"] for c in classes])

    bias = fit_class_bias(gold, probs, classes)
    assert bias["question"] == 0.0
    assert bias["other"] > 1.0  # pushes "other" back up by about the squashing
    assert mf1(apply_class_bias(probs, classes, bias)) > mf1(probs) + 0.05
    assert np.allclose(apply_class_bias(probs, classes, bias).sum(1), 1.0)
    assert apply_class_bias(probs, classes, None) is probs


def test_paired_f1_difference_per_class_has_known_value():
    # Ten sessions of four utterances (two "a", two "b"). Method A is always right; method B calls
    # one "b" of every session "a": its F1 is 2*20/(20+30) = 0.8 for "a" and 2*10/(10+20) = 2/3 for "b".
    gold = [["a", "a", "b", "b"]] * 10
    right = M.session_confusions(gold, gold, ("a", "b"))
    wrong = M.session_confusions(gold, [["a", "a", "a", "b"]] * 10, ("a", "b"))
    d = M.bootstrap_macro_f1_difference(right, wrong, n_boot=300)
    assert d["per_class_value"] == [pytest.approx(0.2, abs=1e-4), pytest.approx(1 / 3, abs=1e-4)]
    assert d["value"] == pytest.approx((0.2 + 1 / 3) / 2, abs=1e-4)
    # every session is alike, so every resample gives the same difference: the intervals are points
    assert d["per_class_ci"][0] == (0.2, 0.2)
    same = M.bootstrap_macro_f1_difference(right, right, n_boot=100)
    assert same["per_class_value"] == [0.0, 0.0] and same["per_class_ci"] == [(0.0, 0.0), (0.0, 0.0)]
