"""Uploads are checked completely before anything is stored.

An upload is written to an owner-only temporary file (``<instance>/tmp/upload-*``)
and then checked:

1. the header is read (format, codec, claimed length);
2. the bytes are compared with what the header promises (a WAV whose ``data``
   chunk claims more than the file holds, an Ogg stream cut before its last page);
3. a WebM/Matroska file's real length is read from its last cluster, so a
   65-minute browser recording without a duration header is refused at once;
4. the container is walked to its end (packets, not decoded samples), stopping
   as soon as the length limit is passed, within a time limit; a header that
   claims more than the walk finds is refused as truncated.

On refusal the temporary file is removed and nothing is stored. Temporary files
left by a killed process are swept at start-up and at shutdown (:func:`sweep_temp`).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from analysis.errors import (
    AudioTooLongError,
    AudioTooShortError,
    CorruptAudioError,
    EmptyFileError,
    ListenWellError,
)
from audio.containers import matroska_end_seconds, ogg_is_complete, wav_missing_bytes
from audio.decode import probe
from service.store.storage import PRIVATE_FILE_MODE, temp_dir

__all__ = ["TEMP_PREFIX", "CheckedAudio", "check_audio", "save_upload", "sweep_temp"]

logger = logging.getLogger(__name__)
TEMP_PREFIX = "upload-"
# Containers whose header length is only an estimate (bit rate x size): no header-vs-content check.
_ESTIMATED = ("mp3", "aac")


@dataclass(frozen=True)
class CheckedAudio:
    """What an accepted upload holds."""

    format_name: str
    duration: float


def _human(s: float) -> str:
    if s < 10 and abs(s - round(s)) >= 0.05:
        return f"{s:.1f} s"
    return f"{s:.0f} s" if s < 120 else (f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h")


def sweep_temp(instance_dir: str | Path, older_than: float = 0.0) -> int:
    """Remove temporary upload files (all, or those older than ``older_than`` seconds); return how many."""
    folder = Path(instance_dir) / "tmp"
    if not folder.is_dir():
        return 0
    now = time.time()
    removed = 0
    for path in folder.glob(TEMP_PREFIX + "*"):
        try:
            if older_than and now - path.stat().st_mtime < older_than:
                continue
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    if removed:
        logger.info("removed %d temporary upload file(s) from %s", removed, folder)
    return removed


def save_upload(stream: BinaryIO, instance_dir: str | Path, limit_bytes: int | None = None) -> Path:
    """Write an upload stream to a new owner-only (0600) temporary file; return its path.

    Raises AudioTooLongError (and removes the file) when it passes ``limit_bytes``.
    """
    path = temp_dir(instance_dir) / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(1 << 20)
                if not chunk:
                    break
                written += len(chunk)
                if limit_bytes and written > limit_bytes:
                    raise AudioTooLongError(f"the upload is over the limit of {limit_bytes / 1e6:.1f} MB")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _walk_length(path: Path, stop_after: float, deadline: float, name: str) -> float:
    """Seconds of audio the container really holds, walking packets; stops past ``stop_after``."""
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as e:
        raise CorruptAudioError(f"{name} could not be opened: it is corrupt or truncated") from e
    with container:
        stream = container.streams.audio[0]
        tb = float(stream.time_base or 0) or None
        start = None
        end = 0.0
        summed = 0.0
        try:
            for i, packet in enumerate(container.demux(stream)):
                if packet.size == 0:
                    continue
                pbase = float(packet.time_base or 0) or tb
                dur = float(packet.duration or 0) * pbase if pbase else 0.0
                summed += dur
                if packet.pts is not None and pbase:
                    t0 = float(packet.pts) * pbase
                    start = t0 if start is None else min(start, t0)
                    end = max(end, t0 + dur)
                length = max(summed, end - (start or 0.0))
                if length > stop_after:
                    return length
                if i % 256 == 0 and time.monotonic() > deadline:
                    raise CorruptAudioError(
                        f"{name} could not be checked in time; upload a shorter or a simpler recording"
                    )
        except av.error.FFmpegError as e:
            raise CorruptAudioError(f"{name} is corrupt or truncated: it stops in the middle ({e})") from e
    return max(summed, end - (start or 0.0))


def check_audio(path: str | Path, name: str, max_seconds: float, min_seconds: float = 0.0,
                time_limit: float = 20.0) -> CheckedAudio:
    """Check a whole upload before it is stored; raise a ListenWellError naming ``name`` if refused.

    Parameters
    ----------
    path : the temporary file.
    name : the uploaded file name, shown in messages (never the server path).
    max_seconds, min_seconds : length limits.
    time_limit : seconds the check may take before the upload is refused.
    """
    path = Path(path)
    deadline = time.monotonic() + time_limit
    try:
        if path.stat().st_size == 0:
            raise EmptyFileError(f"{name} is empty (0 bytes).")
        info = probe(path)
        missing = wav_missing_bytes(path)
        if missing:
            present = max(1, path.stat().st_size - 44)  # about the data bytes the file holds
            held = float(info.duration or 0.0)
            promised = held * (present + missing) / present if held else None
            raise CorruptAudioError(
                f"{name} is truncated or damaged: its WAV header promises "
                + (f"{_human(promised)} of audio but the file holds only {_human(held)}." if promised else
                   f"{missing:,} more bytes than the file holds.")
            )
        if not ogg_is_complete(path):
            raise CorruptAudioError(f"{name} is truncated: its Ogg stream stops before the end.")
        if info.duration is not None and info.duration > max_seconds:
            raise AudioTooLongError(f"{name} lasts {_human(info.duration)}, over the limit of {_human(max_seconds)}.")
        if info.format_name.startswith("matroska"):
            end = matroska_end_seconds(path)
            if end is not None and end > max_seconds:
                raise AudioTooLongError(f"{name} lasts over {_human(end)}, over the limit of {_human(max_seconds)}.")
        real = _walk_length(path, max_seconds, deadline, name)
    except ListenWellError as e:
        e.message = e.message.replace(str(path), name).replace(path.name, name)
        raise
    if real > max_seconds:
        raise AudioTooLongError(f"{name} lasts over {_human(max_seconds)}, over the limit of {_human(max_seconds)}.")
    claimed = info.duration
    if claimed and info.format_name not in _ESTIMATED and claimed - real > max(1.0, 0.02 * claimed):
        raise CorruptAudioError(
            f"{name} is truncated or damaged: its header says {_human(claimed)} but the file holds only {_human(real)}."
        )
    duration = real if real > 0 else float(claimed or 0.0)
    if duration <= 0:
        raise CorruptAudioError(f"{name} holds no audio that could be read.")
    if duration < min_seconds:
        raise AudioTooShortError(f"{name} lasts {duration:.1f} s, under the minimum of {_human(min_seconds)}.")
    return CheckedAudio(format_name=info.format_name, duration=float(duration))
