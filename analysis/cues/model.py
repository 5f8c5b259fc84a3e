"""The behaviour classifier: AnnoMI helper codes, subtypes and client talk type from text in context.

A two-stage stacked model. Stage 1: logistic regression over word and character TF-IDF of the
utterance, bags of words of the client's previous and next utterances, and dense context and
reflection features (``analysis/cues/features.py``). Stage 2: the same features plus the stage-1
class probabilities of this and the neighbouring helper utterances (the sequence of codes); it
is trained on out-of-fold stage-1 predictions (grouped by session) so that it learns from
predictions as noisy as those it sees at run time. Small heads add the question subtype
(open/closed), reflection subtype (simple/complex), advice among input, and the client's talk type
(change/sustain/neutral).

Weights ship as ``analysis/cues/models/cue_model.joblib`` (scikit-learn objects, no AnnoMI text).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from analysis.cues.features import Context, TextFeaturizer, contexts
from analysis.cues.types import BEHAVIOURS
from analysis.errors import ModelUnavailableError
from analysis.schema import CLIENT, HELPER, Turn

__all__ = ["MODEL_PATH", "SessionCodes", "BehaviourModel", "default_model", "fit_class_bias", "apply_class_bias"]

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("models") / "cue_model.joblib"
TALK = ("change", "neutral", "sustain")
_NEIGH = (-2, -1, 1, 2)


@dataclass(frozen=True)
class SessionCodes:
    """Predictions for one session, keyed by turn position."""

    helper: dict[int, tuple[str, dict[str, float]]] = field(default_factory=dict)
    subtypes: dict[int, str] = field(default_factory=dict)
    client: dict[int, tuple[str, dict[str, float]]] = field(default_factory=dict)


def _lr(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000)


def _neighbour_block(probs: np.ndarray, sizes: Sequence[int], weight: float) -> sparse.csr_matrix:
    """Own and neighbours' class probabilities within each session (zeros past the edges)."""
    rows = []
    start = 0
    k = probs.shape[1]
    for n in sizes:
        p = probs[start:start + n]
        cols = [p]
        for d in _NEIGH:
            q = np.zeros_like(p)
            if d < 0 and n > -d:
                q[-d:] = p[:d]
            elif d > 0 and n > d:
                q[:-d] = p[d:]
            cols.append(q)
        rows.append(np.hstack(cols) if n else np.zeros((0, k * (1 + len(_NEIGH)))))
        start += n
    return sparse.csr_matrix(np.vstack(rows).astype(np.float32) * weight)


class _Head:
    """One TF-IDF + logistic-regression classifier over contexts."""

    def __init__(self, c: float = 2.0, context_fields: tuple[str, ...] = ("prev_client",)):
        self.feat = TextFeaturizer(context_fields=context_fields, max_char=20000)
        self.clf = _lr(c)

    def fit(self, cs: Sequence[Context], y: Sequence[str]) -> "_Head":
        self.clf.fit(self.feat.fit(cs).transform(cs), list(y))
        return self

    def predict_proba(self, cs: Sequence[Context]) -> tuple[list[str], np.ndarray]:
        return [str(c) for c in self.clf.classes_], self.clf.predict_proba(self.feat.transform(cs))


def apply_class_bias(probs: np.ndarray, classes: Sequence[str], bias: dict[str, float] | None) -> np.ndarray:
    """Per-class calibration: multiply each class's probability by ``exp(bias[class])`` and renormalise."""
    if not bias:
        return probs
    b = np.array([bias.get(c, 0.0) for c in classes])
    p = np.asarray(probs, float) * np.exp(b)
    return p / p.sum(axis=1, keepdims=True)


def fit_class_bias(gold: Sequence[str], probs: np.ndarray, classes: Sequence[str] = BEHAVIOURS,
                   grid: Sequence[float] = tuple(np.round(np.arange(-1.5, 1.51, 0.1), 2)),
                   rounds: int = 3) -> dict[str, float]:
    """Per-class log-biases that maximise macro-F1 of the argmax on out-of-fold predictions.

    Coordinate ascent over ``grid`` (the first class stays at 0). Fit it only on predictions for
    sessions the model did not train on (inner folds), never on the sessions it will be scored on.
    """
    gold_i = np.array([list(classes).index(g) for g in gold])
    if len(gold_i) == 0:
        return {c: 0.0 for c in classes}
    logp = np.log(np.clip(np.asarray(probs, float), 1e-9, 1.0))
    k = len(classes)

    def score(b: np.ndarray) -> float:
        pred = np.argmax(logp + b, axis=1)
        f1 = []
        for j in range(k):
            tp = np.sum((pred == j) & (gold_i == j))
            d = np.sum(pred == j) + np.sum(gold_i == j)
            f1.append(2 * tp / d if d else 0.0)
        return float(np.mean(f1))

    b = np.zeros(k)
    best = score(b)
    for _ in range(rounds):
        changed = False
        for j in range(1, k):
            for v in grid:
                trial = b.copy()
                trial[j] = v
                s = score(trial)
                if s > best + 1e-9:
                    best, b, changed = s, trial, True
        if not changed:
            break
    return {c: round(float(v), 2) for c, v in zip(classes, b)}


class BehaviourModel:
    """Stacked helper-behaviour classifier with subtype and client-talk heads.

    Parameters
    ----------
    c1, c2 : float
        Inverse regularisation of the stage-1 and stage-2 logistic regressions (fixed, not tuned on
        test folds).
    inner_folds : int
        Grouped folds used to produce out-of-fold stage-1 predictions for training stage 2.
    neighbour_weight : float
        Scale of the stacked probability features.
    """

    #: per-class log-biases applied to the stage-2 probabilities (None: none); see :func:`fit_class_bias`
    class_bias: dict[str, float] | None = None

    def __init__(self, c1: float = 2.0, c2: float = 2.0, inner_folds: int = 3, neighbour_weight: float = 1.0):
        self.c1, self.c2, self.inner_folds, self.neighbour_weight = c1, c2, inner_folds, neighbour_weight
        self.classes = list(BEHAVIOURS)
        self.feat1: TextFeaturizer | None = None
        self.stage1: LogisticRegression | None = None
        self.stage2: LogisticRegression | None = None
        self.heads: dict[str, _Head] = {}

    # ------------------------------------------------------------------ fit
    def fit(self, sessions: Sequence[tuple[Sequence[Turn], Sequence[Any]]]) -> "BehaviourModel":
        """Train on ``(turns, labels)`` pairs; each label has ``behaviour``, ``talk``, ``question``,
        ``reflection`` and ``input`` attributes (see ``service.eval.annomi.AnnoMILabel``).

        BLAS/OpenMP run single-threaded here: on a shared machine many threads make the fit slower.
        """
        with threadpool_limits(limits=1):
            return self._fit(sessions)

    def _fit(self, sessions: Sequence[tuple[Sequence[Turn], Sequence[Any]]]) -> "BehaviourModel":
        cs, y, groups, sizes = [], [], [], []
        sub = {"question": ([], []), "reflection": ([], []), "input": ([], [])}
        ccs, cy = [], []
        for g, (turns, labels) in enumerate(sessions):
            hs = [c for c in self._contexts(turns) if labels[c.index].behaviour in BEHAVIOURS]
            cs += hs
            y += [labels[c.index].behaviour for c in hs]
            groups += [g] * len(hs)
            sizes.append(len(hs))
            for c in hs:
                lab = labels[c.index]
                for kind in sub:
                    v = getattr(lab, kind)
                    if lab.behaviour == kind and v:
                        sub[kind][0].append(c)
                        sub[kind][1].append("advice" if kind == "input" and v == "advice" else
                                            "other" if kind == "input" else v)
            for c in contexts(turns, CLIENT):
                if labels[c.index].talk in TALK:
                    ccs.append(c)
                    cy.append(labels[c.index].talk)
        if len(set(y)) < len(BEHAVIOURS):
            raise ModelUnavailableError("training data lacks some behaviour classes")
        y_arr = np.array(y)
        oof = np.zeros((len(cs), len(self.classes)))
        n_groups = len(set(groups))
        for tr, te in GroupKFold(n_splits=min(self.inner_folds, n_groups)).split(cs, y_arr, groups):
            f = self._featurizer().fit([cs[i] for i in tr])
            m = _lr(self.c1).fit(f.transform([cs[i] for i in tr]), y_arr[tr])
            oof[te] = self._align(m, m.predict_proba(f.transform([cs[i] for i in te])))
        self.feat1 = self._featurizer().fit(cs)
        x1 = self.feat1.transform(cs)
        self.stage1 = _lr(self.c1).fit(x1, y_arr)
        x2 = sparse.hstack([x1, _neighbour_block(oof, sizes, self.neighbour_weight)], format="csr")
        self.stage2 = _lr(self.c2).fit(x2, y_arr)
        for kind, (kc, ky) in sub.items():
            if len(set(ky)) == 2:
                self.heads[kind] = _Head().fit(kc, ky)
        if len(set(cy)) == len(TALK):
            self.heads["talk"] = _Head(context_fields=("prev_helper",)).fit(ccs, cy)
        return self

    # Hooks for variants (experiments subclass these; the shipped model uses the defaults). They are
    # methods, not attributes, so weights pickled before they existed still load.
    def _featurizer(self) -> TextFeaturizer:
        """A new, unfitted featurizer for the main behaviour stages."""
        return TextFeaturizer()

    def _contexts(self, turns: Sequence[Turn]) -> list[Context]:
        """Context records of the helper utterances the main behaviour stages code."""
        return contexts(turns, HELPER)

    def _align(self, m: LogisticRegression, p: np.ndarray) -> np.ndarray:
        out = np.zeros((p.shape[0], len(self.classes)))
        for j, c in enumerate(m.classes_):
            out[:, self.classes.index(c)] = p[:, j]
        return out

    # -------------------------------------------------------------- predict
    def predict_session(self, turns: Sequence[Turn]) -> SessionCodes:
        """Codes for every helper and client utterance of one session (keys: turn positions)."""
        with threadpool_limits(limits=1):
            return self._predict(turns)

    def _predict(self, turns: Sequence[Turn]) -> SessionCodes:
        if self.stage1 is None or self.stage2 is None or self.feat1 is None:
            raise ModelUnavailableError("the behaviour model is not trained")
        hs = self._contexts(turns)
        helper: dict[int, tuple[str, dict[str, float]]] = {}
        subtypes: dict[int, str] = {}
        if hs:
            x1 = self.feat1.transform(hs)
            p1 = self._align(self.stage1, self.stage1.predict_proba(x1))
            x2 = sparse.hstack([x1, _neighbour_block(p1, [len(hs)], self.neighbour_weight)], format="csr")
            p2 = apply_class_bias(self._align(self.stage2, self.stage2.predict_proba(x2)), self.classes,
                                  self.class_bias)
            for c, p in zip(hs, p2):
                helper[c.index] = (self.classes[int(np.argmax(p))], dict(zip(self.classes, map(float, p))))
            for kind, head in self.heads.items():
                if kind == "talk":
                    continue
                mine = [c for c in hs if helper[c.index][0] == kind]
                if mine:
                    names, p = head.predict_proba(mine)
                    for c, row in zip(mine, p):
                        lab = names[int(np.argmax(row))]
                        subtypes[c.index] = "information" if kind == "input" and lab == "other" else lab
        client: dict[int, tuple[str, dict[str, float]]] = {}
        ccs = contexts(turns, CLIENT)
        if ccs and "talk" in self.heads:
            names, p = self.heads["talk"].predict_proba(ccs)
            for c, row in zip(ccs, p):
                client[c.index] = (names[int(np.argmax(row))], dict(zip(names, map(float, row))))
        return SessionCodes(helper, subtypes, client)

    # ------------------------------------------------------------------ I/O
    def save(self, path: str | Path) -> None:
        """Write the weights with joblib (compressed)."""
        import joblib

        joblib.dump(self, path, compress=3)

    @staticmethod
    def load(path: str | Path) -> "BehaviourModel":
        """Read weights written by :meth:`save`."""
        import joblib

        try:
            model = joblib.load(path)
        except (OSError, EOFError, ValueError) as e:
            raise ModelUnavailableError(f"cannot load cue model {path}: {e}") from e
        if not isinstance(model, BehaviourModel):
            raise ModelUnavailableError(f"{path} does not hold a BehaviourModel")
        return model


@lru_cache(maxsize=1)
def default_model() -> BehaviourModel | None:
    """The shipped model (loaded once), or None when its weights are absent or unreadable."""
    if not MODEL_PATH.is_file():
        log.info("no shipped cue model at %s: using rules", MODEL_PATH)
        return None
    try:
        return BehaviourModel.load(MODEL_PATH)
    except ModelUnavailableError as e:
        log.warning("%s; using rules", e)
        return None
