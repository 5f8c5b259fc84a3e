"""Frozen result types of the text-cue stage (``analysis/cues/detect.py``).

Times are seconds from the start of the recording (``None`` for text-only
input). ``turn_index`` is the position of the turn in the sequence passed to
:func:`analysis.cues.detect.detect_cues` (0-based).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from analysis.errors import ParameterError

__all__ = [
    "CUES_VERSION",
    "HELPER_CUE_KINDS",
    "CLIENT_CUE_KINDS",
    "EVENT_KINDS",
    "BEHAVIOURS",
    "CueOptions",
    "Cue",
    "CueEvent",
    "BehaviourCode",
    "MitiSummary",
    "CueResult",
]

CUES_VERSION = 1

HELPER_CUE_KINDS = (
    "question", "reflection", "validation", "affirmation", "advice", "permission", "minimising",
    "jargon", "filler", "seeking_collaboration", "emphasising_autonomy", "persuade", "confront",
)
CLIENT_CUE_KINDS = ("feeling_disclosure", "change_talk", "sustain_talk")
EVENT_KINDS = ("solution_before_exploration", "topic_avoidance", "feeling_reflected", "feeling_missed")
BEHAVIOURS = ("question", "reflection", "input", "other")
#: The classifier is "sure" of a turn's code at this probability or more: below it the form of the words
#: decides where the one cue decision can read it, and a report quotes the turn as unsure
CLASSIFIER_SURE = 0.6


@dataclass(frozen=True)
class CueOptions:
    """Settings for :func:`analysis.cues.detect.detect_cues`.

    Parameters
    ----------
    use_model : bool
        Use the shipped behaviour classifier (falls back to rules when its weights are missing).
    response_window : int
        Number of helper turns after a client's feeling disclosure searched for a reflection,
        exploration or fix.
    min_confidence : float
        Cues below this confidence (0 to 1) are dropped.
    """

    use_model: bool = True
    response_window: int = 3
    min_confidence: float = 0.0

    def __post_init__(self) -> None:
        if self.response_window < 1:
            raise ParameterError(f"response_window={self.response_window} must be at least 1")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ParameterError(f"min_confidence={self.min_confidence} must be between 0 and 1")


def _opt(v: Any) -> float | None:
    return None if v is None else float(v)


@dataclass(frozen=True)
class Cue:
    """One cue in one utterance.

    ``kind`` is one of :data:`HELPER_CUE_KINDS` or :data:`CLIENT_CUE_KINDS`; ``label`` refines it
    ("open"/"closed", "simple"/"complex", the feeling word, the jargon term); ``confidence`` is 0 to 1;
    ``quote`` is the whole utterance and ``match`` the phrase that triggered the cue.
    """

    turn_index: int
    role: str
    kind: str
    label: str
    confidence: float
    quote: str
    match: str = ""
    start: float | None = None
    end: float | None = None
    source: str = "rules"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Cue":
        return cls(
            turn_index=int(d["turn_index"]), role=str(d["role"]), kind=str(d["kind"]), label=str(d.get("label", "")),
            confidence=float(d.get("confidence", 1.0)), quote=str(d.get("quote", "")), match=str(d.get("match", "")),
            start=_opt(d.get("start")), end=_opt(d.get("end")), source=str(d.get("source", "rules")),
        )


@dataclass(frozen=True)
class CueEvent:
    """A cross-turn event (the cue stage's own record; scoring reads it as a ``view.TurnEvent``): the helper's response (``turn_index``) to a client disclosure (``trigger_index``)."""

    kind: str
    turn_index: int
    trigger_index: int
    label: str
    quote: str
    trigger_quote: str
    start: float | None = None
    end: float | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CueEvent":
        return cls(
            kind=str(d["kind"]), turn_index=int(d["turn_index"]), trigger_index=int(d["trigger_index"]),
            label=str(d.get("label", "")), quote=str(d.get("quote", "")), trigger_quote=str(d.get("trigger_quote", "")),
            start=_opt(d.get("start")), end=_opt(d.get("end")), detail=str(d.get("detail", "")),
        )


@dataclass(frozen=True)
class BehaviourCode:
    """The decision on one helper utterance (``analysis.cues.decide``): main behaviour (AnnoMI scheme) and every code.

    ``behaviour``/``subtype`` is the main behaviour; ``probabilities`` the classifier's class
    probabilities (as it gave them); ``codes`` every code the turn carries ("complex_reflection",
    "open_question", "minimising", ...), the same set as the turn's cues; ``reason`` says why;
    ``model_behaviour`` is the classifier's call when the rules overruled it ("" otherwise), in
    which case the probabilities are not the decision's and readers use the codes.
    """

    turn_index: int
    behaviour: str
    probabilities: dict[str, float] = field(default_factory=dict)
    subtype: str = ""
    source: str = "rules"
    codes: tuple[str, ...] = ()
    reason: str = ""
    model_behaviour: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "probabilities": dict(self.probabilities), "codes": list(self.codes)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BehaviourCode":
        return cls(
            turn_index=int(d["turn_index"]), behaviour=str(d["behaviour"]),
            probabilities={str(k): float(v) for k, v in d.get("probabilities", {}).items()},
            subtype=str(d.get("subtype", "")), source=str(d.get("source", "rules")),
            codes=tuple(str(c) for c in d.get("codes", ())), reason=str(d.get("reason", "")),
            model_behaviour=str(d.get("model_behaviour", "")),
        )


@dataclass(frozen=True)
class MitiSummary:
    """MITI 4.2.1-style counts and summary scores over the helper's utterances.

    The one MITI type: the cue stage computes it (:func:`analysis.cues.miti.miti_summary`) and the
    report carries the same object. Counts are helper turns with that code (client turns for
    feelings and change/sustain talk). ``reflection_to_question`` is reflections / questions (the
    number of reflections when there are no questions; ``None`` when there are neither);
    ``pct_*`` are percentages (0-100); ``*_share`` are fractions (0 to 1) of helper turns
    (``helper_word_share`` of words). ``levels`` rates R:Q (fair 1:1, good 2:1) and % complex
    reflections (fair 40 %, good 50 %) as "good", "fair", "below fair" or "not measured".
    """

    helper_utterances: int = 0
    client_utterances: int = 0
    questions: int = 0
    open_questions: int = 0
    closed_questions: int = 0
    reflections: int = 0
    simple_reflections: int = 0
    complex_reflections: int = 0
    inputs: int = 0
    advice: int = 0
    advice_after_permission: int = 0
    affirmations: int = 0
    validations: int = 0
    seeking_collaboration: int = 0
    emphasising_autonomy: int = 0
    persuade: int = 0
    confront: int = 0
    minimising: int = 0
    feeling_disclosures: int = 0
    change_talk: int = 0
    sustain_talk: int = 0
    reflection_to_question: float | None = None
    pct_complex_reflections: float | None = None
    pct_open_questions: float | None = None
    reflection_share: float | None = None
    question_share: float | None = None
    input_share: float | None = None
    advice_share: float | None = None
    helper_word_share: float | None = None
    feelings_reflected_share: float | None = None
    levels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "levels": dict(self.levels)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "MitiSummary":
        d = dict(d)
        if "rq_ratio" in d and "reflection_to_question" not in d:  # cue results written before the merge
            d["reflection_to_question"] = d["rq_ratio"]
        kw: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in d:
                continue
            v = d[f.name]
            if f.name == "levels":
                kw[f.name] = {str(k): str(x) for k, x in dict(v or {}).items()}
            elif f.type in ("int", int):
                kw[f.name] = int(v or 0)
            else:
                kw[f.name] = _opt(v)
        return cls(**kw)


@dataclass(frozen=True)
class CueResult:
    """Everything the text-cue stage found in one session.

    ``partial`` is True (with ``notes`` saying why) when the input could not be fully analysed:
    no helper or client turns, empty text, or text that does not look like English.
    """

    cues: tuple[Cue, ...] = ()
    events: tuple[CueEvent, ...] = ()
    behaviours: tuple[BehaviourCode, ...] = ()
    summary: MitiSummary = field(default_factory=MitiSummary)
    notes: tuple[str, ...] = ()
    partial: bool = False
    classifier: str = "rules"
    version: int = CUES_VERSION

    def cues_of(self, kind: str) -> tuple[Cue, ...]:
        """All cues of one kind."""
        return tuple(c for c in self.cues if c.kind == kind)

    def cues_at(self, turn_index: int) -> tuple[Cue, ...]:
        """All cues on one turn."""
        return tuple(c for c in self.cues if c.turn_index == turn_index)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "classifier": self.classifier,
            "partial": self.partial,
            "notes": list(self.notes),
            "summary": self.summary.to_dict(),
            "behaviours": [b.to_dict() for b in self.behaviours],
            "cues": [c.to_dict() for c in self.cues],
            "events": [e.to_dict() for e in self.events],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CueResult":
        return cls(
            cues=tuple(Cue.from_dict(c) for c in d.get("cues", ())),
            events=tuple(CueEvent.from_dict(e) for e in d.get("events", ())),
            behaviours=tuple(BehaviourCode.from_dict(b) for b in d.get("behaviours", ())),
            summary=MitiSummary.from_dict(d.get("summary", {})),
            notes=tuple(str(n) for n in d.get("notes", ())),
            partial=bool(d.get("partial", False)),
            classifier=str(d.get("classifier", "rules")),
            version=int(d.get("version", CUES_VERSION)),
        )
