"""Decoding: every supported format to 16 kHz float32, every bad input to its typed error."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

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
from audio.decode import DecodeOptions, decode, decode_array, probe

FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"

# file, channels, source rate: 4 s cut from jfk.flac, encoded with ffmpeg (see tests/data/README.md).
CASES = [
    ("jfk4.wav", 1, 8000),
    ("jfk4.flac", 1, 11025),
    ("jfk4.mp3", 2, 44100),
    ("jfk4.m4a", 1, 24000),
    ("jfk4.aac", 1, 24000),
    ("jfk4.ogg", 2, 32000),
    ("jfk4.opus", 1, 48000),
    ("jfk4.webm", 1, 48000),
    ("jfk4_live.webm", 1, 48000),  # as MediaRecorder writes it: no duration in the header
]


@pytest.fixture(scope="module")
def reference_4s() -> np.ndarray:
    """The first 4 s of jfk.flac, mono, decoded by the same code (lossless source)."""
    audio = decode(Path(__file__).resolve().parents[1] / "data" / "jfk.flac")
    return audio.mono[: 4 * 16000]


@pytest.mark.parametrize("name,channels,rate", CASES)
def test_each_format_decodes_to_16k_float32(name, channels, rate, reference_4s):
    audio = decode(FORMATS / name)
    assert audio.sample_rate == 16000
    assert audio.mono.dtype == np.float32 and audio.channels.dtype == np.float32
    assert audio.mono.ndim == 1
    assert audio.channels.shape == (channels, audio.mono.shape[0])
    assert audio.n_channels == channels
    assert audio.source_sample_rate == rate
    assert abs(audio.duration - 4.0) < 0.1
    assert np.all(np.isfinite(audio.mono)) and np.abs(audio.mono).max() <= 1.5
    # Same speech as the lossless source: the loudness envelopes (100 ms) correlate.
    # Codec delay (up to ~50 ms) is allowed for by the coarse frames.
    n = min(len(reference_4s), len(audio.mono)) // 1600 * 1600
    env_ref = np.sqrt(np.mean(reference_4s[:n].reshape(-1, 1600) ** 2, axis=1))
    env = np.sqrt(np.mean(audio.mono[:n].reshape(-1, 1600) ** 2, axis=1))
    assert np.corrcoef(env_ref, env)[0, 1] > 0.9


def test_stereo_channels_are_kept_and_mixed(test_data):
    audio = decode(test_data / "stereo_diarization.wav")
    assert audio.n_channels == 2
    assert abs(audio.duration - 5.0) < 0.05
    np.testing.assert_allclose(audio.mono, audio.channels.mean(axis=0), atol=1e-6)
    # one speaker per channel: the channels differ
    assert not np.allclose(audio.channel(0), audio.channel(1))
    with pytest.raises(ParameterError, match="channel=2"):
        audio.channel(2)


def test_probe_reads_the_header(test_data):
    info = probe(test_data / "jfk.flac")
    assert info.channels == 2 and info.sample_rate == 44100
    assert abs(info.duration - 11.0) < 0.1


def test_silence_is_not_an_error(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(16000 * 2, dtype=np.float32), 16000)
    audio = decode(path)
    assert audio.duration == pytest.approx(2.0)
    assert np.abs(audio.mono).max() == 0.0


def test_decode_array_resamples_and_mixes():
    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.zeros_like(t)]).astype(np.float32)
    audio = decode_array(stereo, 44100)
    assert audio.sample_rate == 16000 and audio.n_channels == 2
    assert abs(audio.duration - 1.0) < 0.01
    np.testing.assert_allclose(audio.mono, audio.channels.mean(axis=0), atol=1e-6)
    with pytest.raises(ZeroLengthAudioError):
        decode_array(np.zeros(0, dtype=np.float32), 16000)


# ---- bad input ------------------------------------------------------------------


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncate(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    return _write(dst, data[: len(data) // 2])


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, type]]:
    rng = np.random.default_rng(0)
    zero = tmp / "zero.wav"
    sf.write(zero, np.zeros(0, dtype=np.float32), 16000)
    png = b"\x89PNG\r\n\x1a\n" + rng.integers(0, 256, 300, dtype=np.uint8).tobytes()
    corrupt_m4a = bytearray((FORMATS / "jfk4.m4a").read_bytes())
    for i in rng.integers(len(corrupt_m4a) // 4, len(corrupt_m4a), 400):
        corrupt_m4a[i] = int(rng.integers(0, 256))
    return {
        "empty": (_write(tmp / "empty.wav", b""), EmptyFileError),
        "text named .wav": (_write(tmp / "notes.wav", b"hello, this is not audio\n" * 20), NotAudioError),
        "png image named .mp3": (_write(tmp / "picture.mp3", png), NotAudioError),
        "random bytes": (
            _write(tmp / "noise.flac", rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()),
            NotAudioError,
        ),
        "video only": (FORMATS / "video_only.webm", UnsupportedFormatError),
        "zero-length audio": (zero, ZeroLengthAudioError),
        "truncated wav": (_truncate(FORMATS / "jfk4.wav", tmp / "cut.wav"), CorruptAudioError),
        "truncated flac": (_truncate(FORMATS / "jfk4.flac", tmp / "cut.flac"), CorruptAudioError),
        "truncated mp3": (_truncate(FORMATS / "jfk4.mp3", tmp / "cut.mp3"), CorruptAudioError),
        "truncated m4a": (_truncate(FORMATS / "jfk4.m4a", tmp / "cut.m4a"), CorruptAudioError),
        "truncated ogg": (_truncate(FORMATS / "jfk4.ogg", tmp / "cut.ogg"), CorruptAudioError),
        "truncated opus": (_truncate(FORMATS / "jfk4.opus", tmp / "cut.opus"), CorruptAudioError),
        "truncated webm": (_truncate(FORMATS / "jfk4.webm", tmp / "cut.webm"), CorruptAudioError),
        "header only": (
            _write(tmp / "header.wav", (FORMATS / "jfk4.wav").read_bytes()[:44]),
            CorruptAudioError,
        ),
        "corrupt m4a": (_write(tmp / "bad.m4a", bytes(corrupt_m4a)), CorruptAudioError),
        "missing": (tmp / "nope.wav", NotFoundError),
        "directory": (tmp, NotAudioError),
    }


BAD_NAMES = [
    "empty", "text named .wav", "png image named .mp3", "random bytes", "video only",
    "zero-length audio", "truncated wav", "truncated flac", "truncated mp3", "truncated m4a",
    "truncated ogg", "truncated opus", "truncated webm", "header only", "corrupt m4a",
    "missing", "directory",
]


@pytest.mark.parametrize("case", BAD_NAMES)
def test_bad_input_gives_its_typed_error(case, tmp_path):
    path, error = _bad_inputs(tmp_path)[case]
    with pytest.raises(error) as info:
        decode(path)
    # the message names the file and the exception carries a distinct exit code
    assert Path(path).name in info.value.message
    assert info.value.exit_code == error.exit_code


def test_over_the_duration_limit(tmp_path):
    with pytest.raises(AudioTooLongError, match="limit"):
        decode(FORMATS / "jfk4.mp3", DecodeOptions(max_duration=2.0))
    # the live webm has no duration in its header: the limit is enforced while decoding
    with pytest.raises(AudioTooLongError, match="limit"):
        decode(FORMATS / "jfk4_live.webm", DecodeOptions(max_duration=2.0))
    assert decode(FORMATS / "jfk4.mp3", DecodeOptions(max_duration=5.0)).duration > 3.9


def test_decode_options_are_checked():
    with pytest.raises(ParameterError, match="max_duration"):
        DecodeOptions(max_duration=0)
    with pytest.raises(ParameterError, match="sample_rate"):
        DecodeOptions(sample_rate=-1)


def test_unreadable_file_is_not_a_crash(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    path = tmp_path / "locked.wav"
    path.write_bytes((FORMATS / "jfk4.wav").read_bytes())
    path.chmod(0)
    with pytest.raises(AudioError, match="cannot be read"):
        decode(path)


@pytest.mark.parametrize("n_channels", [1, 2, 3])
@pytest.mark.parametrize("capacity", [10, 1000, 5000])
def test_sample_buffer_matches_concatenation(n_channels, capacity, rng):
    from audio.sample_buffer import SampleBuffer

    blocks = [rng.standard_normal((n_channels, int(n))).astype(np.float32) for n in rng.integers(1, 300, 12)]
    buf = SampleBuffer(n_channels, capacity)
    for b in blocks:
        buf.append(b)
    out = buf.array()
    expected = np.concatenate(blocks, axis=1)
    assert out.shape == expected.shape and out.flags["C_CONTIGUOUS"] and out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)


def test_long_file_is_held_about_once(tmp_path):
    """Decoding 20 min of 16 kHz mono (77 MB as float32) peaks near one copy, not two."""
    import subprocess
    import sys

    path = tmp_path / "long.wav"
    sf.write(path, (0.1 * np.sin(np.arange(20 * 60 * 16000) / 50.0)).astype(np.float32), 16000, subtype="PCM_16")
    code = (
        "import resource; from audio.decode import decode; "
        f"decode({str(FORMATS / 'jfk4.wav')!r}); "  # libraries loaded before measuring
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; "
        f"a = decode({str(path)!r}); "
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024, a.duration)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    grown_mb, duration = map(float, out.stdout.split())
    assert duration == pytest.approx(1200.0)
    assert grown_mb < 1.5 * 77  # measured: 92 MB; a list of frames plus a concatenated copy took 179 MB
