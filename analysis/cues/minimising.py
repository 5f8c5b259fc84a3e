"""A learned reading of minimising and reassurance, beside the phrase rules.

The rules in :mod:`analysis.cues.rules` name the phrases that minimise ("at least", "don't worry",
"everyone slips"). Four batches of role-play scripts written blind (issue 25) showed that each new
writer minimises in new words ("a hiccup, not a relapse", "nobody at that church is keeping score",
"he's seen a lot worse"): the rules found 8 of 8, 4 of 6, 2 of 9 and 1 of 8 of the planted
minimising lines of each batch before that batch was seen. This model reads the same thing from
word and character n-grams (TF-IDF, logistic regression), trained on the helper lines of the
project's own labelled scripts (``tests/data/claims/``, ``tests/data/claims-holdout/``; no third
party text). Held out a batch at a time it finds about three in four (``scripts/train_minimising.py``,
``docs/evaluation/claims.md``).

A clause is read by the model only where nothing in its form says otherwise (see
``analysis.cues.decide``): a reflection stem, a validation, advice, persuasion, a request for
permission or sympathy keep their own reading.

The weights ship as ``analysis/cues/models/minimising.joblib``; without them the rules alone decide.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import ModelUnavailableError

__all__ = ["MINIMISING_PATH", "FALSE_ALARM_RATE", "MinimisingModel", "fit_minimising", "grouped_scores",
           "default_minimising", "minimising_probability"]

log = logging.getLogger(__name__)

MINIMISING_PATH = Path(__file__).with_name("models") / "minimising.joblib"
#: The threshold lets this share of the non-minimising training lines through, on out-of-fold scores
#: (fixed before any held-out figure was seen)
FALSE_ALARM_RATE = 0.02
_C = 4.0


def _pipeline() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    return make_pipeline(
        make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        LogisticRegression(C=_C, class_weight="balanced", max_iter=3000),
    )


@dataclass
class MinimisingModel:
    """The fitted pipeline, its threshold and what it was trained on."""

    pipeline: Any
    threshold: float
    trained_on: tuple[str, ...] = ()

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        """P(minimising) of each text (normalised, lower-case, as ``analysis.cues.rules.normalise`` gives)."""
        if not texts:
            return np.zeros(0)
        return self.pipeline.predict_proba(list(texts))[:, 1]

    def save(self, path: str | Path) -> None:
        import joblib

        joblib.dump(self, path, compress=3)

    @staticmethod
    def load(path: str | Path) -> "MinimisingModel":
        import joblib

        try:
            model = joblib.load(path)
        except (OSError, EOFError, ValueError) as e:
            raise ModelUnavailableError(f"cannot load minimising model {path}: {e}") from e
        if not isinstance(model, MinimisingModel):
            raise ModelUnavailableError(f"{path} does not hold a MinimisingModel")
        return model


def grouped_scores(texts: Sequence[str], labels: Sequence[bool], groups: Sequence[Any],
                   score: Callable[[Any, int], float]) -> np.ndarray:
    """Out-of-fold scores: each group scored by a pipeline fitted on the other groups.

    ``score(pipeline, i)`` turns a fitted pipeline and a line's position into that line's score (the
    caller decides how a line is read: whole, or its clauses).
    """
    y = np.asarray(labels, dtype=bool)
    g = np.asarray(groups)
    out = np.zeros(len(texts))
    for h in sorted(set(g.tolist())):
        train = np.where(g != h)[0]
        if not y[train].any() or y[train].all():
            raise ValueError(f"group {h!r}: its training set has one class only")
        pipe = _pipeline().fit([texts[i] for i in train], y[train])
        for i in np.where(g == h)[0]:
            out[i] = score(pipe, int(i))
    return out


def fit_minimising(texts: Sequence[str], labels: Sequence[bool], groups: Sequence[Any],
                   score: Callable[[Any, int], float], ids: Sequence[str] = ()) -> MinimisingModel:
    """Fit on every line; the threshold from grouped out-of-fold scores of the negatives.

    Parameters
    ----------
    texts : sequence of str
        Helper lines, normalised.
    labels : sequence of bool
        Whether each line minimises.
    groups : sequence
        A group per line (a batch of scripts): folds never split a group.
    score : callable
        ``score(pipeline, i)``: how line ``i`` is read by a fitted pipeline.
    ids : sequence of str
        The scripts trained on (kept in the model).
    """
    y = np.asarray(labels, dtype=bool)
    oof = grouped_scores(texts, y, groups, score)
    threshold = float(np.quantile(oof[~y], 1.0 - FALSE_ALARM_RATE))
    pipe = _pipeline().fit(list(texts), y)
    return MinimisingModel(pipe, threshold, tuple(ids))


@lru_cache(maxsize=1)
def default_minimising() -> MinimisingModel | None:
    """The shipped model (loaded once), or None when its weights are absent or unreadable."""
    if not MINIMISING_PATH.is_file():
        log.info("no shipped minimising model at %s: rules alone", MINIMISING_PATH)
        return None
    try:
        return MinimisingModel.load(MINIMISING_PATH)
    except ModelUnavailableError as e:
        log.warning("%s; rules alone", e)
        return None


@lru_cache(maxsize=4096)
def minimising_probability(clause: str) -> float | None:
    """The shipped model's P(minimising) for one normalised clause, None without the model."""
    model = default_minimising()
    if model is None:
        return None
    return float(model.probability([clause])[0])
