"""The one MITI computation: counts and ratios over the helper's turns, read from a :class:`CueView`.

The cue stage (``detect_cues``) and scoring both call :func:`miti_summary`, so the cue
result's ``summary`` and the report's ``miti`` block are the same numbers by construction.
"""

from __future__ import annotations

import logging
from typing import Sequence

from analysis.cues.text import words
from analysis.cues.types import MitiSummary
from analysis.cues.view import CueView
from analysis.schema import CLIENT, HELPER, Turn

__all__ = ["miti_summary", "miti_level"]

logger = logging.getLogger(__name__)


def miti_level(value: float | None, fair: float, good: float) -> str:
    """"good", "fair", "below fair" or "not measured" against MITI thresholds."""
    if value is None:
        return "not measured"
    if value >= good:
        return "good"
    if value >= fair:
        return "fair"
    return "below fair"


def _ratio(a: float, b: float, digits: int = 3) -> float | None:
    return None if b == 0 else round(a / b, digits)


def miti_summary(turns: Sequence[Turn], view: CueView) -> MitiSummary:
    """MITI-style counts and ratios.

    Parameters
    ----------
    turns : sequence of Turn
        The session; turn ``i`` (position in the sequence) is ``view``'s turn ``i``.
    view : CueView
        Cue labels per turn and cross-turn events.

    Returns
    -------
    MitiSummary
        Each count is the number of helper (or, for feelings and change/sustain talk, client)
        turns with that label. R:Q is reflections / questions (fair 1.0, good 2.0; the number of
        reflections when there are no questions); % complex reflections (fair 40, good 50) and
        % open questions are 0-100, rounded to 0.1.
    """
    helper = [i for i, t in enumerate(turns) if t.role == HELPER and t.text.strip()]
    client = [i for i, t in enumerate(turns) if t.role == CLIENT and t.text.strip()]

    def count(label: str, who: list[int] = helper) -> int:
        return sum(1 for i in who if view.has(i, label))

    q, oq = count("question"), count("open_question")
    r, cr = count("reflection"), count("complex_reflection")
    nh = len(helper)
    advice = count("advice")
    hw = sum(len(words(turns[i].text)) for i in helper)
    cw = sum(len(words(turns[i].text)) for i in client)
    refl = sum(e.kind == "feeling_reflected" for e in view.events)
    missed = sum(e.kind == "feeling_missed" for e in view.events)
    rq = None if q == 0 and r == 0 else (r / q if q else float(r))
    pct_cr = None if r == 0 else round(100.0 * cr / r, 1)
    return MitiSummary(
        helper_utterances=nh, client_utterances=len(client),
        questions=q, open_questions=oq, closed_questions=q - oq,
        reflections=r, simple_reflections=r - cr, complex_reflections=cr,
        inputs=count("input"), advice=advice, advice_after_permission=count("advice_after_permission"),
        affirmations=count("affirmation"), validations=count("validation"),
        seeking_collaboration=count("seeking_collaboration"), emphasising_autonomy=count("emphasising_autonomy"),
        persuade=count("persuade"), confront=count("confront"), minimising=count("minimising"),
        feeling_disclosures=count("feeling", client), change_talk=count("change_talk", client),
        sustain_talk=count("sustain_talk", client),
        reflection_to_question=None if rq is None else round(rq, 3),
        pct_complex_reflections=pct_cr,
        pct_open_questions=None if q == 0 else round(100.0 * oq / q, 1),
        reflection_share=_ratio(r, nh, 4), question_share=_ratio(q, nh, 4),
        input_share=_ratio(count("input"), nh, 4), advice_share=_ratio(advice, nh, 4),
        helper_word_share=_ratio(hw, hw + cw, 4), feelings_reflected_share=_ratio(refl, refl + missed, 4),
        levels={
            "reflection_to_question": miti_level(rq, 1.0, 2.0),
            "pct_complex_reflections": miti_level(pct_cr, 40.0, 50.0),
        },
    )
