"""Cue views that count the classifier's unsure reflections less, for the index variants of issue 24.

The cue model calls some of a poor helper's information-giving "reflection", which lifts "reflect
and validate" exactly where the trainee most needs to hear otherwise. These helpers make the
reflections the classifier was unsure of count less, without touching the scorer: they return a
changed :class:`analysis.cues.view.CueView` (a turn that no longer counts as a reflection loses its
reflection labels), which :func:`analysis.scoring.score.score_session` reads as it reads any view.

- :func:`gate_reflections`: drop every reflection whose classifier probability is below a threshold
  (a hard gate).
- :func:`sample_reflections`: keep each reflection with a probability (the classifier's own, or a
  calibrated one), ``draws`` times: the mean index over the draws is the index's expected value when
  every unsure reflection counts only in proportion to how likely it is (soft counts).
- :func:`fit_reflection_calibration`: P(the experts coded a reflection | the classifier's
  reflection probability), isotonic, fitted on out-of-fold predictions of *training* transcripts.

Reflections the rules decided (no classifier probability: the decision overruled the classifier,
or no model ran) are always kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

from analysis.cues.view import CueView

__all__ = ["REFLECTION_LABELS", "unsure_reflections", "drop_reflections", "gate_reflections",
           "sample_reflections", "fit_reflection_calibration", "Calibration"]

REFLECTION_LABELS = frozenset({"reflection", "simple_reflection", "complex_reflection"})


def unsure_reflections(view: CueView) -> dict[int, float]:
    """Turns coded as a reflection that carry a classifier probability: turn -> P(reflection)."""
    return {i: float(view.probs[i].get("reflection", 0.0)) for i, labels in view.labels.items()
            if "reflection" in labels and i in view.probs}


def drop_reflections(view: CueView, turns: set[int]) -> CueView:
    """The same view, with ``turns`` no longer counted as reflections (their other labels stay)."""
    if not turns:
        return view
    labels = {i: (ls - REFLECTION_LABELS if i in turns else ls) for i, ls in view.labels.items()}
    return CueView({i: ls for i, ls in labels.items() if ls}, view.events, view.probs)


def gate_reflections(view: CueView, threshold: float) -> CueView:
    """Drop the reflections whose classifier probability is below ``threshold``."""
    return drop_reflections(view, {i for i, p in unsure_reflections(view).items() if p < threshold})


def _seed(key: str) -> int:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16)


def sample_reflections(view: CueView, keep: Callable[[float], float], draws: int = 32,
                       key: str = "") -> list[CueView]:
    """``draws`` views, each keeping every classifier reflection with probability ``keep(P(reflection))``.

    The random draws are seeded by ``key`` (e.g. the transcript id), so a run is repeatable.
    """
    probs = unsure_reflections(view)
    turns = sorted(probs)
    k = np.clip(np.array([keep(probs[i]) for i in turns], float), 0.0, 1.0)
    rng = np.random.default_rng(_seed(key))
    out = []
    for _ in range(draws):
        u = rng.random(len(turns))
        out.append(drop_reflections(view, {t for t, ui, ki in zip(turns, u, k) if ui >= ki}))
    return out


class Calibration:
    """A monotone map from the classifier's P(reflection) to P(experts coded a reflection).

    Breakpoints (``x``, ``y``) from isotonic regression; values between them are interpolated and
    values outside them clipped.
    """

    def __init__(self, x: Sequence[float], y: Sequence[float]):
        self.x = [round(float(v), 4) for v in x]
        self.y = [round(float(v), 4) for v in y]

    def __call__(self, p: float) -> float:
        return float(np.interp(p, self.x, self.y)) if self.x else float(p)

    def to_dict(self) -> dict[str, list[float]]:
        return {"x": self.x, "y": self.y}


def fit_reflection_calibration(probs: Sequence[float], is_reflection: Sequence[bool]) -> Calibration:
    """Isotonic P(gold reflection | classifier's P(reflection)) over turns the classifier coded reflection.

    Fit it only on out-of-fold predictions of training transcripts (the inner folds of the nested run).
    """
    from sklearn.isotonic import IsotonicRegression

    if len(probs) < 2 or len(set(is_reflection)) < 2:
        return Calibration([], [])
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    iso.fit(np.asarray(probs, float), np.asarray(is_reflection, float))
    return Calibration(iso.X_thresholds_, iso.y_thresholds_)
