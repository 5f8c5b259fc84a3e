"""What the helper just did, read from one reply: the move a practice client reacts to.

:func:`classify_reply` reads one trainee reply (text) after the client's last line with the same
decision that scores sessions (:func:`analysis.cues.detect.detect_cues`, whose codes come from
:func:`analysis.cues.decide.decide_turn`) and names the move from those codes (:func:`move_of`):

* ``fixing``: advice or a fix the client did not ask for, minimising, persuading or confronting;
* ``reflection``: a reflection or a validation of her feelings;
* ``open_question`` / ``closed_question``;
* ``backchannel``: silence (nothing said) or a short "mm-hmm";
* ``other``: anything else (information, self-disclosure, small talk).

Fixing wins over the others: "that sounds hard, but you should call your sponsor" is heard as a
fix. A reflection or validation followed by a question reads as a reflection. Pure: no files, no devices; milliseconds per reply.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from analysis.cues.detect import detect_cues
from analysis.cues.text import is_backchannel, words
from analysis.cues.types import CueOptions
from analysis.schema import CLIENT, HELPER, Turn

__all__ = ["MOVES", "ReplyMove", "because_text", "classify_reply", "fix_before_exploring", "move_of"]

log = logging.getLogger(__name__)

MOVES = ("reflection", "open_question", "closed_question", "fixing", "backchannel", "other")

_BECAUSE = {
    "reflection": "after a reflection",
    "validation": "after a validation",
    "open_question": "after an open question",
    "closed_question": "after a closed question",
    "advice": "after advice",
    "minimising": "after minimising",
    "persuade": "after persuading",
    "confront": "after a confrontation",
    "backchannel": "after a short 'mm-hmm'",
    "silence": "after a silence",
    "other": "after your reply",
}


def because_text(label: str) -> str:
    """The plain-language reason for a reaction ("after a reflection") for a move label."""
    return _BECAUSE.get(label, "after your reply")


@dataclass(frozen=True)
class ReplyMove:
    """The move read from one reply.

    ``move`` is one of :data:`MOVES` (what scenarios key their variants by); ``label`` is the finer
    reading used in sentences ("validation", "advice", "minimising", "silence", ...); ``because``
    is the sentence part ("after a reflection"); ``behaviour``/``subtype`` come from the cue model.
    """

    move: str
    label: str
    because: str
    behaviour: str = ""
    subtype: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _make(move: str, label: str, behaviour: str = "", subtype: str = "", source: str = "") -> ReplyMove:
    return ReplyMove(move, label, because_text(label), behaviour, subtype, source)


def classify_reply(text: str, previous_client: str = "", model=None, *, use_model: bool = True) -> ReplyMove:
    """Classify one helper reply given the client's line before it.

    Parameters
    ----------
    text : str
        What the trainee said (a transcript; empty or blank means silence).
    previous_client : str
        The client's line the reply answers (context for the classifier).
    model : object, optional
        A loaded ``BehaviourModel``; the shipped one by default (rules if absent).
    use_model : bool
        False reads the behaviour by rules alone.

    Returns
    -------
    ReplyMove
    """
    text = (text or "").strip()
    if not words(text):
        return _make("backchannel", "silence")
    if is_backchannel(text):
        return _make("backchannel", "backchannel")
    turns = [Turn("client", previous_client, role=CLIENT, index=0)] if previous_client.strip() else []
    turns.append(Turn("helper", text, role=HELPER, index=len(turns)))
    res = detect_cues(turns, CueOptions(use_model=use_model), model=model)
    i = len(turns) - 1
    code = next((c for c in res.behaviours if c.turn_index == i), None)
    if code is None:
        return _make("other", "other", source=res.classifier)
    return move_of(code.codes, code.behaviour, code.subtype, res.classifier)


def move_of(codes: Sequence[str], behaviour: str = "", subtype: str = "", source: str = "") -> ReplyMove:
    """The move a practice client hears, from one turn's decided codes (``BehaviourCode.codes``).

    Fixing wins (minimising, confronting, persuading, advice not asked for), then a reflection or
    validation (also when a question follows it), then an open or closed question.
    """
    have = set(codes)
    for kind in ("minimising", "confront", "persuade"):
        if kind in have:
            return _make("fixing", kind, behaviour, subtype, source)
    if "advice" in have and "advice_after_permission" not in have:
        return _make("fixing", "advice", behaviour, subtype, source)
    if have & {"simple_reflection", "complex_reflection"}:
        return _make("reflection", "reflection", behaviour, subtype, source)
    if "validation" in have:
        return _make("reflection", "validation", behaviour, subtype, source)
    for q in ("open_question", "closed_question"):
        if q in have:
            return _make(q, q, behaviour, subtype, source)
    return _make("other", "other", behaviour, subtype, source)


_EXPLORING = ("reflection", "open_question")


def fix_before_exploring(exchanges: Sequence[tuple[str, str]], model=None, *, use_model: bool = True) -> bool:
    """Whether the last reply of a practice so far is a fix given before any exploring.

    A practice client's every line is a disclosure, so the rule is: the last reply is a *fixing*
    move (advice she did not ask for, minimising, persuading or confronting: the reading the
    client reacts to, :func:`classify_reply`) and no earlier reply was a reflection, a validation
    or an open question. This is the report's "fix before exploring" without waiting for its
    feeling-disclosure detector, which misses many scenario lines.

    Parameters
    ----------
    exchanges : sequence of (str, str)
        The practice so far, in order: each client line and the helper's reply to it ("" for a
        silence). The last pair holds the reply being judged.
    model : object, optional
        A loaded ``BehaviourModel``; the shipped one by default.
    use_model : bool
        False reads the behaviour by rules alone.

    Returns
    -------
    bool
        True when the last reply is flagged; False for a silence or any other reply.
    """
    if not exchanges:
        return False
    moves = [classify_reply(h, c, model=model, use_model=use_model).move for c, h in exchanges]
    return moves[-1] == "fixing" and not any(m in _EXPLORING for m in moves[:-1])
