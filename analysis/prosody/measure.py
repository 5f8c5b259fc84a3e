"""Frame masks per speaker and the measures built on them (used by :mod:`analysis.prosody.analyze`)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from analysis.prosody.energy import level_stats
from analysis.prosody.fillers import find_fillers, turn_tokens
from analysis.prosody.pauses import bin_pauses, silent_gaps, word_gaps
from analysis.prosody.pitch import FrameFeatures, frame_features, pitch_stats
from analysis.prosody.rate import articulation_rate, is_rushed, words_per_minute
from analysis.prosody.types import (
    PauseCounts,
    ProsodyOptions,
    ProsodySummary,
    ProsodyTrack,
)
from analysis.schema import Turn

__all__ = ["ENERGY_WIN_S", "interval_mask", "FrameSource", "SpeakerMeasures"]

ENERGY_WIN_S = 0.025


def interval_mask(n: int, hop_s: float, intervals: Sequence[tuple[float, float]]) -> np.ndarray:
    """Frames (centred at k * hop_s) that fall inside any interval."""
    acc = np.zeros(n + 1, dtype=np.int32)
    for a, b in intervals:
        i0 = max(0, int(math.ceil(a / hop_s - 1e-9)))
        i1 = min(n, int(math.floor(b / hop_s + 1e-9)) + 1)
        if i1 > i0:
            acc[i0] += 1
            acc[i1] -= 1
    return np.cumsum(acc[:-1]) > 0


class FrameSource:
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
                energy_win_s=ENERGY_WIN_S, trough_threshold=o.trough_threshold,
                voicing_threshold=o.voicing_threshold, gate_db=o.gate_db, gate_rel_db=o.gate_rel_db,
            )
        return self.cache[channel]


class SpeakerMeasures:
    """Per-call state: frame masks per speaker and the measures built on them."""

    def __init__(self, o: ProsodyOptions, sig: FrameSource | None, chan, intervals, speakers):
        self.o, self.sig, self.chan = o, sig, chan
        self.masks: dict[str, np.ndarray] = {}
        self.loud: dict[str, float] = {}
        self._floor: dict[int | None, float] = {}
        if sig is None:
            return
        for s in speakers:
            ff = sig.features(chan.get(s))
            n = len(ff.times)
            own = interval_mask(n, o.hop_s, intervals[s])
            if s not in chan:  # shared signal: drop frames where someone else talks too
                for other in speakers:
                    if other != s and other not in chan:
                        own &= ~interval_mask(n, o.hop_s, intervals[other])
            self.masks[s] = own
            e = ff.energy_db[own]
            self.loud[s] = float(np.percentile(e, 95)) if len(e) else -120.0

    def _ff(self, speaker: str) -> FrameFeatures:
        return self.sig.features(self.chan.get(speaker))

    def _sounding(self, speaker: str) -> np.ndarray:
        ff = self._ff(speaker)
        loud = self.loud[speaker]
        # Silence: 30 dB under the speaker's loud level, or just above a noisy
        # recording's floor (5th percentile of all frames), never above loud - 10 dB.
        key = self.chan.get(speaker)
        if key not in self._floor:
            self._floor[key] = float(np.percentile(ff.energy_db, 5)) if len(ff.energy_db) else -120.0
        floor = self._floor[key]
        thr = max(loud - self.o.silence_rel_db, min(floor + 6.0, loud - 10.0), self.o.gate_db)
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
            span = interval_mask(len(ff.times), o.hop_s, [(turn.start, turn.end)])
            active = self._sounding(turn.speaker)[span]
            return bin_pauses(silent_gaps(active, o.hop_s, ENERGY_WIN_S), **kw), "audio"
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
            mask = self.masks[t.speaker] & interval_mask(len(ff.times), o.hop_s, [(t.start, t.end)])
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
