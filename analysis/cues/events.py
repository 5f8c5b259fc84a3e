"""Cross-turn cue events: how the helper responds after a client discloses a feeling.

* ``solution_before_exploration``: advice or a fix comes before any reflection, validation or
  open question in the helper's next turns.
* ``topic_avoidance``: the helper's first turn after the disclosure moves away (an explicit
  "anyway"/"moving on", or a question or statement sharing no content word with the disclosure
  and naming no feeling).
* ``feeling_reflected`` / ``feeling_missed``: whether a feeling the client named comes back in the
  helper's next turns (the same word family, or a reflection/validation naming a feeling).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import analysis.cues.rules as R
from analysis.cues.types import CueEvent
from analysis.schema import CLIENT, HELPER, Turn

__all__ = ["cross_turn_events", "feeling_family"]

_EXPLORE = {"reflection", "validation"}


def feeling_family(word: str) -> str:
    """A crude word-family key for feeling words ("anxious"/"anxiety" -> "anxi")."""
    return word[:4] if len(word) > 4 else word


def _kinds_with_labels(kinds: set[str], labels: Mapping[str, str]) -> set[str]:
    out = set(kinds)
    if "question" in kinds and labels.get("question") == "open":
        out.add("open_question")
    return out


def cross_turn_events(
    turns: Sequence[Turn],
    kinds_by_turn: Mapping[int, set[str]],
    labels_by_turn: Mapping[int, Mapping[str, str]],
    window: int = 3,
) -> list[CueEvent]:
    """Find the cross-turn events after each client feeling disclosure.

    Parameters
    ----------
    turns : sequence of Turn
        The session, in order; roles ``"helper"``/``"client"``.
    kinds_by_turn : mapping of int to set of str
        Cue kinds found on each turn (by position).
    labels_by_turn : mapping of int to mapping of str to str
        Cue labels per turn and kind (e.g. ``{"question": "open"}``).
    window : int
        How many helper turns after the disclosure to look at.

    Returns
    -------
    list of CueEvent
    """
    events: list[CueEvent] = []
    n = len(turns)
    for i, turn in enumerate(turns):
        if turn.role != CLIENT or "feeling_disclosure" not in kinds_by_turn.get(i, set()):
            continue
        responses: list[int] = []
        for j in range(i + 1, n):
            if turns[j].role == CLIENT and "feeling_disclosure" in kinds_by_turn.get(j, set()):
                break
            if turns[j].role == HELPER and not R.is_backchannel(turns[j].text):
                responses.append(j)
                if len(responses) >= window:
                    break
        if not responses:
            continue

        def ev(kind: str, j: int, label: str, detail: str) -> CueEvent:
            return CueEvent(
                kind=kind, turn_index=j, trigger_index=i, label=label, quote=turns[j].text,
                trigger_quote=turn.text, start=turns[j].start, end=turns[j].end, detail=detail,
            )

        # solution before exploration
        for j in responses:
            kinds = _kinds_with_labels(kinds_by_turn.get(j, set()), labels_by_turn.get(j, {}))
            if kinds & (_EXPLORE | {"open_question"}):
                break
            if "advice" in kinds:
                events.append(ev("solution_before_exploration", j, "advice",
                                 "advice came before any reflection or open question"))
                break

        # topic avoidance (first substantive helper response only)
        j = responses[0]
        kinds = kinds_by_turn.get(j, set())
        text = turns[j].text
        shift = R.match_topic_shift(text)
        if shift and not kinds & _EXPLORE:
            events.append(ev("topic_avoidance", j, "explicit", f"changed subject ('{shift}')"))
        elif not kinds & _EXPLORE and not R.feelings_named(text):
            mine = R.content_words(text)
            if len(mine) >= 2 and not mine & R.content_words(turn.text):
                events.append(ev("topic_avoidance", j, "no_overlap",
                                 "response shares no content word with the disclosure"))

        # were the named feelings reflected back?
        named = R.feelings_named(turn.text)
        families = {j: {feeling_family(x) for x in R.feelings_named(turns[j].text)} for j in responses}
        generic = [j for j in responses if families[j] and kinds_by_turn.get(j, set()) & _EXPLORE]
        for w in named:
            same = [j for j in responses if feeling_family(w) in families[j]]
            hit = bool(same or generic)
            jj = (same or generic or responses)[0]
            events.append(ev("feeling_reflected" if hit else "feeling_missed", jj, w,
                             "feeling named back" if hit else "feeling not named back"))
    return events
