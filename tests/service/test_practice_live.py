"""Live conversational practice through the recorder's own path (fake sound card, simulated trainee):
the same turn-taking as the device-free path, the client's lines chosen from the replies heard."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio.devices.practice import PracticeOptions, run_conversation
from audio.devices.record import Recorder
from audio.devices.turn_taking import TurnTakingOptions, make_transcriber, split_replies
from service.practice.run import ScenarioChooser
from service.practice.scenarios import get_scenario
from tests.practice_fakes import SR, FakeInputStream, FakePlayer, SimulatedTrainee

DATA = Path(__file__).resolve().parents[1] / "data" / "practice"


@pytest.fixture(scope="module")
def transcribers():
    return make_transcriber()


def _replies(name: str) -> list[np.ndarray]:
    x, sr = sf.read(DATA / f"{name}-replies.flac", dtype="float32")
    return split_replies(x, sr)


def _run(replies, transcribers, interrupt_at=None, yields=False):
    scenario = get_scenario("relapse-shame")
    trainee = SimulatedTrainee({k: (0.6, r) for k, r in enumerate(replies)}, interrupt_at=interrupt_at)

    def make(sink):
        stream = functools.partial(FakeInputStream, source=trainee.source, speed=2.0)
        return Recorder(None, sink=sink, stream_factory=stream, samplerate=SR)

    quick, full = transcribers
    turn = TurnTakingOptions(no_reply_timeout_s=6.0)
    chooser = ScenarioChooser(scenario)
    result = run_conversation(chooser, quick, make, FakePlayer(), turn_options=turn,
                              options=PracticeOptions(endpoint=turn.endpoint, client_yields=yields),
                              full_transcribe=full, scenario_id=scenario.id, on_event=trainee.on_event,
                              prepare=chooser.prepare, after_cut_in=chooser.after_cut_in)
    return result, trainee


def test_live_loop_reacts_to_reflections(transcribers):
    result, trainee = _run(_replies("reflective"), transcribers)
    assert trainee.late == []
    assert [t.line_id for t in result.client_turns] == ["opening", "sister-deeper", "judged-deeper", "card-heart"]
    assert [t.because for t in result.client_turns[1:]] == ["after a reflection"] * 3
    s = result.session
    assert s.stereo.shape[0] == 2 and len(s.replies) == 4
    # every reply heard and transcribed; the client answers after its end, never before
    assert "everyone can see it on you" in " ".join(result.reply_texts).lower()
    for r, nxt, lat in zip(s.replies, result.client_turns[1:], result.latencies):
        assert r.reason == "silence" and nxt.start - r.end == pytest.approx(lat, abs=1e-3)
        assert lat >= TurnTakingOptions().turn_end.quick_s  # at least the shortest end-of-turn silence
    # the client's lines sit on channel 1 where the timeline says
    for t in s.lines:
        a, b = int(t.start * SR), int(t.end * SR)
        assert np.abs(s.client[a:b]).max() > 0.1


def test_live_loop_client_yields_when_interrupted(transcribers):
    fixing = _replies("fixing")
    # the trainee starts the second reply 1 s into the client's 'yes, but' line
    result, _ = _run(fixing, transcribers, interrupt_at={1: 1.0}, yields=True)
    ids = [t.line_id for t in result.client_turns]
    assert ids[:2] == ["opening", "sister-yes-but"]
    assert result.session.lines[1].cut and not result.session.lines[0].cut
    # barge-in: she stops within 0.3 s of the trainee's voice (1 s into her line), at a gap between words
    (cut,) = result.cut_ins
    line = result.session.lines[1]
    from audio.devices.endpoint import speech_bounds

    voice = line.start + 1.0 + speech_bounds(fixing[1], SR)[0]  # the clip keeps 0.15 s before its voice
    assert cut["line"] == 1 and cut["trainee_voice_at"] == pytest.approx(voice, abs=0.06)
    assert 0 < cut["stopped_after_s"] <= 0.3
    # the reply she was cut off by is heard whole, and her next line says she was cut off
    assert result.session.replies[1].start == pytest.approx(cut["trainee_voice_at"], abs=0.06)
    after = result.client_turns[2]
    assert after.text.startswith("Oh. Okay. ") and after.info["after_cut_in"]
    assert after.because.endswith("(she had been cut off)")
