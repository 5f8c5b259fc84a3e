"""Hostile audio files for the upload probes, made on the fly from the bundled samples."""

from __future__ import annotations

import struct
from pathlib import Path

from tests.web_fixtures import ROOT

__all__ = ["FORMATS", "long_live_webm", "truncated_wav", "wav_claiming_hours"]

FORMATS = ROOT / "tests" / "data" / "formats"


def truncated_wav(out: Path) -> Path:
    """The 4 s JFK WAV cut to 60 %: the header promises more than the file holds."""
    data = (FORMATS / "jfk4.wav").read_bytes()
    out.write_bytes(data[: int(len(data) * 0.6)])
    return out


def wav_claiming_hours(out: Path, hours: float = 37.0) -> Path:
    """A 4 s WAV whose RIFF and data sizes claim ``hours`` of audio (at its own byte rate)."""
    data = bytearray((FORMATS / "jfk4.wav").read_bytes())
    at = data.find(b"data")
    assert at > 0 and data[12:16] == b"fmt "
    byte_rate = struct.unpack("<I", data[28:32])[0]
    claimed = min(0xFFFFFFF0, int(hours * 3600 * byte_rate))
    data[at + 4 : at + 8] = struct.pack("<I", claimed)
    data[4:8] = struct.pack("<I", min(0xFFFFFFF0, claimed + at))
    out.write_bytes(bytes(data))
    return out


def long_live_webm(out: Path, seconds: float = 65 * 60) -> Path:
    """A WebM/Opus file lasting ``seconds`` with no duration in its header (as MediaRecorder writes).

    Made by repeating the packets of the bundled live WebM with shifted timestamps:
    no encoding, so it takes about a second.
    """
    import av

    with av.open(str(FORMATS / "jfk4_live.webm")) as src:
        stream = src.streams.audio[0]
        packets = [(p.pts, p.duration, bytes(p)) for p in src.demux(stream) if p.size]
        out_c = av.open(str(out), "w", format="webm", options={"live": "1"})
        dst = out_c.add_stream_from_template(stream)
        first = packets[0][0]
        span = packets[-1][0] + packets[-1][1] - first
        limit = seconds / float(stream.time_base)
        k = 0
        while k * span < limit:
            for pts, dur, data in packets:
                p = av.Packet(data)
                p.pts = p.dts = pts + k * span
                p.duration = dur
                p.time_base = stream.time_base
                p.stream = dst
                out_c.mux(p)
            k += 1
        out_c.close()
    return out
