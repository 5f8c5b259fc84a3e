"""Scripted practice with a simulated trainee fed through the recorder's own path.

The fake input stream drives the real :class:`audio.devices.record.Recorder` callback,
queue and writer; the trainee speaks known clips a known time after each client
line, so the response latencies are known answers.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from analysis.errors import ParameterError, RecordingError
from audio.devices.endpoint import (
    EndOfSpeechDetector,
    EndpointOptions,
    speech_bounds,
    speech_spans,
)
from audio.devices.practice import ClientLine, PracticeOptions, run_practice
from audio.devices.record import Recorder
from service.practice.scenarios import get_scenario
from tests.practice_fakes import SR, FakeInputStream, FakePlayer, SimulatedTrainee

FRAME = 0.02  # the detector's frame: the resolution of every measured time


@pytest.fixture(scope="module")
def client_lines() -> list[ClientLine]:
    scenario = get_scenario("relapse-shame")
    return [ClientLine(ln.text, sf.read(ln.audio, dtype="float32")[0]) for ln in scenario.lines[:3]]


@pytest.fixture(scope="module")
def replies() -> list[np.ndarray]:
    """The simulated trainee's words (helper voice; made by scripts/make_scenarios.py --test-replies)."""
    folder = Path(__file__).resolve().parents[1] / "data" / "practice"
    return [sf.read(folder / f"reply{i}.flac", dtype="float32")[0] for i in (1, 2, 3)]


def _factory(trainee: SimulatedTrainee, speed: float = 10.0, **kw):
    def make(sink):
        stream = functools.partial(FakeInputStream, source=trainee.source, speed=speed, **kw)
        return Recorder(None, sink=sink, stream_factory=stream, samplerate=SR)
    return make


def _options(**kw) -> PracticeOptions:
    endpoint = EndpointOptions(silence_timeout_s=kw.pop("silence", 1.0), no_reply_timeout_s=kw.pop("no_reply", 6.0))
    return PracticeOptions(endpoint=endpoint, **kw)


def test_simulated_trainee_gives_the_known_latencies(client_lines, replies):
    delays = [0.8, 2.0, 0.35]
    trainee = SimulatedTrainee({k: (delays[k], replies[k]) for k in range(3)})
    player = FakePlayer()
    session = run_practice(client_lines, _factory(trainee), player, options=_options(),
                           scenario_id="relapse-shame", on_event=trainee.on_event)
    assert trainee.late == [] and [t.index for t in session.lines] == [0, 1, 2] and len(player.started) == 3
    # replies detected live: latency = reply onset - client line end
    for t, r, delay in zip(session.lines, session.replies, delays, strict=True):
        assert not t.cut and r.reason == "silence"
        assert r.start - t.end == pytest.approx(delay, abs=FRAME + 1e-6)
    # the same latencies measured afterwards on the rebuilt session's helper channel
    spans = speech_spans(session.helper, SR)
    assert len(spans) == 3
    for (start, _), t, delay in zip(spans, session.lines, delays, strict=True):
        assert start - t.end == pytest.approx(delay, abs=FRAME + 1e-6)
    # client lines sit on channel 1 exactly at their timeline position
    for t, line in zip(session.lines, client_lines, strict=True):
        s0 = int(round(t.audio_start * SR))
        np.testing.assert_array_equal(session.client[s0:s0 + line.audio.size], line.audio)
        # the timeline marks the client's speech inside the clip (the clips have 50 ms of silence each side)
        onset, offset = speech_bounds(line.audio, SR)
        assert 0.04 <= onset <= 0.1 and line.audio.size / SR - offset >= 0.04
        assert (t.start - t.audio_start, t.end - t.audio_start) == (pytest.approx(onset, abs=1e-4),
                                                                   pytest.approx(offset, abs=1e-4))
    assert session.stereo.shape == (2, session.helper.size)
    # echo cancellation ran (the default) and found no echo path: the mic is left as recorded
    assert [e["echo_db"] for e in session.recording["echo"]] == [-120.0] * 3
    assert session.client_timeline() == [[t.start, t.end] for t in session.lines]


def test_loudspeaker_echo_is_subtracted(client_lines, replies):
    """The microphone hears the client through a simulated room (-6 dB, 40 ms, 60 ms tail)."""
    rng = np.random.default_rng(3)
    n = int(0.06 * SR)
    ir = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.012 * SR))
    ir *= 0.5 / np.sqrt(np.sum(ir ** 2))
    trainee = SimulatedTrainee({k: (1.0, replies[k]) for k in range(2)}, echo=(0.04, ir))
    raw = run_practice(client_lines[:2], _factory(trainee, speed=20.0), FakePlayer(on_start=trainee.playing),
                       options=_options(echo_cancel=False), on_event=trainee.on_event)
    assert trainee.late == [] and [r.reason for r in raw.replies] == ["silence", "silence"]
    clean = raw.with_echo_removed()
    # over the client's lines the raw mic carries the echo; the cleaned one is >= 15 dB quieter
    for t in clean.lines:
        a, b = int(round(t.start * SR)), int(round(t.end * SR))
        drop = 10 * np.log10(np.mean(raw.helper[a:b] ** 2) / np.mean(clean.helper[a:b] ** 2))
        assert drop > 15.0, drop
    echo = clean.recording["echo"]
    assert [e["delay_s"] for e in echo] == [pytest.approx(0.04, abs=0.005)] * 2
    # after cancellation only the trainee's two replies are speech on the helper channel
    spans = speech_spans(clean.helper, SR)
    assert len(spans) == 2
    for (start, _), t in zip(spans, clean.lines, strict=True):
        assert start - t.end == pytest.approx(1.0, abs=FRAME + 1e-6)
    assert len(speech_spans(raw.helper, SR)) > 2


def test_client_yields_when_the_trainee_talks_over_it(client_lines, replies):
    trainee = SimulatedTrainee({0: (0.0, replies[1])}, interrupt_at={0: 1.5})
    options = _options(client_yields=True, yield_after_s=0.5)
    # slower than the other tests: the cut lands on the loop's next poll of the capture clock
    session = run_practice(client_lines[:1], _factory(trainee, speed=2.0), FakePlayer(), options=options,
                           on_event=trainee.on_event)
    (line,) = session.lines
    assert trainee.late == [] and line.cut
    # the trainee starts 1.5 s into the line; the client stops once 0.5 s of speech is heard
    assert line.end - line.start == pytest.approx(1.5 + 0.5, abs=3 * FRAME)
    e = int(round(line.end * SR))
    assert np.all(session.client[e:] == 0.0)
    assert np.any(session.client[e - 400:e] != 0.0)
    # the interruption is on the helper channel, inside the client's (cut) line
    (start, _), = speech_spans(session.helper, SR)
    assert start - line.start == pytest.approx(1.5, abs=FRAME)


def test_enter_moves_on_and_silence_times_out(client_lines):
    trainee = SimulatedTrainee({})  # never says anything
    next_line = threading.Event()
    seen = []

    def on_event(kind, payload):
        seen.append(kind)
        if kind == "line_done" and payload.index == 0:
            threading.Timer(0.15, next_line.set).start()  # Enter, 1.5 s of audio after the line

    session = run_practice(client_lines[:2], _factory(trainee), FakePlayer(), options=_options(no_reply=3.0),
                           next_line=next_line, on_event=on_event)
    r0, r1 = session.replies
    assert r0.reason == "enter" and r0.start is None
    assert r0.stopped_at - session.lines[0].end < 3.0
    assert r1.reason == "no_reply"
    # the detector gives up at 3.0 s; the loop notices on its next poll (10 ms wall = 0.1 s of audio at 10x)
    waited = round(r1.stopped_at - session.lines[1].end, 6)  # times are on a 10 ms grid: 18.08 - 15.08 is 2.9999...
    assert 3.0 <= waited < 3.0 + 0.3
    assert seen.count("line") == 2


def test_quit_ends_the_session_early(client_lines, replies):
    trainee = SimulatedTrainee({0: (0.5, replies[0])})
    quit_event = threading.Event()

    def on_event(kind, payload):
        trainee.on_event(kind, payload)
        if kind == "reply":
            quit_event.set()

    session = run_practice(client_lines, _factory(trainee), FakePlayer(), options=_options(),
                           quit_event=quit_event, on_event=on_event)
    assert len(session.lines) == 1 and len(session.replies) == 1


def test_ctrl_c_keeps_the_lines_done_so_far(client_lines, replies):
    trainee = SimulatedTrainee({0: (0.5, replies[0])})

    def on_event(kind, payload):
        trainee.on_event(kind, payload)
        if kind == "reply":
            raise KeyboardInterrupt

    session = run_practice(client_lines, _factory(trainee), FakePlayer(), options=_options(), on_event=on_event)
    assert len(session.lines) == 1 and len(session.replies) == 1
    assert session.duration > session.lines[0].end


def test_a_stalled_microphone_is_a_clear_error(client_lines):
    trainee = SimulatedTrainee({})
    with pytest.raises(RecordingError, match="stopped delivering audio"):
        run_practice(client_lines[:1], _factory(trainee, max_frames=SR), FakePlayer(),
                     options=_options(stall_timeout_s=0.3))


def test_no_lines_is_a_parameter_error():
    with pytest.raises(ParameterError):
        run_practice([], _factory(SimulatedTrainee({})), FakePlayer())


def test_session_write_round_trips(tmp_path, client_lines, replies):
    trainee = SimulatedTrainee({0: (0.6, replies[0])})
    session = run_practice(client_lines[:1], _factory(trainee), FakePlayer(), options=_options(),
                           scenario_id="relapse-shame", on_event=trainee.on_event)
    paths = session.write(tmp_path, "s")
    stereo, sr = sf.read(paths["stereo"], dtype="float32")
    assert sr == SR and stereo.shape == (session.helper.size, 2)
    np.testing.assert_allclose(stereo[:, 1], session.client, atol=1.5 / 32768)
    import json

    meta = json.loads(paths["timeline"].read_text())
    assert meta["client_timeline"] == session.client_timeline()
    assert meta["scenario_id"] == "relapse-shame"


# -- the end-of-speech detector on synthetic signals --------------------------------------

def _tone(seconds: float, level: float = 0.3) -> np.ndarray:
    return (level * np.sin(2 * np.pi * 220 * np.arange(int(seconds * SR)) / SR)).astype(np.float32)


def test_detector_finds_onset_and_end_after_the_silence_timeout():
    x = np.concatenate([np.zeros(int(0.5 * SR)), _tone(1.0), np.zeros(int(3.0 * SR))]).astype(np.float32)
    det = EndOfSpeechDetector(SR, EndpointOptions(silence_timeout_s=1.2))
    ended_at = None
    for i in range(0, x.size, 160):
        if det.feed(x[i:i + 160]) and ended_at is None:
            ended_at = (i + 160) / SR
    assert det.reason == "silence"
    assert det.speech_start == pytest.approx(0.5, abs=FRAME)
    assert det.speech_end == pytest.approx(1.5, abs=FRAME)
    assert ended_at == pytest.approx(1.5 + 1.2, abs=2 * FRAME)


def test_detector_no_reply_and_max_reply():
    quiet = EndOfSpeechDetector(SR, EndpointOptions(no_reply_timeout_s=2.0))
    quiet.feed(np.zeros(3 * SR, dtype=np.float32))
    assert quiet.ended and quiet.reason == "no_reply" and not quiet.started
    talker = EndOfSpeechDetector(SR, EndpointOptions(max_reply_s=2.0))
    talker.feed(_tone(3.0))
    assert talker.ended and talker.reason == "max_reply"
    with pytest.raises(ParameterError):
        EndpointOptions(silence_timeout_s=0)


def test_session_from_a_48k_microphone_keeps_its_times():
    from audio.devices.practice_session import ClientLineTiming, PracticeSession

    mic = np.zeros(3 * 48000, dtype=np.float32)
    mic[int(1.25 * 48000):int(1.75 * 48000)] = 0.3 * np.sin(2 * np.pi * 200 * np.arange(24000) / 48000)
    clip = _tone(0.5)
    line = ClientLineTiming(index=0, text="x", start=0.2, end=0.7, full_duration=0.5)
    session = PracticeSession.build(mic, 48000, [clip], [line], [])
    assert session.helper.size == 3 * SR and session.sample_rate == SR
    (start, end), = speech_spans(session.helper, SR)
    assert (start, end) == (pytest.approx(1.25, abs=FRAME), pytest.approx(1.75, abs=FRAME))
    np.testing.assert_array_equal(session.client[int(0.2 * SR):int(0.7 * SR)], clip)
    decoded = session.decoded_for_analysis()
    assert decoded.n_channels == 2 and np.array_equal(decoded.mono, session.helper)


def _room(rng, delay_s=0.037, tail_s=0.06, gain=0.5):
    n = int(tail_s * SR)
    ir = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.012 * SR))
    return np.concatenate([np.zeros(int(delay_s * SR)), ir * gain / np.sqrt(np.sum(ir ** 2))])


def test_echo_canceller_removes_a_room_echo_and_keeps_overlapping_speech(client_lines, replies):
    from audio.devices.echo import cancel_echo

    rng = np.random.default_rng(11)
    n, s0 = 12 * SR, SR
    line = client_lines[0].audio
    ref = np.zeros(n, np.float32)
    ref[s0:s0 + line.size] = line
    echo = np.convolve(ref, _room(rng))[:n].astype(np.float32)
    trainee = np.zeros(n, np.float32)
    for at in (3.0, 7.5):  # one reply talks over the client, one comes after
        trainee[int(at * SR):int(at * SR) + replies[1].size] += replies[1]
    noise = (1e-3 * rng.standard_normal(n)).astype(np.float32)
    clean, report = cancel_echo(echo + trainee + noise, ref, SR, [(1.0, 1.0 + line.size / SR)])
    residual = clean - trainee - noise

    def db(x):
        return 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20)

    region = slice(s0, s0 + line.size)
    assert db(echo[region]) - db(residual[region]) > 18.0  # echo return loss enhancement
    talk = slice(3 * SR, 3 * SR + replies[1].size)
    assert db(trainee[talk]) - db(residual[talk]) > 18.0  # the trainee's overlapping words survive
    (line_report,) = report
    assert line_report.delay_s == pytest.approx(0.037, abs=0.003) and line_report.reduction_db > 0


def test_echo_canceller_leaves_a_headphone_mic_alone(client_lines, replies):
    from audio.devices.echo import cancel_echo

    n = 10 * SR
    ref = np.zeros(n, np.float32)
    ref[SR:SR + client_lines[1].audio.size] = client_lines[1].audio
    mic = (1e-3 * np.random.default_rng(5).standard_normal(n)).astype(np.float32)
    mic[int(4.0 * SR):int(4.0 * SR) + replies[0].size] += replies[0]  # talks over the client, no echo
    clean, (line_report,) = cancel_echo(mic, ref, SR, [(1.0, 1.0 + client_lines[1].audio.size / SR)])
    np.testing.assert_array_equal(clean, mic)
    assert line_report.echo_db == -120.0


def test_practice_report_has_the_planted_latencies_and_interruption(client_lines, replies):
    """End to end: simulated session -> real Whisper + the scripted pipeline -> timing in the report."""
    from service.pipeline import AnalysisSettings, analyze_audio

    trainee = SimulatedTrainee({0: (0.8, replies[0]), 1: (0.0, replies[1]), 2: (0.35, replies[2])},
                               interrupt_at={1: 2.0})
    options = _options(client_yields=True, yield_after_s=0.5)
    session = run_practice(client_lines, _factory(trainee, speed=5.0), FakePlayer(), options=options,
                           scenario_id="relapse-shame", on_event=trainee.on_event)
    assert trainee.late == [] and [t.cut for t in session.lines] == [False, True, False]
    timeline = [{"start": t.start, "end": t.end, "text": t.text} for t in session.lines]
    report = analyze_audio(session.decoded_for_analysis(), AnalysisSettings(setup="scripted"),
                           client_timeline=timeline).to_dict()
    client_turns = [(t["start"], t["end"]) for t in report["turns"] if t["role"] == "client"]
    assert client_turns == [(pytest.approx(t.start, abs=0.01), pytest.approx(t.end, abs=0.01)) for t in session.lines]
    timing = report["timing"]
    by_line = {round(e["start"], 2): e["details"]["latency"] for e in timing["latencies"]}
    first, second, third = session.lines
    # helper activity is measured from the mic's energy by analysis/speakers/activity.py: within 60 ms
    assert by_line[round(first.end, 2)] == pytest.approx(0.8, abs=0.06)
    assert by_line[round(third.end, 2)] == pytest.approx(0.35, abs=0.06)
    (cut_in,) = timing["interruptions"]
    assert cut_in["speaker"] == "helper"
    assert cut_in["start"] == pytest.approx(second.start + 2.0, abs=0.06)
    assert cut_in["details"]["client_stopped_after"] == pytest.approx(second.end - (second.start + 2.0), abs=0.06)
