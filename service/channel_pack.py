"""Pack one channel's speech together before transcription, and map times back.

With one speaker per channel each channel is silent about half the time, but
the silences are spread through the whole recording, so Whisper's 30 s windows
over one channel cover about as much time as over the mix: transcribing two
channels costs about twice the mix. Keeping only each channel's speech (from
its speaker activity, padded) makes the two packed channels together about as
long as the mix's speech. Word times are mapped back to the original timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from analysis.schema import Transcript

__all__ = ["Packed", "pack_speech", "unpack_transcript"]


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

