"""A small, stable view of the text-cue stage's result for scoring.

Scoring reads per-turn cue labels and cross-turn events through
:class:`CueView`, built by :func:`cue_view` from whatever the cue stage
returns (its result object or its ``to_dict()`` form), so the two stages can
change independently.

Label names (helper): ``open_question``, ``closed_question``,
``simple_reflection``, ``complex_reflection``, ``validation``, ``affirmation``,
``advice``, ``permission``, ``minimising``, ``jargon``, ``filler``, ``input``.
Client: ``feeling``, ``change_talk``, ``sustain_talk``. ``probs`` holds the classifier's
behaviour probabilities per helper turn when the cue stage gave them (soft evidence for the
index: :meth:`CueView.expected`), except on turns where the cue decision overruled the
classifier (``model_behaviour`` set: "Don't be so hard on yourself" is no reflection, whatever
its probability), which read as their hard codes. Events:
``solution_before_exploration``, ``topic_avoidance``, ``feeling_missed``,
``feeling_reflected``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["TurnEvent", "CueView", "cue_view"]

# Synonyms the cue stage might use -> our label names.
_ALIASES = {
    "question_open": "open_question",
    "open": "open_question",
    "question_closed": "closed_question",
    "closed": "closed_question",
    "reflection_simple": "simple_reflection",
    "reflection_complex": "complex_reflection",
    "validate": "validation",
    "validating": "validation",
    "affirm": "affirmation",
    "fixing": "advice",
    "advise": "advice",
    "asking_permission": "permission",
    "ask_permission": "permission",
    "minimizing": "minimising",
    "minimize": "minimising",
    "minimise": "minimising",
    "feeling_disclosure": "feeling",
    "disclosure": "feeling",
    "emotion": "feeling",
    "change": "change_talk",
    "sustain": "sustain_talk",
    "fillers": "filler",
    "solution_first": "solution_before_exploration",
}


def _norm(label: Any) -> str:
    s = str(label).strip().lower().replace("-", "_").replace(" ", "_")
    return _ALIASES.get(s, s)


@dataclass(frozen=True)
class TurnEvent:
    """A cross-turn event as scoring reads it (from the cue stage's ``CueEvent``); ``turn`` is the helper turn it concerns, ``cause`` the client turn."""

    kind: str
    turn: int | None
    cause: int | None = None
    note: str = ""


@dataclass(frozen=True)
class CueView:
    """Cue labels per turn index (``Turn.index``) and cross-turn events."""

    labels: dict[int, frozenset[str]] = field(default_factory=dict)
    events: tuple[TurnEvent, ...] = ()
    probs: dict[int, dict[str, float]] = field(default_factory=dict)

    def expected(self, turn: int, behaviour: str) -> float:
        """Probability that ``turn`` is ``behaviour`` (question, reflection, input, other).

        The classifier's probability when the cue stage gave one (soft evidence), else 1.0 or 0.0
        from the hard label.
        """
        p = self.probs.get(turn)
        if p and behaviour in p:
            return float(p[behaviour])
        return 1.0 if self.has(turn, behaviour) else 0.0

    def has(self, turn: int, label: str) -> bool:
        return label in self.labels.get(turn, frozenset())

    def turns_with(self, label: str) -> list[int]:
        return sorted(i for i, ls in self.labels.items() if label in ls)


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if not isinstance(obj, dict) and hasattr(obj, n):
            return getattr(obj, n)
    return default


def _labels_of(kind: str, label: str) -> set[str]:
    kind, label = _norm(kind), label.strip().lower()
    out = {kind}
    if kind in ("question", "reflection") and label:
        out.add(f"{label}_{kind}")
    if kind in ("open_question", "closed_question"):
        out.add("question")
    if kind in ("simple_reflection", "complex_reflection"):
        out.add("reflection")
    if kind == "advice" and label == "after_permission":
        out.add("advice_after_permission")
    return out


def cue_view(cues: Any) -> CueView:
    """Build a :class:`CueView` from a ``CueResult``, its ``to_dict()`` form, or ``None``.

    Turn numbers are positions in the turn sequence the cue stage was given
    (``Cue.turn_index``); behaviour codes add ``input`` (and its subtype).
    """
    if cues is None:
        return CueView()
    if isinstance(cues, CueView):
        return cues
    labels: dict[int, set[str]] = {}
    probs: dict[int, dict[str, float]] = {}
    for item in _get(cues, "cues", default=()) or ():
        idx = _get(item, "turn_index", "turn", "index")
        if idx is None:
            continue
        kind = str(_get(item, "kind", default=""))
        label = str(_get(item, "label", default="") or "")
        labels.setdefault(int(idx), set()).update(_labels_of(kind, label))
    for code in _get(cues, "behaviours", default=()) or ():
        idx = _get(code, "turn_index", "turn")
        behaviour = _norm(_get(code, "behaviour", default=""))
        if idx is None or not behaviour:
            continue
        bucket = labels.setdefault(int(idx), set())
        p = _get(code, "probabilities", default=None) or {}
        overruled = bool(_get(code, "model_behaviour", default=""))  # the decision overruled the model
        # a turn the decision says is never a reflection (minimising, confronting, persuading) is read by its codes
        # too, also where the classifier's own top class agreed ("other") but its reflection probability was high
        blocked = bool(bucket & {"minimising", "confront", "persuade"})
        if (isinstance(p, dict) and p and not overruled and not blocked
                and abs(sum(float(v) for v in p.values()) - 1.0) < 0.05):
            probs[int(idx)] = {_norm(k): float(v) for k, v in p.items()}
        sub = str(_get(code, "subtype", default="") or "")
        if behaviour == "input":
            bucket.add("input")
            if sub:
                bucket.add(_norm(sub))
        elif behaviour in ("question", "reflection"):
            bucket.update(_labels_of(behaviour, sub))
    events = []
    for ev in _get(cues, "events", default=()) or ():
        turn = _get(ev, "turn_index", "turn")
        cause = _get(ev, "trigger_index", "cause")
        events.append(
            TurnEvent(
                kind=_norm(_get(ev, "kind", default="")),
                turn=None if turn is None else int(turn),
                cause=None if cause is None else int(cause),
                note=str(_get(ev, "detail", "note", default="") or ""),
            )
        )
    return CueView({k: frozenset(v) for k, v in labels.items()}, tuple(events), probs)
