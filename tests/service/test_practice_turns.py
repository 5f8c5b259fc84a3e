"""The practice page's streamed replies: ``/practice/<id>/next`` with ``turn``/``at``/``chunk``.

Real Flask test client, the shipped cue model and the bundled relapse-shame scenario; the reply is a
200 Hz tone of 0.95 s (its pitch is level) sent in 0.1 s chunks, and tiny.en is replaced by a stand-in
that returns a known transcript, so the turn must end on the chunk the terminal's end-of-turn rule
(:mod:`audio.devices.turn_end`) names: a question after 0.3 s of silence, a finished sentence said
level after 0.4 s, an unfinished one after 0.8 s, nothing heard after 0.5 s.
"""

from __future__ import annotations

import io
import json
import time
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from tests.web_fixtures import app, instance, login, world  # noqa: F401 - fixtures

SR = 16000
CHUNK = 1600  # 0.1 s


def _reply_pcm(speech_s: float = 0.95, then_s: float = 2.0) -> np.ndarray:
    t = np.arange(int(speech_s * SR)) / SR
    tone = 0.3 * np.sin(2 * np.pi * 200 * t)
    return np.concatenate([np.zeros(int(0.3 * SR)), tone, np.zeros(int(then_s * SR))]).astype(np.float32)


def _bytes(x: np.ndarray) -> bytes:
    return (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()


@pytest.fixture
def client(app, world, monkeypatch):  # noqa: F811
    from audio.devices import turn_taking
    from service.web import practice

    said_text = {"text": ""}
    with practice._quick_lock:  # after any warm-up still loading tiny.en (it would replace the stand-in)
        monkeypatch.setitem(practice._quick, "fn", lambda audio: SimpleNamespace(text=said_text["text"]))
    # the listener charges its passes' measured time to the reply's clock (as live); here they count
    # as instant, so the chunk that ends the turn is the rule's alone, whatever the machine's load
    monkeypatch.setattr(turn_taking, "time", SimpleNamespace(perf_counter=lambda: 0.0, monotonic=time.monotonic))
    c = app.test_client()
    login(c, "alice")
    c.said_text = said_text
    return c


def _post(client, data):
    r = client.post("/practice/relapse-shame/next", data=data, content_type="multipart/form-data")
    return r.status_code, r.get_json()


def _stream(client, said, token, pcm, *, cut_in=False, chunk=CHUNK):
    """Send the reply chunk by chunk until the server answers with a line; (chunks sent, answer)."""
    for k, at in enumerate(range(0, pcm.size, chunk)):
        data = {"said": json.dumps(said), "turn": token, "at": str(at),
                "chunk": (io.BytesIO(_bytes(pcm[at:at + chunk])), "chunk.pcm")}
        if cut_in:
            data["cut_in"] = "1"
        status, j = _post(client, data)
        assert status == 200, j
        if not j.get("listening"):
            return k + 1, j
    raise AssertionError("the turn never ended")


def _opening(client):
    status, j = _post(client, {"said": "[]"})
    assert status == 200 and j["line_id"] == "opening" and j["turn"]
    return j


@pytest.mark.parametrize("text, chunks, reason", [
    ("So you feel like everyone can see it on you?", 16, "a question, then 0.30 s of silence"),
    ("You feel like everyone can see it on you.", 17, "a completed sentence without a falling pitch, so 0.40 s"),
    ("You feel like everyone can see it and", 21, "an unfinished sentence, so 0.80 s of silence"),
    ("", 18, "0.50 s of silence"),
])
def test_the_turn_ends_on_the_chunk_the_terminals_rule_names(client, text, chunks, reason):
    client.said_text["text"] = text
    opening = _opening(client)
    # the voice runs from 0.3 s to the 20 ms frame ending at 1.26 s: the turn ends 0.3/0.4/0.8/0.5 s
    # later (1.56, 1.66, 2.06, 1.76 s), in that 0.1 s chunk
    sent, j = _stream(client, ["opening"], opening["turn"], _reply_pcm())
    assert sent == chunks
    assert j["turn_end"].startswith(reason)
    assert j["heard"] == text and j["speech_start_s"] == pytest.approx(0.3, abs=0.021)
    assert j["line_id"] != "opening" and j["turn"] and j["turn"] != opening["turn"]


def test_a_line_answer_says_how_to_play_it(client):
    from audio.devices.endpoint import speech_bounds
    from service.practice.scenarios import get_scenario

    j = _opening(client)
    clip, sr = sf.read(get_scenario("relapse-shame").all_lines[j["line"]].audio, dtype="float32")
    onset, offset = speech_bounds(clip, sr)
    assert j["skip_s"] == pytest.approx(max(0.0, onset - 0.01), abs=0.002)
    assert j["speech_end_s"] == pytest.approx(offset, abs=0.002)
    assert j["gaps"] and all(a < b for a, b in j["gaps"]) and j["gaps"][-1][1] <= clip.size / sr + 0.01


def test_a_chunk_sent_again_is_heard_once_and_a_gap_is_refused(client):
    client.said_text["text"] = "So you feel like everyone can see it on you?"
    token = _opening(client)["turn"]
    pcm = _reply_pcm()
    first = {"said": '["opening"]', "turn": token, "at": "0", "chunk": (io.BytesIO(_bytes(pcm[:3200])), "c.pcm")}
    assert _post(client, first) == (200, {"listening": True, "turn": token, "heard_s": 0.2})
    again = {"said": '["opening"]', "turn": token, "at": "1600", "chunk": (io.BytesIO(_bytes(pcm[1600:4800])), "c.pcm")}
    assert _post(client, again)[1]["heard_s"] == pytest.approx(0.3)  # only its last 0.1 s was new
    gap = {"said": '["opening"]', "turn": token, "at": "9600", "chunk": (io.BytesIO(_bytes(pcm[9600:11200])), "c.pcm")}
    status, j = _post(client, gap)
    assert status == 400 and "does not follow the 4800 samples" in j["message"]


def test_an_unknown_or_finished_turn_is_a_409(client):
    client.said_text["text"] = "So you feel like everyone can see it on you?"
    token = _opening(client)["turn"]
    _, j = _stream(client, ["opening"], token, _reply_pcm())
    late = {"said": '["opening"]', "turn": token, "at": "0", "chunk": (io.BytesIO(_bytes(np.zeros(1600))), "c.pcm")}
    status, answer = _post(client, late)
    assert status == 409 and answer["error"] == "no_turn"
    # the said list must match the turn's
    wrong = {"said": '["opening"]', "turn": j["turn"], "at": "0", "chunk": (io.BytesIO(_bytes(np.zeros(1600))), "c.pcm")}
    assert _post(client, wrong)[0] == 409


def test_a_chunk_longer_than_two_seconds_is_refused(client):
    token = _opening(client)["turn"]
    big = {"said": '["opening"]', "turn": token, "at": "0", "chunk": (io.BytesIO(_bytes(np.zeros(3 * SR))), "c.pcm")}
    status, j = _post(client, big)
    assert status == 400 and "at most 2 s" in j["message"]


def test_after_a_cut_in_her_line_says_she_was_cut_off_and_its_audio_begins_with_oh_okay(client):
    from service.practice.cut_in import CUT_IN_AUDIO, CUT_IN_PAUSE_S

    client.said_text["text"] = "It sounds like you're carrying a lot of shame, and you still came today."
    token = _opening(client)["turn"]
    _, j = _stream(client, ["opening"], token, _reply_pcm(), cut_in=True)
    assert j["line_id"] == "sister-deeper" and j["after_cut_in"] is True
    assert j["text"].startswith("Oh. Okay. ") and j["because"] == "after a reflection (she had been cut off)"
    assert j["src"].endswith("?after_cut_in=1")
    r = client.get(j["src"])
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    said_audio, sr = sf.read(io.BytesIO(r.data), dtype="float32")
    plain, _ = sf.read(io.BytesIO(client.get(j["src"].split("?")[0]).data), dtype="float32")
    lead = sf.info(CUT_IN_AUDIO).frames + int(CUT_IN_PAUSE_S * sr)
    assert said_audio.size == plain.size + lead
    assert np.abs(said_audio[lead:] - plain).max() < 1e-3  # then her line as it is
    # without a cut-in the same reply gets the plain line
    token = _opening(client)["turn"]
    _, j = _stream(client, ["opening"], token, _reply_pcm())
    assert j["after_cut_in"] is False and not j["text"].startswith("Oh.") and "?" not in j["src"]


def test_one_open_turn_per_trainee_and_idle_ones_are_dropped():
    from service.practice.turn_stream import OpenTurns

    now = {"t": 0.0}
    turns = OpenTurns(idle_s=120.0, clock=lambda: now["t"])
    first = turns.open(1, "relapse-shame", ("opening",))
    second = turns.open(1, "relapse-shame", ("opening", "sister-deeper"))
    other = turns.open(2, "relapse-shame", ("opening",))
    assert turns.get(1, first) is None and turns.get(1, second).said == ("opening", "sister-deeper")
    assert turns.get(1, other) is None  # a token is only good for its own trainee
    now["t"] = 100.0
    assert turns.get(2, other) is not None  # touched at 100 s
    now["t"] = 200.0
    assert turns.get(1, second) is None and turns.get(2, other) is not None and len(turns) == 1
    turns.close(2, other)
    assert len(turns) == 0
