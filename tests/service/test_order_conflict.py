"""A given speaking order that contradicts what each voice says (issue 25, item 3), on real audio.

``listens-well.wav`` is the bundled good role-play on one microphone: the client speaks first
("I don't really know where to start"), the helper second. Analysed with ``--helper first`` (the
wrong order) every score is about the client's words; the report must say so first and offer the
other order. Real faster-whisper, diarization and the CLI.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.speakers.order_check import ORDER_SURE, order_headline
from analysis.speakers.result import SpeakerResult
from service.batch.summary import summary_row
from service.pipeline import AnalysisSettings, analyze_file

ROOT = Path(__file__).resolve().parents[2]
MONO = ROOT / "samples" / "dialogues" / "listens-well.wav"
STEREO = ROOT / "samples" / "dialogues" / "listens-well.stereo.wav"  # helper left (ch0), client right
CLIENT_OPENS = "where to start"


@pytest.fixture(scope="module")
def wrong():
    return analyze_file(MONO, AnalysisSettings(setup="mono", helper_speaker="first", prosody=False)).to_dict()


def _helper_text(report: dict) -> str:
    return " ".join(t["text"] for t in report["turns"] if t["role"] == "helper").lower()


def test_wrong_order_is_reported_first(wrong):
    check = wrong["speakers"]["roles"]["check"]
    assert check["conflict"] is True and (check["given"], check["inferred"]) == ("first", "second")
    assert check["confidence"] >= ORDER_SURE
    assert CLIENT_OPENS in _helper_text(wrong)  # the finding: the client's words are scored as the helper's
    sentence = order_headline(SpeakerResult.from_dict(wrong["speakers"]))
    assert wrong["notes"][0] == sentence
    assert sentence.startswith("You said the helper speaks first, but what each voice says suggests the "
                               "helper speaks second")
    assert "the scores below may be about the client's words" in sentence
    assert wrong["partial"] is False  # it is said, not hidden: the report is still complete
    row = summary_row("a.wav", status="done", report=wrong)
    assert row["order_check"] == "rerun with helper_speaker=second"
    assert row["reason"].startswith("Speaking order looks wrong: rerun with helper_speaker=second")


def test_right_order_has_no_conflict(wrong):
    right = analyze_file(MONO, AnalysisSettings(setup="mono", helper_speaker="second", prosody=False)).to_dict()
    check = right["speakers"]["roles"]["check"]
    assert check["conflict"] is False and check["inferred"] == "second"
    assert order_headline(SpeakerResult.from_dict(right["speakers"])) is None
    assert not any(n.startswith("You said the helper") for n in right["notes"])
    assert CLIENT_OPENS not in _helper_text(right)
    assert right["index"] > wrong["index"] + 20  # the good helper's own words score well
    assert "order_check" not in summary_row("b.wav", status="done", report=right)


def test_stereo_wrong_channel_is_reported():
    report = analyze_file(STEREO, AnalysisSettings(setup="stereo", helper_channel=1, prosody=False)).to_dict()
    check = report["speakers"]["roles"]["check"]
    assert check["conflict"] is True and (check["given"], check["inferred"]) == ("ch1", "ch0")
    assert report["notes"][0].startswith("You said the helper is on channel 1 (right), but what each voice "
                                         "says suggests the helper is on channel 0 (left)")
    assert summary_row("s.wav", status="done", report=report)["order_check"] == "rerun with helper_channel=0"


def test_cli_prints_the_command_to_rerun_and_that_command_is_right(tmp_path):
    from service.cli.main import main

    runner = CliRunner()
    result = runner.invoke(main, ["analyze", str(MONO), "--setup", "mono", "--helper", "first", "--no-prosody",
                                  "--out", str(tmp_path / "wrong"), "--quiet"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Speaking order: You said the helper speaks first"))
    assert "the scores above may be about the client's words" in lines[at]
    command = lines[at + 1].strip()
    assert command == (f"listenwell analyze {shlex.quote(str(MONO))} --out {shlex.quote(str(tmp_path / 'wrong'))} "
                       "--setup mono --no-prosody --helper second")
    report = json.loads((tmp_path / "wrong" / "report.json").read_text())
    assert report["notes"][0].startswith("You said the helper speaks first")

    args = shlex.split(command)[1:]  # run what it printed (less the program name), into another folder
    args[args.index("--out") + 1] = str(tmp_path / "right")
    again = runner.invoke(main, [*args, "--quiet"])
    assert again.exit_code == 0, again.output
    assert "Speaking order:" not in again.output
    fixed = json.loads((tmp_path / "right" / "report.json").read_text())
    assert fixed["settings"]["helper_speaker"] == "second" and not fixed["speakers"]["roles"]["check"]["conflict"]


def test_claims_wait_while_the_order_is_in_doubt(wrong):
    """Nothing to try or keep is said about words that may be the client's: the headline says why."""
    from analysis.scoring.summary import ORDER_HOLD

    summary = wrong["summary"]
    assert summary["priorities"] == [] and summary["strength"] is None
    assert wrong["strengths"] == [] and wrong["work_on"] == []
    assert summary["headline"].startswith("You said the helper speaks first") and ORDER_HOLD in summary["headline"]
    assert "Keep doing this" not in summary["headline"] and "biggest step up" not in summary["headline"]
    assert wrong["index"] is not None  # the score stays, under the warning


def test_a_confirmed_order_keeps_it_and_says_what_to_try(tmp_path, wrong):
    """--order-confirmed: the same wrong order kept on the user's word; the check stays on record, marked."""
    from service.cli.main import main

    runner = CliRunner()
    result = runner.invoke(main, ["analyze", str(MONO), "--setup", "mono", "--helper", "first", "--no-prosody",
                                  "--out", str(tmp_path / "kept"), "--quiet"])
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("If your order is right"))
    command = lines[at + 1].strip()
    assert command.endswith("--helper first --order-confirmed")
    args = shlex.split(command)[1:]
    args[args.index("--out") + 1] = str(tmp_path / "confirmed")
    again = runner.invoke(main, [*args, "--quiet"])
    assert again.exit_code == 0, again.output
    assert "Speaking order:" not in again.output
    kept = json.loads((tmp_path / "confirmed" / "report.json").read_text())
    check = kept["speakers"]["roles"]["check"]
    assert check["conflict"] is True and check["confirmed"] is True
    assert not kept["notes"] or not kept["notes"][0].startswith("You said the helper")
    assert kept["summary"]["priorities"] or kept["summary"]["strength"] is not None
    assert kept["index"] == pytest.approx(wrong["index"], abs=0.5)
