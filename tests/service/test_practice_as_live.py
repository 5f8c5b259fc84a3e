"""``listenwell practice SCENARIO --trainee-audio FILE --as-live``: the file is the microphone from
the first moment, in real time (real tiny.en, the shipped cue model, the real report). A file that
speaks during the opening line cuts in on the client: she stops within 0.5 s of the trainee's
voice, her next line says she was cut off, and the report counts the cut-in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from audio.devices.endpoint import speech_bounds
from audio.devices.turn_taking import split_replies

DATA = Path(__file__).resolve().parents[1] / "data" / "practice"
SR = 16000
TALK_AT = 2.5  # the trainee starts 2 s into the 5.4 s opening (which starts at 0.5 s)


@pytest.fixture(scope="module")
def as_live(tmp_path_factory):
    from service.cli.main import main

    x, sr = sf.read(DATA / "reflective-replies.flac", dtype="float32")
    reply = split_replies(x, sr)[0]  # "It sounds like you're carrying a lot of shame, and you still came today."
    folder = tmp_path_factory.mktemp("as-live")
    mic = np.concatenate([np.zeros(int(TALK_AT * SR), np.float32), reply, np.zeros(SR, np.float32)])
    sf.write(folder / "mic.wav", mic, SR)
    voice_at = TALK_AT + speech_bounds(reply, SR)[0]
    r = CliRunner().invoke(main, ["practice", "relapse-shame", "--trainee-audio", str(folder / "mic.wav"),
                                  "--as-live", "--out", str(folder / "out"), "--quiet"])
    assert r.exit_code == 0, r.output
    out = folder / "out"
    return (voice_at, json.loads((out / "session.json").read_text()), json.loads((out / "report.json").read_text()),
            r.output, out)


def test_talking_over_the_opening_cuts_in_and_she_stops_within_half_a_second(as_live):
    voice_at, session, _, output, _ = as_live
    opening = session["lines"][0]
    assert opening["cut"] is True
    stopped = opening["audio_end"] - voice_at
    assert 0 < stopped <= 0.5, stopped
    assert session["cut_ins"][0]["trainee_voice_at"] == pytest.approx(voice_at, abs=0.08)
    assert "you cut in on the client 1 time(s)" in output


def test_her_next_line_says_she_was_cut_off_and_answers_the_reflection(as_live):
    _, session, _, _, _ = as_live
    nxt = session["client_turns"][1]
    assert nxt["line_id"] == "sister-deeper"
    assert nxt["text"].startswith("Oh. Okay. ") and nxt["after_cut_in"] is True
    assert nxt["because"] == "after a reflection (she had been cut off)"
    # the reply was heard from where her voice began, not from where the client stopped
    assert session["replies"][0]["start"] == pytest.approx(session["cut_ins"][0]["trainee_voice_at"], abs=0.1)


def test_the_recording_and_report_show_the_cut_in(as_live):
    voice_at, session, report, _, out = as_live
    audio, _ = sf.read(out / "session.wav", dtype="float32")
    stop = int(session["lines"][0]["audio_end"] * SR)
    assert np.abs(audio[stop + 160: stop + 4000, 1]).max() < 1e-3  # the client channel falls silent
    assert np.abs(audio[int(voice_at * SR): int((voice_at + 0.5) * SR), 0]).max() > 0.05  # the trainee talks
    cut = report["practice"]["cut_ins"]
    assert len(cut) == 1 and cut[0]["line_id"] == "opening" and cut[0]["stopped_after_s"] <= 0.5
    helper = " ".join(t["text"] for t in report["turns"] if t["role"] == "helper").lower()
    assert "shame" in helper
    text = (out / "report.txt").read_text()
    assert "You cut in on the client 1 time (at 0:0" in text
    # the timing section agrees with the practice section: one cut-in, at the trainee's voice
    cuts = report["timing"]["interruptions"]
    assert len(cuts) == 1 and cuts[0]["start"] == pytest.approx(voice_at, abs=0.3)
