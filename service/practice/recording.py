"""Both sides of a browser practice session in one file.

The browser records only the trainee's microphone (with echo cancellation the
client's lines are faint or absent there). The page also sends when each client
line played, so the server places the scenario's own line audio at those times:
channel 0 holds the trainee's mic, channel 1 the client's lines as played. A
supervisor then hears the whole conversation, and the analysis keeps using the
client timeline (scripted set-up) and the mic channel for the helper.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from audio.decode import DecodeOptions, decode

__all__ = ["PRACTICE_SAMPLE_RATE", "MIC_CHANNEL", "CLIENT_CHANNEL", "place_client_lines", "write_practice_wav"]

logger = logging.getLogger(__name__)

PRACTICE_SAMPLE_RATE = 16000  # what the analysis decodes to; plain speech quality for listening back
MIC_CHANNEL, CLIENT_CHANNEL = 0, 1
_END_SLACK = 0.25  # s: a line's "ended" event comes a little after its last sample


def place_client_lines(mic: np.ndarray, clips: Sequence[tuple[float, np.ndarray]], sr: int) -> np.ndarray:
    """Two channels, shape (2, n): the mic in channel 0, each clip at its start time (s) in channel 1.

    The result is as long as the mic, or longer when a clip that started inside
    the recording runs past its end. Clips starting after the recording's end are
    left out. Overlapping clips add up (clipped to [-1, 1]).
    """
    mic = np.asarray(mic, dtype=np.float32).reshape(-1)
    placed: list[tuple[int, np.ndarray]] = []
    for start, clip in clips:
        at = int(round(max(0.0, float(start)) * sr))
        if at >= mic.size:
            logger.warning("a client line at %.2f s starts after the recording's end (%.2f s); left out",
                           start, mic.size / sr)
            continue
        placed.append((at, np.asarray(clip, dtype=np.float32).reshape(-1)))
    n = max([mic.size] + [at + c.size for at, c in placed])
    out = np.zeros((2, n), dtype=np.float32)
    out[MIC_CHANNEL, :mic.size] = mic
    for at, clip in placed:
        out[CLIENT_CHANNEL, at:at + clip.size] += clip
    np.clip(out, -1.0, 1.0, out=out)
    return out


def write_practice_wav(
    mic_path: str | Path,
    timeline: Sequence[dict] | None,
    line_audio: Callable[[int], Path | None],
    out_path: str | Path,
    sample_rate: int = PRACTICE_SAMPLE_RATE,
    *,
    after_cut_in: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[int, float]:
    """Decode the mic recording and write a 16-bit PCM WAV (a full header, so players know its length).

    With a client ``timeline`` (items with ``start`` in seconds and ``line``, the
    scenario line's index) the WAV has two channels (mic, client lines as played);
    without one it is the mic alone. ``line_audio(i)`` gives line ``i``'s audio file
    (None: a line with text only, left silent). A line stopped early (``end`` before
    the clip's own end) is cut there. An item with ``after_cut_in`` (she had been cut off) plays
    ``after_cut_in(clip)`` ("Oh. Okay." first). Returns ``(channels, duration_s)``.
    """
    import soundfile as sf

    opts = DecodeOptions(sample_rate=sample_rate)
    mic = decode(mic_path, opts).mono
    if timeline:
        clips = []
        cache: dict[int, np.ndarray] = {}
        for item in timeline:
            line = int(item.get("line", -1))
            path = line_audio(line) if line >= 0 else None
            if path is None:
                continue
            if line not in cache:
                cache[line] = decode(path, opts).mono
            clip = cache[line]
            if item.get("after_cut_in") and after_cut_in is not None:
                clip = after_cut_in(clip)
            slack = 0.0 if item.get("cut") else _END_SLACK  # a line stopped by a cut-in ends where she stopped
            played = int(round((float(item["end"]) - float(item["start"]) + slack) * sample_rate))
            clips.append((float(item["start"]), clip[:max(0, played)]))  # a line cut short stays short
        data = place_client_lines(mic, clips, sample_rate)
    else:
        data = np.asarray(mic, dtype=np.float32)[None, :]
    sf.write(str(out_path), data.T, sample_rate, subtype="PCM_16", format="WAV")
    return int(data.shape[0]), data.shape[1] / sample_rate
