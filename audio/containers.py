"""Byte-level completeness checks for containers whose headers FFmpeg does not police.

FFmpeg decodes a cut-off WAV or Ogg file without complaint and reports the
shortened length as the duration, so a truncated upload would pass as a short
recording. These checks read the few bytes that say how long the file should be.
"""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["matroska_end_seconds", "ogg_is_complete", "wav_missing_bytes"]

# Sizes that streaming writers put in a header before they know the length.
_UNKNOWN_SIZES = (0, 0xFFFFFFFF, 0x7FFFFFFF)


def wav_missing_bytes(path: Path) -> int:
    """Bytes the RIFF ``data`` chunk declares beyond the end of the file (0 if complete).

    Returns 0 for non-RIFF files and for headers written by streaming tools
    that leave the size unknown.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return 0
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk = fh.read(8)
            if len(chunk) < 8:
                return 0
            cid, clen = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                if clen in _UNKNOWN_SIZES:
                    return 0
                return max(0, pos + 8 + clen - size)
            pos += 8 + clen + (clen & 1)
    return 0


def ogg_is_complete(path: Path, tail_bytes: int = 1 << 16) -> bool:
    """True unless ``path`` is an Ogg stream whose last page is cut off or lacks end-of-stream.

    Every finished Ogg stream ends with a whole page carrying the EOS flag; a
    truncated download or upload does not.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if fh.read(4) != b"OggS":
            return True
        start = max(0, size - tail_bytes)
        fh.seek(start)
        tail = fh.read()
    at = tail.rfind(b"OggS")
    while at >= 0:
        page = tail[at:]
        if len(page) >= 27 and page[4] == 0:  # stream structure version 0
            n_seg = page[26]
            if len(page) < 27 + n_seg:
                return False
            body = sum(page[27 : 27 + n_seg])
            complete = 27 + n_seg + body == len(page)
            return complete and bool(page[5] & 0x04)
        at = tail.rfind(b"OggS", 0, at)
    return False


def _vint(buf: bytes, at: int, keep_marker: bool = False) -> tuple[int, int] | None:
    """An EBML variable-length integer at ``buf[at]``: (value, length), or None."""
    if at >= len(buf):
        return None
    first = buf[at]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8 or at + length > len(buf):
        return None
    value = first if keep_marker else first & (mask - 1)
    for b in buf[at + 1 : at + length]:
        value = (value << 8) | b
    return value, length


def matroska_end_seconds(path: Path, head_bytes: int = 1 << 16, tail_bytes: int = 1 << 21) -> float | None:
    """Start time (s) of the last cluster of a Matroska/WebM file, read from its tail; None if not found.

    Browser recordings (MediaRecorder) carry no duration in their header; the last
    cluster's timecode tells how long the file runs without walking all of it.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(head_bytes)
        if not head.startswith(b"\x1a\x45\xdf\xa3"):
            return None
        fh.seek(max(0, size - tail_bytes))
        tail = fh.read()
    scale = 1_000_000  # TimecodeScale, ns per tick (the default)
    at = head.find(b"\x2a\xd7\xb1")
    if at >= 0:
        sz = _vint(head, at + 3)
        if sz and 1 <= sz[0] <= 8:
            start = at + 3 + sz[1]
            value = int.from_bytes(head[start : start + sz[0]], "big")
            if value > 0:
                scale = value
    at = tail.rfind(b"\x1f\x43\xb6\x75")
    while at >= 0:
        sz = _vint(tail, at + 4)
        if sz:
            pos = at + 4 + sz[1]
            if tail[pos : pos + 1] == b"\xe7":
                tsz = _vint(tail, pos + 1)
                if tsz and 1 <= tsz[0] <= 8:
                    vstart = pos + 1 + tsz[1]
                    if vstart + tsz[0] <= len(tail):
                        return int.from_bytes(tail[vstart : vstart + tsz[0]], "big") * scale / 1e9
        at = tail.rfind(b"\x1f\x43\xb6\x75", 0, at)
    return None
