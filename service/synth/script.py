"""The script format of :mod:`service.synth.voice` and the events a timeline plants (pure, no audio)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from analysis.errors import ParameterError
from analysis.schema import CLIENT, HELPER

__all__ = ["ScriptLine", "planted_events", "spoken_text"]


@dataclass(frozen=True)
class ScriptLine:
    """One scripted line; see the module docstring for the meaning of each field."""

    speaker: str
    text: str
    gap: float = 0.5
    cut_after: float | None = None
    offset: float | None = None

    def __post_init__(self):
        if self.speaker not in (HELPER, CLIENT):
            raise ParameterError(f"speaker={self.speaker!r} must be 'helper' or 'client'")
        if not self.text.strip():
            raise ParameterError("a script line needs some text")
        if self.cut_after is not None and self.cut_after <= 0:
            raise ParameterError(f"cut_after={self.cut_after} must be positive")
        if self.offset is not None and self.offset < 0:
            raise ParameterError(f"offset={self.offset} must not be negative")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ScriptLine":
        return cls(
            speaker=str(d["speaker"]),
            text=str(d["text"]),
            gap=float(d.get("gap", 0.5)),
            cut_after=None if d.get("cut_after") is None else float(d["cut_after"]),
            offset=None if d.get("offset") is None else float(d["offset"]),
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"speaker": self.speaker, "text": self.text, "gap": self.gap}
        if self.cut_after is not None:
            d["cut_after"] = self.cut_after
        if self.offset is not None:
            d["offset"] = self.offset
        return d


def spoken_text(text: str, kept_fraction: float) -> str:
    """Words spoken before a cut, estimated from the fraction of audio kept."""
    words = text.split()
    if kept_fraction >= 1.0:
        return text
    n = int(round(len(words) * max(0.0, kept_fraction)))
    return " ".join(words[: max(1, n)])


def planted_events(
    turns: list[dict[str, Any]],
    *,
    interruption_guard_s: float = 0.3,
    yield_within_s: float = 1.0,
    pause_long_s: float = 1.0,
) -> list[dict[str, Any]]:
    """Classify a truth timeline's overlaps and pauses (what the fixture plants).

    Each turn dict needs ``speaker``, ``start``, ``end`` (s) and ``overlay`` (bool:
    a backchannel that does not take the floor). Returns events with ``type`` in
    ``interruption``, ``backchannel``, ``overlap``, ``long_pause``.
    """
    events: list[dict[str, Any]] = []
    for i, t in enumerate(turns):
        if t.get("overlay"):
            events.append({"type": "backchannel", "speaker": t["speaker"], "start": t["start"],
                           "end": t["end"], "text": t["text"], "turn": i})
            continue
        for j, o in enumerate(turns[:i]):
            if o["speaker"] == t["speaker"] or o.get("overlay"):
                continue
            if o["start"] < t["start"] < o["end"]:
                ov_end = min(o["end"], t["end"])
                inside = t["start"] < o["end"] - interruption_guard_s
                yields = o["end"] - t["start"] <= yield_within_s and o["end"] < t["end"]
                kind = "interruption" if inside and yields else "overlap"
                events.append({"type": kind, "speaker": t["speaker"], "interrupted": o["speaker"],
                               "start": t["start"], "end": ov_end, "turn": i, "other_turn": j})
    floor = [t for t in turns if not t.get("overlay")]
    for a, b in zip(floor, floor[1:]):
        if b["start"] - a["end"] > pause_long_s:
            events.append({"type": "long_pause", "start": a["end"], "end": b["start"],
                           "before": a["speaker"], "after": b["speaker"]})
    events.sort(key=lambda e: (e["start"], e["type"]))
    return events
