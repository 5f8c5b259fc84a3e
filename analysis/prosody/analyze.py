"""Prosody per speaker and per turn: pitch, energy, rate, pauses, fillers.

Entry point: :func:`prosody_by_speaker` (audio array, sample rate, turns,
optional speech regions per speaker, optional speaker -> channel map). Frame
measures come from :mod:`analysis.prosody.pitch` (YIN with its own voicing decision);
rates and fillers from the turns' words. Bad input (silence, clipping, very
low level, narrow-band telephone audio, no audio at all) gives a result with
``partial=True`` and ``notes`` saying why, never an exception.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import replace
from typing import Callable, Collection, Mapping, Sequence

import numpy as np

from analysis.errors import ParameterError
from analysis.prosody.energy import clipped_fraction, high_band_ratio_db
from analysis.prosody.measure import FrameSource, SpeakerMeasures
from analysis.prosody.pitch import hz_to_semitones
from analysis.prosody.rate import disclosure_turns
from analysis.prosody.types import (
    FillerEvent,
    PauseCounts,
    ProsodyOptions,
    ProsodyResult,
    ProsodySummary,
    ProsodyTrack,
)
from analysis.schema import CLIENT, HELPER, SpeechRegion, Turn

__all__ = [
    "METHOD",
    "prosody_by_speaker",
    "ProsodyOptions",
    "ProsodyResult",
    "ProsodySummary",
    "ProsodyTrack",
    "PauseCounts",
    "FillerEvent",
]

logger = logging.getLogger(__name__)

METHOD = "yin+aperiodicity voicing (analysis.prosody.pitch), RMS dB"


def _roles(turns: Sequence[Turn]) -> dict[str, str | None]:
    votes: dict[str, Counter] = {}
    for t in turns:
        votes.setdefault(t.speaker, Counter())
        if t.role:
            votes[t.speaker][t.role] += 1
    out: dict[str, str | None] = {}
    for spk, c in votes.items():
        out[spk] = c.most_common(1)[0][0] if c else (spk if spk in (HELPER, CLIENT) else None)
    return out


def _check_audio(audio, sr) -> np.ndarray | None:
    if audio is None:
        return None
    if not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ParameterError(f"sr={sr!r} must be a positive integer sample rate in Hz")
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim not in (1, 2):
        raise ParameterError(f"audio must have shape (n,) or (n_channels, n), got {a.shape}")
    if not np.isfinite(a).all():
        a = np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=-1.0)
    return a


def _quality_notes(y: np.ndarray, sr: int, label: str, o: ProsodyOptions) -> list[str]:
    notes = []
    clip = clipped_fraction(y)
    if clip > o.clip_fraction:
        notes.append(f"{label}: {100 * clip:.2f}% of samples are clipped; levels and pitch may be distorted")
    band = high_band_ratio_db(y, sr)
    if math.isfinite(band) and band < o.narrowband_ratio_db:
        notes.append(
            f"{label}: almost no energy above 3.9 kHz ({band:.0f} dB): narrow-band (telephone?) audio; "
            "voicing and levels are less reliable"
        )
    return notes


def prosody_by_speaker(
    audio: np.ndarray | None,
    sr: int,
    turns: Sequence[Turn],
    regions: Sequence[SpeechRegion] | None = None,
    *,
    channels: Mapping[str, int] | None = None,
    disclosures: Collection[int] | Callable[[Turn], bool] | None = None,
    options: ProsodyOptions | None = None,
) -> ProsodyResult:
    """Measure prosody per speaker and per turn.

    Parameters
    ----------
    audio : ndarray, shape (n,) or (n_channels, n), or None
        Float audio in [-1, 1]. 2-D audio with ``channels`` measures each mapped
        speaker on its own channel; other speakers use the channel mean. None
        measures only what the words give (rate, word-gap pauses, fillers).
    sr : int
        Sample rate in Hz (16000 in ListenWell).
    turns : sequence of Turn
        Turns with speaker, role, start/end (s) and words (with times when known;
        text only is fine for rates and fillers).
    regions : sequence of SpeechRegion, optional
        When each speaker talks (may overlap); default: the speaker's turns. In a
        mono mix, frames where another speaker also talks are left out.
    channels : mapping of str to int, optional
        Speaker label -> channel index of ``audio``.
    disclosures : collection of int or callable, optional
        Turn indices of client feeling disclosures, or a detector called on each
        client turn (the cues stage's); default a small keyword list.
    options : ProsodyOptions, optional

    Returns
    -------
    ProsodyResult
        ``speakers`` (one :class:`ProsodySummary` each), ``turns`` (one per turn
        with times), ``tracks`` (one :class:`ProsodyTrack` per speaker with audio).
    """
    o = options or ProsodyOptions()
    a = _check_audio(audio, sr)
    turns = list(turns)
    if len({t.index for t in turns}) != len(turns):
        turns = [replace(t, index=i) for i, t in enumerate(turns)]
    notes: list[str] = []
    roles = _roles(turns)
    for r in regions or ():
        roles.setdefault(r.speaker, r.speaker if r.speaker in (HELPER, CLIENT) else None)
    speakers = list(roles)
    chan = dict(channels or {})
    if a is not None and a.ndim == 2:
        for spk, c in chan.items():
            if not 0 <= c < a.shape[0]:
                raise ParameterError(f"channel {c} for speaker {spk!r} is out of range: audio has {a.shape[0]}")
        if not chan and a.shape[0] > 1:
            notes.append("no speaker-to-channel map: measured on the channel mix")
    else:
        chan = {}
    if a is None:
        notes.append("no audio: pitch, level and audio pauses not measured")
    elif a.size == 0 or float(np.max(np.abs(a))) < 10 ** (o.gate_db / 20):
        notes.append("audio is silent (or empty): pitch and level not measured")
        a = None

    sig = FrameSource(a, sr, o) if a is not None else None
    intervals = {s: [] for s in speakers}
    if regions:
        for r in regions:
            intervals[r.speaker].append((r.start, r.end))
    with_regions = {r.speaker for r in regions or ()}
    for t in turns:  # speakers without regions: their turns stand in
        if t.start is not None and t.end is not None and t.speaker not in with_regions:
            intervals[t.speaker].append((t.start, t.end))
    if sig is not None:
        for c in sorted({chan.get(s) for s in speakers}, key=lambda x: -1 if x is None else x):
            label = "audio" if c is None else f"channel {c}"
            notes.extend(_quality_notes(sig.samples(c), sr, label, o))

    ctx = SpeakerMeasures(o, sig, chan, intervals, speakers)
    disc = disclosure_turns(turns, disclosures)
    by_speaker = {s: [t for t in turns if t.speaker == s] for s in speakers}

    turn_summaries: dict[int, ProsodySummary] = {}
    pending = False
    client_end: float | None = None
    for t in sorted(turns, key=lambda t: (t.start if t.start is not None else math.inf, t.index)):
        role = roles.get(t.speaker)
        after = False
        if role == CLIENT:
            pending, client_end = t.index in disc, t.end
        elif role == HELPER:
            # a short "mm-hmm" inside the client's turn (however Whisper heard it) is not the reply
            if not t.murmurs_inside(client_end):
                after, pending = pending, False
        turn_summaries[t.index] = ctx.turn_summary(t, role, after)
    turn_list = tuple(turn_summaries[t.index] for t in turns)

    summaries = []
    for s in speakers:
        summ, snotes = ctx.speaker_summary(s, roles[s], [turn_summaries[t.index] for t in by_speaker[s]], by_speaker[s])
        summaries.append(summ)
        notes.extend(snotes)
    if len(summaries) == 2:
        x, y = summaries
        summaries = [replace(x, level_vs_other_db=x.energy_db - y.energy_db),
                     replace(y, level_vs_other_db=y.energy_db - x.energy_db)]
    helper = next((s for s in summaries if s.role == HELPER), None)
    client = next((s for s in summaries if s.role == CLIENT), None)
    db_diff = st_diff = math.nan
    if helper and client:
        db_diff = helper.energy_db - client.energy_db
        if helper.pitch_median_hz > 0 and client.pitch_median_hz > 0:
            st_diff = float(hz_to_semitones(helper.pitch_median_hz, client.pitch_median_hz))
    rushed_after = tuple(t.turn_index for t in turn_list if t.after_disclosure and t.rushed)
    tracks = tuple(ctx.track(s, roles[s]) for s in speakers) if sig is not None else ()
    partial = bool(notes) or any(s.notes for s in summaries)
    return ProsodyResult(
        speakers=tuple(summaries), turns=turn_list, tracks=tracks,
        helper_minus_client_db=db_diff, helper_minus_client_st=st_diff,
        rushed_after_disclosure=rushed_after, partial=partial, notes=tuple(notes),
        method=METHOD, source="channels" if chan and sig is not None else ("mono" if sig else "words"),
        options=o,
    )
