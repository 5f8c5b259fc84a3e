"""The fitted-window transcription of short replies: the same words as the 30 s window (real tiny.en on
the committed Piper replies), never a repeating loop, and the window sizes it picks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import soundfile as sf

from audio.short_window import ShortWindowOptions, drop_repeats, short_window_transcriber, window_frames
from audio.transcribe import TranscribeOptions, transcribe

DATA = Path(__file__).resolve().parents[1] / "data" / "practice"
SR = 16000


def test_window_sizes():
    assert window_frames(1 * SR) == 1000  # at least 10 s
    assert window_frames(9 * SR) == 1000  # 9 s + 1 s pad
    assert window_frames(int(9.5 * SR)) == 1200  # rounded up to 2 s steps
    assert window_frames(40 * SR) == 3000  # never more than Whisper's 30 s
    assert window_frames(2 * SR, ShortWindowOptions(min_window_s=4)) == 400


def test_drop_repeats():
    assert drop_repeats("That sounds really hard. That sounds really hard. That sounds") == "That sounds really hard."
    assert drop_repeats("What was that like? what was that like?") == "What was that like?"
    assert drop_repeats("You came. You came today.") == "You came. You came today."


def _norm(s: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", s.lower()).split()


@pytest.fixture(scope="module")
def replies():
    from audio.devices.turn_taking import split_replies

    clips = []
    for name in ("fixing", "reflective"):
        x, sr = sf.read(DATA / f"{name}-replies.flac", dtype="float32")
        clips += split_replies(x, sr)
    clips += [sf.read(DATA / f"reply{i}.flac", dtype="float32")[0] for i in (1, 2, 3)]
    return clips


def test_short_window_reads_the_same_words_as_the_30s_window(replies):
    opts = TranscribeOptions(batched=False, beam_size=1, repair_truncated=False, vad_filter=False,
                             word_timestamps=False, initial_prompt=None, without_timestamps=True,
                             temperature_fallback=False)
    quick = short_window_transcriber(opts)
    assert len(replies) == 10
    for clip in replies:  # 1.0-3.7 s replies: a 10 s window each
        short, full = quick(clip), transcribe(clip, opts)
        assert short.info["window_s"] == 10.0
        assert _norm(short.text) == _norm(full.text), (short.text, full.text)
    assert "everyone can see it on you" in " ".join(quick(c).text.lower() for c in replies)
