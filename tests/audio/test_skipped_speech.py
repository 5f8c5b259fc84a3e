"""Whisper now and then jumps over speech (a timestamp far into its window): the stretch is read again.

``tests/data/skipped-opening.flac``: the first 30 s of the held-out script h016 voiced by the claims
bench (Piper, CC0 voice) and mixed to one microphone. On this mix tiny.en's first pass skips the
client's 16-second opening story and starts at the helper's reply, so her words went missing from
the report and the helper looked like the first speaker."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from audio.decode import decode
from audio.transcribe import TranscribeOptions, transcribe

CLIP = Path(__file__).resolve().parents[1] / "data" / "skipped-opening.flac"


@pytest.fixture(scope="module")
def mix():
    return decode(CLIP).mono


def _text(transcript) -> str:
    return " ".join(s.text for s in transcript.segments).lower()


def test_speech_the_decoder_jumped_over_is_read_again(mix):
    tr = transcribe(mix, TranscribeOptions(device="cpu"))
    assert "treatment group" in _text(tr) and "last saturday" in _text(tr)
    assert tr.info["repaired_windows"] >= 1
    assert tr.segments[0].start < 2.0  # her story starts at 1.2 s
    assert _text(tr).count("now you keep wondering") == 1  # the helper's reply once, not doubled


def test_without_the_repair_the_opening_is_lost(mix):
    """The same audio with the repairs off: the case the repair exists for (so the test above can fail)."""
    tr = transcribe(mix, replace(TranscribeOptions(device="cpu"), repair_truncated=False))
    assert "treatment group" not in _text(tr) and tr.segments[0].start > 10.0
