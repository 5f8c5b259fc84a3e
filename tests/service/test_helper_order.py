"""One microphone with a known order: "the helper speaks first/second".

Unit tests pin :func:`service.pipeline.resolve_helper` (the one place that turns
first/second into a speaker label); end-to-end tests run real faster-whisper and
diarization on the bundled one-channel role-play ``jumps-to-fixes.wav``, where the
client talks first (0.8 s) and the helper second (6.0 s), through the pipeline,
the CLI, a web upload worked by the real job runner, and a batch manifest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.errors import ParameterError
from analysis.schema import Turn
from service.pipeline import AnalysisSettings, analyze_file, resolve_helper, score_transcript

ROOT = Path(__file__).resolve().parents[2]
MONO = ROOT / "samples" / "dialogues" / "jumps-to-fixes.wav"
HELPER_SAYS = "at least it was only one day"  # the helper's first reply
CLIENT_SAYS = "where to start"  # the client's opening line


def _turns() -> list[Turn]:
    # spk1 holds the floor first; spk0's earlier "mm" has no words and does not count
    return [
        Turn("spk0", "", 0.2, 0.4),
        Turn("spk1", "I don't know where to start.", 0.5, 3.0),
        Turn("spk0", "What happened?", 3.2, 4.0),
        Turn("spk1", "I used again.", 4.3, 5.0),
    ]


def test_first_and_second_follow_time_not_labels():
    assert resolve_helper("first", _turns()) == ("spk1", None)
    assert resolve_helper("second", _turns()) == ("spk0", None)
    assert resolve_helper("Second ", _turns()) == ("spk0", None)
    assert resolve_helper("speaker1", _turns()) == ("spk0", None)  # what older web sessions stored


def test_a_label_passes_through_and_none_means_infer():
    assert resolve_helper("spk1", _turns()) == ("spk1", None)
    assert resolve_helper(None, _turns()) == (None, None)


def test_second_with_one_speaker_is_a_plain_problem():
    label, problem = resolve_helper("second", [Turn("spk0", "Hello there.", 0.0, 1.0)])
    assert label is None
    assert "speak second" in problem and "only 1 speaker" in problem


def test_text_transcript_accepts_first_and_second():
    turns = [Turn("A", "I feel stuck.", None, None), Turn("B", "It sounds like you feel stuck.", None, None),
             Turn("A", "Yes.", None, None)]
    second = score_transcript(turns, AnalysisSettings(helper_speaker="second"))
    assert [t.role for t in second.turns] == ["client", "helper", "client"]
    first = score_transcript(turns, AnalysisSettings(helper_speaker="first"))
    assert [t.role for t in first.turns] == ["helper", "client", "helper"]
    with pytest.raises(ParameterError, match="speak second"):
        score_transcript(turns[:1], AnalysisSettings(helper_speaker="second"))


def _role_text(report: dict, role: str) -> str:
    return " ".join(t["text"] for t in report["turns"] if t["role"] == role).lower()


def _assert_full(report: dict, helper_is_the_helper: bool) -> None:
    assert report["partial"] is False, report["notes"]
    assert report["index"] is not None
    assert not any("never speaks" in n or "speak first" in n or "speak second" in n for n in report["notes"])
    helper, client = _role_text(report, "helper"), _role_text(report, "client")
    if helper_is_the_helper:
        assert HELPER_SAYS in helper and CLIENT_SAYS in client
    else:
        assert CLIENT_SAYS in helper and HELPER_SAYS in client
    first_turn = next(t for t in report["turns"] if t["text"].strip())
    assert first_turn["role"] == ("client" if helper_is_the_helper else "helper")


def test_pipeline_second_makes_the_second_speaker_the_helper():
    report = analyze_file(MONO, AnalysisSettings(setup="mono", helper_speaker="second")).to_dict()
    _assert_full(report, helper_is_the_helper=True)
    assert report["helper_speaker"] != "second"  # a real diarization label


def test_cli_helper_first(tmp_path):
    from service.cli.main import main

    out = tmp_path / "r"
    result = CliRunner().invoke(main, ["analyze", str(MONO), "--setup", "mono", "--helper", "first",
                                       "--out", str(out), "--quiet", "--no-prosody"])
    assert result.exit_code == 0, result.output
    _assert_full(json.loads((out / "report.json").read_text()), helper_is_the_helper=False)


def test_web_upload_helper_second_with_the_real_job_runner(tmp_path):
    from service.store.db import connect, db_path
    from service.store.storage import load_report
    from service.web.jobs import JobRunner
    from tests.web_fixtures import add_users, login, make_app, stop_jobs

    instance = tmp_path / "instance"
    app = make_app(instance)
    try:
        add_users(instance)
        client = app.test_client()
        login(client, "sup1")
        alice = connect(db_path(instance)).execute("SELECT id FROM users WHERE username='alice'").fetchone()[0]
        with MONO.open("rb") as f:
            r = client.post("/upload", data={"trainee_id": str(alice), "title": "one mic", "speaker_setup": "mono",
                                             "helper_speaker": "second", "audio": (f, "role-play.wav")})
        assert r.status_code == 302, r.get_data(as_text=True)
        runner = JobRunner(db_path(instance), instance, workers=0)
        assert runner.run_one()
        conn = connect(db_path(instance))
        job = conn.execute("SELECT status, error, session_id FROM jobs").fetchone()
        assert job["status"] == "done", job["error"]
        report = load_report(conn, job["session_id"])
        conn.close()
        _assert_full(report, helper_is_the_helper=True)
    finally:
        stop_jobs(app)


def test_batch_manifest_first_and_second(tmp_path):
    from service.cli.main import main

    cohort = tmp_path / "cohort"
    cohort.mkdir()
    shutil.copyfile(MONO, cohort / "a.wav")
    shutil.copyfile(MONO, cohort / "b.wav")
    (cohort / "manifest.csv").write_text("file,trainee,setup,helper_speaker\n"
                                         "a.wav,ann,mono,second\nb.wav,ann,mono,First\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(cohort), "--out", str(out), "--workers", "1",
                                       "--no-progress"])
    assert result.exit_code == 0, result.output
    _assert_full(json.loads((out / "a.wav" / "report.json").read_text()), helper_is_the_helper=True)
    _assert_full(json.loads((out / "b.wav" / "report.json").read_text()), helper_is_the_helper=False)
    # b.wav's manifest order ("First": the client) contradicts what each voice says: the row says so
    from service.batch.summary import read_summary_csv

    rows = {r["file"]: r for r in read_summary_csv(out / "summary.csv")}
    assert rows["b.wav"]["order_check"] == "rerun with helper_speaker=second"
    assert rows["b.wav"]["reason"].startswith("Speaking order looks wrong")
    assert not rows["a.wav"]["order_check"]
    assert "order-conflict" in (out / "summary.html").read_text()


def test_a_partial_report_lists_no_strength():
    from analysis.cues.detect import detect_cues
    from analysis.scoring.score import score_session

    turns = [Turn("helper", "It sounds like that was really hard for you. That took real courage to say.",
                  None, None, role="helper")]  # the client never speaks: no index, a partial report
    scored = score_session(turns, detect_cues(turns), None, None)
    assert scored.strengths == () and not scored.summary.judged  # no client: nothing to judge, even for the scorer
    report = score_transcript(turns)
    assert report.partial and report.index is None
    assert report.strengths == ()


def test_an_order_or_a_label_tells_the_diarizer_that_two_people_speak():
    from service.pipeline import _diarize_options

    for helper in ("first", "second", "Speaker1", "spk0"):
        assert _diarize_options(helper).num_speakers == 2
    assert _diarize_options(None) is None and _diarize_options("") is None
    assert _diarize_options("ch0") is None  # a channel label: not a diarized speaker
