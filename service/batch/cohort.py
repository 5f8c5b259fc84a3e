"""Batch analysis of a cohort's recordings: ``listenwell batch INPUT_DIR --out OUT_DIR``.

Output layout (what ``listenwell import-batch OUT_DIR`` reads)::

    OUT_DIR/
      batch.json            cohort index: {"format": 1, "version", "input_dir", "settings",
                            "started", "finished", "counts": {"done", "skipped", "failed"},
                            "recordings": [{"file", "trainee", "scenario", "status",
                            "run", "error_kind", "reason", "folder"}]}
                            status: "done" | "failed" (the recording's state, also for
                            reports kept from an earlier run); run: "analysed" | "skipped" |
                            "failed" (what this run did; "failed" also for a failure kept
                            from an earlier run); folder: relative to OUT_DIR, or
                            null when nothing was written for the file
      summary.csv           one row per recording (see service.batch.summary)
      summary.html          sortable table + plots comparing trainees (self-contained)
      <rel path of recording>/      e.g. alice/week1.wav/ (the audio's own name is a folder)
        record.json         {"format": 1, "file", "sha256", "size", "settings",
                            "settings_fingerprint", "version", "status": "done"|"failed",
                            "error_kind", "reason", "trainee", "scenario", "duration_s",
                            "analysis_seconds", "worker", "files", "written"}
        report.json         Report.to_dict() (analysis/report/report.schema.json), "source" = rel path
        report.html         the rendered report page
        report.txt          the plain-text report (not with --no-text)

The three report files exist when the analysis ran: status "done", or "failed"
with error_kind "no_speech"/"not_scored" (the report says why there is no index).
A recording folder is renamed into place complete (see service.batch.store), so
any folder with ``record.json`` is whole. A file that failed before analysis
because of its own content (corrupt, empty, not audio) has a folder with
``record.json`` only; a file that failed for another reason (missing,
unreadable, too long, a crash) has no folder and is retried by the next run.
The audio itself is not copied: ``batch.json``'s ``input_dir`` plus ``file``
locate it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from analysis.errors import ParameterError
from service.batch.manifest import RecordingJob, build_jobs
from service.batch.plots import cohort_plots
from service.batch.runner import RecordingTask, run_dask, run_pool, run_serial
from service.batch.settings import (
    default_workers,
    settings_dict,
    settings_for_job,
    setup_of,
    transcribe_options_of,
    usable_cores,
    with_cpu_threads,
)
from service.batch.store import (
    CACHEABLE_FAILURES,
    OutputLock,
    atomic_write_text,
    clean_partials,
    is_up_to_date,
    read_record,
    remove_recording,
    report_dir,
    settings_fingerprint,
    sha256_file,
    software_version,
    write_recording,
)
from service.batch.summary import counts_sentence, summary_row, write_summary_csv, write_summary_html
from service.pipeline import AnalysisSettings

__all__ = ["BatchOutcome", "run_batch", "default_workers", "EXIT_SOME_FAILED"]

logger = logging.getLogger(__name__)

EXIT_SOME_FAILED = 1


@dataclass
class BatchOutcome:
    """What a batch run did: counts, one summary row per recording, and the exit code."""

    out_dir: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    done: int = 0
    skipped: int = 0
    failed: int = 0
    interrupted: bool = False
    total: int = 0  # recordings in the cohort (the manifest's or the folder's)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return EXIT_SOME_FAILED if any(r["status"] == "failed" for r in self.rows) else 0

    @property
    def counts(self) -> dict[str, int]:
        cached = sum(1 for r in self.rows if r["status"] == "failed") - self.failed
        return {"done": self.done, "skipped": self.skipped, "failed": self.failed, "failed earlier": cached}

    @property
    def shown_counts(self) -> dict[str, int]:
        """The counts for people: "failed earlier" only when there are some."""
        return {k: v for k, v in self.counts.items() if k != "failed earlier" or v}

    @property
    def sentence(self) -> str:
        """"6 of 6 done: 5 now, 1 earlier." (see :func:`service.batch.summary.counts_sentence`)."""
        statuses = [r["status"] for r in self.rows]
        return counts_sentence(self.total or len(self.rows), statuses.count("done"), statuses.count("skipped"),
                               self.failed, self.counts["failed earlier"], self.interrupted)


@dataclass
class _Planned:
    job: RecordingJob
    settings: Any
    sha256: str
    size: int
    fingerprint: str


def _row_for(job: RecordingJob, settings: Any, status: str, record: dict | None = None, **kw) -> dict[str, Any]:
    return summary_row(
        job.rel,
        trainee=job.trainee,
        scenario=job.scenario,
        setup=setup_of(settings) if settings is not None else (job.setup or ""),
        status=status,
        error_kind=kw.get("error_kind") or (record or {}).get("error_kind") or "",
        reason=kw.get("reason") or (record or {}).get("reason") or "",
        report=kw.get("report"),
        analysis_seconds=kw.get("analysis_seconds", (record or {}).get("analysis_seconds")),
        report_link=kw.get("report_link", ""),
    )


def _link(rel: str) -> str:
    from urllib.parse import quote

    return quote(rel) + "/report.html"


def run_batch(
    input_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    settings: Any = None,
    *,
    manifest: str | os.PathLike | None = None,
    workers: int | None = None,
    cpu_threads: int = 0,
    scheduler: Any = None,
    ship_audio: bool = True,
    force: bool = False,
    render_text: bool = True,
    max_duration: float | None = None,
    show_progress: bool | None = None,
    echo: Callable[[str], None] | None = None,
) -> BatchOutcome:
    """Analyse every recording under ``input_dir`` into ``out_dir`` and write the cohort summary.

    Recordings whose stored result matches their audio sha256, settings and
    software version are skipped (``force`` redoes them). ``scheduler`` (an
    address or a ``distributed.Client``) sends the work to a Dask cluster;
    otherwise ``workers`` processes run here (1: in this process). ``echo``
    receives one line per finished file. ``max_duration`` (seconds) fails
    longer recordings before any work. Returns a :class:`BatchOutcome`.
    """
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    base = settings if settings is not None else AnalysisSettings()
    if out_dir.resolve() == input_dir.resolve():
        raise ParameterError(f"--out {out_dir} must not be the input folder itself")
    jobs, ignored = build_jobs(input_dir, manifest, skip_dir=out_dir)
    outcome = BatchOutcome(out_dir=out_dir, total=len(jobs))
    version = software_version()
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    say = echo or (lambda line: logger.info("%s", line))
    with OutputLock(out_dir):
        clean_partials(out_dir)
        rows: dict[str, dict[str, Any]] = {}
        todo: list[_Planned] = []
        for job in jobs:
            _plan_one(job, base, out_dir, version, force, rows, todo, outcome, max_duration)
        if not jobs:
            msg = (f"warning: no recordings found in {input_dir}" + (f" ({ignored} file(s) without an audio"
                   " extension were ignored)" if ignored else "") + "; nothing to analyse")
            logger.warning("%s", msg)
            say(msg)
        if ignored:
            say(f"ignored {ignored} file(s) without an audio extension")
        if outcome.skipped:
            say(f"{outcome.skipped} recording(s) up to date, skipped")
        if scheduler is None and workers is None:
            workers = default_workers(len(todo))
        workers = max(1, min(int(workers or 1), len(todo) or 1))
        threads = cpu_threads or (0 if scheduler is not None else max(1, usable_cores() // workers))
        by_rel = {p.job.rel: p for p in todo}
        tasks = [
            RecordingTask(
                rel=p.job.rel,
                path=str(p.job.path),
                settings=with_cpu_threads(p.settings, threads),
                render_text=render_text,
                max_duration=max_duration,
            )
            for p in todo
        ]
        transcribe_opts = transcribe_options_of(with_cpu_threads(base, threads))
        if scheduler is not None:
            results = run_dask(tasks, scheduler, ship_audio=ship_audio)
        elif workers == 1 or len(tasks) <= 1:
            results = run_serial(tasks, transcribe_opts if tasks else None)
        else:
            results = run_pool(tasks, workers, transcribe_opts, threads)
        try:
            with _terminate_as_interrupt():
                _collect(results, by_rel, out_dir, version, rows, outcome, say, len(tasks), show_progress)
        except KeyboardInterrupt:
            outcome.interrupted = True
            say("interrupted: finished reports are kept; run the same command again to resume")
        outcome.rows = [rows[j.rel] for j in jobs if j.rel in rows]
        _write_cohort(out_dir, input_dir, base, version, started, jobs, outcome)
    return outcome


@contextlib.contextmanager
def _terminate_as_interrupt():
    """Treat SIGTERM (``kill``) like Ctrl-C while the batch runs, so workers stop and the summary is written."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _plan_one(job, base, out_dir, version, force, rows, todo, outcome, max_duration=None) -> None:
    if job.missing:
        rows[job.rel] = _row_for(job, None, "failed", error_kind="not_found",
                                 reason="listed in the manifest but not found in the input folder")
        outcome.failed += 1
        return
    try:
        job_settings = settings_for_job(base, job)
        digest, size = sha256_file(job.path), job.path.stat().st_size
    except OSError as e:
        rows[job.rel] = _row_for(job, None, "failed", error_kind="unreadable", reason=f"cannot read: {e}")
        outcome.failed += 1
        return
    fingerprint = settings_fingerprint(settings_dict(job_settings))
    record = read_record(out_dir, job.rel)
    if not force and is_up_to_date(record, digest, fingerprint, version):
        report = None
        if "report.json" in record.get("files", ()):
            try:
                report = json.loads((report_dir(out_dir, job.rel) / "report.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):  # a damaged folder: redo it
                todo.append(_Planned(job, job_settings, digest, size, fingerprint))
                return
        outcome.skipped += 1
        status = "skipped" if record.get("status") == "done" else "failed"
        rows[job.rel] = _row_for(job, job_settings, status, record, report=report,
                                 report_link=_link(job.rel) if report else "")
        return
    todo.append(_Planned(job, job_settings, digest, size, fingerprint))


def _unscored(report: dict[str, Any]) -> tuple[str, str]:
    """Error kind and reason for a report without an index (silence, or nothing to score)."""
    kind = "no_speech" if not report.get("turns") else "not_scored"
    reason = "; ".join(str(n) for n in report.get("notes", ())) or "no listening-quality index could be computed"
    return kind, reason


def _write(out_dir: Path, rel: str, record: dict[str, Any], files: dict[str, str]) -> bool:
    """Write a recording's folder; on a disk error mark the record failed and return False."""
    try:
        write_recording(out_dir, rel, record, files)
        return True
    except OSError as e:
        logger.error("could not write the report of %s: %s", rel, e)
        record.update(status="failed", error_kind="write_error", reason=f"could not write the report: {e}")
        return False


def _collect(results, by_rel, out_dir, version, rows, outcome, say, total, show_progress) -> None:
    from tqdm import tqdm

    bar = tqdm(total=total, unit="file", desc="analysing", disable=None if show_progress is None else not show_progress,
               dynamic_ncols=True)
    with contextlib.closing(results), bar:
        for task, result in results:
            planned = by_rel[task.rel]
            job = planned.job
            record = {
                "file": job.rel,
                "sha256": planned.sha256,
                "size": planned.size,
                "settings": settings_dict(planned.settings),
                "settings_fingerprint": planned.fingerprint,
                "version": version,
                "status": result["status"],
                "error_kind": result.get("error_kind", ""),
                "reason": result.get("reason", ""),
                "trainee": job.trainee,
                "scenario": job.scenario,
                "analysis_seconds": result.get("analysis_seconds"),
                "worker": result.get("worker", ""),
            }
            if result["status"] == "done":
                report = dict(result["report"], source=job.rel)
                files = dict(result["files"])
                files["report.json"] = json.dumps(report, indent=2, ensure_ascii=False)
                record["duration_s"] = report.get("duration")
                if report.get("index") is None:
                    record["status"] = "failed"
                    record["error_kind"], record["reason"] = _unscored(report)
                if not _write(out_dir, job.rel, record, files):
                    report = None
                rows[job.rel] = _row_for(job, planned.settings, record["status"], report=report,
                                         error_kind=record["error_kind"], reason=record["reason"],
                                         analysis_seconds=result.get("analysis_seconds"),
                                         report_link=_link(job.rel) if report else "")
            else:
                if record["error_kind"] in CACHEABLE_FAILURES:
                    _write(out_dir, job.rel, record, {})
                else:  # a stale folder from an earlier run must not pass for this run's result
                    with contextlib.suppress(OSError):
                        remove_recording(out_dir, job.rel)
                rows[job.rel] = _row_for(job, planned.settings, "failed", error_kind=record["error_kind"],
                                         reason=record["reason"], analysis_seconds=result.get("analysis_seconds"))
            if record["status"] == "done":
                outcome.done += 1
                line = f"done    {job.rel}  index {report['index']:.0f}"
            else:
                outcome.failed += 1
                line = f"failed  {job.rel}  {record['error_kind']}: {record['reason']}"
            bar.set_postfix_str(f"done {outcome.done} failed {outcome.failed}", refresh=False)
            bar.update(1)
            if bar.disable:
                say(line)
            else:
                tqdm.write(line, file=sys.stderr)


def _write_cohort(out_dir, input_dir, base, version, started, jobs, outcome) -> None:
    rows = outcome.rows
    write_summary_csv(out_dir / "summary.csv", rows)
    meta = {"version": version, "settings": settings_dict(base), "input_dir": str(input_dir.resolve())}
    write_summary_html(out_dir / "summary.html", rows, counts=outcome.sentence, plots=cohort_plots(rows), meta=meta)
    recordings = []
    for row in rows:
        folder = report_dir(out_dir, row["file"])
        recordings.append({
            "file": row["file"],
            "trainee": row.get("trainee", ""),
            "scenario": row.get("scenario", ""),
            # the recording's state ("skipped" means done in an earlier run); what this run did is "run"
            "status": "done" if row["status"] == "skipped" else row["status"],
            "run": {"done": "analysed", "skipped": "skipped"}.get(row["status"], "failed"),
            "error_kind": row.get("error_kind", ""),
            "reason": row.get("reason", ""),
            "folder": row["file"] if (folder / "record.json").is_file() else None,
        })
    index = {
        "format": 1,
        "version": version,
        "input_dir": str(input_dir.resolve()),
        "settings": settings_dict(base),
        "started": started,
        "finished": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "interrupted": outcome.interrupted,
        "counts": {"done": outcome.done, "skipped": outcome.skipped, "failed": outcome.failed},
        "recordings": recordings,
    }
    atomic_write_text(out_dir / "batch.json", json.dumps(index, indent=2, ensure_ascii=False))
