"""AnnoMI loader and the `listenwell eval cues` command on a small balanced subset of shared data."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from analysis.errors import NotFoundError
from analysis.schema import CLIENT, HELPER
from service.cli.main import main
from service.eval.annomi import load_annomi


@pytest.mark.shared_data
def test_load_annomi(shared_data):
    sessions = load_annomi(shared_data / "annomi-dev")
    assert len(sessions) == 106
    assert sum(s.quality == "low" for s in sessions) == 16
    s = sessions[0]
    assert {t.role for t in s.turns} == {HELPER, CLIENT}
    assert len(s.turns) == len(s.labels)
    behaviours = {lab.behaviour for t, lab in zip(s.turns, s.labels) if t.role == HELPER}
    assert behaviours <= {"question", "reflection", "input", "other"}
    assert any(lab.question in ("open", "closed") for x in sessions for lab in x.labels)
    assert s.turns[1].start is not None and s.turns[1].start >= s.turns[0].start


def test_load_annomi_missing_folder(tmp_path):
    with pytest.raises(NotFoundError):
        load_annomi(tmp_path)


@pytest.mark.shared_data
def test_eval_cues_cli_small(shared_data, tmp_path):
    out = tmp_path / "cues.json"
    r = CliRunner().invoke(main, ["eval", "cues", str(shared_data), "--folds", "2", "--limit", "8",
                                  "--epitome-limit", "60", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "macro-F1" in r.output and "EPITOME" in r.output
    res = json.loads(out.read_text())
    a = res["annomi"]
    assert a["n_transcripts"] == 8 and a["n_low"] == 4
    assert 0.3 < a["model"]["macro_f1"] <= 1.0
    assert set(a["model"]["per_cue"]) >= {"open_question", "complex_reflection", "advice", "change_talk"}
    assert a["model"]["index_auc"] is not None and 0.0 <= a["model"]["index_auc"] <= 1.0
    assert res["epitome"]["interpretations"]["n"] == 60


def test_eval_cues_cli_bad_folder(tmp_path):
    r = CliRunner().invoke(main, ["eval", "cues", str(tmp_path)])
    assert r.exit_code == NotFoundError.exit_code and "AnnoMI-simple.csv" in r.output
