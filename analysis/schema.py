"""Plain result types shared by every stage: times in seconds, pitch in Hz.

Nothing from a third-party library leaves the module that wraps it; these
frozen dataclasses are what flows between ``audio/``, ``analysis/`` and
``service/``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from analysis.errors import ParameterError

__all__ = [
    "SCHEMA_VERSION",
    "Word",
    "Segment",
    "Transcript",
    "DecodedAudio",
    "SpeechRegion",
    "Turn",
    "HELPER",
    "CLIENT",
]

HELPER = "helper"
CLIENT = "client"

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Word:
    """One recognised word; ``start``/``end`` in seconds from the file start."""

    start: float
    end: float
    text: str
    probability: float = 1.0
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Word":
        return cls(
            start=float(d["start"]),
            end=float(d["end"]),
            text=str(d["text"]),
            probability=float(d.get("probability", 1.0)),
            speaker=d.get("speaker"),
        )


@dataclass(frozen=True)
class Segment:
    """A stretch of recognised speech with its words."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["words"] = [w.to_dict() for w in self.words]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Segment":
        return cls(
            start=float(d["start"]),
            end=float(d["end"]),
            text=str(d["text"]),
            words=tuple(Word.from_dict(w) for w in d.get("words", ())),
            avg_logprob=float(d.get("avg_logprob", 0.0)),
            no_speech_prob=float(d.get("no_speech_prob", 0.0)),
            speaker=d.get("speaker"),
        )


@dataclass(frozen=True)
class Transcript:
    """The transcription of one audio stream (a mono mix or one channel)."""

    segments: tuple[Segment, ...]
    duration: float
    language: str = "en"
    model: str = ""
    channel: int | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.segments for w in s.words)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def has_speech(self) -> bool:
        return any(s.text.strip() for s in self.segments)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "duration": self.duration,
            "language": self.language,
            "model": self.model,
            "channel": self.channel,
            "info": dict(self.info),
            "text": self.text,
            "segments": [s.to_dict() for s in self.segments],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Transcript":
        return cls(
            segments=tuple(Segment.from_dict(s) for s in d.get("segments", ())),
            duration=float(d.get("duration", 0.0)),
            language=str(d.get("language", "en")),
            model=str(d.get("model", "")),
            channel=d.get("channel"),
            info=dict(d.get("info", {})),
        )


@dataclass(frozen=True, eq=False)
class DecodedAudio:
    """Decoded audio: float32 samples at ``sample_rate``.

    ``mono`` has shape (n,), ``channels`` shape (n_channels, n).
    """

    mono: Any
    channels: Any
    sample_rate: int
    source: str = ""
    source_format: str = ""
    source_sample_rate: int = 0

    @property
    def n_channels(self) -> int:
        return int(self.channels.shape[0])

    @property
    def duration(self) -> float:
        return float(self.mono.shape[0]) / float(self.sample_rate)

    def channel(self, index: int | None):
        """The mono mix for ``None``, else one channel (0-based)."""
        if index is None:
            return self.mono
        if not 0 <= index < self.n_channels:
            raise ParameterError(
                f"channel={index} is out of range: this audio has {self.n_channels} channel(s)"
            )
        return self.channels[index]


@dataclass(frozen=True)
class SpeechRegion:
    """One stretch during which ``speaker`` is talking (regions of two speakers may overlap)."""

    start: float
    end: float
    speaker: str

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SpeechRegion":
        return cls(start=float(d["start"]), end=float(d["end"]), speaker=str(d["speaker"]))


@dataclass(frozen=True)
class Turn:
    """One speaker's utterance: consecutive speech by one person.

    ``role`` is ``"helper"``, ``"client"`` or ``None`` when unknown. For a
    text-only transcript ``start``/``end`` may be ``None``.
    """

    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    role: str | None = None
    words: tuple[Word, ...] = ()
    index: int = 0

    @property
    def duration(self) -> float:
        if self.start is None or self.end is None:
            return 0.0
        return self.end - self.start

    def murmurs_inside(self, other_end: float | None) -> bool:
        """Three words at most, starting while the other speaker (whose turn ends at ``other_end``) still talks:
        a "mm-hmm" however Whisper heard it, not a reply. The cue events, the scoring and the voice stage all
        read a helper turn by this one rule."""
        return (len(self.text.split()) <= 3 and self.start is not None and other_end is not None
                and self.start < other_end - 0.05)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["words"] = [w.to_dict() for w in self.words]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Turn":
        return cls(
            speaker=str(d["speaker"]),
            text=str(d.get("text", "")),
            start=None if d.get("start") is None else float(d["start"]),
            end=None if d.get("end") is None else float(d["end"]),
            role=d.get("role"),
            words=tuple(Word.from_dict(w) for w in d.get("words", ())),
            index=int(d.get("index", 0)),
        )
