"""Which speaker is the helper and which the client: given, or inferred from what they say.

Inference scores each speaker on cues of the helper's part in a support
conversation: asking questions, reflecting ("it sounds like", "you feel"),
talking about "you" more than "I", and speaking less. The helper is the speaker
with the highest score; the confidence grows with the margin. A user's choice
always wins (``helper=...``).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Sequence

from analysis.errors import ParameterError
from analysis.schema import CLIENT, HELPER, Turn

__all__ = ["OrderCheck", "RoleAssignment", "assign_roles", "role_cues"]

_QUESTION_START = re.compile(
    r"^(what|how|why|when|where|who|which|tell me|can you|could you|would you|do you|did you|"
    r"are you|is it|is that|have you|has|was|were|will you|shall)\b", re.I)
_REFLECTION = re.compile(
    r"\b(it sounds like|sounds like|you feel|you're feeling|you are feeling|you felt|so you|"
    r"you're saying|you are saying|it seems|you seem|i hear|i'm hearing|what i hear|"
    r"you've been|you have been|you want|you're worried|you're not sure)\b", re.I)
_YOU = re.compile(r"\b(you|your|you're|yourself|you've|you'd|you'll)\b", re.I)
_I = re.compile(r"\b(i|me|my|i'm|i've|i'd|i'll|myself|mine)\b", re.I)


@dataclass(frozen=True)
class OrderCheck:
    """A given helper checked against the helper inferred from the words of the same turns.

    ``given``/``inferred`` say who the helper is in the user's own terms ("first"/"second" in
    time, a channel ``ch0``/``ch1``, or a speaker label); ``given_speaker``/``inferred_speaker``
    are the speaker labels they stand for. ``confidence`` is the inference's
    :attr:`RoleAssignment.confidence`; ``conflict`` is True when the two differ and the
    inference is confident (see :mod:`analysis.speakers.order_check`); ``confirmed`` is True when the
    user said the given order is right after all (the conflict is then kept on record but no longer
    raised).
    """

    given: str
    given_speaker: str
    inferred: str
    inferred_speaker: str
    confidence: float
    conflict: bool
    confirmed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "OrderCheck":
        return cls(given=str(d.get("given", "")), given_speaker=str(d.get("given_speaker", "")),
                   inferred=str(d.get("inferred", "")), inferred_speaker=str(d.get("inferred_speaker", "")),
                   confidence=float(d.get("confidence", 0.5)), conflict=bool(d.get("conflict", False)),
                   confirmed=bool(d.get("confirmed", False)))


@dataclass(frozen=True)
class RoleAssignment:
    """Speaker label -> role; ``method`` is ``given``, ``scripted``, ``inferred`` or ``default``.

    ``confidence`` is in [0.5, 1] for two speakers (1 when given). ``scores`` holds
    each speaker's helper score and its cues. ``check``: when the helper was given, the
    automatic guess on the same turns (:class:`OrderCheck`), else None.
    """

    roles: dict[str, str]
    helper: str | None
    client: str | None
    method: str
    confidence: float
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    check: OrderCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["notes"] = list(self.notes)
        if self.check is None:
            del d["check"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RoleAssignment":
        return cls(roles=dict(d.get("roles", {})), helper=d.get("helper"), client=d.get("client"),
                   method=str(d.get("method", "default")), confidence=float(d.get("confidence", 0.5)),
                   scores={k: dict(v) for k, v in d.get("scores", {}).items()},
                   notes=tuple(d.get("notes", ())),
                   check=OrderCheck.from_dict(d["check"]) if d.get("check") else None)


def role_cues(turns: Sequence[Turn], speaker: str) -> dict[str, float]:
    """Per-speaker cue rates: questions and reflections per turn, you-vs-I balance, talk share."""
    mine = [t for t in turns if t.speaker == speaker and t.text.strip()]
    total_words = sum(len(t.text.split()) for t in turns) or 1
    words = sum(len(t.text.split()) for t in mine)
    n = len(mine) or 1
    questions = sum(1 for t in mine if t.text.strip().endswith("?") or _QUESTION_START.match(t.text.strip()))
    reflections = sum(1 for t in mine if _REFLECTION.search(t.text))
    you = sum(len(_YOU.findall(t.text)) for t in mine)
    i = sum(len(_I.findall(t.text)) for t in mine)
    return {
        "question_rate": questions / n,
        "reflection_rate": reflections / n,
        "you_balance": (you - i) / max(1, you + i),
        "word_share": words / total_words,
        "turns": float(len(mine)),
    }


def _score(c: dict[str, float]) -> float:
    return (1.5 * c["question_rate"] + 1.5 * c["reflection_rate"] + 1.0 * c["you_balance"]
            - 1.0 * (c["word_share"] - 0.5))


def _main_speakers(turns: Sequence[Turn]) -> list[str]:
    talk: dict[str, float] = {}
    for t in turns:
        talk[t.speaker] = talk.get(t.speaker, 0.0) + max(t.duration, 0.0) + 0.01 * len(t.text.split())
    return sorted(talk, key=lambda s: -talk[s])


def _apply(turns: Sequence[Turn], roles: dict[str, str]) -> list[Turn]:
    return [replace(t, role=roles.get(t.speaker)) for t in turns]


def assign_roles(
    turns: Sequence[Turn],
    helper: str | None = None,
    *,
    speakers: Sequence[str] | None = None,
) -> tuple[list[Turn], RoleAssignment]:
    """Label each turn's ``role`` as helper or client.

    Parameters
    ----------
    turns : sequence of Turn
    helper : str, optional
        The helper's speaker label as the user gave it (e.g. ``"ch0"``, ``"spk1"``,
        or ``"helper"`` for scripted input). Overrides any inference.
    speakers : sequence of str, optional
        All speaker labels (adds speakers without turns, e.g. a silent channel).

    Returns
    -------
    (list of Turn, RoleAssignment)
        Turns of speakers beyond the main two get ``role=None``.
    """
    labels = _main_speakers(turns)
    for s in speakers or ():
        if s not in labels:
            labels.append(s)
    if helper is not None:
        if labels and helper not in labels and helper not in (speakers or ()):
            raise ParameterError(f"helper={helper!r} is not one of the speakers {sorted(labels)}")
        others = [s for s in labels if s != helper]
        client = others[0] if others else None
        roles = {helper: HELPER, **({client: CLIENT} if client else {})}
        notes = () if len(others) <= 1 else (f"speakers {others[1:]} are neither helper nor client",)
        return _apply(turns, roles), RoleAssignment(roles, helper, client, "given", 1.0, notes=notes)
    if set(labels) <= {HELPER, CLIENT} and labels:
        roles = {s: s for s in labels}
        return _apply(turns, roles), RoleAssignment(
            roles, HELPER if HELPER in labels else None, CLIENT if CLIENT in labels else None,
            "scripted", 1.0)
    if not labels:
        return list(turns), RoleAssignment({}, None, None, "default", 0.0, notes=("no speakers",))
    if len(labels) == 1:
        roles = {labels[0]: HELPER}
        return _apply(turns, roles), RoleAssignment(
            roles, labels[0], None, "default", 0.5,
            notes=("only one speaker: taken as the helper; set the helper to override",))
    main = labels[:2]
    cues = {s: role_cues(turns, s) for s in main}
    scores = {s: dict(cues[s], score=_score(cues[s])) for s in main}
    h, c = sorted(main, key=lambda s: -scores[s]["score"])
    margin = scores[h]["score"] - scores[c]["score"]
    has_text = any(t.text.strip() for t in turns)
    confidence = 1.0 / (1.0 + math.exp(-4.0 * margin)) if has_text else 0.5
    notes = []
    if not has_text:
        h, c = main[1], main[0]  # no words: the one who speaks less is taken as the helper
        notes.append("no words to judge roles: the speaker who talks less is taken as the helper")
    if len(labels) > 2:
        notes.append(f"speakers {labels[2:]} are neither helper nor client")
    roles = {h: HELPER, c: CLIENT}
    return _apply(turns, roles), RoleAssignment(roles, h, c, "inferred" if has_text else "default",
                                                round(confidence, 3), scores, tuple(notes))
