"""Per-channel (stereo) transcripts: pack each channel's speech before transcription, map times
back, merge the channels into one transcript and drop words that leaked from the other microphone.

With one speaker per channel each channel is silent about half the time, but
the silences are spread through the whole recording, so Whisper's 30 s windows
over one channel cover about as much time as over the mix: transcribing two
channels costs about twice the mix. Keeping only each channel's speech (from
its speaker activity, padded) makes the two packed channels together about as
long as the mix's speech. Word times are mapped back to the original timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from analysis.schema import Segment, Transcript, Word

__all__ = ["Packed", "pack_speech", "unpack_transcript", "merge_channel_transcripts", "drop_bleed_words",
           "drop_unsure_vocalisations"]


@dataclass(frozen=True)
class Packed:
    """Packed audio and its pieces: (start in packed audio, start in original, length), seconds."""

    audio: np.ndarray
    pieces: tuple[tuple[float, float, float], ...]
    duration: float  # of the original audio (s)
    sample_rate: int = 16000

    def to_original(self, t: float) -> float:
        """A time in the packed audio (s) as a time in the original audio (s)."""
        best = self.pieces[0] if self.pieces else (0.0, 0.0, 0.0)
        for piece in self.pieces:
            if piece[0] <= t:
                best = piece
            else:
                break
        p0, o0, length = best
        return round(o0 + min(max(t - p0, 0.0), length), 3)


def pack_speech(audio: np.ndarray, sr: int, spans: Sequence[tuple[float, float]], *, pad: float = 0.3,
                join: float = 1.0, gap: float = 0.5) -> Packed:
    """Keep only ``spans`` of ``audio`` (padded by ``pad`` s, joined when under ``join`` s apart).

    Parameters
    ----------
    audio : np.ndarray, shape (n,)
    sr : int
        Sample rate (Hz).
    spans : sequence of (start, end)
        Speech of this channel's speaker (s).
    pad, join, gap : float
        Seconds added around each span; spans closer than ``join`` s become one piece;
        seconds of silence put between pieces (so Whisper hears a break).

    Returns
    -------
    Packed
    """
    n = audio.shape[0]
    duration = n / sr
    merged: list[list[float]] = []
    for a, b in sorted(spans):
        a, b = max(0.0, a - pad), min(duration, b + pad)
        if b <= a:
            continue
        if merged and a - merged[-1][1] < join:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    parts, pieces, at = [], [], 0.0
    silence = np.zeros(int(round(gap * sr)), dtype=audio.dtype)
    for a, b in merged:
        lo, hi = int(round(a * sr)), int(round(b * sr))
        if parts:
            parts.append(silence)
            at += silence.shape[0] / sr
        parts.append(audio[lo:hi])
        pieces.append((round(at, 4), round(lo / sr, 4), round((hi - lo) / sr, 4)))
        at += (hi - lo) / sr
    packed = np.concatenate(parts) if parts else np.zeros(0, dtype=audio.dtype)
    return Packed(audio=packed, pieces=tuple(pieces), duration=duration, sample_rate=sr)


def unpack_transcript(transcript: Transcript, packed: Packed) -> Transcript:
    """The transcript of packed audio with every time on the original timeline."""
    segs = []
    for s in transcript.segments:
        words = []
        for w in s.words:
            start = packed.to_original(w.start)
            end = max(start, packed.to_original(w.end))
            if end - start > max(2.0, 2 * (w.end - w.start)):  # a word across a join: keep its own length
                end = round(start + (w.end - w.start), 3)
            words.append(replace(w, start=start, end=end))
        start = words[0].start if words else packed.to_original(s.start)
        end = words[-1].end if words else max(start, packed.to_original(s.end))
        segs.append(replace(s, start=start, end=end, words=tuple(words)))
    return replace(transcript, segments=tuple(segs), duration=round(packed.duration, 3),
                   info={**transcript.info, "packed_s": round(packed.audio.shape[0] / packed.sample_rate, 3)})


def merge_channel_transcripts(parts: Sequence[Transcript], labels: Sequence[str]) -> Transcript:
    """One transcript from per-channel transcripts: every segment and word gets its channel's speaker.

    Segments are merged in time order (they may overlap: overlapped speech is kept);
    the language is the first channel's that has speech.
    """
    segs: list[Segment] = []
    for part, label in zip(parts, labels):
        for seg in part.segments:
            words = tuple(replace(w, speaker=label) for w in seg.words)
            segs.append(replace(seg, words=words, speaker=label))
    segs.sort(key=lambda s: (s.start, s.end))
    speaking = [p for p in parts if p.has_speech]
    language = (speaking or list(parts))[0].language if parts else "en"
    info = {"channels": [dict(p.info) for p in parts],
            "seconds": round(sum(float(p.info.get("seconds", 0.0)) for p in parts), 3)}
    return Transcript(segments=tuple(segs), duration=max((p.duration for p in parts), default=0.0),
                      language=language, model=parts[0].model if parts else "", channel=None, info=info)


def drop_bleed_words(words: Sequence[Word], activity: Any, margin: float = 0.5) -> tuple[list[Word], int]:
    """Words sorted by start, without those heard only as leakage from another channel.

    A word labelled with a speaker is dropped when none of that speaker's activity
    regions comes within ``margin`` s of it while another speaker's region covers
    its middle (their voice leaked into this channel's microphone). Words with no
    speaker, and all words when the activity has no regions, are kept.
    """
    regions = list(getattr(activity, "regions", ()) or ())
    words = sorted(words, key=lambda w: (w.start, w.end))
    if not regions:
        return list(words), 0
    kept, dropped = [], 0
    for w in words:
        if w.speaker is None:
            kept.append(w)
            continue
        own = any(r.speaker == w.speaker and r.start - margin <= w.end and w.start <= r.end + margin
                  for r in regions)
        mid = 0.5 * (w.start + w.end)
        other = any(r.speaker != w.speaker and r.start <= mid <= r.end for r in regions)
        if not own and other:
            dropped += 1
            continue
        kept.append(w)
    return kept, dropped


def drop_unsure_vocalisations(words: Sequence[Word], *, max_words: int = 3, max_span: float = 1.5,
                              gap: float = 1.0, min_mean_probability: float = 0.35) -> tuple[list[Word], int]:
    """Words without short isolated utterances that Whisper was unsure of.

    Transcribed alone (one channel), a brief "mm-hmm" is often written as
    unrelated words ("In mem.") with low probabilities. An utterance of at most
    ``max_words`` words spanning at most ``max_span`` s, at least ``gap`` s from
    the same speaker's other words, whose mean word probability is under
    ``min_mean_probability`` is dropped: the speech stays in the speaker
    activity (timing still sees a backchannel) but not in the transcript.

    Returns
    -------
    (list of Word, int)
        The kept words (sorted by start) and how many were dropped.
    """
    words = sorted(words, key=lambda w: (w.start, w.end))
    by_speaker: dict[str | None, list[int]] = {}
    for i, w in enumerate(words):
        by_speaker.setdefault(w.speaker, []).append(i)
    drop: set[int] = set()
    for idx in by_speaker.values():
        groups: list[list[int]] = []
        for i in idx:
            if groups and words[i].start - words[groups[-1][-1]].end < gap:
                groups[-1].append(i)
            else:
                groups.append([i])
        for g in groups:
            span = words[g[-1]].end - words[g[0]].start
            mean_p = sum(words[i].probability for i in g) / len(g)
            if len(g) <= max_words and span <= max_span and mean_p < min_mean_probability:
                drop.update(g)
    return [w for i, w in enumerate(words) if i not in drop], len(drop)
