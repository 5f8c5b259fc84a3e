"""Small, dependency-light metrics for the cue evaluation: P/R/F1, macro-F1, AUC, Spearman."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["prf", "per_class", "macro_f1", "confusion", "auc", "spearman"]


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
