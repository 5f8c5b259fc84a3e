"""The listening-quality report: one versioned result shared by CLI, web, jobs and batch.

A :class:`Report` holds the 0-100 index, its sub-scores (each with its parts,
evidence and a "try instead" line), the MITI-style summary, strengths, things
to work on, notes on anything that could not be measured, the turns, and the
typed result of each stage (speakers, timing, prosody, cues): typed end to end, JSON only in
``to_dict()``/``to_json()``. ``to_dict()`` output validates against ``analysis/report/report.schema.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.cues.types import CueResult, MitiSummary
from analysis.errors import ParameterError
from analysis.prosody.types import ProsodyResult
from analysis.report.figures import Band, figure, target_text
from analysis.report.glossary import GLOSSARY
from analysis.schema import Turn
from analysis.speakers.result import SpeakerResult
from analysis.timing.types import TimingMetrics

__all__ = [
    "REPORT_VERSION",
    "DISCLAIMER",
    "SCHEMA_PATH",
    "Evidence",
    "Because",
    "JargonNote",
    "ScorePart",
    "SubScore",
    "LOW_CONFIDENCE",
    "FIRM_CONFIDENCE",
    "NOT_JUDGED",
    "MitiSummary",
    "Priority",
    "Strength",
    "Summary",
    "Report",
    "load_schema",
]

REPORT_VERSION = 3
#: Version 3: claims carry their proof (``because``), parts their band, moments the figure they show.
ROLES = ("helper", "client")
DISCLAIMER = (
    "Practice feedback, not a clinical rating: an automatic reading of one role-play, "
    "meant to start a conversation with your supervisor."
)
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
#: Below this confidence a sub-score is shown as :data:`NOT_JUDGED` instead of a number, and is
#: never a priority or the strength (re-exported as ``analysis.scoring.confidence.LOW_CONFIDENCE``).
#: 0.2 is n_eff = 2.5 in ``n_eff / (n_eff + 10)``: a part needs about three helper turns the cue
#: model reads clearly. A product rule, set from the formula, not fitted to any data.
LOW_CONFIDENCE = 0.2
#: Below this (ten clearly read turns) a judged reading is shown with a caution: it rests on few turns.
#: On AnnoMI's poor sessions the index errs about twice as much below it (docs/evaluation/honest-figures.md).
FIRM_CONFIDENCE = 0.5
#: What every renderer shows in place of the number of a sub-score that is not judged.
NOT_JUDGED = "not enough to judge"


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


@dataclass(frozen=True)
class Evidence:
    """One quoted moment: who said what, when (seconds; ``None`` for text-only input)."""

    speaker: str
    quote: str
    start: float | None = None
    end: float | None = None
    note: str = ""
    positive: bool = False
    role: str | None = None
    unsure: bool = False
    #: the figure (a ScorePart name) this moment shows, "" when it shows none in particular
    figure: str = ""
    #: what to say instead at this very moment (fault moments only)
    try_instead: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "role": self.role,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "note": self.note,
            "positive": self.positive,
            "unsure": self.unsure,
            "figure": self.figure,
            "try_instead": self.try_instead,
        }

    def brief(self) -> dict[str, Any]:
        """The short form the summary carries: speaker, role, quote, start, end, unsure."""
        return {"speaker": self.speaker, "role": self.role, "quote": self.quote, "start": self.start,
                "end": self.end, "unsure": self.unsure}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Evidence":
        speaker = str(d["speaker"])
        role = d.get("role")
        if role is None and "role" not in d and speaker in ROLES:  # version 1: speaker held the role
            role = speaker
        return cls(
            speaker=speaker,
            quote=str(d["quote"]),
            start=_opt_float(d.get("start")),
            end=_opt_float(d.get("end")),
            note=str(d.get("note", "")),
            positive=bool(d.get("positive", False)),
            role=None if role is None else str(role),
            unsure=bool(d.get("unsure", False)),
            figure=str(d.get("figure", "")),
            try_instead=str(d.get("try_instead", "")),
        )


@dataclass(frozen=True)
class Because:
    """One figure a claim cites: its name, plain label, value, unit, band and whether it is inside."""

    figure: str
    value: float | None
    band: Band
    unit: str = ""
    label: str = ""

    @property
    def in_band(self) -> bool | None:
        return self.band.contains(self.value)

    @property
    def fault(self) -> bool | None:
        """A fault the report may state: outside the figure's tolerated range (its band unless wider)."""
        d = figure(self.figure)
        return (None if self.in_band is None else not self.in_band) if d is None else d.is_fault(self.value)

    def to_dict(self) -> dict[str, Any]:
        return {"figure": self.figure, "label": self.label, "value": self.value, "unit": self.unit,
                "band": self.band.as_list(), "in_band": self.in_band, "fault": self.fault,
                "target": target_text(self.figure)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Because":
        lo, hi = (list(d.get("band") or [None, None]) + [None, None])[:2]
        return cls(figure=str(d["figure"]), value=_opt_float(d.get("value")), band=Band(_opt_float(lo), _opt_float(hi)),
                   unit=str(d.get("unit", "")), label=str(d.get("label", "")))

    @classmethod
    def of_part(cls, part: "ScorePart") -> "Because":
        return cls(figure=part.name, value=part.value, band=part.band or Band(), unit=part.unit,
                   label=part.label)


def _because(items: Any) -> tuple[Because, ...]:
    return tuple(Because.from_dict(b) for b in (items or ()))


@dataclass(frozen=True)
class ScorePart:
    """One measured input to a sub-score, so the score can be explained.

    ``value`` is the measurement in ``unit``; ``points`` its 0-100 contribution
    before weighting; ``target`` a short human description of what is good.
    """

    name: str
    value: float | None
    unit: str = ""
    points: float | None = None
    weight: float = 1.0
    target: str = ""

    @property
    def band(self) -> Band | None:
        """The figure's target band, from :mod:`analysis.report.figures` (None for a figure it does not define)."""
        d = figure(self.name)
        return None if d is None else d.band

    @property
    def label(self) -> str:
        d = figure(self.name)
        return self.name.replace("_", " ") if d is None else d.label

    @property
    def in_band(self) -> bool | None:
        """Inside its band (None: not measured, or a figure without a band)."""
        band = self.band
        return None if band is None else band.contains(self.value)

    @property
    def fault(self) -> bool | None:
        """Outside the figure's tolerated range: a fault the report may state (None: not measured)."""
        d = figure(self.name)
        return None if d is None else d.is_fault(self.value)

    def to_dict(self) -> dict[str, Any]:
        band = self.band
        return {
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "points": self.points,
            "weight": self.weight,
            "target": self.target,
            "band": None if band is None else band.as_list(),
            "in_band": self.in_band,
            "fault": self.fault,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ScorePart":
        return cls(
            name=str(d["name"]),
            value=_opt_float(d.get("value")),
            unit=str(d.get("unit", "")),
            points=_opt_float(d.get("points")),
            weight=float(d.get("weight", 1.0)),
            target=str(d.get("target", "")),
        )


@dataclass(frozen=True)
class JargonNote:
    """A technical term the helper used: the term, how it was said, a plain alternative, and the moment."""

    term: str
    plain: str
    said: str
    quote: str
    start: float | None = None
    end: float | None = None
    speaker: str = ""
    role: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "plain": self.plain, "said": self.said, "quote": self.quote,
                "start": self.start, "end": self.end, "speaker": self.speaker, "role": self.role}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "JargonNote":
        return cls(term=str(d["term"]), plain=str(d.get("plain", "")), said=str(d.get("said", d["term"])),
                   quote=str(d.get("quote", "")), start=_opt_float(d.get("start")), end=_opt_float(d.get("end")),
                   speaker=str(d.get("speaker", "")), role=d.get("role"))


#: Parts faulted for the share of a kind among moments (explore: the share of open questions): a fault needs at least
#: :data:`MIN_FAULT_MOMENTS` moments of it, as "keep doing" needs two moments of what it praises
COUNTED_FAULTS = ("explore",)
MIN_FAULT_MOMENTS = 2


@dataclass(frozen=True)
class SubScore:
    """One aspect of listening, 0-100 (``None`` when not measured)."""

    name: str
    label: str
    score: float | None
    weight: float
    summary: str = ""
    try_instead: str = ""
    parts: tuple[ScorePart, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    #: 0-1, how sure the score is (helper turns and cue certainty); None when not computed.
    #: Below ``analysis.scoring.confidence.LOW_CONFIDENCE`` show "not enough to judge".
    confidence: float | None = None
    #: why the confidence is low, in a trainee's words ("only 3 of your turns to go on")
    confidence_note: str = ""
    #: technical terms the helper used in this part's turf, each with a plain alternative and its moment
    jargon: tuple[JargonNote, ...] = ()

    @property
    def measured(self) -> bool:
        return self.score is not None

    def fault_moments(self) -> tuple[Evidence, ...]:
        """The quoted moments of the figures outside their band that a priority may state (one source for the
        summary and the consistency checker): none when a :data:`COUNTED_FAULTS` part has fewer than
        :data:`MIN_FAULT_MOMENTS` of them (one yes/no question is no pattern to work on)."""
        out = {p.name for p in self.parts if p.fault and p.weight > 0}
        moments = tuple(e for e in self.evidence if not e.positive and e.figure in out and e.quote
                        and not e.quote.startswith("("))
        if self.name in COUNTED_FAULTS and len(moments) < MIN_FAULT_MOMENTS:
            return ()
        return moments

    @property
    def judged(self) -> bool:
        """Measured and sure enough to show its number (the one rule every renderer follows).

        A sub-score whose confidence is below :data:`LOW_CONFIDENCE` is "not enough to judge"; one
        with no confidence (reports written before confidence existed) is judged.
        """
        return self.score is not None and (self.confidence is None or self.confidence >= LOW_CONFIDENCE)

    def part_value(self, name: str) -> float | None:
        """The value of the part (figure) called ``name``; None when it is absent or not measured."""
        return next((p.value for p in self.parts if p.name == name), None)

    @property
    def not_judged_reason(self) -> str:
        """The one-line reason shown beside "not enough to judge" ("" when judged or not measured)."""
        if self.score is None or self.judged:
            return ""
        return self.confidence_note or "too little to go on"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "score": self.score,
            "measured": self.measured,
            "weight": self.weight,
            "summary": self.summary,
            "try_instead": self.try_instead,
            "parts": [p.to_dict() for p in self.parts],
            "evidence": [e.to_dict() for e in self.evidence],
            "confidence": self.confidence,
            "judged": self.judged,
            "confidence_note": self.not_judged_reason,
            "jargon": [j.to_dict() for j in self.jargon],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SubScore":
        return cls(
            name=str(d["name"]),
            label=str(d.get("label", d["name"])),
            score=_opt_float(d.get("score")),
            weight=float(d.get("weight", 0.0)),
            summary=str(d.get("summary", "")),
            try_instead=str(d.get("try_instead", "")),
            parts=tuple(ScorePart.from_dict(p) for p in d.get("parts", ())),
            evidence=tuple(Evidence.from_dict(e) for e in d.get("evidence", ())),
            confidence=_opt_float(d.get("confidence")),
            confidence_note=str(d.get("confidence_note", "")),
            jargon=tuple(JargonNote.from_dict(j) for j in d.get("jargon", ())),
        )


def _opt_evidence(d: Any, positive: bool) -> "Evidence | None":
    """Evidence from its brief form (a strength's quote is positive, a priority's is not)."""
    if not d:
        return None
    return Evidence.from_dict({**d, "note": "", "positive": positive})


@dataclass(frozen=True)
class Priority:
    """One thing to work on: which sub-score, what happened (plain words), the moment, what to try.

    ``gain`` is how many points the 0-100 score would rise if this sub-score reached 100.
    """

    subscore: str
    label: str
    message: str
    gain: float
    evidence: Evidence | None = None
    try_instead: str = ""
    #: the figures the claim rests on: at least one is outside its band
    because: tuple[Because, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"subscore": self.subscore, "label": self.label, "message": self.message, "gain": self.gain,
                "evidence": None if self.evidence is None else self.evidence.brief(),
                "try_instead": self.try_instead, "because": [b.to_dict() for b in self.because]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Priority":
        return cls(subscore=str(d["subscore"]), label=str(d.get("label", d["subscore"])),
                   message=str(d.get("message", "")), gain=float(d.get("gain", 0.0)),
                   evidence=_opt_evidence(d.get("evidence"), False), try_instead=str(d.get("try_instead", "")),
                   because=_because(d.get("because")))


@dataclass(frozen=True)
class Strength:
    """The one thing to keep doing, with its moment (never a try-instead)."""

    subscore: str
    label: str
    message: str
    evidence: Evidence | None = None
    #: the figures the praise rests on: every one inside its band
    because: tuple[Because, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"subscore": self.subscore, "label": self.label, "message": self.message,
                "evidence": None if self.evidence is None else self.evidence.brief(),
                "because": [b.to_dict() for b in self.because]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Strength":
        return cls(subscore=str(d["subscore"]), label=str(d.get("label", d["subscore"])),
                   message=str(d.get("message", "")), evidence=_opt_evidence(d.get("evidence"), True),
                   because=_because(d.get("because")))


@dataclass(frozen=True)
class Summary:
    """What a trainee reads first: a headline, up to three priorities ranked by gain, one strength.

    ``judged`` is false for a partial report or one with too little to judge; it then has no
    priorities and no strength, and the headline says why.
    """

    headline: str = ""
    judged: bool = False
    priorities: tuple[Priority, ...] = ()
    strength: Strength | None = None
    #: the headline verdict's proof: the index against the verdict's band (empty when not judged)
    verdict_because: tuple[Because, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"headline": self.headline, "judged": self.judged,
                "priorities": [p.to_dict() for p in self.priorities],
                "strength": None if self.strength is None else self.strength.to_dict(),
                "verdict_because": [b.to_dict() for b in self.verdict_because]}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Summary":
        d = d or {}
        strength = d.get("strength")
        return cls(headline=str(d.get("headline", "")), judged=bool(d.get("judged", False)),
                   priorities=tuple(Priority.from_dict(p) for p in d.get("priorities", ())),
                   strength=None if not strength else Strength.from_dict(strength),
                   verdict_because=_because(d.get("verdict_because")))


@dataclass(frozen=True)
class Report:
    """Everything a trainee or supervisor reads about one session.

    ``index`` is the 0-100 listening-quality index (``None`` when nothing
    could be scored); ``subscores`` maps a sub-score name to its
    :class:`SubScore`; ``partial`` is true when a stage was skipped or failed,
    with the reasons in ``notes``. ``speakers``, ``timing``, ``prosody`` and
    ``cues`` hold each stage's typed result (``None`` when absent).
    """

    source: str = ""
    kind: str = "audio"  # "audio" or "text"
    duration: float | None = None
    language: str = "en"
    index: float | None = None
    subscores: dict[str, SubScore] = field(default_factory=dict)
    miti: MitiSummary = field(default_factory=MitiSummary)
    summary: Summary = field(default_factory=Summary)
    strengths: tuple[str, ...] = ()
    work_on: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    partial: bool = False
    turns: tuple[Turn, ...] = ()
    helper_speaker: str | None = None
    speakers: SpeakerResult | None = None
    timing: TimingMetrics | None = None
    prosody: ProsodyResult | None = None
    cues: CueResult | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    disclaimer: str = DISCLAIMER
    version: int = REPORT_VERSION
    practice: dict[str, Any] | None = None  # conversational practice: scenario, client's arc

    @property
    def measured_subscores(self) -> dict[str, SubScore]:
        return {k: s for k, s in self.subscores.items() if s.measured}

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_version": self.version,
            "source": self.source,
            "kind": self.kind,
            "created": self.created,
            "duration": self.duration,
            "language": self.language,
            "index": self.index,
            "partial": self.partial,
            "disclaimer": self.disclaimer,
            "subscores": {k: s.to_dict() for k, s in self.subscores.items()},
            "summary": self.summary.to_dict(),
            "glossary": dict(GLOSSARY),
            "miti": self.miti.to_dict(),
            "strengths": list(self.strengths),
            "work_on": list(self.work_on),
            "notes": list(self.notes),
            "helper_speaker": self.helper_speaker,
            "turns": [t.to_dict() for t in self.turns],
            "speakers": None if self.speakers is None else self.speakers.to_dict(),
            "timing": None if self.timing is None else self.timing.to_dict(),
            "prosody": None if self.prosody is None else self.prosody.to_dict(),
            "cues": None if self.cues is None else self.cues.to_dict(),
            "stage_seconds": dict(self.stage_seconds),
            "settings": dict(self.settings),
            **({"practice": dict(self.practice)} if self.practice else {}),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Report":
        version = int(d.get("report_version", REPORT_VERSION))
        if version > REPORT_VERSION:
            raise ParameterError(
                f"report_version={version} is newer than this ListenWell reads ({REPORT_VERSION})"
            )
        return cls(
            source=str(d.get("source", "")),
            kind=str(d.get("kind", "audio")),
            duration=_opt_float(d.get("duration")),
            language=str(d.get("language", "en")),
            index=_opt_float(d.get("index")),
            subscores={str(k): SubScore.from_dict(v) for k, v in dict(d.get("subscores", {})).items()},
            miti=MitiSummary.from_dict(d.get("miti") or {}),
            summary=Summary.from_dict(d.get("summary")),
            strengths=tuple(str(s) for s in d.get("strengths", ())),
            work_on=tuple(str(s) for s in d.get("work_on", ())),
            notes=tuple(str(s) for s in d.get("notes", ())),
            partial=bool(d.get("partial", False)),
            turns=tuple(Turn.from_dict(t) for t in d.get("turns", ())),
            helper_speaker=d.get("helper_speaker"),
            speakers=_stage(SpeakerResult, d.get("speakers")),
            timing=_stage(TimingMetrics, d.get("timing")),
            prosody=_stage(ProsodyResult, d.get("prosody")),
            cues=_stage(CueResult, d.get("cues")),
            stage_seconds={str(k): float(v) for k, v in dict(d.get("stage_seconds", {})).items()},
            settings=dict(d.get("settings", {})),
            created=str(d.get("created", "")),
            disclaimer=str(d.get("disclaimer", DISCLAIMER)),
            version=version,
            practice=dict(d["practice"]) if d.get("practice") else None,
        )

    @classmethod
    def from_json(cls, text: str) -> "Report":
        """Read a report from JSON (version 1 reports get an empty, unjudged summary; see
        :func:`analysis.scoring.summary.with_summary` to fill it)."""
        return cls.from_dict(json.loads(text))


def _stage(cls: Any, d: Any) -> Any:
    """A stage's typed result from its JSON form (``None`` when absent)."""
    return None if not d else cls.from_dict(d)


def load_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) that :meth:`Report.to_dict` output follows."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
