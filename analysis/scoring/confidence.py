"""How sure a sub-score is (0-1): from how much the helper said and how sure the cue classifier was.

A sub-score read from three helper turns, or from turns the classifier could not tell apart, is
not worth a confident number. The confidence is ``n_eff / (n_eff + CONFIDENCE_TURNS)``, where
``n_eff`` is the number of helper turns weighted by how sure the classifier was of each (1 for a
turn it was certain about, 0 for one where all four behaviours were equally likely; a turn where a
rule decided a code, "at least…" or "you should…", is read at least as surely as the rule's
confidence, :data:`RULE_CERTAINTY`). So ten
certain turns give 0.5, thirty give 0.75. ``CONFIDENCE_TURNS`` was fixed before looking at any
figure (not fitted); the threshold under which a report should say "not enough to judge",
:data:`LOW_CONFIDENCE`, is discussed in docs/evaluation/honest-figures.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.cues.view import CueView
from analysis.report.types import LOW_CONFIDENCE, NOT_JUDGED, SubScore
from analysis.schema import HELPER, Turn

__all__ = ["CONFIDENCE_TURNS", "LOW_CONFIDENCE", "NOT_JUDGED", "turn_certainty", "text_confidence",
           "turns_confidence", "helper_turns", "low_confidence_note", "is_judged"]

#: helper turns (fully certain) at which the confidence is 0.5
CONFIDENCE_TURNS = 10.0
# LOW_CONFIDENCE (0.5) lives in analysis.report.types so that SubScore.judged, the one rule every
# renderer reads, can use it; below it a sub-score is shown as "not enough to judge".

_BEHAVIOURS = ("question", "reflection", "input", "other")
#: Codes the one cue decision reads by rule (a phrase that shows them: "at least", "you should",
#: "no wonder"), not from the classifier's probabilities.
RULE_CODES = ("advice", "minimising", "validation", "affirmation", "confront", "persuade", "permission")
#: A rule cue's confidence (``analysis.cues.decide``: 0.8), as a certainty on the scale of
#: :func:`turn_certainty`: (0.8 - 1/4) / (1 - 1/4).
RULE_CERTAINTY = round((0.8 - 0.25) / 0.75, 3)


def turn_certainty(probs: dict[str, float] | None) -> float:
    """0 (all behaviours equally likely) to 1 (one behaviour certain); 1 when no probabilities are given."""
    if not probs:
        return 1.0
    p = [float(probs.get(b, 0.0)) for b in _BEHAVIOURS]
    k = len(p)
    return max(0.0, min(1.0, (max(p) - 1.0 / k) / (1.0 - 1.0 / k)))


def _confidence(n_eff: float) -> float:
    return round(n_eff / (n_eff + CONFIDENCE_TURNS), 3) if n_eff > 0 else 0.0


def text_confidence(turns: Sequence[Turn], view: CueView) -> float:
    """Confidence of a text sub-score: helper turns weighted by the classifier's certainty.

    Parameters
    ----------
    turns : sequence of Turn
        The session's turns (``index`` = position, as in the cue view).
    view : CueView
        The cue stage's view (``probs`` per helper turn when the model ran).
    """
    helper = [t for t in turns if t.role == HELPER and t.text.strip()]
    return _confidence(sum(_certainty(t, view) for t in helper))


def _certainty(t: Turn, view: CueView) -> float:
    """How surely a helper turn is read: the classifier's certainty, or a rule's when a rule decided a code."""
    sure = turn_certainty(view.probs.get(t.index))
    if any(view.has(t.index, k) for k in RULE_CODES):
        sure = max(sure, RULE_CERTAINTY)
    return sure


def turns_confidence(turns: Sequence[Turn]) -> float:
    """Confidence of a sub-score measured from audio or word counts: the number of helper turns."""
    return _confidence(float(sum(1 for t in turns if t.role == HELPER and t.text.strip())))


def helper_turns(turns: Sequence[Turn]) -> int:
    """How many helper turns hold words (what every turn-count confidence counts)."""
    return sum(1 for t in turns if t.role == HELPER and t.text.strip())


def _turns_phrase(n: int) -> str:
    if n == 0:
        return "none of your turns to go on"
    return "only one of your turns to go on" if n == 1 else f"only {n} of your turns to go on"


def low_confidence_note(confidence: float | None, turns: Sequence[Turn], *, text: bool) -> str:
    """The one-line reason a sub-score is not judged ("" when it is).

    Parameters
    ----------
    confidence : float or None
        The sub-score's confidence.
    turns : sequence of Turn
    text : bool
        A text sub-score (its confidence also falls when the cue classifier was unsure).

    Returns
    -------
    str
        "only 3 of your turns to go on" when there were too few helper turns for any sub-score,
        "the cues were unsure" when there were enough turns but the classifier could not tell them
        apart; "" when the confidence is at least :data:`LOW_CONFIDENCE` or not computed.
    """
    if confidence is None or confidence >= LOW_CONFIDENCE:
        return ""
    n = helper_turns(turns)
    if not text or turns_confidence(turns) < LOW_CONFIDENCE:
        return _turns_phrase(n)
    return "the cues were unsure (it was hard to tell what kind of reply many of your turns were)"


def is_judged(sub: SubScore) -> bool:
    """Whether a sub-score is shown with its number (same as ``sub.judged``)."""
    return sub.judged
