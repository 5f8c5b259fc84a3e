"""Result and option types of :mod:`analysis.timing.metrics` (frozen, with ``to_dict``/``from_dict``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Sequence

import numpy as np

from analysis.errors import ParameterError

__all__ = ["TimingOptions", "TimingEvent", "LatencyStats", "TimingMetrics"]

BACKCHANNEL_TOKENS = frozenset(
    "mm mmm hmm mhm mm-hmm uh-huh uh huh um yeah yes yep yup right okay ok sure i see wow oh ah "
    "true exactly totally absolutely got it gotcha alright no really".split()
)


@dataclass(frozen=True)
class TimingOptions:
    """Thresholds of the timing metrics (seconds unless stated)."""

    guard: float = 0.3  # starting in a client turn's last 0.3 s is not an interruption
    yield_within: float = 1.0  # the client stops within this of the helper starting
    backchannel_max: float = 1.0
    backchannel_max_words: int = 3
    backchannel_tokens: frozenset = BACKCHANNEL_TOKENS
    backchannel_client_continues: float = 0.2  # client speech goes on this long past it
    backchannel_resume: float = 0.6  # ... or resumes within this after it
    min_overlap: float = 0.1
    turn_pause: float = 0.5  # a speaker's pauses shorter than this stay inside their turn
    same_speaker_gap: float = 0.0  # join one speaker's regions across shorter gaps
    max_latency: float = 10.0  # longer silences are not a response
    min_pause: float = 0.1
    pause_brief: float = 0.2
    pause_long: float = 1.0
    latency_fast: float = 0.2  # the conversational norm (Stivers et al. 2009)
    context_words: int = 8
    time_bin: float = 60.0  # width of the over-time breakdown (s)

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
                raise ParameterError(f"{f.name}={v} must not be negative")
        if self.pause_brief > self.pause_long:
            raise ParameterError(f"pause_brief={self.pause_brief} must not exceed pause_long={self.pause_long}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["backchannel_tokens"] = sorted(self.backchannel_tokens)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TimingOptions":
        kw = {f.name: d[f.name] for f in fields(cls) if f.name in d}
        if "backchannel_tokens" in kw:
            kw["backchannel_tokens"] = frozenset(kw["backchannel_tokens"])
        return cls(**kw)


@dataclass(frozen=True)
class TimingEvent:
    """A flagged moment: ``kind``, times (s), who, and the words before/during/after it."""

    kind: str
    start: float
    end: float
    speaker: str | None = None
    other: str | None = None
    text: str = ""
    before: str = ""
    after: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TimingEvent":
        return cls(kind=str(d["kind"]), start=float(d["start"]), end=float(d["end"]),
                   speaker=d.get("speaker"), other=d.get("other"), text=str(d.get("text", "")),
                   before=str(d.get("before", "")), after=str(d.get("after", "")),
                   details=dict(d.get("details", {})))


@dataclass(frozen=True)
class LatencyStats:
    """Distribution of response latencies (s); ``bins`` counts overlap / <0.2 / 0.2-1 / >1 s."""

    count: int = 0
    mean: float | None = None
    median: float | None = None
    p10: float | None = None
    p90: float | None = None
    bins: dict[str, int] = field(default_factory=dict)
    values: tuple[float, ...] = ()

    @classmethod
    def from_values(cls, values: Sequence[float], opts: TimingOptions) -> "LatencyStats":
        v = np.asarray(values, dtype=float)
        bins = {
            "overlap": int(np.sum(v < 0)),
            "fast": int(np.sum((v >= 0) & (v < opts.latency_fast))),
            "medium": int(np.sum((v >= opts.latency_fast) & (v <= opts.pause_long))),
            "long": int(np.sum(v > opts.pause_long)),
        }
        if v.size == 0:
            return cls(bins=bins)
        r = lambda x: round(float(x), 3)  # noqa: E731
        return cls(count=int(v.size), mean=r(v.mean()), median=r(np.median(v)),
                   p10=r(np.percentile(v, 10)), p90=r(np.percentile(v, 90)), bins=bins,
                   values=tuple(r(x) for x in v))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["values"] = list(self.values)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LatencyStats":
        return cls(count=int(d.get("count", 0)), mean=d.get("mean"), median=d.get("median"),
                   p10=d.get("p10"), p90=d.get("p90"), bins=dict(d.get("bins", {})),
                   values=tuple(float(x) for x in d.get("values", ())))


_EVENT_LISTS = ("latencies", "overlaps", "interruptions", "client_interruptions", "backchannels", "long_pauses")


@dataclass(frozen=True)
class TimingMetrics:
    """Timing of one session. Shares are fractions in [0, 1] (None without speech)."""

    duration: float
    speech_time: dict[str, float]
    talk_share_helper: float | None
    word_share_helper: float | None
    latency: LatencyStats
    latencies: tuple[TimingEvent, ...] = ()
    overlaps: tuple[TimingEvent, ...] = ()
    interruptions: tuple[TimingEvent, ...] = ()
    client_interruptions: tuple[TimingEvent, ...] = ()
    backchannels: tuple[TimingEvent, ...] = ()
    longest_helper_monologue: TimingEvent | None = None
    longest_client_story: TimingEvent | None = None
    n_turns: int = 0
    turns_per_minute: float = 0.0
    pauses: dict[str, int] = field(default_factory=dict)
    long_pauses: tuple[TimingEvent, ...] = ()
    notes: tuple[str, ...] = ()
    options: TimingOptions = TimingOptions()
    over_time: tuple[dict[str, Any], ...] = ()
    #: False on one microphone (diarized): overlaps, cut-ins, backchannels inside the other's speech and
    #: the pause before answering cannot be seen there, so they are "not measured", never 0
    overlaps_measured: bool = True

    def summary(self) -> dict[str, Any]:
        """Headline numbers only (for tables and CSV rows)."""
        m, c = self.longest_helper_monologue, self.longest_client_story
        return {
            "talk_share_helper": self.talk_share_helper,
            "latency_median": self.latency.median,
            "n_interruptions": len(self.interruptions),
            "n_backchannels": len(self.backchannels),
            "n_overlaps": len(self.overlaps),
            "longest_helper_monologue": None if m is None else round(m.duration, 3),
            "longest_client_story": None if c is None else round(c.duration, 3),
            "turns_per_minute": self.turns_per_minute,
            **{f"pauses_{k}": v for k, v in self.pauses.items()},
        }

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "duration": self.duration,
            "speech_time": dict(self.speech_time),
            "talk_share_helper": self.talk_share_helper,
            "word_share_helper": self.word_share_helper,
            "latency": self.latency.to_dict(),
            "n_turns": self.n_turns,
            "turns_per_minute": self.turns_per_minute,
            "pauses": dict(self.pauses),
            "notes": list(self.notes),
            "options": self.options.to_dict(),
            "over_time": [dict(b) for b in self.over_time],
            "overlaps_measured": self.overlaps_measured,
            "longest_helper_monologue": None if self.longest_helper_monologue is None else self.longest_helper_monologue.to_dict(),
            "longest_client_story": None if self.longest_client_story is None else self.longest_client_story.to_dict(),
        }
        for k in _EVENT_LISTS:
            d[k] = [e.to_dict() for e in getattr(self, k)]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TimingMetrics":
        ev = lambda x: None if x is None else TimingEvent.from_dict(x)  # noqa: E731
        return cls(
            duration=float(d.get("duration", 0.0)), speech_time=dict(d.get("speech_time", {})),
            talk_share_helper=d.get("talk_share_helper"), word_share_helper=d.get("word_share_helper"),
            latency=LatencyStats.from_dict(d.get("latency", {})),
            longest_helper_monologue=ev(d.get("longest_helper_monologue")),
            longest_client_story=ev(d.get("longest_client_story")),
            n_turns=int(d.get("n_turns", 0)), turns_per_minute=float(d.get("turns_per_minute", 0.0)),
            pauses=dict(d.get("pauses", {})), notes=tuple(d.get("notes", ())),
            options=TimingOptions.from_dict(d.get("options", {})),
            over_time=tuple(dict(b) for b in d.get("over_time", ())),
            overlaps_measured=bool(d.get("overlaps_measured", True)),
            **{k: tuple(TimingEvent.from_dict(e) for e in d.get(k, ())) for k in _EVENT_LISTS},
        )
