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


# One small nested run (8 transcripts, 2 outer x 2 inner folds) in a private cache, shared by the
# tests below: the first records every training set the cue model was fitted on.
_SMALL = ["--folds", "2", "--inner", "2", "--limit", "8", "--boot", "300"]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    from tests.paths import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    import service.eval.nested as N

    mp = pytest.MonkeyPatch()
    mp.setenv("LISTENWELL_CACHE", str(tmp_path_factory.mktemp("cache")))
    fitted: list[list[str]] = []
    real_fit = N._fit

    def recording_fit(sessions, kwargs):
        fitted.append([s.transcript_id for s in sessions])
        return real_fit(sessions, kwargs)

    mp.setattr(N, "_fit", recording_fit)
    sessions, run = N.run_nested(SHARED_DATA / "annomi-dev", outer=2, inner=2, limit=8)
    mp.setattr(N, "_fit", real_fit)
    yield sessions, run, fitted
    mp.undo()


@pytest.mark.shared_data
def test_nested_models_never_see_their_test_transcripts(small_run):
    sessions, run, fitted = small_run
    ids = {s.transcript_id for s in sessions}
    assert len(run.folds) == 2 and len(fitted) == 2 * (2 + 1)  # per outer fold: 2 inner fits, then the outer fit
    assert sorted(t for f in run.folds for t in f.test_ids) == sorted(ids)  # each transcript tested once
    for k, f in enumerate(run.folds):
        inner_fits, outer_fit = fitted[3 * k: 3 * k + 2], fitted[3 * k + 2]
        assert set(outer_fit) == set(f.train_ids) and not set(outer_fit) & set(f.test_ids)
        assert set(f.test) == set(f.test_ids) and set(f.inner) == set(f.train_ids)
        for fit_ids, (tr, te) in zip(inner_fits, f.inner_folds):
            assert set(fit_ids) == set(tr) and not set(fit_ids) & set(te)
            assert set(tr) | set(te) == set(f.train_ids) and not (set(tr) | set(te)) & set(f.test_ids)
        # both qualities in every outer test fold (stratified)
        q = {s.transcript_id: s.quality for s in sessions}
        assert {q[t] for t in f.test_ids} == {"high", "low"}


@pytest.mark.shared_data
def test_eval_cues_cli_small(small_run, shared_data, tmp_path):
    out = tmp_path / "cues.json"
    r = CliRunner().invoke(main, ["eval", "cues", str(shared_data), *_SMALL, "--epitome-limit", "60",
                                  "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "NESTED" in r.output and "macro-F1" in r.output and "EPITOME" in r.output and "IN-SAMPLE" in r.output
    res = json.loads(out.read_text())
    a = res["annomi"]
    assert a["nested"] is True and a["folds"] == 2 and a["inner_folds"] == 2
    assert a["n_transcripts"] == 8 and a["n_low"] == 4
    assert len(a["per_fold"]) == 2
    _, run, _ = small_run
    for pf, f in zip(a["per_fold"], run.folds):  # the JSON records the same train/test split the run used
        assert pf["train_ids"] == f.train_ids and pf["test_ids"] == f.test_ids
        assert not set(pf["train_ids"]) & set(pf["test_ids"])
        assert 0.0 <= pf["macro_f1"] <= 1.0
    for block in ("model", "model_calibrated", "rules"):
        m = a[block]
        lo, hi = m["macro_f1_ci95"]
        assert lo <= m["macro_f1"] <= hi and hi - lo > 0
        for c, (clo, chi) in m["per_class_f1_ci95"].items():
            assert clo <= m["per_class"][c]["f1"] <= chi
        ilo, ihi = m["index_auc_ci95"]
        assert ilo <= m["index_auc"] <= ihi
    assert 0.3 < a["model"]["macro_f1"] <= 1.0
    assert set(a["model"]["per_cue"]) >= {"open_question", "complex_reflection", "advice", "change_talk"}
    assert res["epitome"]["interpretations"]["n"] == 60
    assert res["machine"]["cores"] >= 1


@pytest.mark.shared_data
def test_eval_index_cli_small(small_run, shared_data, tmp_path):
    from service.eval.index import CURRENT, VARIANTS

    out = tmp_path / "index.json"
    r = CliRunner().invoke(main, ["eval", "index", str(shared_data), *_SMALL, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "NESTED" in r.output and "in-sample" in r.output
    res = json.loads(out.read_text())
    assert res["nested"] is True and res["n_sessions"] == 8 and res["outer_folds"] == 2
    assert set(res["variants"]) == set(VARIANTS)
    for name, v in res["variants"].items():
        if v["auc"] is None:
            continue
        lo, hi = v["auc_ci95"]
        assert lo <= v["auc"] <= hi
        assert len(v["per_fold_auc"]) == 2 and len(v["fitted_per_fold"]) == 2
        if "minus_current" in v:
            dlo, dhi = v["minus_current_ci95"]
            assert dlo <= v["minus_current"] <= dhi
    _, run, _ = small_run
    assert [pf["test_ids"] for pf in res["per_fold"]] == [f.test_ids for f in run.folds]
    # weights fitted per fold from the training folds differ from fold to fold, never from the test fold
    w = res["variants"][CURRENT]["fitted_per_fold"]
    assert all(abs(sum(x["weights"].values()) - 1.0) < 0.01 for x in w)


def test_eval_cues_cli_bad_folder(tmp_path):
    r = CliRunner().invoke(main, ["eval", "cues", str(tmp_path)])
    assert r.exit_code == NotFoundError.exit_code and "AnnoMI-simple.csv" in r.output


@pytest.mark.parametrize("cmd", ["cues", "index"])
def test_eval_nested_rejects_too_few_folds(cmd, tmp_path):
    from analysis.errors import ParameterError

    r = CliRunner().invoke(main, ["eval", cmd, str(tmp_path), "--inner", "1"])
    assert r.exit_code == ParameterError.exit_code and "--inner=1" in r.output


def test_eval_index_bad_folder(tmp_path):
    r = CliRunner().invoke(main, ["eval", "index", str(tmp_path)])
    assert r.exit_code == NotFoundError.exit_code and "AnnoMI-simple.csv" in r.output
