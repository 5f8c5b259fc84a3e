"""The streaming side of ``/practice/<id>/next``: a reply heard chunk by chunk, and how each line plays.

The page sends ``turn`` (the token the server gave with the line she answers), ``at`` (samples of
the reply sent before this chunk), ``chunk`` (16 kHz mono 16-bit PCM, at most
:data:`service.practice.turn_stream.MAX_CHUNK_S`) and ``cut_in`` ("1": she was cut off, so her next
line says so). The chunk goes to the turn's :class:`service.practice.turn_stream.ReplyStream` (the
terminal's listener and end-of-turn rule); until the turn ends the answer is
``{"listening": true}``, then the route picks her line in the same call.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask, current_app

from analysis.errors import ListenWellError, ParameterError
from audio.decode import decode
from service.practice.conversation import read_reply
from service.practice.cut_in import cut_in_lead, with_cut_in_lead
from service.practice.turn_stream import MAX_CHUNK_S, OpenTurn, OpenTurns, ReplyStream, line_cues

__all__ = ["cues_for", "feed_chunk", "init_app", "line_wav", "open_turns", "pcm_from_bytes"]

logger = logging.getLogger(__name__)


def init_app(app: Flask) -> OpenTurns:
    turns = OpenTurns()
    app.extensions["listenwell_open_turns"] = turns
    return turns


def open_turns() -> OpenTurns:
    return current_app.extensions["listenwell_open_turns"]


def pcm_from_bytes(raw: bytes) -> np.ndarray:
    """16-bit little-endian PCM bytes as float32 in [-1, 1) (an odd last byte is dropped)."""
    return np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0


def read_chunk(stream, at_text: str | None) -> tuple[int, np.ndarray]:
    """The chunk's offset and samples from the form; :class:`ParameterError` when too long or malformed."""
    try:
        at = int(at_text or "0")
    except ValueError as e:
        raise ParameterError(f"at={at_text!r} must be a whole number of samples") from e
    limit = int(MAX_CHUNK_S * 16000 * 2)
    raw = stream.read(limit + 2) if stream is not None else b""
    if len(raw) > limit:
        raise ParameterError(f"a chunk may hold at most {MAX_CHUNK_S:g} s of audio")
    return at, pcm_from_bytes(raw)


def feed_chunk(turn: OpenTurn, scenario, transcribe_fn, at: int, pcm: np.ndarray, cut_in: bool) -> bool:
    """Feed one chunk into the turn (its stream made at the first chunk); returns whether the turn ended.

    The listener reads each pause's transcript with the scenario's reply reading ahead of time
    (as the terminal's ``prepare``), so the line is picked at once when the turn ends.
    """
    if turn.stream is None:
        said = list(turn.said)

        def prepare(text: str) -> None:
            if text not in turn.moves:
                turn.moves = {text: read_reply(scenario, said, text)}
        turn.stream = ReplyStream(transcribe_fn, prepare=prepare)
    turn.cut_in = turn.cut_in or cut_in
    return turn.stream.feed(at, pcm)


@functools.lru_cache(maxsize=256)
def _cues(path: str, mtime: float, after_cut_in: bool) -> dict[str, Any]:
    return line_cues(_line_audio(path, after_cut_in))


def _line_audio(path: str, after_cut_in: bool) -> np.ndarray:
    audio = decode(path).mono
    if after_cut_in:
        audio = with_cut_in_lead(audio, cut_in_lead(lambda p: decode(p).mono))
    return audio


def cues_for(path: Path | None, after_cut_in: bool = False) -> dict[str, Any]:
    """:func:`service.practice.turn_stream.line_cues` for a line's audio file ({} without one)."""
    if path is None:
        return {}
    try:
        return _cues(str(path), Path(path).stat().st_mtime, after_cut_in)
    except (OSError, ListenWellError) as e:  # the page then plays the whole clip and stops at once
        logger.warning("no playing cues for %s: %s", Path(path).name, e)
        return {}


def line_wav(path: Path, after_cut_in: bool) -> io.BytesIO:
    """The line's audio as a 16 kHz 16-bit WAV (after a cut-in: "Oh. Okay." first)."""
    import soundfile as sf

    out = io.BytesIO()
    sf.write(out, _line_audio(str(path), after_cut_in), 16000, subtype="PCM_16", format="WAV")
    out.seek(0)
    return out
