"""The upload check runs in a worker process with a hard time limit: a check that hangs is killed,
one that crashes the decoder is refused with a clear message, and the server process is untouched."""

from __future__ import annotations

import time

import pytest
from tests.paths import ROOT
from tests.security.media import truncated_wav

from analysis.errors import AudioTooShortError, CorruptAudioError, NotAudioError
from service.web.upload_worker import call_in_worker, check_audio_in_worker

JFK = ROOT / "tests" / "data" / "jfk.flac"


def test_a_good_file_is_measured_in_the_worker():
    info = check_audio_in_worker(JFK, "jfk.flac", max_seconds=3600, min_seconds=1)
    assert info.format_name == "flac" and info.duration == pytest.approx(11.0, abs=0.05)


def test_refusals_come_back_with_their_kind_and_the_uploaded_name(tmp_path):
    cut = truncated_wav(tmp_path / "upload-123")
    with pytest.raises(CorruptAudioError, match="cut.wav is truncated or damaged") as e:
        check_audio_in_worker(cut, "cut.wav", max_seconds=3600)
    assert str(tmp_path) not in e.value.message
    text = tmp_path / "notes"
    text.write_text("not audio at all\n" * 20)
    with pytest.raises(NotAudioError, match="notes.wav"):
        check_audio_in_worker(text, "notes.wav", max_seconds=3600)
    with pytest.raises(AudioTooShortError, match="under the minimum of 20 s"):
        check_audio_in_worker(JFK, "jfk.flac", max_seconds=3600, min_seconds=20)


def test_a_check_that_hangs_is_killed_at_its_limit():
    t0 = time.monotonic()
    with pytest.raises(CorruptAudioError, match="slow.wav could not be checked in time"):
        call_in_worker("time:sleep", 30, time_limit=1.0, name="slow.wav")
    assert time.monotonic() - t0 < 5.0


def test_a_check_that_crashes_is_refused_and_the_server_lives_on():
    with pytest.raises(CorruptAudioError, match="crash.wav could not be checked: reading it stopped the checker"):
        call_in_worker("os:abort", time_limit=10.0, name="crash.wav")
    assert check_audio_in_worker(JFK, "jfk.flac", max_seconds=3600).duration > 10


def test_warm_up_starts_the_checker_in_the_background():
    from service.web.upload_worker import warm_up

    thread = warm_up()
    thread.join(60)
    assert not thread.is_alive()
    t0 = time.monotonic()
    assert check_audio_in_worker(JFK, "jfk.flac", max_seconds=3600).format_name == "flac"
    assert time.monotonic() - t0 < 5.0
