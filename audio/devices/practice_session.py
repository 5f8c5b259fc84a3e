"""The result of a scripted practice run: session audio and its exact client timeline.

Channel 0 of the session is the trainee's microphone (the helper), channel 1 the
client lines exactly as they were played; the mono mix is their sum. The client
timeline lists each played line's start and end in seconds on that same clock.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from analysis.schema import CLIENT, DecodedAudio, SpeechRegion
from audio.devices.echo import cancel_echo

__all__ = ["ClientLineTiming", "ReplyTiming", "PracticeSession", "SESSION_RATE"]

logger = logging.getLogger(__name__)

SESSION_RATE = 16000
_FADE_S = 0.02


@dataclass(frozen=True)
class ClientLineTiming:
    """Client line ``index`` on the session clock (s).

    ``start``/``end``: the client's speech (what the timeline and the report use);
    ``audio_start``/``audio_end``: the clip as played, silence at its edges
    included; ``full_duration``: the clip's length; ``cut``: the client yielded
    (stopped talking) before the end of its speech.
    """

    index: int
    text: str
    start: float
    end: float
    full_duration: float
    cut: bool = False
    audio_start: float | None = None
    audio_end: float | None = None

    @property
    def placed_at(self) -> float:
        return self.start if self.audio_start is None else self.audio_start

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReplyTiming:
    """The trainee's reply after line ``after_line``: detected speech (s) and why it ended."""

    after_line: int
    start: float | None
    end: float | None
    reason: str  # "silence" | "enter" | "no_reply" | "max_reply" | "quit"
    stopped_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == SESSION_RATE or x.size == 0:
        return x.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(x, rate, SESSION_RATE).astype(np.float32)


@dataclass(frozen=True, eq=False)
class PracticeSession:
    """Session audio (helper mic + client lines) at 16 kHz with the client timeline."""

    helper: np.ndarray
    client: np.ndarray
    lines: tuple[ClientLineTiming, ...]
    replies: tuple[ReplyTiming, ...]
    scenario_id: str = ""
    recording: dict[str, Any] = field(default_factory=dict)
    sample_rate: int = SESSION_RATE

    @classmethod
    def build(cls, mic: np.ndarray, mic_rate: int, line_audio: Sequence[np.ndarray],
              timings: Sequence[ClientLineTiming], replies: Sequence[ReplyTiming], *,
              scenario_id: str = "", recording: dict[str, Any] | None = None) -> "PracticeSession":
        """Place each played line on the client track at its start frame, cut where it was cut."""
        helper = _resample(np.asarray(mic, dtype=np.float32).reshape(-1), mic_rate)
        placed = []
        for t in timings:
            audio = np.asarray(line_audio[t.index], dtype=np.float32)
            s0 = int(round(t.placed_at * SESSION_RATE))
            stop = t.audio_end
            if stop is None:
                stop = t.end if t.cut else t.placed_at + audio.size / SESSION_RATE
            n = min(audio.size, max(0, int(round((stop - t.placed_at) * SESSION_RATE))))
            clip = audio[:n].copy()
            if n < audio.size and n:
                nf = min(n, int(_FADE_S * SESSION_RATE))
                clip[n - nf:] *= np.linspace(1.0, 0.0, nf, dtype=np.float32)
            placed.append((s0, clip))
        total = max([helper.size] + [s0 + c.size for s0, c in placed])
        client = np.zeros(total, dtype=np.float32)
        for s0, clip in placed:
            client[s0:s0 + clip.size] += clip
        helper = np.pad(helper, (0, total - helper.size))
        return cls(helper, client, tuple(timings), tuple(replies), scenario_id, dict(recording or {}))

    @property
    def duration(self) -> float:
        return self.helper.size / self.sample_rate

    @property
    def stereo(self) -> np.ndarray:
        """Shape (2, n): helper (microphone) on channel 0, client on channel 1."""
        return np.stack([self.helper, self.client])

    @property
    def mono(self) -> np.ndarray:
        return np.clip(self.helper + self.client, -1.0, 1.0).astype(np.float32)

    def client_timeline(self) -> list[list[float]]:
        """The client lines' ``[start, end]`` pairs in seconds (the web page's format)."""
        return [[t.start, t.end] for t in self.lines]

    def client_regions(self) -> list[SpeechRegion]:
        return [SpeechRegion(t.start, t.end, CLIENT) for t in self.lines]

    def decoded(self, source: str = "practice") -> DecodedAudio:
        """The session as :class:`DecodedAudio` (channels: helper, client)."""
        return DecodedAudio(mono=self.mono, channels=self.stereo, sample_rate=self.sample_rate,
                            source=source, source_format="practice", source_sample_rate=self.sample_rate)

    def with_echo_removed(self, options=None) -> "PracticeSession":
        """A copy whose microphone channel has the client's loudspeaker echo subtracted
        (:func:`audio.devices.echo.cancel_echo`); the per-line figures go to ``recording["echo"]``."""
        from dataclasses import replace

        cleaned, lines = cancel_echo(self.helper, self.client, self.sample_rate,
                                     [(t.start, t.end) for t in self.lines], options)
        recording = {**self.recording, "echo": [ln.to_dict() for ln in lines]}
        return replace(self, helper=cleaned, recording=recording)

    def decoded_for_analysis(self, source: str = "practice") -> DecodedAudio:
        """What the scripted pipeline analyses: ``mono`` is the microphone only (the
        trainee's words), ``channels`` are (helper, client) for timing from the audio."""
        return DecodedAudio(mono=self.helper.copy(), channels=self.stereo, sample_rate=self.sample_rate,
                            source=source, source_format="practice", source_sample_rate=self.sample_rate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario_id": self.scenario_id,
            "sample_rate": self.sample_rate,
            "duration_s": round(self.duration, 4),
            "channels": ["helper (microphone)", "client (scenario lines)"],
            "client_timeline": self.client_timeline(),
            "lines": [t.to_dict() for t in self.lines],
            "replies": [r.to_dict() for r in self.replies],
            "recording": dict(self.recording),
        }

    def write(self, out_dir: str | Path, name: str = "session") -> dict[str, Path]:
        """Write ``NAME.wav`` (stereo helper/client), ``NAME.mono.wav`` and ``NAME.json``."""
        import soundfile as sf

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"stereo": out / f"{name}.wav", "mono": out / f"{name}.mono.wav", "timeline": out / f"{name}.json"}
        sf.write(paths["stereo"], np.clip(self.stereo, -1.0, 1.0).T, self.sample_rate, subtype="PCM_16")
        sf.write(paths["mono"], self.mono, self.sample_rate, subtype="PCM_16")
        paths["timeline"].write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        logger.info("wrote %s (%.1f s)", paths["stereo"], self.duration)
        return paths
