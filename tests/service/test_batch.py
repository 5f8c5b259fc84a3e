"""``listenwell batch`` end to end with real faster-whisper: local pool, rerun, Dask, a killed run.

The cohort is tests/data/cohort (corrupt, empty, text-named-.wav, silent files
and a manifest) plus two real two-speaker stereo recordings made at test time:
``bob/stereo.wav`` (faster-whisper's stereo test file) and ``alice/jfk.flac``
(the JFK clip with alternating phrases moved to alternating channels).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from service.batch.summary import VOLATILE_COLUMNS, read_summary_csv
from service.cli.main import main

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = ("alice/jfk.flac", "bob/stereo.wav")
BAD = {
    "carol/corrupt.wav": "corrupt_audio",
    "carol/silent.flac": "no_speech",
    "dave/empty.wav": "empty_file",
    "dave/notes.wav": "not_audio",
}


def two_voice_jfk(target: Path) -> None:
    """JFK's sentence split at its pauses onto two channels, as if two people took turns."""
    samples, sr = sf.read(DATA / "jfk.flac", dtype="float32")
    mono = samples.mean(axis=1)
    cuts = (0.0, 2.6, 5.0, 7.9, 11.0)  # quiet points between phrases, seconds
    out = np.zeros((2, mono.shape[0]), dtype=np.float32)
    for i in range(4):
        a, b = int(cuts[i] * sr), int(cuts[i + 1] * sr)
        out[i % 2, a:b] = mono[a:b]
    sf.write(target, out.T, sr, format="FLAC")


def build_cohort(root: Path) -> Path:
    cohort = root / "cohort"
    shutil.copytree(DATA / "cohort", cohort)
    (cohort / "alice").mkdir()
    (cohort / "bob").mkdir()
    two_voice_jfk(cohort / "alice" / "jfk.flac")
    shutil.copyfile(DATA / "stereo_diarization.wav", cohort / "bob" / "stereo.wav")
    manifest = (cohort / "manifest.csv").read_text().replace("alice/jfk.flac,Alice,job-loss,mono",
                                                             "alice/jfk.flac,Alice,job-loss,stereo")
    (cohort / "manifest.csv").write_text(manifest)
    return cohort


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """One real batch over the cohort with two worker processes, then a rerun."""
    root = tmp_path_factory.mktemp("batch")
    cohort = build_cohort(root)
    out = root / "out"
    runner = CliRunner()
    # one Whisper thread per worker, as in the Dask test, so both paths compute alike on any machine
    args = ["--workers", "2", "--cpu-threads", "1", "--no-progress"]
    first = runner.invoke(main, ["batch", str(cohort), "--out", str(out), *args])
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("report.json")}
    shutil.copyfile(out / "summary.csv", root / "first-summary.csv")
    second = runner.invoke(main, ["batch", str(cohort), "--out", str(out), *args])
    return cohort, out, first, second, mtimes


def test_batch_completes_good_files_and_reports_bad_ones(local_run):
    cohort, out, first, _, _ = local_run
    assert first.exit_code == 1, first.output
    assert "2 of 6 done: 2 now; 4 failed." in first.output
    rows = {r["file"]: r for r in read_summary_csv(out.parent / "first-summary.csv")}
    assert sorted(rows) == sorted([*GOOD, *BAD])
    for rel in GOOD:
        row = rows[rel]
        assert row["status"] == "done", row
        assert 0 <= float(row["index"]) <= 100
        assert row["setup"] == "stereo"
        subs = [k for k in row if k.startswith("subscore.")]
        # each part has a number, or is listed in not_measured (not measured, or not enough to judge)
        assert subs and all(row[k] or k in row["not_measured"] for k in subs), row
        assert "miti.questions" in row
        folder = out / rel
        report = json.loads((folder / "report.json").read_text())
        assert report["source"] == rel and report["index"] == pytest.approx(float(row["index"]), abs=0.05)
        assert "<html" in (folder / "report.html").read_text().lower()
        assert (folder / "report.txt").read_text().strip()
        assert json.loads((folder / "record.json").read_text())["status"] == "done"
    assert rows["alice/jfk.flac"]["trainee"] == "Alice"
    # the transcript really came from Whisper
    words = " ".join(t["text"] for t in json.loads((out / "alice/jfk.flac/report.json").read_text())["turns"])
    assert "country" in words.lower()
    for rel, kind in BAD.items():
        assert rows[rel]["status"] == "failed", rows[rel]
        assert rows[rel]["error_kind"] == kind
        assert rows[rel]["reason"]
    page = (out / "summary.html").read_text()
    assert page.count("<svg") >= 2 and "Alice" in page and "Bob" in page


def test_second_run_does_no_work(local_run):
    _, out, _, second, mtimes = local_run
    assert second.exit_code == 1  # the cohort still holds failed files
    assert "2 of 6 done: 2 earlier; 4 failed in an earlier run." in second.output
    assert mtimes and {p: p.stat().st_mtime_ns for p in out.rglob("report.json")} == mtimes
    statuses = [r["status"] for r in read_summary_csv(out / "summary.csv")]
    assert statuses.count("skipped") == 2 and statuses.count("failed") == 4


def _comparable(path: Path) -> list[dict[str, object]]:
    """Summary rows without run-dependent columns; numbers as floats rounded to 3 decimals."""
    def value(v: str) -> object:
        try:
            return round(float(v), 3)
        except ValueError:
            return v

    return [{k: value(v) for k, v in r.items() if k not in VOLATILE_COLUMNS} for r in read_summary_csv(path)]


def test_dask_cluster_gives_the_same_summary(local_run, tmp_path):
    from distributed import Client, LocalCluster

    from service.batch.cohort import run_batch
    from audio.transcribe import TranscribeOptions
    from service.batch.settings import build_settings

    cohort, out, _, _, _ = local_run
    settings = build_settings("auto", None, None, TranscribeOptions(model="tiny.en", device="auto"))
    # worker processes, like the local pool: nothing left in this test process by earlier tests (a loaded
    # model, a VAD session) can change the figures
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            outcome = run_batch(cohort, tmp_path / "dask", settings, scheduler=client, cpu_threads=1,
                                show_progress=False)
    assert (outcome.done, outcome.failed) == (2, 4)
    dask_rows, local_rows = _comparable(tmp_path / "dask" / "summary.csv"), _comparable(out.parent / "first-summary.csv")
    # A pause within milliseconds of a bin edge (1 s: medium/long) can fall either side between two
    # processes (word times differ by a few ms); the number of pauses must agree, each bin within one.
    for d, loc in zip(dask_rows, local_rows):
        bins = [k for k in d if k.startswith(("timing.pauses.", "timing.long_pauses."))]
        assert {k: v for k, v in d.items() if k not in bins} == {k: v for k, v in loc.items() if k not in bins}
        assert all(abs(float(d[k] or 0) - float(loc[k] or 0)) <= 1 for k in bins), (d["file"], bins)
        pause_bins = [k for k in bins if k.startswith("timing.pauses.")]
        assert sum(float(d[k] or 0) for k in pause_bins) == sum(float(loc[k] or 0) for k in pause_bins)
    assert len(dask_rows) == len(local_rows)
    record = json.loads((tmp_path / "dask" / "bob/stereo.wav" / "record.json").read_text())
    assert record["status"] == "done"


def test_killed_run_leaves_no_partial_report(tmp_path):
    cohort = tmp_path / "cohort"
    cohort.mkdir()
    for i in range(3):
        shutil.copyfile(DATA / "stereo_diarization.wav", cohort / f"s{i}.wav")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "service.cli.main", "batch", str(cohort), "--out", str(out), "--workers", "1",
           "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(out.glob("s*.wav/record.json")):
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the batch finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    finished = [p for p in out.glob("s*.wav") if p.is_dir()]
    assert 1 <= len(finished) < 3
    for folder in finished:  # every visible folder is complete
        record = json.loads((folder / "record.json").read_text())
        assert sorted(p.name for p in folder.iterdir()) == sorted([*record["files"], "record.json"])
        json.loads((folder / "report.json").read_text())
    assert not (out / "summary.csv").exists() or read_summary_csv(out / "summary.csv") is not None
    again = CliRunner().invoke(main, ["batch", str(cohort), "--out", str(out), "--workers", "1", "--no-progress"])
    assert again.exit_code == 0, again.output
    assert f"3 of 3 done: {3 - len(finished)} now, {len(finished)} earlier." in again.output
    assert not list(out.rglob(".partial-*")) and not list(out.rglob(".old-*"))


def test_cli_scheduler_address_over_tcp(tmp_path):
    """``--scheduler tcp://...`` by address (the bad files only: the decoder's errors come back through Dask)."""
    from distributed import LocalCluster

    cohort = tmp_path / "cohort"
    for rel in ("carol/corrupt.wav", "dave/empty.wav", "dave/notes.wav"):
        (cohort / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DATA / "cohort" / rel, cohort / rel)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        result = CliRunner().invoke(main, ["batch", str(cohort), "--out", str(tmp_path / "out"),
                                           "--scheduler", address, "--no-progress"])
    assert result.exit_code == 1, result.output
    assert "0 of 3 done; 3 failed." in result.output
    kinds = {r["file"]: r["error_kind"] for r in read_summary_csv(tmp_path / "out" / "summary.csv")}
    assert kinds == {"carol/corrupt.wav": "corrupt_audio", "dave/empty.wav": "empty_file",
                     "dave/notes.wav": "not_audio"}
