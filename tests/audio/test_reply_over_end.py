"""The terminal loop hears a reply begun over the client's last words from its start.

Barge-in lets her finish when the trainee starts in her line's last 0.3 s; the reply must still be
heard from just before the trainee's voice began (``audio.devices.barge_in.reply_from``, as the
practice page does), not from the end of the line. Through the recorder's own path (fake sound
card, simulated trainee) with a transcriber stand-in that keeps the audio it was given.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pytest

from audio.devices.barge_in import REPLY_LEAD_S
from audio.devices.endpoint import speech_bounds
from audio.devices.practice import PracticeOptions, run_conversation
from audio.devices.record import Recorder
from audio.devices.turn_taking import NextLine, TurnTakingOptions
from tests.practice_fakes import SR, FakeInputStream, FakePlayer, SimulatedTrainee

FRAME = 0.02
REPLY_S = 1.0


def _tone(seconds: float, hz: float, level: float = 0.2) -> np.ndarray:
    t = np.arange(int(round(seconds * SR))) / SR
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _line() -> np.ndarray:
    """The client's line: four 0.4 s "words" of 200 Hz, 0.1 s apart, then 0.3 s of silence."""
    word, gap = _tone(0.4, 200.0), np.zeros(int(0.1 * SR), np.float32)
    return np.concatenate([word, gap, word, gap, word, gap, word, np.zeros(int(0.3 * SR), np.float32)])


def _voiced_s(clip: np.ndarray) -> float:
    """Seconds of 20 ms frames within 20 dB of the clip's loudest (the reply's tone)."""
    frame = int(FRAME * SR)
    n = clip.size // frame
    if n == 0:
        return 0.0
    levels = 10 * np.log10(np.mean(clip[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1) + 1e-12)
    return float(np.sum(levels > levels.max() - 20.0) * FRAME)


def _converse(before_end_s: float, yields: bool = True):
    """One line, one reply that starts ``before_end_s`` before her speech ends (negative: after)."""
    line = _line()
    onset, offset = speech_bounds(line, SR)
    reply = _tone(REPLY_S, 300.0)
    trainee = SimulatedTrainee({0: (0.0, reply)}, interrupt_at={0: offset - onset - before_end_s})
    given: list[np.ndarray] = []

    def transcribe(audio: np.ndarray):
        given.append(np.array(audio, dtype=np.float32))
        return SimpleNamespace(text="a reply")

    def make(sink):
        stream = functools.partial(FakeInputStream, source=trainee.source, speed=2.0)
        return Recorder(None, sink=sink, stream_factory=stream, samplerate=SR)

    turn = TurnTakingOptions(turn_end_cues=False, no_reply_timeout_s=6.0)
    result = run_conversation(lambda text: NextLine("only", "the line", line, "the opening", ends_after_reply=True),
                              transcribe, make, FakePlayer(), turn_options=turn,
                              options=PracticeOptions(endpoint=turn.endpoint, client_yields=yields),
                              on_event=trainee.on_event)
    assert trainee.late == []
    (timing,) = result.session.lines
    voice_at = timing.end - before_end_s
    return result, timing, voice_at, given


def test_a_reply_begun_over_her_last_words_is_heard_from_its_start():
    result, timing, voice_at, given = _converse(0.2)
    assert not timing.cut and result.cut_ins == []  # her last 0.3 s: she finished her line
    (reply,) = result.session.replies
    assert reply.start == pytest.approx(voice_at, abs=FRAME + 1e-6)  # not the line's end
    # the transcriber was given the whole reply, from before the trainee's voice
    offset, _ = result.reply_transcripts[0]
    assert offset <= voice_at - REPLY_LEAD_S + FRAME
    assert _voiced_s(given[-1]) == pytest.approx(REPLY_S, abs=2 * FRAME)
    assert result.reply_texts == ["a reply"]


def test_a_reply_begun_after_her_line_is_heard_from_its_start_as_before():
    result, timing, voice_at, given = _converse(-0.3)
    (reply,) = result.session.replies
    assert reply.start == pytest.approx(voice_at, abs=FRAME + 1e-6)
    assert result.reply_transcripts[0][0] >= timing.end
    assert _voiced_s(given[-1]) == pytest.approx(REPLY_S, abs=2 * FRAME)


def test_without_client_yields_the_reply_is_heard_from_the_line_end():
    # no headphones declared: the microphone may hear the client herself, so her end is kept
    result, timing, voice_at, given = _converse(0.2, yields=False)
    assert result.reply_transcripts[0][0] >= timing.end
    assert _voiced_s(given[-1]) == pytest.approx(REPLY_S - 0.2, abs=2 * FRAME)
