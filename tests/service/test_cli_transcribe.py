"""``listenwell transcribe``: text, JSON, channels, and one-line errors with exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from analysis import errors
from service.bench.wer import word_error_rate
from service.cli.main import main

JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
FORMATS = Path(__file__).resolve().parents[1] / "data" / "formats"


def run(*args: str):
    return CliRunner().invoke(main, ["transcribe", *map(str, args)])


def test_prints_timestamped_text(test_data):
    result = run(test_data / "jfk.flac")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines and all(line.startswith("[00:") and "->" in line for line in lines)
    text = " ".join(line.split("] ", 1)[1] for line in lines)
    assert word_error_rate(JFK, text).wer <= 0.10


def test_json_output_is_a_transcript(test_data):
    result = run(test_data / "jfk.flac", "--json", "--device", "cpu", "--compute-type", "int8")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["info"]["device"] == "cpu" and data["info"]["compute_type"] == "int8"
    words = [w for s in data["segments"] for w in s["words"]]
    assert words and all(0 <= w["probability"] <= 1 for w in words)
    assert word_error_rate(JFK, data["text"]).wer <= 0.10


def test_channels(test_data):
    result = run(test_data / "stereo_diarization.wav", "--channel", "1", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["channel"] == 1 and "horizon" in data["text"].lower()
    result = run(test_data / "stereo_diarization.wav", "--all-channels")
    assert result.exit_code == 0
    assert "# channel 0" in result.stdout and "# channel 1" in result.stdout
    assert "wizard" in result.stdout.lower() and "horizon" in result.stdout.lower()


def test_silence_says_no_speech(tmp_path):
    path = tmp_path / "quiet.wav"
    sf.write(path, np.zeros(16000 * 3, dtype=np.float32), 16000)
    result = run(path)
    assert result.exit_code == 0
    assert "(no speech found)" in result.stdout


def _cut(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


@pytest.mark.parametrize(
    "make,error",
    [
        (lambda d: _empty(d / "e.wav"), errors.EmptyFileError),
        (lambda d: _write_text(d / "t.wav"), errors.NotAudioError),
        (lambda d: FORMATS / "video_only.webm", errors.UnsupportedFormatError),
        (lambda d: _cut(FORMATS / "jfk4.ogg", d / "cut.ogg"), errors.CorruptAudioError),
        (lambda d: _cut(FORMATS / "jfk4.wav", d / "cut.wav"), errors.CorruptAudioError),
        (lambda d: _zero(d / "z.wav"), errors.ZeroLengthAudioError),
        (lambda d: d / "missing.wav", errors.NotFoundError),
    ],
    ids=["empty", "text", "video-only", "truncated-ogg", "truncated-wav", "zero-length", "missing"],
)
def test_bad_input_exit_codes(make, error, tmp_path):
    path = make(tmp_path)
    result = run(path)
    assert result.exit_code == error.exit_code
    assert result.stderr.startswith("error: ") and Path(path).name in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_over_max_duration_and_bad_options(test_data):
    result = run(test_data / "jfk.flac", "--max-duration", "5")
    assert result.exit_code == errors.AudioTooLongError.exit_code
    assert "limit" in result.stderr
    result = run(test_data / "jfk.flac", "--channel", "3")
    assert result.exit_code == errors.ParameterError.exit_code
    assert "channel=3" in result.stderr
    result = run(test_data / "jfk.flac", "--model", str(test_data))
    assert result.exit_code == errors.ModelUnavailableError.exit_code
    assert "not a CTranslate2 model folder" in result.stderr


def test_console_script_exit_code_without_traceback(tmp_path):
    """The installed entry point, in a real subprocess."""
    path = tmp_path / "notes.wav"
    path.write_text("not audio\n" * 50)
    exe = Path(sys.executable).parent / "listenwell"
    proc = subprocess.run([str(exe), "transcribe", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == errors.NotAudioError.exit_code
    assert proc.stderr.strip() == "error: notes.wav is a text file, not audio"


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _write_text(path: Path) -> Path:
    path.write_text("this is a text file\n" * 20)
    return path


def _zero(path: Path) -> Path:
    sf.write(path, np.zeros(0, dtype=np.float32), 16000)
    return path
