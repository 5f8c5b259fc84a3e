"""Small, dependency-light metrics for the evaluations: P/R/F1, macro-F1, AUC, Spearman, bootstrap intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["prf", "per_class", "macro_f1", "confusion", "auc", "spearman", "f1_from_confusion",
           "session_confusions", "bootstrap_macro_f1", "bootstrap_auc", "bootstrap_auc_difference",
           "bootstrap_macro_f1_difference"]


def prf(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, float | int]:
    """Precision, recall, F1 and support of one binary cue."""
    g = np.asarray(gold, dtype=bool)
    p = np.asarray(pred, dtype=bool)
    tp = int(np.sum(g & p))
    fp = int(np.sum(~g & p))
    fn = int(np.sum(g & ~p))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4),
            "support": int(g.sum()), "predicted": int(p.sum())}


def per_class(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str]) -> dict[str, dict]:
    """One :func:`prf` per class (one-vs-rest)."""
    return {c: prf([g == c for g in gold], [p == c for p in pred]) for c in classes}


def macro_f1(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str]) -> float:
    """Unweighted mean F1 over ``classes``."""
    pc = per_class(gold, pred, classes)
    return round(float(np.mean([pc[c]["f1"] for c in classes])), 4)


def confusion(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str]) -> list[list[int]]:
    """Counts; rows are gold classes, columns predicted classes."""
    m = [[0] * len(classes) for _ in classes]
    idx = {c: i for i, c in enumerate(classes)}
    for g, p in zip(gold, pred):
        if g in idx and p in idx:
            m[idx[g]][idx[p]] += 1
    return m


def auc(pos: Sequence[float], neg: Sequence[float]) -> float | None:
    """Area under the ROC curve: P(positive scores above negative), ties count half."""
    if len(pos) == 0 or len(neg) == 0:
        return None
    r = stats.rankdata(np.concatenate([np.asarray(pos, float), np.asarray(neg, float)]))
    n1, n0 = len(pos), len(neg)
    return round(float((r[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)), 4)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman rank correlation (None when either side is constant)."""
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    return round(float(stats.spearmanr(x, y)[0]), 4)


# ---------------------------------------------------------------- bootstrap intervals
# Every interval resamples whole sessions (transcripts), never utterances: utterances of one
# session are not independent, and the unit a trainee gets feedback on is the session.


def f1_from_confusion(conf: np.ndarray) -> np.ndarray:
    """Per-class F1 from a (classes x classes) confusion matrix (rows gold, columns predicted)."""
    conf = np.asarray(conf, float)
    tp = np.diag(conf)
    denom = conf.sum(0) + conf.sum(1)
    return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)


def session_confusions(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
                       classes: Sequence[str]) -> np.ndarray:
    """One confusion matrix per session: array (sessions, classes, classes)."""
    idx = {c: i for i, c in enumerate(classes)}
    out = np.zeros((len(gold), len(classes), len(classes)), dtype=np.int64)
    for s, (gs, ps) in enumerate(zip(gold, pred)):
        for g, p in zip(gs, ps):
            if g in idx and p in idx:
                out[s, idx[g], idx[p]] += 1
    return out


def _interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.nanpercentile(samples, [50 * (1 - level), 50 * (1 + level)])
    return round(float(lo), 4), round(float(hi), 4)


def bootstrap_macro_f1(conf: np.ndarray, n_boot: int = 2000, seed: int = 0,
                       level: float = 0.95) -> dict[str, Any]:
    """Macro-F1 with a percentile bootstrap interval, resampling sessions.

    Parameters
    ----------
    conf : ndarray (sessions, classes, classes)
        Per-session confusion matrices (:func:`session_confusions`).

    Returns
    -------
    dict
        ``value`` (macro-F1 of the pooled matrix), ``ci`` (low, high), ``per_class_ci``.
    """
    conf = np.asarray(conf)
    rng = np.random.default_rng(seed)
    n = conf.shape[0]
    draws = rng.integers(0, n, size=(n_boot, n))
    # counts of each session in each resample, then one matrix product for all resamples
    weights = np.zeros((n_boot, n))
    np.add.at(weights, (np.repeat(np.arange(n_boot), n), draws.ravel()), 1.0)
    pooled = np.tensordot(weights, conf.astype(float), axes=(1, 0))  # (n_boot, C, C)
    f1 = np.stack([f1_from_confusion(m) for m in pooled])
    point = f1_from_confusion(conf.sum(0))
    return {"value": round(float(point.mean()), 4), "ci": _interval(f1.mean(1), level),
            "per_class_ci": [_interval(f1[:, j], level) for j in range(conf.shape[1])]}


def _auc_np(scores: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = scores[labels], scores[~labels]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    r = stats.rankdata(np.concatenate([pos, neg]))
    return float((r[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _stratified_draws(labels: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Resampled session indices, drawn within each class so every resample keeps both classes."""
    cols = []
    for cls in (True, False):
        members = np.flatnonzero(labels == cls)
        if len(members):
            cols.append(members[rng.integers(0, len(members), size=(n_boot, len(members)))])
    return np.hstack(cols)


def bootstrap_auc(pos: Sequence[float], neg: Sequence[float], n_boot: int = 2000, seed: int = 0,
                  level: float = 0.95) -> dict[str, Any]:
    """AUC (positives above negatives) with a percentile bootstrap interval over sessions.

    Sessions are resampled within each class (stratified), so each resample has both classes.
    """
    if len(pos) == 0 or len(neg) == 0:
        return {"value": None, "ci": (None, None)}
    scores = np.concatenate([np.asarray(pos, float), np.asarray(neg, float)])
    labels = np.array([True] * len(pos) + [False] * len(neg))
    rng = np.random.default_rng(seed)
    draws = _stratified_draws(labels, n_boot, rng)
    boots = np.array([_auc_np(scores[d], labels[d]) for d in draws])
    return {"value": round(_auc_np(scores, labels), 4), "ci": _interval(boots, level)}


def bootstrap_auc_difference(a: Sequence[float], b: Sequence[float], labels: Sequence[bool],
                             n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> dict[str, Any]:
    """AUC(a) - AUC(b) on the same sessions with a paired bootstrap interval (same resamples for both)."""
    a_, b_, y = np.asarray(a, float), np.asarray(b, float), np.asarray(labels, bool)
    rng = np.random.default_rng(seed)
    draws = _stratified_draws(y, n_boot, rng)
    diffs = np.array([_auc_np(a_[d], y[d]) - _auc_np(b_[d], y[d]) for d in draws])
    return {"value": round(_auc_np(a_, y) - _auc_np(b_, y), 4), "ci": _interval(diffs, level)}


def bootstrap_macro_f1_difference(conf_a: np.ndarray, conf_b: np.ndarray, n_boot: int = 2000, seed: int = 0,
                                  level: float = 0.95) -> dict[str, Any]:
    """Macro-F1(a) - macro-F1(b) over the same sessions, paired bootstrap interval.

    Also each class's F1 difference (``per_class_value``) with its paired interval (``per_class_ci``),
    from the same resamples.
    """
    conf_a, conf_b = np.asarray(conf_a, float), np.asarray(conf_b, float)
    rng = np.random.default_rng(seed)
    n = conf_a.shape[0]
    weights = np.zeros((n_boot, n))
    draws = rng.integers(0, n, size=(n_boot, n))
    np.add.at(weights, (np.repeat(np.arange(n_boot), n), draws.ravel()), 1.0)
    fa = np.stack([f1_from_confusion(m) for m in np.tensordot(weights, conf_a, axes=(1, 0))])
    fb = np.stack([f1_from_confusion(m) for m in np.tensordot(weights, conf_b, axes=(1, 0))])
    per_class = f1_from_confusion(conf_a.sum(0)) - f1_from_confusion(conf_b.sum(0))
    return {"value": round(float(per_class.mean()), 4), "ci": _interval(fa.mean(1) - fb.mean(1), level),
            "per_class_value": [round(float(v), 4) for v in per_class],
            "per_class_ci": [_interval(fa[:, j] - fb[:, j], level) for j in range(conf_a.shape[1])]}
