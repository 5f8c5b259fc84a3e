"""``listenwell analyze`` / ``score`` / ``demo`` through the real CLI (real Whisper on bundled samples)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.report.schema_check import schema_errors
from analysis.report.types import Report, load_schema
from service.cli.demo import side_by_side
from service.cli.main import main
from tests.report_fixtures import GOOD, POOR

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dialogues"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """``listenwell demo``: both bundled role-plays (stereo, helper on the left channel)."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Listening score (0-100)" in result.output and (out / "index.html").is_file()
    assert result.output.count("consistency check: no contradictions") == 2  # the demo checks its reports
    (out / "demo-output.txt").write_text(result.output)
    return out


def test_analyze_mono_sample_writes_three_files_that_agree(tmp_path):
    """Real Whisper + diarization on the one-channel mix of the good sample."""
    folder = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyze", str(SAMPLES / "listens-well.wav"), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    data = json.loads((folder / "report.json").read_text())
    assert schema_errors(data, load_schema()) == []
    report = Report.from_dict(data)
    assert report.settings["setup_used"] == "mono" and report.speakers.source == "diarization"
    helper_text = " ".join(t.text for t in report.turns if t.role == "helper").lower()
    assert "it sounds like" in helper_text and "ashamed" not in helper_text  # roles found from the words
    assert report.index is not None and report.index >= 60
    assert f"Listening score: {report.index:.0f} out of 100" in result.output
    assert (folder / "report.txt").read_text() in result.output
    flat = " ".join(result.output.split())  # table values wrap at 88 columns
    if report.timing.overlaps_measured:  # the overlap-aware path: cut-ins counted as on stereo
        assert report.speakers.activity.info["path"] == "segmentation"
        assert f"You cut in on the client {len(report.timing.interruptions)}" in flat
    else:  # the MFCC path alone (segmentation weights not installed)
        assert "You cut in on the client not measured (one microphone: record in stereo)" in flat
    assert "one microphone: the two voices told apart by sound" in flat and "\nVoice\n" in result.output
    html = (folder / "report.html").read_text()
    assert f">{report.index:.0f}<" in html and html.count("<svg") >= 3  # timeline, talk share, prosody


def test_bundled_samples_differ_as_a_supervisor_expects(demo_dir):
    good = Report.from_json((demo_dir / "listens-well" / "report.json").read_text())
    poor = Report.from_json((demo_dir / "jumps-to-fixes" / "report.json").read_text())
    assert good.index - poor.index >= 40  # measured 90 vs 19 (per-channel transcription)
    for name in ("hold_back", "make_space"):
        assert good.subscores[name].score > poor.subscores[name].score + 20, name
    # the poor helper asks no question at all: "explore" has nothing to judge there
    assert good.subscores["explore"].score >= 70 and poor.subscores["explore"].score is None
    share = lambda r: next(p.value for p in r.subscores["make_space"].parts if p.name == "helper_talk_share")  # noqa
    assert share(poor) > share(good)
    assert any("Hold back" in w for w in poor.work_on)
    table = side_by_side({"listens-well": good, "jumps-to-fixes": poor})
    assert "Listening score (0-100)" in table and f"{good.index:.0f}" in table


def _write(path: Path, lines) -> Path:
    path.write_text("".join(f"{role.capitalize()}: {text}\n" for role, text in lines))
    return path


def test_score_command_on_text(tmp_path):
    runner = CliRunner()
    good = runner.invoke(main, ["score", str(_write(tmp_path / "good.txt", GOOD)), "--out", str(tmp_path / "g")])
    poor = runner.invoke(main, ["score", str(_write(tmp_path / "poor.txt", POOR)), "--out", str(tmp_path / "p")])
    assert good.exit_code == 0 and poor.exit_code == 0, good.output + poor.output
    g = Report.from_json((tmp_path / "g" / "report.json").read_text())
    p = Report.from_json((tmp_path / "p" / "report.json").read_text())
    assert g.kind == "text" and g.index > p.index + 30
    assert (tmp_path / "g" / "report.html").is_file()


def test_cli_errors_are_one_line_with_exit_codes(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["score", str(tmp_path / "nope.txt")])
    assert r.exit_code == 30 and "error:" in r.output
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"")
    r = runner.invoke(main, ["analyze", str(bad), "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and "error:" in r.output and "Traceback" not in r.output


def _truth(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def test_demo_timing_matches_the_samples_known_answers(demo_dir):
    """Turns, interruptions, backchannels and pauses against the samples' exact truth files."""
    for name in ("listens-well", "jumps-to-fixes"):
        report = Report.from_json((demo_dir / name / "report.json").read_text())
        truth = _truth(name)
        t = report.timing
        client = [x for x in truth["turns"] if x["speaker"] == "client"]
        helper = [x for x in truth["turns"] if x["speaker"] == "helper" and not x["overlay"]]
        got = {r: sum(1 for x in report.turns if x.role == r) for r in ("helper", "client")}
        assert got["client"] == len(client), (name, got)
        # the poor helper's last reply is one turn: the client's "Yeah." / "Sometimes." are under a second
        assert len(helper) - 2 <= got["helper"] <= len(helper), (name, got)
        events = {k: [e for e in truth["events"] if e["type"] == k] for k in ("interruption", "backchannel", "long_pause")}
        assert len(t.interruptions) == len(events["interruption"]), name  # 0 and 2
        for e, want in zip(t.interruptions, events["interruption"]):
            assert abs(e.start - want["start"]) <= 0.3, (name, e, want)
        assert len(t.backchannels) == len(events["backchannel"]), name  # 1 and 0
        for e, want in zip(t.backchannels, events["backchannel"]):
            assert abs(e.start - want["start"]) <= 0.3, (name, e, want)
        assert t.pauses["long"] == len(events["long_pause"]), name  # 7 and 0
    good = Report.from_json((demo_dir / "listens-well" / "report.json").read_text())
    poor = Report.from_json((demo_dir / "jumps-to-fixes" / "report.json").read_text())
    assert good.timing.latency.median > 1.0 > 0.3 > poor.timing.latency.median
    assert good.timing.latency.bins["long"] >= 6 and poor.timing.latency.bins["overlap"] == 2


def test_per_channel_transcription_keeps_quotes_clean(demo_dir):
    """Each speaker's words come from their own channel: an interruption does not mix the two."""
    poor = Report.from_json((demo_dir / "jumps-to-fixes" / "report.json").read_text())
    client = " ".join(t.text for t in poor.turns if t.role == "client").lower()
    helper = " ".join(t.text for t in poor.turns if t.role == "helper").lower()
    assert "thinks i've got it together" in client and "don't worry about what people think" in helper
    for word in ("fraud", "daughter", "trusting"):
        assert word not in helper, word
    for word in ("sponsor", "resilient", "worry"):
        assert word not in client, word
    quotes = [e.quote.lower() for e in poor.subscores["hold_back"].evidence if e.role == "helper"]
    assert quotes and not any("fraud" in q or "together" in q for q in quotes)


def test_demo_prints_speakers_timing_and_voice_per_sample(demo_dir):
    out = (demo_dir / "demo-output.txt").read_text()
    good = Report.from_json((demo_dir / "listens-well" / "report.json").read_text())
    poor = Report.from_json((demo_dir / "jumps-to-fixes" / "report.json").read_text())
    assert out.count("  speakers  channels: ch0=helper, ch1=client") == 2
    assert "interruptions 0, backchannels 1" in out and "interruptions 2 (at 0:19, 0:40), backchannels 0" in out
    assert out.count("  voice    pitch Hz") == 2 and len(out.splitlines()) < 70
    st = lambda r: r.prosody.helper_minus_client_st  # noqa: E731
    assert -6.0 < st(good) < -3.0 and -6.0 < st(poor) < -3.0  # the client voice is pitched up 4 semitones
    wpm = lambda r: next(s.wpm for s in r.prosody.speakers if s.role == "helper")  # noqa: E731
    assert wpm(poor) > wpm(good) + 15  # the poor helper talks faster
    txt = (demo_dir / "jumps-to-fixes" / "report.txt").read_text()
    assert "Speakers and timing" in txt and "\nVoice\n" in txt and "Transcript (" in txt
    assert "] You (helper): Don't worry about what people think." in txt
