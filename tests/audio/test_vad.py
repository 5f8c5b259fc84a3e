"""One Silero VAD pass shared by transcription and diarization: same regions as two passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import ParameterError
from audio.batched import speech_regions
from audio.decode import decode
from audio.transcribe import TranscribeOptions, _chunk_probs
from audio.vad import (
    n_windows,
    speech_intervals,
    speech_probabilities,
    speech_timestamps,
)

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "tests" / "data" / "jfk.flac",
         ROOT / "tests" / "data" / "dialogues" / "interruptions.stereo.flac",
         ROOT / "samples" / "dialogues" / "listens-well.wav"]


@pytest.fixture(scope="module", params=FILES, ids=lambda p: p.name)
def audio(request):
    x = decode(request.param).mono.astype(np.float32)
    return x, speech_probabilities(x, workers=1)


def test_probabilities_match_faster_whisper(audio):
    from faster_whisper.vad import get_vad_model

    x, prob = audio
    padded = np.pad(x, (0, 512 - x.size % 512))
    ref = np.asarray(get_vad_model()(padded)).reshape(-1)
    assert prob.shape == ref.shape == (n_windows(x.size),)
    np.testing.assert_allclose(prob, ref, atol=1e-6)


def test_transcription_regions_from_shared_probabilities_are_the_same(audio):
    x, prob = audio
    options = TranscribeOptions()
    ref = speech_regions(x, options)  # faster-whisper's get_speech_timestamps runs Silero itself
    assert speech_regions(x, options, speech_probs=prob) == ref and len(ref) >= 1


def test_diarization_intervals_from_shared_probabilities_are_the_same(audio):
    x, prob = audio
    ref = speech_intervals(x, 16000, workers=1)
    assert speech_intervals(x, 16000, speech_probs=prob) == ref and len(ref) >= 1


def test_post_processing_matches_faster_whisper_on_other_settings(audio):
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    x, prob = audio
    for kw in [dict(), dict(threshold=0.3, min_speech_duration_ms=250, max_speech_duration_s=4.0,
                            min_silence_duration_ms=100, speech_pad_ms=30)]:
        ref = [(t["start"], t["end"]) for t in get_speech_timestamps(x, VadOptions(**kw))]
        got = speech_timestamps(prob, x.size, threshold=kw.get("threshold", 0.5),
                                min_speech_ms=kw.get("min_speech_duration_ms", 0),
                                max_speech_s=kw.get("max_speech_duration_s", float("inf")),
                                min_silence_ms=kw.get("min_silence_duration_ms", 2000),
                                pad_ms=kw.get("speech_pad_ms", 400))
        assert got == ref


def test_whole_window_length_gets_the_extra_window():
    assert n_windows(1024) == 3 and n_windows(1023) == 2
    assert speech_probabilities(np.zeros(1024, np.float32), workers=1).shape == (3,)


def test_chunk_slices_keep_the_window_count():
    probs = np.arange(n_windows(600_000), dtype=np.float32)
    whole = _chunk_probs(probs, 0, 600_000)
    assert whole is not None and np.array_equal(whole, probs)
    part = _chunk_probs(probs, 300_100, 600_000)
    assert part.shape == (n_windows(299_900),) and part[0] == round(300_100 / 512)
    assert _chunk_probs(None, 0, 10) is None


def test_wrong_length_probabilities_are_a_parameter_error():
    from audio.transcribe import transcribe

    x = np.zeros(16000, np.float32)
    with pytest.raises(ParameterError, match="VAD windows"):
        transcribe(x, speech_probs=np.zeros(5, np.float32))
