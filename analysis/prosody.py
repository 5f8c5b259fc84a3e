"""Prosody per speaker and per turn: pitch, energy, rate, pauses, fillers.

Entry point: :func:`prosody_by_speaker` (audio array, sample rate, turns,
optional speech regions per speaker, optional speaker -> channel map). Frame
measures come from :mod:`analysis.pitch` (YIN with its own voicing decision);
rates and fillers from the turns' words. Bad input (silence, clipping, very
low level, narrow-band telephone audio, no audio at all) gives a result with
``partial=True`` and ``notes`` saying why, never an exception.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from dataclasses import replace
from typing import Callable, Collection, Mapping, Sequence

import numpy as np


def _default_numba_cache() -> None:
    """librosa JIT-compiles some functions with numba; cache them in a writable user folder."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        root = os.environ.get("LISTENWELL_CACHE") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "listenwell"
        )
        os.environ["NUMBA_CACHE_DIR"] = os.path.join(root, "numba")


_default_numba_cache()

from analysis.energy import clipped_fraction, high_band_ratio_db, level_stats  # noqa: E402
from analysis.errors import ParameterError  # noqa: E402
from analysis.fillers import find_fillers, turn_tokens  # noqa: E402
from analysis.pauses import bin_pauses, silent_gaps, word_gaps  # noqa: E402
from analysis.pitch import FrameFeatures, frame_features, hz_to_semitones, pitch_stats  # noqa: E402
from analysis.prosody_types import (  # noqa: E402
    FillerEvent,
    PauseCounts,
    ProsodyOptions,
    ProsodyResult,
    ProsodySummary,
    ProsodyTrack,
)
from analysis.rate import articulation_rate, disclosure_turns, is_rushed, words_per_minute  # noqa: E402
from analysis.schema import CLIENT, HELPER, SpeechRegion, Turn  # noqa: E402

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

METHOD = "yin+aperiodicity voicing (analysis.pitch), RMS dB"
_ENERGY_WIN_S = 0.025


def _interval_mask(n: int, hop_s: float, intervals: Sequence[tuple[float, float]]) -> np.ndarray:
    """Frames (centred at k * hop_s) that fall inside any interval."""
    acc = np.zeros(n + 1, dtype=np.int32)
    for a, b in intervals:
        i0 = max(0, int(math.ceil(a / hop_s - 1e-9)))
        i1 = min(n, int(math.floor(b / hop_s + 1e-9)) + 1)
        if i1 > i0:
            acc[i0] += 1
            acc[i1] -= 1
    return np.cumsum(acc[:-1]) > 0


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


class _Signals:
    """Frame features for the mono mix and for each used channel, computed once each."""

    def __init__(self, audio: np.ndarray | None, sr: int, options: ProsodyOptions):
        self.audio, self.sr, self.options = audio, sr, options
        self.cache: dict[int | None, FrameFeatures] = {}

    def samples(self, channel: int | None) -> np.ndarray:
        if self.audio.ndim == 1:
            return self.audio
        return self.audio.mean(axis=0) if channel is None else self.audio[channel]

    def features(self, channel: int | None) -> FrameFeatures:
        if channel not in self.cache:
            o = self.options
            self.cache[channel] = frame_features(
                self.samples(channel), self.sr, fmin=o.fmin_hz, fmax=o.fmax_hz, hop_s=o.hop_s,
                energy_win_s=_ENERGY_WIN_S, trough_threshold=o.trough_threshold,
                voicing_threshold=o.voicing_threshold, gate_db=o.gate_db, gate_rel_db=o.gate_rel_db,
            )
        return self.cache[channel]


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

    sig = _Signals(a, sr, o) if a is not None else None
    intervals = {s: [] for s in speakers}
    if regions:
        for r in regions:
            intervals[r.speaker].append((r.start, r.end))
    for t in turns:
        if t.start is not None and t.end is not None and not (regions and intervals[t.speaker]):
            intervals[t.speaker].append((t.start, t.end))
    if sig is not None:
        for c in sorted({chan.get(s) for s in speakers}, key=lambda x: -1 if x is None else x):
            label = "audio" if c is None else f"channel {c}"
            notes.extend(_quality_notes(sig.samples(c), sr, label, o))

    ctx = _Context(o, sig, chan, intervals, speakers)
    disc = disclosure_turns(turns, disclosures)
    by_speaker = {s: [t for t in turns if t.speaker == s] for s in speakers}

    turn_summaries: dict[int, ProsodySummary] = {}
    pending = False
    for t in sorted(turns, key=lambda t: (t.start if t.start is not None else math.inf, t.index)):
        role = roles.get(t.speaker)
        after = False
        if role == CLIENT:
            pending = t.index in disc
        elif role == HELPER:
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


class _Context:
    """Per-call state: frame masks per speaker and the measures built on them."""

    def __init__(self, o: ProsodyOptions, sig: _Signals | None, chan, intervals, speakers):
        self.o, self.sig, self.chan = o, sig, chan
        self.masks: dict[str, np.ndarray] = {}
        self.loud: dict[str, float] = {}
        if sig is None:
            return
        for s in speakers:
            ff = sig.features(chan.get(s))
            n = len(ff.times)
            own = _interval_mask(n, o.hop_s, intervals[s])
            if s not in chan:  # shared signal: drop frames where someone else talks too
                for other in speakers:
                    if other != s and other not in chan:
                        own &= ~_interval_mask(n, o.hop_s, intervals[other])
            self.masks[s] = own
            e = ff.energy_db[own]
            self.loud[s] = float(np.percentile(e, 95)) if len(e) else -120.0

    def _ff(self, speaker: str) -> FrameFeatures:
        return self.sig.features(self.chan.get(speaker))

    def _sounding(self, speaker: str) -> np.ndarray:
        ff = self._ff(speaker)
        thr = max(self.loud[speaker] - self.o.silence_rel_db, self.o.gate_db)
        return ff.energy_db > thr

    def _audio_measures(self, speaker: str, mask: np.ndarray, min_voiced_s: float):
        ff = self._ff(speaker)
        f0 = ff.f0_hz[mask]
        voiced_s = float(np.isfinite(f0).sum() * self.o.hop_s)
        med = rng = sd = math.nan
        if voiced_s >= min_voiced_s:
            med, rng, sd = pitch_stats(f0)
        level, level_sd = level_stats(ff.energy_db[mask & self._sounding(speaker)])
        return med, rng, sd, voiced_s, level, level_sd

    def _pauses(self, turn: Turn, words) -> tuple[PauseCounts, str]:
        o = self.o
        kw = dict(min_pause_s=o.min_pause_s, brief_max_s=o.brief_max_s, long_min_s=o.long_min_s)
        if self.sig is not None and turn.start is not None and turn.end is not None and turn.speaker in self.masks:
            ff = self._ff(turn.speaker)
            span = _interval_mask(len(ff.times), o.hop_s, [(turn.start, turn.end)])
            active = self._sounding(turn.speaker)[span]
            return bin_pauses(silent_gaps(active, o.hop_s, _ENERGY_WIN_S), **kw), "audio"
        return bin_pauses(word_gaps(words), **kw), "words"

    def turn_summary(self, t: Turn, role: str | None, after: bool) -> ProsodySummary:
        o = self.o
        words = turn_tokens(t)
        fillers = tuple(find_fillers(t, words))
        dur = t.duration
        pauses, _ = self._pauses(t, words)
        wpm = words_per_minute(len(words), dur)
        kw = {}
        if self.sig is not None and t.start is not None and t.speaker in self.masks:
            ff = self._ff(t.speaker)
            mask = self.masks[t.speaker] & _interval_mask(len(ff.times), o.hop_s, [(t.start, t.end)])
            med, rng, sd, vs, lvl, lsd = self._audio_measures(t.speaker, mask, min(0.25, o.min_voiced_s))
            kw = dict(pitch_median_hz=med, pitch_range_st=rng, pitch_sd_st=sd, voiced_s=vs,
                      energy_db=lvl, energy_sd_db=lsd)
        return ProsodySummary(
            scope="turn", speaker=t.speaker, role=role, turn_index=t.index, start=t.start, end=t.end,
            speaking_time_s=dur, n_words=len(words), wpm=wpm,
            articulation_wpm=articulation_rate(len(words), dur, pauses.total_s),
            pauses=pauses, fillers=fillers,
            fillers_per_min=60.0 * len(fillers) / dur if dur > 0 else math.nan,
            rushed=is_rushed(wpm, len(words), threshold_wpm=o.rushed_wpm, min_words=o.rushed_min_words),
            after_disclosure=after, **kw,
        )

    def speaker_summary(self, s: str, role, per_turn: list[ProsodySummary], turns: list[Turn]):
        o = self.o
        notes: list[str] = []
        timed = [p for p in per_turn if p.speaking_time_s > 0]
        talk = sum(p.speaking_time_s for p in timed)
        n_words = sum(p.n_words for p in timed)
        pauses = PauseCounts()
        for p in timed:
            pauses = pauses + p.pauses
        fillers = tuple(f for p in per_turn for f in p.fillers)
        wpm = words_per_minute(n_words, talk)
        kw = {}
        if s in self.masks:
            med, rng, sd, vs, lvl, lsd = self._audio_measures(s, self.masks[s], o.min_voiced_s)
            kw = dict(pitch_median_hz=med, pitch_range_st=rng, pitch_sd_st=sd, voiced_s=vs,
                      energy_db=lvl, energy_sd_db=lsd,
                      monotone=bool(sd < o.monotone_sd_st) if math.isfinite(sd) else None)
            if not math.isfinite(med):
                notes.append(f"{s}: under {o.min_voiced_s:g} s of voiced speech; pitch not measured")
            if math.isfinite(lvl) and lvl < o.low_level_db:
                notes.append(f"{s}: very low level ({lvl:.0f} dBFS); measures are less reliable")
            elif not math.isfinite(lvl):
                notes.append(f"{s}: no sound found in this speaker's regions; level not measured")
        if not timed:
            notes.append(f"{s}: turns have no times; rates not measured")
        summ = ProsodySummary(
            scope="speaker", speaker=s, role=role, speaking_time_s=talk, n_words=n_words, wpm=wpm,
            articulation_wpm=articulation_rate(n_words, talk, pauses.total_s), pauses=pauses,
            fillers=fillers, fillers_per_min=60.0 * len(fillers) / talk if talk > 0 else math.nan,
            rushed=is_rushed(wpm, n_words, threshold_wpm=o.rushed_wpm, min_words=o.rushed_min_words),
            notes=tuple(notes), **kw,
        )
        return summ, notes

    def track(self, s: str, role) -> ProsodyTrack:
        ff = self._ff(s)
        idx = np.flatnonzero(self.masks[s])
        k = max(1, math.ceil(len(idx) / self.o.track_max_points))
        if len(idx) == 0:
            return ProsodyTrack(s, role, (), (), (), self.o.hop_s * k)
        group = np.arange(len(idx)) // k
        n_groups = int(group[-1]) + 1
        count = np.bincount(group, minlength=n_groups)
        times = np.bincount(group, ff.times[idx], n_groups) / count
        energy = np.bincount(group, ff.energy_db[idx], n_groups) / count
        f0 = ff.f0_hz[idx]
        voiced = np.isfinite(f0)
        nv = np.bincount(group, voiced, n_groups)
        logf = np.bincount(group, np.where(voiced, np.log(np.where(voiced, f0, 1.0)), 0.0), n_groups)
        f0_track = np.where(nv * 2 >= count, np.exp(logf / np.maximum(nv, 1)), np.nan)
        return ProsodyTrack(
            speaker=s, role=role, times=tuple(times.tolist()), f0_hz=tuple(f0_track.tolist()),
            energy_db=tuple(energy.tolist()), hop_s=self.o.hop_s * k,
        )
