"""``listenwell analyze`` / ``score`` / ``demo`` through the real CLI (real Whisper on bundled samples)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.report import Report, load_schema
from analysis.schema_check import schema_errors
from service.cli import main
from service.cli_demo import side_by_side
from tests.report_fixtures import GOOD, POOR

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "dialogues"


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """Both bundled role-plays through ``listenwell analyze`` (stereo, helper on the left channel)."""
    out = {}
    for name in ("listens-well", "jumps-to-fixes"):
        folder = tmp_path_factory.mktemp(name)
        result = CliRunner().invoke(main, ["analyze", str(SAMPLES / f"{name}.stereo.wav"), "--out", str(folder),
                                           "--helper-channel", "0"])
        assert result.exit_code == 0, result.output
        out[name] = (folder, result.output)
    return out


def test_analyze_writes_three_files_that_agree(analysed):
    folder, output = analysed["listens-well"]
    data = json.loads((folder / "report.json").read_text())
    assert schema_errors(data, load_schema()) == []
    report = Report.from_dict(data)
    assert "Listening-quality index" in output and f"{report.index:.0f} / 100" in output
    assert (folder / "report.txt").read_text() in output
    html = (folder / "report.html").read_text()
    assert f">{report.index:.0f}<" in html and html.count("<svg") >= 2  # timeline + talk share (+ prosody)


def test_bundled_samples_differ_as_a_supervisor_expects(analysed):
    good = Report.from_json((analysed["listens-well"][0] / "report.json").read_text())
    poor = Report.from_json((analysed["jumps-to-fixes"][0] / "report.json").read_text())
    assert good.index - poor.index >= 25
    for name in ("hold_back", "make_space", "explore"):
        assert good.subscores[name].score > poor.subscores[name].score + 20, name
    share = lambda r: next(p.value for p in r.subscores["make_space"].parts if p.name == "helper_talk_share")  # noqa
    assert share(poor) > share(good)
    assert any("Hold back" in w for w in poor.work_on)
    table = side_by_side({"listens-well": good, "jumps-to-fixes": poor})
    assert "Listening-quality index" in table and f"{good.index:.0f}" in table


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
