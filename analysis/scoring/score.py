"""The 0-100 listening-quality index and its six sub-scores.

Each sub-score is a weighted mean of a few :class:`~analysis.report.types.ScorePart`
items, each turning one measurement into 0-100 points with a fixed, piecewise
linear rule anchored on published figures (MITI 4.2.1 thresholds; AnnoMI
high- vs low-quality means, see the README, "The index"). The index is the
weighted mean of the measured sub-scores with the fixed weights in
:data:`WEIGHTS`; sub-scores that could not be measured (no timing or prosody
for a text-only transcript) are left out and marked "not measured".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from analysis.cues.miti import miti_summary
from analysis.cues.types import MitiSummary
from analysis.cues.view import cue_view
from analysis.prosody.types import ProsodyResult
from analysis.report.types import ScorePart, SubScore, Summary
from analysis.schema import Turn
from analysis.scoring.confidence import (
    low_confidence_note,
    text_confidence,
    turns_confidence,
)
from analysis.scoring.parts import (
    explore,
    hold_back,
    make_space,
    reflect_validate,
    stay_with,
    voice,
)
from analysis.scoring.summary import build_summary, mark_unsure
from analysis.timing.types import TimingMetrics

__all__ = ["WEIGHTS", "LABELS", "ScoreResult", "score_session", "miti_summary", "combine_index"]

logger = logging.getLogger(__name__)

# Fixed weights (sum 1). The four text sub-scores share 0.86 in proportion to
# how well each alone separates AnnoMI's high- from low-quality transcripts
# with the experts' labels (AUC - 0.5: reflect 0.94, hold back 0.91, make space
# 0.66, explore 0.57; ``python -m service.eval.index DATA_DIR`` derives them, and
# on training folds only for its cross-validated AUC). Stay with hard topics and
# voice cannot be measured on AnnoMI and get small fixed weights.
WEIGHTS = {
    "reflect_validate": 0.35,
    "hold_back": 0.33,
    "stay_with": 0.08,
    "explore": 0.06,
    "make_space": 0.12,
    "voice": 0.06,
}
LABELS = {
    "reflect_validate": "Reflect and validate",
    "explore": "Explore with open questions",
    "hold_back": "Hold back solutions",
    "stay_with": "Stay with hard topics",
    "make_space": "Make space",
    "voice": "Voice",
}


@dataclass(frozen=True)
class ScoreResult:
    """What scoring adds to a report."""

    index: float | None
    subscores: dict[str, SubScore]
    miti: MitiSummary
    strengths: tuple[str, ...]
    work_on: tuple[str, ...]
    summary: Summary = field(default_factory=Summary)


def combine_index(subscores: dict[str, SubScore]) -> float | None:
    """Weighted mean (0-100) of the measured sub-scores, weights renormalised."""
    measured = [(s.score, s.weight) for s in subscores.values() if s.score is not None and s.weight > 0]
    total = sum(w for _, w in measured)
    if not measured or total <= 0:
        return None
    return round(sum(v * w for v, w in measured) / total, 1)


def _finish(name: str, score: float | None, parts: list[ScorePart], weight: float, **kw: Any) -> SubScore:
    return SubScore(name=name, label=LABELS[name], score=score, weight=weight, parts=tuple(parts), **kw)


def score_session(
    turns: Sequence[Turn],
    cues: Any = None,
    timing: TimingMetrics | None = None,
    prosody: ProsodyResult | None = None,
    weights: dict[str, float] | None = None,
) -> ScoreResult:
    """Score one session.

    Parameters
    ----------
    turns : sequence of Turn
        With ``role`` set ("helper"/"client"); times in seconds or ``None``.
    cues : object or dict, optional
        The text-cue stage's result (or its ``to_dict()``); ``None`` leaves the
        text sub-scores not measured.
    timing : TimingMetrics, optional
        The timing stage's result (``None``: text only, talk share from words).
    prosody : ProsodyResult, optional
        The prosody stage's result (``None``: voice not measured).
    weights : dict, optional
        Sub-score weights (default :data:`WEIGHTS`); for calibration experiments.

    Returns
    -------
    ScoreResult
        Index (0-100 or ``None``), sub-scores with parts, evidence and a "try
        instead" line, MITI summary, strengths and things to work on.
    """
    view = cue_view(cues)
    has_cues = cues is not None
    # Cue turn numbers are positions in the sequence; use the same numbering here.
    turns = [replace(t, index=i) for i, t in enumerate(turns)]
    builders = {
        "reflect_validate": lambda: reflect_validate(turns, view, has_cues),
        "explore": lambda: explore(turns, view, has_cues),
        "hold_back": lambda: hold_back(turns, view, has_cues),
        "stay_with": lambda: stay_with(turns, view, has_cues),
        "make_space": lambda: make_space(turns, timing),
        "voice": lambda: voice(turns, prosody),
    }
    subscores: dict[str, SubScore] = {}
    text_conf, turns_conf = text_confidence(turns, view), turns_confidence(turns)
    for name, build in builders.items():
        score, parts, extra = build()
        is_text = name not in ("make_space", "voice")
        conf = None if score is None else text_conf if is_text else turns_conf
        subscores[name] = _finish(name, score, parts, weight=(weights or WEIGHTS)[name], confidence=conf,
                                  confidence_note=low_confidence_note(conf, turns, text=is_text), **extra)
    index = combine_index(subscores)
    subscores = mark_unsure(subscores, turns, view.probs)
    kind = "audio" if any(t.start is not None for t in turns) else "text"
    summary, subscores, strengths, work_on = build_summary(index, subscores, turns, kind=kind)
    return ScoreResult(index, subscores, miti_summary(turns, view), strengths, work_on, summary)
