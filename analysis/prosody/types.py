"""Result types of the prosody stage: options, per-speaker track, summaries, result.

Times in seconds, pitch in Hz (NaN where unvoiced), pitch spread in semitones,
levels in dBFS (RMS; a full-scale sine reads -3 dB). ``to_dict()`` writes NaN
as ``None`` so the JSON stays valid; ``from_dict()`` reads ``None`` back as NaN.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from analysis.errors import ParameterError

__all__ = [
    "ProsodyOptions",
    "PauseCounts",
    "FillerEvent",
    "ProsodyTrack",
    "ProsodySummary",
    "ProsodyResult",
]

NAN = float("nan")


def _num(x: float | None) -> float | None:
    """A JSON-safe float: None for NaN/inf/None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _flt(x: Any) -> float:
    return NAN if x is None else float(x)


@dataclass(frozen=True)
class ProsodyOptions:
    """Every knob of the prosody stage, checked up front.

    Pitch: ``fmin_hz``..``fmax_hz`` search range, ``hop_s`` frame step,
    ``voicing_threshold`` (YIN trough depth under which a frame is voiced).
    ``monotone_sd_st``: a speaker whose pitch SD is below this many semitones is
    flagged monotone. ``rushed_wpm``: a turn faster than this (with at least
    ``rushed_min_words`` words) is flagged rushed. Pauses inside turns:
    ``min_pause_s`` shortest silence counted, brief < ``brief_max_s`` <= medium
    <= ``long_min_s`` < long; silence is ``silence_rel_db`` below the speaker's
    loud level (95th percentile). ``track_max_points`` bounds each speaker's
    plot track. ``low_level_db``: a speaker quieter than this is noted.
    """

    fmin_hz: float = 65.0
    fmax_hz: float = 400.0
    hop_s: float = 0.01
    voicing_threshold: float = 0.35
    trough_threshold: float = 0.15
    gate_db: float = -60.0
    gate_rel_db: float = 40.0
    monotone_sd_st: float = 1.5
    min_voiced_s: float = 0.5
    rushed_wpm: float = 160.0
    rushed_min_words: int = 8
    min_pause_s: float = 0.1
    brief_max_s: float = 0.2
    long_min_s: float = 1.0
    silence_rel_db: float = 30.0
    track_max_points: int = 1000
    low_level_db: float = -45.0
    clip_fraction: float = 0.001
    narrowband_ratio_db: float = -40.0

    def __post_init__(self):
        if not 0 < self.fmin_hz < self.fmax_hz:
            raise ParameterError(f"fmin_hz={self.fmin_hz} must be positive and less than fmax_hz={self.fmax_hz}")
        if not 0.001 <= self.hop_s <= 0.1:
            raise ParameterError(f"hop_s={self.hop_s} must be between 0.001 and 0.1 s")
        if not 0 < self.voicing_threshold <= 1:
            raise ParameterError(f"voicing_threshold={self.voicing_threshold} must be in (0, 1]")
        if self.rushed_wpm <= 0:
            raise ParameterError(f"rushed_wpm={self.rushed_wpm} must be positive")
        if not 0 <= self.min_pause_s <= self.brief_max_s <= self.long_min_s:
            raise ParameterError(
                f"pause bounds must satisfy 0 <= min_pause_s={self.min_pause_s} <= "
                f"brief_max_s={self.brief_max_s} <= long_min_s={self.long_min_s}"
            )
        if self.track_max_points < 10:
            raise ParameterError(f"track_max_points={self.track_max_points} must be at least 10")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ProsodyOptions":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class PauseCounts:
    """Silent pauses inside turns, by length (Campione & Véronis 2002 bins)."""

    brief: int = 0
    medium: int = 0
    long: int = 0
    total_s: float = 0.0
    longest_s: float = 0.0

    @property
    def count(self) -> int:
        return self.brief + self.medium + self.long

    def __add__(self, other: "PauseCounts") -> "PauseCounts":
        return PauseCounts(
            self.brief + other.brief,
            self.medium + other.medium,
            self.long + other.long,
            self.total_s + other.total_s,
            max(self.longest_s, other.longest_s),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PauseCounts":
        return cls(int(d.get("brief", 0)), int(d.get("medium", 0)), int(d.get("long", 0)),
                   float(d.get("total_s", 0.0)), float(d.get("longest_s", 0.0)))


@dataclass(frozen=True)
class FillerEvent:
    """One filler ("um", "you know"...); times None when the turn had no word times."""

    text: str
    start: float | None
    end: float | None
    turn_index: int
    speaker: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FillerEvent":
        return cls(str(d["text"]), d.get("start"), d.get("end"), int(d["turn_index"]), str(d["speaker"]))


@dataclass(frozen=True)
class ProsodyTrack:
    """A speaker's pitch and energy over time, decimated for plotting.

    ``times`` in s, ``f0_hz`` (NaN where unvoiced), ``energy_db`` in dBFS; only
    frames where the speaker talks; ``hop_s`` is the spacing of the decimated grid.
    """

    speaker: str
    role: str | None
    times: tuple[float, ...]
    f0_hz: tuple[float, ...]
    energy_db: tuple[float, ...]
    hop_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "role": self.role,
            "hop_s": self.hop_s,
            "times": [round(t, 3) for t in self.times],
            "f0_hz": [None if _num(f) is None else round(f, 1) for f in self.f0_hz],
            "energy_db": [None if _num(e) is None else round(e, 1) for e in self.energy_db],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ProsodyTrack":
        return cls(
            speaker=str(d["speaker"]),
            role=d.get("role"),
            times=tuple(float(t) for t in d.get("times", ())),
            f0_hz=tuple(_flt(f) for f in d.get("f0_hz", ())),
            energy_db=tuple(_flt(e) for e in d.get("energy_db", ())),
            hop_s=float(d.get("hop_s", 0.0)),
        )


_FLOAT_FIELDS = (
    "speaking_time_s", "wpm", "articulation_wpm", "pitch_median_hz", "pitch_range_st",
    "pitch_sd_st", "voiced_s", "energy_db", "energy_sd_db", "level_vs_other_db", "fillers_per_min",
)


@dataclass(frozen=True)
class ProsodySummary:
    """Prosody of one speaker (``scope="speaker"``) or one turn (``scope="turn"``).

    Rates in words per minute over speaking time (``wpm``) and excluding pauses
    (``articulation_wpm``); pitch median in Hz, range (2nd-98th percentile) and
    SD in semitones over voiced frames; level (median frame RMS) and its SD in dB.
    ``level_vs_other_db``: this speaker's level minus the other speaker's.
    ``rushed`` is None when a turn is too short to judge. NaN = not measured.
    """

    scope: str
    speaker: str
    role: str | None = None
    turn_index: int | None = None
    start: float | None = None
    end: float | None = None
    speaking_time_s: float = 0.0
    n_words: int = 0
    wpm: float = NAN
    articulation_wpm: float = NAN
    pitch_median_hz: float = NAN
    pitch_range_st: float = NAN
    pitch_sd_st: float = NAN
    voiced_s: float = 0.0
    monotone: bool | None = None
    energy_db: float = NAN
    energy_sd_db: float = NAN
    level_vs_other_db: float = NAN
    pauses: PauseCounts = field(default_factory=PauseCounts)
    fillers: tuple[FillerEvent, ...] = ()
    fillers_per_min: float = NAN
    rushed: bool | None = None
    after_disclosure: bool = False
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in _FLOAT_FIELDS:
            d[k] = _num(d[k])
        d["pauses"] = self.pauses.to_dict()
        d["fillers"] = [f.to_dict() for f in self.fillers]
        d["notes"] = list(self.notes)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ProsodySummary":
        kw = {f.name: d[f.name] for f in fields(cls) if f.name in d}
        for k in _FLOAT_FIELDS:
            if k in kw:
                kw[k] = _flt(kw[k])
        kw["pauses"] = PauseCounts.from_dict(d.get("pauses", {}))
        kw["fillers"] = tuple(FillerEvent.from_dict(f) for f in d.get("fillers", ()))
        kw["notes"] = tuple(d.get("notes", ()))
        return cls(**kw)


@dataclass(frozen=True)
class ProsodyResult:
    """Prosody for a session: per speaker, per turn, plot tracks and comparisons.

    ``helper_minus_client_db``/``_st``: level (dB) and median pitch (semitones)
    of the helper relative to the client, NaN when either is unknown.
    ``partial`` is True when some measure could not be made or is unreliable;
    ``notes`` says why. ``rushed_after_disclosure``: indices of helper turns that
    were rushed right after a client disclosure.
    """

    speakers: tuple[ProsodySummary, ...]
    turns: tuple[ProsodySummary, ...]
    tracks: tuple[ProsodyTrack, ...]
    helper_minus_client_db: float = NAN
    helper_minus_client_st: float = NAN
    rushed_after_disclosure: tuple[int, ...] = ()
    partial: bool = False
    notes: tuple[str, ...] = ()
    method: str = ""
    source: str = ""
    options: ProsodyOptions = field(default_factory=ProsodyOptions)

    def speaker(self, name_or_role: str) -> ProsodySummary | None:
        """The summary for a speaker label or a role ("helper", "client"), else None."""
        for s in self.speakers:
            if s.speaker == name_or_role:
                return s
        for s in self.speakers:
            if s.role == name_or_role:
                return s
        return None

    def role_view(self, role: str) -> dict[str, Any] | None:
        """Headline numbers for one role, under plain names (what the report and scoring read)."""
        s = next((x for x in self.speakers if x.role == role), None)
        if s is None:
            return None
        return {
            "speaker": s.speaker,
            "speaking_rate_wpm": _num(s.wpm),
            "articulation_rate_wpm": _num(s.articulation_wpm),
            "pitch_median_hz": _num(s.pitch_median_hz),
            "pitch_std_semitones": _num(s.pitch_sd_st),
            "pitch_range_semitones": _num(s.pitch_range_st),
            "monotone": s.monotone,
            "energy_db_median": _num(s.energy_db),
            "energy_db_sd": _num(s.energy_sd_db),
            "pauses": s.pauses.to_dict(),
            "fillers_per_min": _num(s.fillers_per_min),
            "rushed": s.rushed,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; ``helper``/``client`` hold :meth:`role_view` (derived, ignored by from_dict)."""
        return {
            "helper": self.role_view("helper"),
            "client": self.role_view("client"),
            "speakers": [s.to_dict() for s in self.speakers],
            "turns": [t.to_dict() for t in self.turns],
            "tracks": [t.to_dict() for t in self.tracks],
            "helper_minus_client_db": _num(self.helper_minus_client_db),
            "helper_minus_client_st": _num(self.helper_minus_client_st),
            "rushed_after_disclosure": list(self.rushed_after_disclosure),
            "partial": self.partial,
            "notes": list(self.notes),
            "method": self.method,
            "source": self.source,
            "options": self.options.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ProsodyResult":
        return cls(
            speakers=tuple(ProsodySummary.from_dict(s) for s in d.get("speakers", ())),
            turns=tuple(ProsodySummary.from_dict(t) for t in d.get("turns", ())),
            tracks=tuple(ProsodyTrack.from_dict(t) for t in d.get("tracks", ())),
            helper_minus_client_db=_flt(d.get("helper_minus_client_db")),
            helper_minus_client_st=_flt(d.get("helper_minus_client_st")),
            rushed_after_disclosure=tuple(int(i) for i in d.get("rushed_after_disclosure", ())),
            partial=bool(d.get("partial", False)),
            notes=tuple(d.get("notes", ())),
            method=str(d.get("method", "")),
            source=str(d.get("source", "")),
            options=ProsodyOptions.from_dict(d.get("options", {})),
        )
