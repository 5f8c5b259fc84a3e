"""Batch orchestration without the model: discovery, manifest, resume, atomic folders, summary.

The per-recording analysis is replaced by a stand-in that really decodes the
file (so bad files fail with the decoder's real errors) and scores a fixed
report from the audio's length; everything else is the real batch code.
tests/test_batch.py runs the real pipeline end to end.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from analysis.errors import ParameterError
from service.batch import runner as batch_runner
from service.batch import store as batch_store
from service.batch.cohort import default_workers, run_batch
from service.batch.manifest import build_jobs, read_manifest
from service.batch.summary import read_summary_csv

COHORT = Path(__file__).resolve().parents[1] / "data" / "cohort"
DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class FakeSettings:
    setup: str = "auto"
    helper_channel: int | None = None
    helper_speaker: str | None = None
    extra: dict = field(default_factory=dict)


def make_cohort(root: Path) -> Path:
    cohort = root / "cohort"
    shutil.copytree(COHORT, cohort)
    (cohort / "alice").mkdir()
    (cohort / "bob").mkdir()
    shutil.copyfile(DATA / "jfk.flac", cohort / "alice" / "jfk.flac")
    shutil.copyfile(DATA / "stereo_diarization.wav", cohort / "bob" / "stereo.wav")
    return cohort


@pytest.fixture
def fake_analysis(monkeypatch):
    """Replace the model-backed analysis with decode + a report scored from the duration."""
    from analysis.report.types import Report, SubScore
    from analysis.schema import Turn
    from analysis.timing.types import TimingMetrics
    from audio.decode import decode

    calls: list[str] = []

    def fake(path, task, started):
        calls.append(task.rel)
        audio = decode(path)
        if float(abs(audio.mono).max()) == 0.0:
            report = Report(source=str(path), duration=audio.duration, index=None, notes=("No speech was found.",))
        else:
            sub = SubScore(name="explore", label="Explore", score=round(audio.duration * 5, 1), weight=1.0)
            report = Report(source=str(path), duration=round(audio.duration, 3), index=round(audio.duration * 5, 1),
                            subscores={"explore": sub}, turns=(Turn(speaker="a", text="hi", role="helper"),),
                            timing=TimingMetrics.from_dict({
                                "duration": 10.0, "talk_share_helper": 0.4, "latency": {"count": 2, "median": 0.2},
                                "interruptions": [{"kind": "interruption", "start": 1.0, "end": 1.5},
                                                  {"kind": "interruption", "start": 4.0, "end": 4.5}]}))
        return {"status": "done", "report": report.to_dict(), "worker": "test",
                "files": {"report.json": report.to_json(), "report.html": "<html></html>", "report.txt": "text"},
                "analysis_seconds": 0.01}

    monkeypatch.setattr(batch_runner, "_analyze_path", fake)
    return calls


def test_discovery_and_manifest(tmp_path):
    cohort = make_cohort(tmp_path)
    jobs, ignored = build_jobs(cohort)
    by = {j.rel: j for j in jobs}
    assert sorted(by) == ["alice/jfk.flac", "bob/stereo.wav", "carol/corrupt.wav", "carol/silent.flac",
                          "dave/empty.wav", "dave/notes.wav"]
    assert ignored == 1  # README.md; manifest.csv is the manifest
    assert by["bob/stereo.wav"].setup == "stereo" and by["bob/stereo.wav"].helper_channel == 0
    assert by["alice/jfk.flac"].trainee == "Alice" and by["alice/jfk.flac"].scenario == "job-loss"
    # without a manifest the first folder names the trainee
    (cohort / "manifest.csv").unlink()
    jobs, _ = build_jobs(cohort)
    assert {j.rel: j.trainee for j in jobs}["carol/silent.flac"] == "carol"


def test_manifest_errors_name_the_line(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("file,setup\na.wav,mono\nb.wav,quad\n")
    with pytest.raises(ParameterError, match="line 3.*quad"):
        read_manifest(bad, tmp_path)
    bad.write_text("name,setup\nx,mono\n")
    with pytest.raises(ParameterError, match="'file' column"):
        read_manifest(bad, tmp_path)
    bad.write_text("file\n../outside.wav\n")
    with pytest.raises(ParameterError, match="outside"):
        read_manifest(bad, tmp_path)


def test_manifest_entry_without_file_is_reported(tmp_path, fake_analysis):
    cohort = tmp_path / "c"
    cohort.mkdir()
    shutil.copyfile(DATA / "stereo_diarization.wav", cohort / "a.wav")
    (cohort / "manifest.csv").write_text("file,trainee\na.wav,Ann\ngone.wav,Ben\n")
    outcome = run_batch(cohort, tmp_path / "out", FakeSettings(), workers=1, show_progress=False)
    rows = {r["file"]: r for r in outcome.rows}
    assert rows["gone.wav"]["status"] == "failed" and rows["gone.wav"]["error_kind"] == "not_found"
    assert rows["a.wav"]["status"] == "done" and rows["a.wav"]["trainee"] == "Ann"
    assert outcome.exit_code == 1


def test_batch_reports_bad_files_and_resumes(tmp_path, fake_analysis):
    cohort = make_cohort(tmp_path)
    out = tmp_path / "out"
    outcome = run_batch(cohort, out, FakeSettings(), workers=1, show_progress=False)
    rows = {r["file"]: r for r in read_summary_csv(out / "summary.csv")}
    assert rows["alice/jfk.flac"]["status"] == "done"
    assert float(rows["alice/jfk.flac"]["index"]) == pytest.approx(55.0)  # 11 s * 5
    assert rows["alice/jfk.flac"]["timing.talk_share_helper"] == "40.0"  # a percentage, as in the report
    header = (out / "summary.csv").read_text().splitlines()[0].split(",")
    assert header[:10] == ["file", "trainee", "scenario", "setup", "status", "error_kind", "reason", "duration_s",
                           "index", "partial"]  # the documented keys, for programs
    assert "subscore.explore" in header and "timing.talk_share_helper" in header and header[-2:] == ["analysis_s", "report"]
    raw = {line.split(",")[0]: dict(zip(header, line.split(","))) for line in (out / "summary.csv").read_text().splitlines()[1:]}
    assert raw["alice/jfk.flac"]["status"] == "done" and raw["alice/jfk.flac"]["index"] == "55.0"  # a plain number
    assert "timing.options.guard" not in rows["alice/jfk.flac"]  # settings are not figures
    assert rows["alice/jfk.flac"]["timing.interruptions.count"] == "2"
    assert rows["alice/jfk.flac"]["timing.latency.median"] == "0.2"
    assert rows["bob/stereo.wav"]["setup"] == "stereo"
    assert rows["carol/corrupt.wav"]["error_kind"] == "corrupt_audio"
    assert rows["dave/empty.wav"]["error_kind"] == "empty_file"
    assert rows["dave/notes.wav"]["error_kind"] == "not_audio"
    assert rows["carol/silent.flac"]["status"] == "failed"
    assert rows["carol/silent.flac"]["error_kind"] == "no_speech"
    for bad in ("carol/corrupt.wav", "dave/empty.wav", "dave/notes.wav"):
        assert rows[bad]["reason"], bad
    assert (outcome.done, outcome.failed, outcome.skipped) == (2, 4, 0)
    assert outcome.exit_code == 1
    good = out / "alice" / "jfk.flac"
    assert sorted(p.name for p in good.iterdir()) == ["record.json", "report.html", "report.json", "report.txt"]
    record = json.loads((good / "record.json").read_text())
    assert record["sha256"] == batch_store.sha256_file(cohort / "alice" / "jfk.flac")
    assert json.loads((good / "report.json").read_text())["source"] == "alice/jfk.flac"
    assert sorted(p.name for p in (out / "dave" / "empty.wav").iterdir()) == ["record.json"]
    index = json.loads((out / "batch.json").read_text())
    assert {r["file"]: r["folder"] for r in index["recordings"]}["alice/jfk.flac"] == "alice/jfk.flac"
    page = (out / "summary.html").read_text()
    assert "<table class='sortable'>" in page and "<svg" in page and "addEventListener" in page
    assert "<script src" not in page and "<link" not in page and "https://" not in page  # self-contained
    assert ">Listening score (0-100)</th>" in page and ">Helper talk share (%)</th>" in page and "40 %" in page
    assert "<p class=\"counts\" id=\"counts\">2 of 6 done: 2 now; 4 failed.</p>" in page
    assert '{"' not in page.split("</table>")[1]  # the settings as a list, not raw JSON
    assert "Settings used</summary>" in page

    # second run: nothing to do
    fake_analysis.clear()
    mtime = (good / "report.json").stat().st_mtime_ns
    again = run_batch(cohort, out, FakeSettings(), workers=1, show_progress=False)
    assert fake_analysis == []
    assert (again.done, again.skipped, again.failed) == (0, 6, 0)
    assert again.exit_code == 1  # the cohort still has failed files
    assert (good / "report.json").stat().st_mtime_ns == mtime
    assert [r["status"] for r in again.rows].count("skipped") == 2
    assert again.sentence == "2 of 6 done: 2 earlier; 4 failed in an earlier run."
    index = {r["file"]: r for r in json.loads((out / "batch.json").read_text())["recordings"]}
    assert index["alice/jfk.flac"]["status"] == "done" and index["alice/jfk.flac"]["run"] == "skipped"
    assert index["dave/empty.wav"]["status"] == "failed"

    # changed audio is redone; changed settings redo everything
    shutil.copyfile(DATA / "stereo_diarization.wav", cohort / "alice" / "jfk.flac")
    third = run_batch(cohort, out, FakeSettings(), workers=1, show_progress=False)
    assert fake_analysis == ["alice/jfk.flac"] and third.done == 1
    assert third.sentence == "2 of 6 done: 1 now, 1 earlier; 4 failed in an earlier run."
    fake_analysis.clear()
    run_batch(cohort, out, FakeSettings(extra={"x": 1}), workers=1, show_progress=False)
    assert len(fake_analysis) == 6


def test_failed_write_leaves_no_folder(tmp_path, monkeypatch):
    real = batch_store._fsync_write

    def failing(path, text):
        if path.name == "report.html":
            raise OSError("disk full")
        real(path, text)

    monkeypatch.setattr(batch_store, "_fsync_write", failing)
    with pytest.raises(OSError):
        batch_store.write_recording(tmp_path, "a/b.wav", {"status": "done"}, {"report.json": "{}", "report.html": "x"})
    assert not (tmp_path / "a" / "b.wav").exists()
    assert list((tmp_path / "a").iterdir()) == []


def test_rewrite_replaces_whole_folder_and_leftovers_are_cleaned(tmp_path):
    batch_store.write_recording(tmp_path, "x.wav", {"status": "done"}, {"report.json": "1", "report.html": "1"})
    batch_store.write_recording(tmp_path, "x.wav", {"status": "failed"}, {})
    assert sorted(p.name for p in (tmp_path / "x.wav").iterdir()) == ["record.json"]
    # what a SIGKILL between mkdir and rename leaves behind
    (tmp_path / ".partial-y.wav-1-abc").mkdir()
    (tmp_path / ".partial-y.wav-1-abc" / "report.json").write_text("{")
    (tmp_path / ".partial-summary.csv-1").write_text("half")
    assert batch_store.clean_partials(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.wav"]


def test_interrupt_keeps_finished_reports_and_resumes(tmp_path, fake_analysis, monkeypatch):
    cohort = make_cohort(tmp_path)
    out = tmp_path / "out"
    real = batch_runner._analyze_path
    seen = []

    def interrupting(path, task, started):
        seen.append(task.rel)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return real(path, task, started)

    monkeypatch.setattr(batch_runner, "_analyze_path", interrupting)
    outcome = run_batch(cohort, out, FakeSettings(), workers=1, show_progress=False)
    assert outcome.interrupted and outcome.exit_code == 130
    assert (out / "alice" / "jfk.flac" / "report.json").is_file()
    assert not (out / "bob" / "stereo.wav").exists()
    assert not [p for p in out.rglob(".partial-*")]
    assert outcome.sentence.startswith("1 of 6 done: 1 now; ") and outcome.sentence.endswith(
        "(run the same command again to go on).")
    assert outcome.sentence in (out / "summary.html").read_text()
    monkeypatch.setattr(batch_runner, "_analyze_path", real)
    fake_analysis.clear()
    resumed = run_batch(cohort, out, FakeSettings(), workers=1, show_progress=False)
    assert "alice/jfk.flac" not in fake_analysis and "bob/stereo.wav" in fake_analysis
    assert resumed.skipped == 1 and resumed.done == 1


def test_second_run_on_same_output_is_refused_while_locked(tmp_path):
    with batch_store.OutputLock(tmp_path):
        with pytest.raises(ParameterError, match="another batch run"):
            with batch_store.OutputLock(tmp_path):
                pass


def test_default_workers_follows_cores_and_memory():
    assert default_workers(100, cores=16, available_memory=64 << 30) == 8
    assert default_workers(100, cores=16, available_memory=3_100_000_000) == 2
    assert default_workers(3, cores=16, available_memory=64 << 30) == 3
    assert default_workers(100, cores=2, available_memory=64 << 30) == 1
    assert default_workers(100, cores=1, available_memory=100) == 1


class _KillsWorker:
    """Unpickling this in a worker process ends that process at once (a stand-in for a native crash)."""

    def __reduce__(self):
        import os

        return (os._exit, (3,))


def test_a_dying_worker_fails_only_its_own_file(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    tasks = [batch_runner.RecordingTask(rel=f"e{i}.wav", path=str(empty), settings=None) for i in range(3)]
    tasks.insert(1, batch_runner.RecordingTask(rel="boom.wav", path=str(empty), settings=_KillsWorker()))
    results = {t.rel: r for t, r in batch_runner.run_pool(tasks, 2, None, 1)}
    assert sorted(results) == ["boom.wav", "e0.wav", "e1.wav", "e2.wav"]
    assert results["boom.wav"]["error_kind"] == "worker_crashed"
    assert {results[f"e{i}.wav"]["error_kind"] for i in range(3)} == {"empty_file"}


def test_import_batch_output_into_web_storage(tmp_path, fake_analysis):
    from service.batch.importer import import_batch_output
    from service.store.db import connect, db_path

    cohort = make_cohort(tmp_path)
    out = tmp_path / "out"
    run_batch(cohort, out, FakeSettings(), workers=1, show_progress=False)
    instance = tmp_path / "instance"
    instance.mkdir()
    first = import_batch_output(instance, out)
    # two scored reports and the silent file's (unscored) report; corrupt/empty/text have none
    assert len(first.session_ids) == 3
    assert sorted(first.left_out) == ["carol/corrupt.wav", "dave/empty.wav", "dave/notes.wav"]
    conn = connect(db_path(instance))
    try:
        rows = conn.execute("SELECT u.username, s.title, s.scenario_id, s.audio_name FROM sessions s"
                            " JOIN users u ON u.id = s.trainee_id ORDER BY s.title").fetchall()
    finally:
        conn.close()
    got = [(r["username"], r["title"], r["scenario_id"], r["audio_name"] is not None) for r in rows]
    assert got[0] == ("Alice", "alice/jfk.flac", "job-loss", True)
    again = import_batch_output(instance, out)
    assert again.session_ids == [] and len(again.already) == 3
    with pytest.raises(ParameterError, match="batch.json"):
        import_batch_output(instance, cohort)


def test_sigterm_is_handled_like_ctrl_c():
    import os
    import signal

    from service.batch.cohort import _terminate_as_interrupt

    with pytest.raises(KeyboardInterrupt):
        with _terminate_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            import time

            time.sleep(5)  # the handler interrupts this
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_output_folder_inside_input_is_not_searched(tmp_path, fake_analysis):
    cohort = tmp_path / "c"
    cohort.mkdir()
    shutil.copyfile(DATA / "stereo_diarization.wav", cohort / "a.wav")
    first = run_batch(cohort, cohort / "results", FakeSettings(), workers=1, show_progress=False)
    second = run_batch(cohort, cohort / "results", FakeSettings(), workers=1, show_progress=False)
    assert [r["file"] for r in first.rows] == ["a.wav"] == [r["file"] for r in second.rows]
    assert second.skipped == 1
    with pytest.raises(ParameterError, match="input folder itself"):
        run_batch(cohort, cohort, FakeSettings(), workers=1, show_progress=False)


def test_max_duration_rejects_long_files_until_the_limit_is_raised(tmp_path, fake_analysis):
    cohort = tmp_path / "c"
    cohort.mkdir()
    shutil.copyfile(DATA / "stereo_diarization.wav", cohort / "five.wav")  # 5 s
    shutil.copyfile(DATA / "jfk.flac", cohort / "eleven.flac")  # 11 s
    out = tmp_path / "out"
    first = run_batch(cohort, out, FakeSettings(), workers=1, show_progress=False, max_duration=8.0)
    rows = {r["file"]: r for r in first.rows}
    assert rows["eleven.flac"]["error_kind"] == "audio_too_long" and "limit" in rows["eleven.flac"]["reason"]
    assert rows["five.wav"]["status"] == "done"
    assert fake_analysis == ["five.wav"]  # the long file never reached the analysis
    again = run_batch(cohort, out, FakeSettings(), workers=1, show_progress=False, max_duration=60.0)
    assert {r["file"]: r["status"] for r in again.rows} == {"eleven.flac": "done", "five.wav": "skipped"}


def test_counts_sentence_adds_up():
    from service.batch.summary import counts_sentence

    assert counts_sentence(6, 5, 1, 0) == "6 of 6 done: 5 now, 1 earlier."
    assert counts_sentence(6, 1, 0, 0, interrupted=True) == \
        "1 of 6 done: 1 now; stopped before 5 (run the same command again to go on)."
    assert counts_sentence(6, 2, 0, 1, 3) == "2 of 6 done: 2 now; 4 failed (3 in an earlier run)."
    assert counts_sentence(3, 0, 0, 3) == "0 of 3 done; 3 failed."


def test_summary_csv_numbers_stay_numbers(tmp_path):
    """A one-microphone row's unmeasured timing and an unjudged sub-score: empty cells named in not_measured."""
    import csv

    from service.batch.summary import summary_row, write_summary_csv

    report = {"duration": 30.0, "index": 61.26, "partial": False,
              "subscores": {"explore": {"score": 70.0}, "hold_back": {"score": 40.0, "confidence": 0.1}},
              "timing": {"overlaps_measured": False, "talk_share_helper": 0.5, "latency": {"median": 0.4}}}
    rows = [summary_row("a.wav", status="done", report=report), summary_row("b.wav", status="skipped", report={
        **report, "subscores": {"explore": {"score": 20.0}}, "timing": {"talk_share_helper": 0.25}})]
    columns = write_summary_csv(tmp_path / "summary.csv", rows)
    with open(tmp_path / "summary.csv", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert list(got[0]) == columns and "not_measured" in columns
    assert got[0]["index"] == "61.3" and got[0]["subscore.explore"] == "70.0"
    assert got[0]["subscore.hold_back"] == "" and got[0]["timing.latency.median"] == ""
    assert got[0]["not_measured"] == "subscore.hold_back; timing.backchannels.count; timing.client_interruptions.count; " \
        "timing.interruptions.count; timing.latency.mean; timing.latency.median; timing.overlaps.count"
    assert got[0]["timing.talk_share_helper"] == "50.0" and got[1]["timing.talk_share_helper"] == "25.0"
    assert (got[1]["status"], got[1]["not_measured"]) == ("skipped", "")
    for r in got:  # every figure column parses as a number or is empty
        for k, v in r.items():
            if k.startswith(("subscore.", "timing.", "miti.", "prosody.")) and v:
                float(v)


def test_summary_never_shows_a_negative_pause_or_a_one_microphone_zero():
    """Issue 25: a negative "usual pause" (-0.485 s) in the batch summary; cut-ins shown as 0 on one microphone."""
    from service.batch.summary import NOT_MEASURED, _shown, summary_row

    assert _shown("timing.latency.median", -0.485) == "none: started 0.5 s before the other had finished"
    assert _shown("timing.latency.median", 0.8) == "0.8"
    mono = {"index": 60.0, "subscores": {}, "timing": {"duration": 30.0, "talk_share_helper": 0.4,
                                                       "latency": {"count": 3, "median": 0.0},
                                                       "interruptions": [], "overlaps_measured": False}}
    row = summary_row("a.wav", status="done", report=mono)
    assert row["timing.interruptions.count"] == NOT_MEASURED and row["timing.latency.median"] == NOT_MEASURED
    assert row["timing.talk_share_helper"] == 40.0
