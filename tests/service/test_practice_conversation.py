"""Conversational practice without devices: replies read from a file (Piper helper voice), real
tiny.en, the shipped cue model, the real report. The client reacts differently to listening and
to fixing; the report covers both speakers; the response latency meets the target."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

DATA = Path(__file__).resolve().parents[1] / "data" / "practice"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from service.cli.main import main

    out = {}
    for name in ("reflective", "fixing"):
        folder = tmp_path_factory.mktemp(name)
        r = CliRunner().invoke(main, ["practice", "relapse-shame", "--trainee-audio",
                                      str(DATA / f"{name}-replies.flac"), "--out", str(folder), "--quiet"])
        assert r.exit_code == 0, r.output
        out[name] = (folder, json.loads((folder / "session.json").read_text()),
                     json.loads((folder / "report.json").read_text()), r.output)
    return out


def test_listening_and_fixing_get_different_clients(runs):
    _, refl, _, _ = runs["reflective"]
    _, fix, _, _ = runs["fixing"]
    assert [t["line_id"] for t in refl["client_turns"]] == ["opening", "sister-deeper", "judged-deeper", "card-heart"]
    assert [t["because"] for t in refl["client_turns"][1:]] == ["after a reflection"] * 3
    assert [t["line_id"] for t in fix["client_turns"]] == ["opening", "sister-yes-but", "closing"]
    assert [t["because"] for t in fix["client_turns"][1:]] == ["after minimising", "after advice"]
    assert "not used" in " ".join(fix["notes"])  # the third fixing reply came after she left
    assert refl["arc"].startswith("The client reached the heart of the matter")
    assert "left after advice at 0:" in fix["arc"]


def test_session_has_both_channels_and_turns_on_its_clock(runs):
    folder, s, _, _ = runs["reflective"]
    audio, sr = sf.read(folder / "session.wav", dtype="float32")
    assert sr == 16000 and audio.ndim == 2 and audio.shape[1] == 2
    for t in s["client_turns"]:
        a, b = int(t["start"] * sr), int(t["end"] * sr)
        assert np.abs(audio[a:b, 1]).max() > 0.1  # the client's line is on channel 1 where the turn says
        assert np.abs(audio[a:b, 0]).max() < 0.01  # and the trainee is quiet then
    # each reply sits between the line it answers and the next line
    for r, before, after in zip(s["replies"], s["client_turns"], s["client_turns"][1:]):
        assert before["end"] < r["start"] < r["end"] < after["start"]
        assert after["start"] - r["end"] == pytest.approx(s["client_response_latency_s"][r["after_line"]], abs=0.02)


def test_report_has_both_speakers_and_listening_scores_higher(runs):
    _, _, refl, _ = runs["reflective"]
    _, _, fix, _ = runs["fixing"]
    for rep in (refl, fix):
        roles = {t["role"] for t in rep["turns"]}
        assert roles == {"helper", "client"}
        assert rep["practice"]["arc"] and rep["practice"]["scenario_id"] == "relapse-shame"
    helper = " ".join(t["text"] for t in refl["turns"] if t["role"] == "helper").lower()
    assert "everyone can see it on you" in helper  # the replies' own transcripts made the report
    assert refl["index"] > fix["index"] + 10


def test_latency_is_end_of_speech_wait_plus_measured_processing(runs):
    """Each latency = the end-of-turn silence (as the turn's reading asked) + the transcription not hidden by speculation + the
    decision + the silence left at the start of the client's clip (``LEAD_KEEP_S``). The <= 1.0 s median target is
    measured by ``python -m service.bench.practice`` (it depends on the machine's load)."""
    import os

    from audio.devices.turn_taking import LEAD_KEEP_S, TurnTakingOptions

    import re

    for name in ("reflective", "fixing"):
        s = runs[name][1]
        lat = s["client_response_latency_s"]
        assert len(lat) == len(s["processing"]) == len(s["client_turns"]) - 1
        for x, p in zip(lat, s["processing"]):
            # the end of the turn waited the silence its reading asked for ("a question, then 0.20 s of silence")
            wait = float(re.search(r"(\d\.\d\d) s of silence", p["turn_end"]).group(1))
            rule = TurnTakingOptions().turn_end
            assert wait in (rule.quick_s, rule.level_s, rule.silence_s, rule.hold_s)
            # ... or, when the reply's transcript (which the reading needs) came later, until it was ready
            assert p["endpoint_s"] == pytest.approx(max(wait, p["transcript_ready_s"]), abs=0.021)
            assert x == pytest.approx(p["endpoint_s"] + p["transcript_wait_s"] + p["choose_s"] + LEAD_KEEP_S,
                                      abs=0.015)
    if os.environ.get("LISTENWELL_LATENCY_TARGET"):  # on a quiet machine: the target
        lat = runs["reflective"][1]["client_response_latency_s"] + runs["fixing"][1]["client_response_latency_s"]
        assert float(np.median(lat)) <= 1.0, lat


def test_a_file_without_speech_is_a_clear_error(tmp_path):
    from service.cli.main import main

    sf.write(tmp_path / "quiet.wav", np.zeros(16000 * 3, dtype=np.float32), 16000)
    r = CliRunner().invoke(main, ["practice", "relapse-shame", "--trainee-audio", str(tmp_path / "quiet.wav"),
                                  "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and "no speech found" in r.output


def test_stored_session_page_tells_the_clients_arc(runs, tmp_path):
    """The fixing run sent to a web instance: its page shows the arc line and the scenario title."""
    from service.cli.main import main
    from tests.web_fixtures import add_users, login, make_app, stop_jobs

    instance = tmp_path / "instance"
    app = make_app(instance)
    try:
        add_users(instance)
        r = CliRunner().invoke(main, ["practice", "relapse-shame", "--trainee-audio",
                                      str(DATA / "fixing-replies.flac"), "--out", str(tmp_path / "o"), "--quiet",
                                      "--trainee", "alice", "--instance", str(instance)])
        assert r.exit_code == 0, r.output
        sid = int(r.output.rsplit("as session ", 1)[1].split()[0])
        client = app.test_client()
        login(client, "alice")
        html = client.get(f"/sessions/{sid}").get_data(as_text=True)
        arc = json.loads((tmp_path / "o" / "report.json").read_text())["practice"]["arc"]
        assert 'id="arc"' in html and arc.split(" at ")[0] in html
        assert "Shame after a relapse" in html
    finally:
        stop_jobs(app)
