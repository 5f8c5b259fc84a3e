"""Who speaks when: one result type (:class:`SpeakerActivity`) from three sources.

- :func:`activity_from_channels`: one speaker per channel (stereo); per-channel
  energy VAD with cross-talk (bleed) suppression, so true overlaps are kept.
- :func:`activity_from_timeline`: scripted practice; the client's regions are
  known (the app played them) and the recording carries the helper.
- :func:`analysis.speakers.diarize.diarize`: mono, two people, clustering on CPU.

Speaker labels: ``ch0``, ``ch1``... for channels; ``helper``/``client`` for a
scripted timeline; ``spk0``, ``spk1``... for diarization. Roles are given to
speakers later (:mod:`analysis.speakers.roles`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from analysis.errors import ParameterError
from analysis.schema import CLIENT, HELPER, SpeechRegion
from analysis.speakers.energy_vad import (
    VadOptions,
    bridge_intervals,
    frame_levels,
    mask_to_intervals,
    speech_mask,
)

__all__ = [
    "SOURCES",
    "SpeakerActivity",
    "ChannelOptions",
    "activity_from_channels",
    "activity_from_timeline",
    "channels_look_identical",
    "regions_from_intervals",
    "overlap_seconds",
]

SOURCES = ("channels", "scripted", "diarization", "reference")


@dataclass(frozen=True)
class SpeakerActivity:
    """Speech regions per speaker (regions of two speakers may overlap).

    ``speakers`` lists every speaker label in order of first speech;
    ``n_speakers_detected`` is how many distinct voices the source saw (it can
    exceed ``len(speakers)`` when diarization refused to split more than two);
    ``notes`` carries plain-language caveats ("only one speaker found", ...).
    ``uncertain_count`` is True when mono diarization could not tell whether one
    or two people speak (a note then asks for the speaking order or a stereo
    recording); the regions are its best guess.
    """

    regions: tuple[SpeechRegion, ...]
    speakers: tuple[str, ...]
    source: str
    duration: float = 0.0
    n_speakers_detected: int = 0
    notes: tuple[str, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)
    uncertain_count: bool = False

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ParameterError(f"source={self.source!r} must be one of {SOURCES}")

    def regions_of(self, speaker: str) -> tuple[SpeechRegion, ...]:
        return tuple(r for r in self.regions if r.speaker == speaker)

    def speech_time(self, speaker: str | None = None) -> float:
        """Seconds of speech of one speaker (or of all, overlaps counted once per speaker)."""
        return float(sum(r.duration for r in self.regions if speaker is None or r.speaker == speaker))

    def active(self, speaker: str, t: float) -> bool:
        return any(r.start <= t < r.end for r in self.regions if r.speaker == speaker)

    def to_dict(self) -> dict[str, Any]:
        return {
            "regions": [r.to_dict() for r in self.regions],
            "speakers": list(self.speakers),
            "source": self.source,
            "duration": self.duration,
            "n_speakers_detected": self.n_speakers_detected,
            "notes": list(self.notes),
            "info": dict(self.info),
            "uncertain_count": self.uncertain_count,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SpeakerActivity":
        return cls(
            regions=tuple(SpeechRegion.from_dict(r) for r in d.get("regions", ())),
            speakers=tuple(d.get("speakers", ())),
            source=str(d.get("source", "diarization")),
            duration=float(d.get("duration", 0.0)),
            n_speakers_detected=int(d.get("n_speakers_detected", 0)),
            notes=tuple(d.get("notes", ())),
            info=dict(d.get("info", {})),
            uncertain_count=bool(d.get("uncertain_count", False)),
        )


@dataclass(frozen=True)
class ChannelOptions:
    """Per-channel activity: the VAD, plus how cross-talk between channels is judged.

    A channel's frame is taken as bleed from another channel when its level is
    less than ``bleed_margin_db`` above what the measured leak from the louder
    channel explains. Leaks weaker than ``bleed_ignore_db`` are ignored.
    """

    vad: VadOptions = VadOptions()
    bleed_margin_db: float = 6.0
    bleed_ignore_db: float = -35.0
    identical_corr: float = 0.98


def regions_from_intervals(intervals: Iterable[tuple[float, float]], speaker: str) -> list[SpeechRegion]:
    return [SpeechRegion(round(a, 3), round(b, 3), speaker) for a, b in intervals if b > a]


def overlap_seconds(a: Sequence[SpeechRegion], b: Sequence[SpeechRegion]) -> float:
    """Total time during which a region of ``a`` and one of ``b`` are both active (s)."""
    total = 0.0
    for r in a:
        for s in b:
            lo, hi = max(r.start, s.start), min(r.end, s.end)
            if hi > lo:
                total += hi - lo
    return total


def channels_look_identical(channels: np.ndarray, *, threshold: float = 0.98) -> bool:
    """True when every channel is (nearly) the same signal, e.g. mono saved as stereo."""
    ch = np.asarray(channels, dtype=np.float64)
    if ch.ndim != 2 or ch.shape[0] < 2:
        return True
    ref = ch[0]
    for other in ch[1:]:
        denom = np.sqrt(np.sum(ref**2) * np.sum(other**2))
        if denom <= 0:
            if np.sum(ref**2) + np.sum(other**2) > 0:
                return False
            continue
        if np.sum(ref * other) / denom < threshold:
            return False
    return True


def _order(regions: list[SpeechRegion]) -> tuple[SpeechRegion, ...]:
    return tuple(sorted(regions, key=lambda r: (r.start, r.end, r.speaker)))


def _first_speech_order(regions: Sequence[SpeechRegion], labels: Sequence[str]) -> tuple[str, ...]:
    first = {s: min((r.start for r in regions if r.speaker == s), default=np.inf) for s in labels}
    return tuple(sorted(labels, key=lambda s: (first[s], s)))


def activity_from_channels(
    channels: np.ndarray,
    sr: int,
    options: ChannelOptions | None = None,
    *,
    speakers: Sequence[str] | None = None,
) -> SpeakerActivity:
    """Speaker activity of a recording with one speaker per channel.

    Parameters
    ----------
    channels : np.ndarray, shape (n_channels, n)
        Float samples per channel.
    sr : int
        Sample rate (Hz).
    options : ChannelOptions, optional
    speakers : sequence of str, optional
        A label per channel (default ``ch0``, ``ch1``...).

    Returns
    -------
    SpeakerActivity
        ``source="channels"``; overlaps where both channels carry their own speech.
    """
    opts = options or ChannelOptions()
    ch = np.asarray(channels, dtype=np.float32)
    if ch.ndim == 1:
        ch = ch[None, :]
    if ch.ndim != 2 or ch.shape[0] < 1:
        raise ParameterError(f"channels must have shape (n_channels, n), got {ch.shape}")
    if sr <= 0:
        raise ParameterError(f"sr={sr} must be positive")
    labels = list(speakers) if speakers is not None else [f"ch{i}" for i in range(ch.shape[0])]
    if len(labels) != ch.shape[0]:
        raise ParameterError(f"{len(labels)} speaker labels for {ch.shape[0]} channels")
    duration = ch.shape[1] / sr
    notes: list[str] = []
    v = opts.vad
    levels = np.stack([frame_levels(c, sr, frame=v.frame, hop=v.hop) for c in ch]) if ch.shape[1] else np.zeros((ch.shape[0], 0))
    masks = np.stack([speech_mask(lv, v) for lv in levels]) if levels.shape[1] else levels.astype(bool)
    if ch.shape[0] > 1 and levels.shape[1]:
        if channels_look_identical(ch, threshold=opts.identical_corr):
            notes.append("the channels carry the same signal: channel activity cannot tell "
                         "speakers apart (use mono diarization)")
        else:
            masks = _suppress_bleed(levels, masks, opts)
    regions: list[SpeechRegion] = []
    for lab, m in zip(labels, masks):
        iv = bridge_intervals(mask_to_intervals(m, v.hop), bridge=v.bridge,
                              min_speech=v.min_speech, pad=v.pad, duration=duration)
        regions.extend(regions_from_intervals(iv, lab))
    found = sorted({r.speaker for r in regions})
    if not found:
        notes.append("no speech found")
    elif len(found) == 1 and len(labels) > 1:
        notes.append(f"only one speaker found ({found[0]}); the other channel(s) are silent")
    return SpeakerActivity(
        regions=_order(regions), speakers=_first_speech_order(regions, found),
        source="channels", duration=duration, n_speakers_detected=len(found), notes=tuple(notes),
    )


def _suppress_bleed(levels: np.ndarray, masks: np.ndarray, opts: ChannelOptions) -> np.ndarray:
    """Drop frames of a channel whose level is explained by leakage from a louder channel."""
    out = masks.copy()
    n = levels.shape[0]
    for c in range(n):
        for o in range(n):
            if c == o or not masks[o].any():
                continue
            loud_o = masks[o] & (levels[o] >= np.percentile(levels[o][masks[o]], 50))
            if loud_o.sum() < 10:
                continue
            leak = float(np.median(levels[c][loud_o] - levels[o][loud_o]))
            if leak < opts.bleed_ignore_db:
                continue
            explained = (levels[c] < levels[o] + leak + opts.bleed_margin_db) & (levels[o] > levels[c])
            out[c] &= ~(explained & masks[o])
    return out


def activity_from_timeline(
    client_regions: Iterable[SpeechRegion | tuple[float, float]],
    helper_audio: np.ndarray,
    sr: int,
    options: ChannelOptions | None = None,
    *,
    client_audio: np.ndarray | None = None,
) -> SpeakerActivity:
    """Activity for scripted practice: known client regions plus the helper's recording.

    Parameters
    ----------
    client_regions : iterable of SpeechRegion or (start, end)
        When the app played the client's lines (s).
    helper_audio : np.ndarray, shape (n,)
        The microphone recording (the trainee).
    sr : int
        Sample rate (Hz).
    options : ChannelOptions, optional
    client_audio : np.ndarray, shape (n,), optional
        What was played, aligned with the recording; when given, echo of it in the
        microphone is not mistaken for the helper.

    Returns
    -------
    SpeakerActivity
        ``source="scripted"``, speakers ``helper`` and ``client``.
    """
    opts = options or ChannelOptions()
    helper = np.asarray(helper_audio, dtype=np.float32)
    if helper.ndim != 1:
        raise ParameterError(f"helper_audio must be mono, got shape {helper.shape}")
    duration = helper.size / sr
    client: list[SpeechRegion] = []
    for r in client_regions:
        a, b = (r.start, r.end) if isinstance(r, SpeechRegion) else (float(r[0]), float(r[1]))
        if b < a:
            raise ParameterError(f"client region ({a}, {b}) ends before it starts")
        client.append(SpeechRegion(round(a, 3), round(b, 3), CLIENT))
    if client_audio is not None:
        ca = np.asarray(client_audio, dtype=np.float32)
        n = min(ca.size, helper.size)
        both = np.stack([helper[:n], ca[:n]])
        act = activity_from_channels(both, sr, opts, speakers=[HELPER, CLIENT])
        helper_regions = list(act.regions_of(HELPER))
    else:
        v = opts.vad
        iv = bridge_intervals(mask_to_intervals(speech_mask(frame_levels(helper, sr, frame=v.frame, hop=v.hop), v), v.hop),
                              bridge=v.bridge, min_speech=v.min_speech, pad=v.pad, duration=duration)
        helper_regions = regions_from_intervals(iv, HELPER)
    regions = helper_regions + client
    notes = []
    if not helper_regions:
        notes.append("no helper speech found in the recording")
    found = sorted({r.speaker for r in regions})
    return SpeakerActivity(
        regions=_order(regions), speakers=_first_speech_order(regions, found), source="scripted",
        duration=max([duration] + [r.end for r in client]), n_speakers_detected=len(found),
        notes=tuple(notes),
    )
