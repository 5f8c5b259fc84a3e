"""The transcription core with the real tiny.en model on real audio."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import DeviceUnavailableError, ParameterError
from audio.decode import decode
from audio.transcribe import (
    TranscribeOptions,
    chunk_bounds,
    cuda_device_count,
    load_model,
    select_compute_type,
    select_device,
    transcribe,
)
from service.bench.wer import normalize_text, word_error_rate

JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
LEFT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT = "The horizon seems extremely distant."
SR = 16000


@pytest.fixture(scope="module")
def jfk(request):
    from pathlib import Path

    return decode(Path(__file__).resolve().parents[1] / "data" / "jfk.flac")


@pytest.fixture(scope="module")
def jfk_transcript(jfk):
    return transcribe(jfk.mono, TranscribeOptions())


def test_jfk_wer_and_word_invariants(jfk, jfk_transcript):
    t = jfk_transcript
    assert word_error_rate(JFK, t.text).wer <= 0.10
    words = t.words
    assert len(words) >= 20
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    for w in words:
        assert 0.0 <= w.start <= w.end <= jfk.duration + 1e-6
        assert 0.0 <= w.probability <= 1.0
        assert w.text.strip() == w.text and w.text
    # each segment's text is its words joined (same model output, two views)
    for s in t.segments:
        assert normalize_text(s.text) == normalize_text(" ".join(w.text for w in s.words))
    # "Americans" is being said at 1.8 s into the clip (the check openai/whisper's tests make)
    americans = [w for w in words if normalize_text(w.text) == "americans"]
    assert americans and americans[0].start <= 1.8 <= americans[0].end
    assert t.info["device"] == "cpu" and t.info["compute_type"] == "int8"
    assert t.duration == pytest.approx(jfk.duration, abs=1e-3)


def test_transcript_round_trips_as_json(jfk_transcript):
    from analysis.schema import Transcript

    again = Transcript.from_dict(jfk_transcript.to_dict())
    assert again.words == jfk_transcript.words
    assert again.text == jfk_transcript.text


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_no_speech_gives_no_words(kind, rng):
    if kind == "silence":
        audio = np.zeros(30 * SR, dtype=np.float32)
    else:
        audio = (0.05 * rng.standard_normal(30 * SR)).astype(np.float32)
    t = transcribe(audio)
    assert t.words == ()
    assert not t.has_speech
    assert t.duration == pytest.approx(30.0)


def test_stereo_channels_give_each_speakers_sentence(test_data):
    audio = decode(test_data / "stereo_diarization.wav")
    left = transcribe(audio.channel(0), channel=0)
    right = transcribe(audio.channel(1), channel=1)
    assert left.channel == 0 and right.channel == 1
    assert word_error_rate(LEFT, left.text).wer <= 0.25
    assert word_error_rate(RIGHT, right.text).wer <= 0.25
    # and not each other's sentence
    assert "horizon" not in normalize_text(left.text)
    assert "wizard" not in normalize_text(right.text)


def test_progress_reaches_one_monotonically(jfk):
    seen: list[float] = []
    transcribe(jfk.mono, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(b > a for a, b in zip(seen, seen[1:]))
    # two windows decoded one batch at a time: progress moves between them
    seen = []
    audio = np.concatenate([jfk.mono, np.zeros(25 * SR, dtype=np.float32), jfk.mono])
    transcribe(audio, TranscribeOptions(batch_size=1), progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(b > a for a, b in zip(seen, seen[1:]))
    assert any(0.2 < f < 0.8 for f in seen)


def test_model_is_loaded_once_per_process():
    a = load_model(TranscribeOptions())
    b = load_model(TranscribeOptions(beam_size=3, batch_size=4))  # decoding knobs share the model
    assert a is b


def test_long_audio_is_chunked_and_times_are_offset(jfk):
    """70 s: JFK, 25 s of quiet, JFK again, cut into 30 s chunks; both copies come back in place."""
    quiet = np.zeros(25 * SR, dtype=np.float32)
    clip = jfk.mono
    audio = np.concatenate([clip, quiet, clip, quiet[: 12 * SR]])
    bounds = chunk_bounds(audio, 30.0)
    assert len(bounds) >= 2
    t = transcribe(audio, TranscribeOptions(chunk_seconds=30.0))
    second_start = (len(clip) + len(quiet)) / SR
    first = [w for w in t.words if w.end <= second_start]
    second = [w for w in t.words if w.start >= second_start]
    assert word_error_rate(JFK, " ".join(w.text for w in first)).wer <= 0.15
    assert word_error_rate(JFK, " ".join(w.text for w in second)).wer <= 0.15
    assert second[0].start == pytest.approx(second_start + first[0].start, abs=1.0)
    starts = [w.start for w in t.words]
    assert starts == sorted(starts)


def test_chunk_bounds_cover_long_audio_and_cut_at_quiet_points(rng):
    minutes = 13
    audio = (0.3 * rng.standard_normal(minutes * 60 * SR)).astype(np.float32)
    # quiet 400 ms gaps every 7 s
    gaps = np.arange(3.0, minutes * 60, 7.0)
    for g in gaps:
        audio[int(g * SR) : int((g + 0.4) * SR)] = 0.0
    bounds = chunk_bounds(audio, 300.0)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(audio)
    assert all(b[1] == c[0] for b, c in zip(bounds, bounds[1:]))
    assert all(hi - lo <= 300 * SR for lo, hi in bounds)
    assert len(bounds) == 3
    for _, cut in bounds[:-1]:
        t = cut / SR
        assert np.min(np.abs(gaps + 0.2 - t)) < 0.25  # inside a quiet gap
    assert chunk_bounds(audio[: 10 * SR], 300.0) == [(0, 10 * SR)]


def test_device_selection_follows_ctranslate2():
    import ctranslate2

    count = ctranslate2.get_cuda_device_count()
    assert cuda_device_count() == count
    assert select_device("auto") == ("cuda" if count > 0 else "cpu")
    assert select_device("cpu") == "cpu"
    assert select_device("auto", device_count=2) == "cuda"
    assert select_device("auto", device_count=0) == "cpu"
    with pytest.raises(DeviceUnavailableError, match="cuda"):
        select_device("cuda", device_count=0)
    assert select_compute_type("auto", "cuda") == "float16"
    assert select_compute_type("auto", "cpu") == "int8"
    assert select_compute_type("int8_float32", "cpu") == "int8_float32"


@pytest.mark.skipif(cuda_device_count() > 0, reason="this machine has a CUDA device")
def test_cuda_without_a_gpu_is_a_typed_error(jfk):
    with pytest.raises(DeviceUnavailableError):
        transcribe(jfk.mono[:SR], TranscribeOptions(device="cuda"))


def test_bad_options_and_audio_are_refused():
    with pytest.raises(ParameterError, match="device"):
        TranscribeOptions(device="tpu")
    with pytest.raises(ParameterError, match="beam_size"):
        TranscribeOptions(beam_size=0)
    with pytest.raises(ParameterError, match="chunk_seconds"):
        TranscribeOptions(chunk_seconds=5)
    with pytest.raises(ParameterError, match="shape"):
        transcribe(np.zeros((2, SR), dtype=np.float32))


@pytest.mark.gpu
@pytest.mark.skipif(cuda_device_count() == 0, reason="needs a CUDA device CTranslate2 can use")
def test_gpu_transcribes_jfk(jfk):
    t = transcribe(jfk.mono, TranscribeOptions(device="cuda"))
    assert t.info["device"] == "cuda" and t.info["compute_type"] == "float16"
    assert word_error_rate(JFK, t.text).wer <= 0.10


def test_windows_are_planned_from_speech_regions():
    from audio.clips import plan_clips

    regions = [(0.5, 10.0), (10.5, 25.0), (26.0, 40.0), (41.0, 45.0), (80.0, 81.0)]
    clips = plan_clips(regions)
    assert [(c.start, c.end) for c in clips] == [(0.5, 25.0), (26.0, 45.0), (80.0, 81.0)]
    assert all(c.end - c.start <= 30.0 for c in clips)
    assert clips[0].speech_seconds == pytest.approx(9.5 + 14.5)
    assert plan_clips([]) == []


def test_windows_cut_short_are_found():
    from audio.clips import Clip, short_clips

    clips = [Clip(30.0 * k, 30.0 * k + 28, ((30.0 * k, 30.0 * k + 28),)) for k in range(5)]
    rate = {0: 3.0, 1: 3.2, 2: 0.9, 3: 2.8, 4: 1.7}  # words per second in each window
    starts = [30.0 * k + i / rate[k] for k in rate for i in range(int(28 * rate[k]))]
    assert short_clips(clips, starts) == [2]
    # few windows: only the absolute floor applies
    assert short_clips(clips[:2], [1.0, 2.0]) == [0, 1]
    # a window with little speech is never judged
    tiny = [Clip(0.0, 3.0, ((0.0, 3.0),))]
    assert short_clips(tiny, []) == []


def test_speech_no_word_covers_is_found():
    """Whisper jumped from 1.2 s to 16.4 s: the story before is found again; short gaps between words are not."""
    from audio.clips import unheard_speech

    speech = [(1.22, 6.79), (7.63, 7.9), (8.85, 18.12), (18.87, 22.4)]
    words = [(16.45 + 0.4 * i, 16.75 + 0.4 * i) for i in range(15)]  # 16.45 .. 22.35
    assert unheard_speech(speech, words) == [(1.22, 16.15)]  # pieces under 1 s apart joined
    # every region covered, up to the pad: nothing to decode again
    dense = [(a + 0.5 * i, a + 0.5 * i + 0.4) for a, b in speech for i in range(int((b - a) / 0.5) + 1)]
    assert unheard_speech(speech, dense) == []
    # a stretch of under 2 s of speech (a lone cough, a laugh) is left alone
    assert unheard_speech([(0.0, 1.5), (5.0, 9.0)], [(5.0, 9.0)]) == []
    assert unheard_speech([], words) == []


def test_a_window_read_again_is_cut_into_short_pieces():
    from audio.batched import _pieces

    got = [x for piece in _pieces([(0.0, 25.0), (26.0, 30.0)], 10.0) for x in piece]
    assert got == pytest.approx([0.0, 25 / 3, 25 / 3, 50 / 3, 50 / 3, 25.0, 26.0, 30.0])


def test_words_split_into_utterances_at_pauses():
    from types import SimpleNamespace as W

    from audio.clips import split_words

    words = [W(start=0.0, end=0.4, word=" Hi"), W(start=0.45, end=0.9, word=" there."),
             W(start=1.1, end=1.5, word=" How"), W(start=1.55, end=2.0, word=" are"),
             W(start=3.0, end=3.4, word=" you?")]
    groups = split_words(words)
    assert [[w.word.strip() for w in g] for g in groups] == [["Hi", "there."], ["How", "are"], ["you?"]]
    assert split_words([]) == []


def test_gpu_failure_during_inference_is_a_typed_error(monkeypatch):
    """CTranslate2 may count a GPU whose CUDA libraries then fail: a DeviceUnavailableError, not a crash."""
    import audio.transcribe as core

    class BrokenGpuModel:
        def transcribe(self, *args, **kwargs):
            raise RuntimeError("cuBLAS failed with status CUBLAS_STATUS_NOT_INITIALIZED")

    monkeypatch.setattr(core, "load_model", lambda options: BrokenGpuModel())
    monkeypatch.setattr(core, "select_device", lambda requested="auto", **kw: "cuda")
    with pytest.raises(DeviceUnavailableError, match="--device cpu"):
        core.transcribe(np.zeros(SR, dtype=np.float32), TranscribeOptions(batched=False))
    monkeypatch.setattr(core, "select_device", lambda requested="auto", **kw: "cpu")
    with pytest.raises(RuntimeError):  # on CPU it is a bug, not a device problem: not hidden
        core.transcribe(np.zeros(SR, dtype=np.float32), TranscribeOptions(batched=False))
