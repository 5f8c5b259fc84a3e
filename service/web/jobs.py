"""A durable analysis queue in the service's SQLite database, worked by in-process threads.

A job row is ``queued`` -> ``running`` (with stage and progress) -> ``done`` or
``failed`` (with the error message). On start-up, jobs left ``running`` by a
process that died are put back in the queue, so a restart finishes them. The
number of worker threads (``JOB_WORKERS``, default 1) bounds how many analyses
run at once; further uploads wait in the queue.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from analysis.errors import ListenWellError
from service.pipeline import AnalysisSettings, analyze_file
from service.store.db import connect
from service.store.storage import audio_path, save_report
from service.web.full_page import stored_full_page

__all__ = ["MAX_ATTEMPTS", "JobRunner", "enqueue", "init_app", "notify_runner", "recover_interrupted"]

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


def enqueue(conn, session_id: int) -> int:
    """Queue an analysis of ``session_id``; return the job id (caller commits)."""
    cur = conn.execute("INSERT INTO jobs (session_id) VALUES (?)", (session_id,))
    return int(cur.lastrowid)


def notify_runner(app: Flask) -> None:
    """Wake the app's job runner (if it has one) after a job was queued and committed."""
    runner = app.extensions.get("listenwell_jobs")
    if runner is not None:
        runner.notify()


def recover_interrupted(conn) -> int:
    """Requeue jobs left ``running`` by a stopped process; give up after MAX_ATTEMPTS tries."""
    conn.execute(
        "UPDATE jobs SET status = 'failed', finished_at = " + _NOW + ","
        " error = 'gave up after ' || attempts || ' interrupted attempts'"
        " WHERE status = 'running' AND attempts >= ?",
        (MAX_ATTEMPTS,),
    )
    cur = conn.execute(
        "UPDATE jobs SET status = 'queued', stage = 'requeued after restart', progress = 0"
        " WHERE status = 'running'"
    )
    conn.commit()
    if cur.rowcount:
        logger.warning("requeued %d interrupted job(s)", cur.rowcount)
    return cur.rowcount


def _default_analyze(path: Path, session: dict[str, Any], progress: Callable) -> dict[str, Any]:
    """Run the real pipeline with the session's speaker set-up; return the report dict."""
    wanted = {
        "setup": session.get("speaker_setup") or "auto",
        "helper_channel": session.get("helper_channel"),
        # "first"/"second" (the upload form) are resolved by the pipeline after diarization
        "helper_speaker": session.get("helper_speaker"),
    }
    names = {f.name for f in dataclasses.fields(AnalysisSettings)}
    settings = AnalysisSettings(**{k: v for k, v in wanted.items() if k in names and v is not None})
    timeline = session.get("client_timeline")
    timeline = json.loads(timeline) if timeline else None  # [{"start", "end", "text"}]
    report = analyze_file(path, settings, progress=progress, client_timeline=timeline or None)
    return report.to_dict()


def _hide_path(message: str, path: Path | None) -> str:
    """Error text for users: the stored file's path and generated name become "the recording"."""
    if path is not None:
        message = message.replace(str(path), "the recording").replace(path.name, "the recording")
    return message


class JobRunner:
    """Worker threads that take queued jobs from the database and run the analysis."""

    def __init__(
        self,
        database: str | Path,
        instance_dir: str | Path,
        workers: int = 1,
        analyze: Callable[..., dict[str, Any]] | None = None,
        poll_seconds: float = 1.0,
    ):
        self.database = str(database)
        self.instance_dir = Path(instance_dir)
        self.workers = max(0, int(workers))
        self.analyze = analyze or _default_analyze
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- life cycle -------------------------------------------------------
    def start(self) -> None:
        """Requeue interrupted jobs and start the worker threads."""
        conn = connect(self.database)
        try:
            recover_interrupted(conn)
        finally:
            conn.close()
        for i in range(self.workers):
            t = threading.Thread(target=self._loop, name=f"listenwell-job-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def notify(self) -> None:
        """Wake an idle worker (a job was queued)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the workers to finish their current job and exit."""
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_one()
            except Exception:  # never let a worker thread die
                logger.exception("job worker error")
                worked = False
            if not worked:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    # -- one job ----------------------------------------------------------
    def _claim(self, conn) -> sqlite3.Row | None:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(
            "SELECT * FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1"
        ).fetchone()
        if row is None:
            conn.execute("COMMIT")
            return None
        conn.execute(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, stage = 'starting',"
            " progress = 0, error = NULL, started_at = " + _NOW + " WHERE id = ?",
            (row["id"],),
        )
        conn.execute("COMMIT")
        return row

    def run_one(self) -> bool:
        """Claim and run the oldest queued job; False when the queue is empty."""
        conn = connect(self.database)
        conn.isolation_level = None  # explicit transactions
        try:
            job = self._claim(conn)
            if job is None:
                return False
            self._run(conn, int(job["id"]), int(job["session_id"]))
            return True
        finally:
            conn.close()

    def _run(self, conn, job_id: int, session_id: int) -> None:
        session = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if session is None:
            return
        last = {"t": 0.0, "stage": None}

        def progress(stage: str, fraction: float) -> None:
            now = time.monotonic()
            if stage == last["stage"] and now - last["t"] < 0.5:
                return
            last.update(t=now, stage=stage)
            fraction = min(1.0, max(0.0, float(fraction)))
            conn.execute(
                "UPDATE jobs SET stage = ?, progress = ? WHERE id = ? AND status = 'running'",
                (str(stage), fraction, job_id),
            )

        path = None
        try:
            path = audio_path(self.instance_dir, session["audio_name"])
            if path is None or not path.exists():
                raise ListenWellError(f"the audio of session {session_id} is missing")
            report = self.analyze(path, dict(session), progress)
        except ListenWellError as e:
            self._finish(conn, job_id, "failed", _hide_path(e.message, path))
            return
        except Exception as e:
            logger.exception("analysis of session %s failed", session_id)
            self._finish(conn, job_id, "failed", _hide_path(f"internal error: {type(e).__name__}: {e}", path))
            return
        conn.execute("BEGIN IMMEDIATE")
        kept = conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is not None
        stored = save_report(conn, session_id, report) if kept else None
        conn.execute("COMMIT")
        if stored is not None:
            self._store_full_page(session, stored)
        self._finish(conn, job_id, "done", None)

    def _store_full_page(self, session, report_json: str) -> None:
        """Render and store the standalone page now, so no viewer waits for its charts."""
        try:
            stored_full_page(self.instance_dir, session, report_json)
        except Exception:  # the page is rendered on its first view instead
            logger.exception("could not store the standalone page of session %s", session["id"])

    @staticmethod
    def _finish(conn, job_id: int, status: str, error: str | None) -> None:
        conn.execute(
            "UPDATE jobs SET status = ?, error = ?, progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END,"
            " stage = CASE WHEN ? = 'done' THEN 'done' ELSE stage END, finished_at = " + _NOW
            + " WHERE id = ?",
            (status, error, status, status, job_id),
        )


def init_app(app: Flask) -> JobRunner:
    """Create the app's job runner, requeue interrupted jobs and start its workers."""
    runner = JobRunner(
        app.config["DATABASE"],
        app.instance_path,
        workers=app.config.get("JOB_WORKERS", 1),
        analyze=app.config.get("ANALYZE"),
    )
    app.extensions["listenwell_jobs"] = runner
    runner.start()
    return runner
