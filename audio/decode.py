"""Decode any supported audio file to float32 at 16 kHz, mono mix and per channel.

This is the only place that opens audio files. Everything downstream works on
NumPy arrays inside :class:`analysis.schema.DecodedAudio`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.errors import (
    AudioError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyFileError,
    NotAudioError,
    NotFoundError,
    ParameterError,
    UnsupportedFormatError,
    ZeroLengthAudioError,
)
from analysis.schema import DecodedAudio
from audio.containers import ogg_is_complete, wav_missing_bytes
from audio.sample_buffer import SampleBuffer

__all__ = ["DecodeOptions", "decode", "decode_array", "probe", "SAMPLE_RATE", "SUPPORTED_FORMATS"]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# Container/codec families the decoder is tested on (by content, not by name).
SUPPORTED_FORMATS = ("wav", "flac", "mp3", "m4a", "aac", "ogg", "opus", "webm")
# Leading bytes of formats that are clearly not audio, for a clearer message.
_NOT_AUDIO_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"PK\x03\x04": "a ZIP archive",
    b"GIF8": "a GIF image",
    b"{": "a JSON/text file",
    b"<": "an HTML/XML file",
}


@dataclass(frozen=True)
class DecodeOptions:
    """How to decode: target rate and the longest audio accepted (seconds)."""

    sample_rate: int = SAMPLE_RATE
    max_duration: float = 3 * 3600.0
    # A container whose header promises more than this fraction beyond what
    # decodes is reported as truncated.
    truncation_tolerance: float = 0.05

    def __post_init__(self):
        if self.sample_rate <= 0:
            raise ParameterError(f"sample_rate={self.sample_rate} must be positive")
        if self.max_duration <= 0:
            raise ParameterError(f"max_duration={self.max_duration} must be positive")


@dataclass(frozen=True)
class ProbeInfo:
    """What the container says before decoding."""

    format_name: str
    codec: str
    channels: int
    sample_rate: int
    duration: float | None


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in head)
    return printable / len(head) > 0.95


def _check_file(path: Path) -> None:
    if not path.exists():
        raise NotFoundError(f"no such file: {path}", path=str(path))
    if path.is_dir():
        raise NotAudioError(f"{path} is a directory, not an audio file", path=str(path))
    if path.stat().st_size == 0:
        raise EmptyFileError(f"{path.name} is empty (0 bytes)", path=str(path))
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError as e:
        raise AudioError(f"{path.name} cannot be read: {e.strerror or e}", path=str(path)) from e
    for magic, what in _NOT_AUDIO_MAGIC.items():
        if head.startswith(magic):
            raise NotAudioError(f"{path.name} is {what}, not audio", path=str(path))
    if _looks_like_text(head):
        raise NotAudioError(f"{path.name} is a text file, not audio", path=str(path))


# Leading bytes of audio containers: a file that starts like one but will not
# open is damaged, not foreign.
_AUDIO_MAGIC = {
    b"RIFF": "WAV",
    b"fLaC": "FLAC",
    b"OggS": "Ogg",
    b"ID3": "MP3",
    b"\x1a\x45\xdf\xa3": "WebM/Matroska",
}


def _container_guess(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(12)
    for magic, name in _AUDIO_MAGIC.items():
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        return "MP4/M4A"
    return None


def _open(path: Path):
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.InvalidDataError as e:
        guess = _container_guess(path)
        if guess is not None:
            raise CorruptAudioError(
                f"{path.name} looks like {guess} but cannot be read: it is corrupt or truncated",
                path=str(path),
            ) from e
        raise NotAudioError(
            f"{path.name} is not a recognised audio file ({e.strerror or e})", path=str(path)
        ) from e
    except av.error.FFmpegError as e:
        raise CorruptAudioError(f"{path.name} could not be opened: {e}", path=str(path)) from e


def probe(path: str | os.PathLike) -> ProbeInfo:
    """Read the container header: format, codec, channels, rate, duration."""
    path = Path(path)
    _check_file(path)
    with _open(path) as container:
        return _probe_container(container, path)


def _probe_container(container, path: Path) -> ProbeInfo:
    if not container.streams.audio:
        kinds = sorted({s.type for s in container.streams}) or ["nothing"]
        raise UnsupportedFormatError(
            f"{path.name} has no audio stream (it holds: {', '.join(kinds)})", path=str(path)
        )
    stream = container.streams.audio[0]
    ctx = stream.codec_context
    if ctx is None and _container_guess(path) is not None:
        raise CorruptAudioError(
            f"{path.name} is corrupt: its audio stream has no usable codec settings", path=str(path)
        )
    if ctx is None or not ctx.sample_rate or not ctx.channels:
        raise NotAudioError(
            f"{path.name} is not a recognised audio file (no sample rate or channels in it)",
            path=str(path),
        )
    duration = None
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1_000_000.0
    return ProbeInfo(
        format_name=container.format.name,
        codec=stream.codec_context.name,
        channels=stream.codec_context.channels or 1,
        sample_rate=stream.codec_context.sample_rate or 0,
        duration=duration,
    )


def decode(path: str | os.PathLike, options: DecodeOptions | None = None) -> DecodedAudio:
    """Decode ``path`` to float32 mono and per-channel arrays at 16 kHz.

    Raises a subclass of :class:`analysis.errors.AudioError` with a message that
    names the file and the problem: empty, not audio, unsupported, corrupt or
    truncated, zero length, or longer than ``options.max_duration``.
    Silence is not an error here.
    """
    import av

    options = options or DecodeOptions()
    path = Path(path)
    _check_file(path)
    with _open(path) as container:
        info = _probe_container(container, path)
        limit = options.max_duration
        if info.duration is not None and info.duration > limit:
            raise AudioTooLongError(
                f"{path.name} lasts {info.duration / 60:.1f} min, over the limit of "
                f"{limit / 60:.1f} min",
                path=str(path),
            )
        n_channels = max(1, info.channels)
        layout = {1: "mono", 2: "stereo"}.get(n_channels)
        if layout is None:
            # Keep per-channel data for up to 8 channels via the default layout name.
            layout = av.AudioLayout(n_channels).name
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=options.sample_rate)
        max_samples = int(limit * options.sample_rate) + options.sample_rate
        # Sized from the header (plus 1 s) so the audio is held once; grows if the header is short.
        expected = int((info.duration or 60.0) * options.sample_rate) + options.sample_rate
        buffer = SampleBuffer(n_channels, min(expected, max_samples))
        total = 0
        stream = container.streams.audio[0]
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    buffer.append(out.to_ndarray().reshape(n_channels, -1))
                    total = buffer.total
                if total > max_samples:
                    raise AudioTooLongError(
                        f"{path.name} is over the limit of {limit / 60:.1f} min",
                        path=str(path),
                    )
            for out in resampler.resample(None):
                buffer.append(out.to_ndarray().reshape(n_channels, -1))
                total = buffer.total
        except av.error.FFmpegError as e:
            if total == 0:
                raise CorruptAudioError(
                    f"{path.name} is corrupt: no audio could be decoded ({e})", path=str(path)
                ) from e
            raise CorruptAudioError(
                f"{path.name} is corrupt or truncated after {total / options.sample_rate:.2f} s ({e})",
                path=str(path),
            ) from e
    if total == 0:
        if info.duration and info.duration > 0.1:
            raise CorruptAudioError(
                f"{path.name} is corrupt: its header says {info.duration:.2f} s but no audio decodes",
                path=str(path),
            )
        raise ZeroLengthAudioError(f"{path.name} holds no audio samples", path=str(path))
    _check_complete(path)
    channels = buffer.array()
    decoded_s = channels.shape[1] / options.sample_rate
    if info.duration and info.duration > 1.0:
        missing = info.duration - decoded_s
        if missing > max(0.5, options.truncation_tolerance * info.duration):
            raise CorruptAudioError(
                f"{path.name} is truncated or damaged: its header says {info.duration:.2f} s "
                f"but only {decoded_s:.2f} s could be decoded",
                path=str(path),
            )
    if not np.all(np.isfinite(channels)):
        raise CorruptAudioError(f"{path.name} decodes to non-finite samples", path=str(path))
    mono = channels.mean(axis=0) if n_channels > 1 else channels[0]
    return DecodedAudio(
        mono=np.ascontiguousarray(mono, dtype=np.float32),
        channels=channels,
        sample_rate=options.sample_rate,
        source=str(path),
        source_format=f"{info.format_name}/{info.codec}",
        source_sample_rate=info.sample_rate,
    )


def _check_complete(path: Path) -> None:
    """Raise CorruptAudioError when a WAV or Ogg file is cut short (FFmpeg does not tell)."""
    missing = wav_missing_bytes(path)
    if missing:
        raise CorruptAudioError(
            f"{path.name} is truncated: its WAV header promises {missing} more bytes than the file holds",
            path=str(path),
        )
    if not ogg_is_complete(path):
        raise CorruptAudioError(
            f"{path.name} is truncated: its Ogg stream stops before the end-of-stream page",
            path=str(path),
        )


def decode_array(samples: np.ndarray, sample_rate: int, *, source: str = "<array>") -> DecodedAudio:
    """Wrap an in-memory array (shape (n,) or (channels, n)) as 16 kHz :class:`DecodedAudio`."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 1:
        samples = samples[None, :]
    if samples.ndim != 2 or samples.shape[1] == 0:
        raise ZeroLengthAudioError(f"{source} holds no audio samples")
    if sample_rate != SAMPLE_RATE:
        import soxr

        samples = np.stack([soxr.resample(c, sample_rate, SAMPLE_RATE) for c in samples])
        samples = samples.astype(np.float32)
    mono = samples.mean(axis=0) if samples.shape[0] > 1 else samples[0]
    return DecodedAudio(
        mono=np.ascontiguousarray(mono),
        channels=np.ascontiguousarray(samples),
        sample_rate=SAMPLE_RATE,
        source=source,
        source_format="array",
        source_sample_rate=sample_rate,
    )
