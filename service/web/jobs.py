"""The job runner: worker threads that take jobs from the durable queue (:mod:`service.web.job_queue`).

A job row is ``queued`` -> ``running`` (with stage and progress) -> ``done`` or ``failed`` (with the
error message). Two kinds: an **analysis** of a session's recording (the pipeline, or
``ANALYZE``: a Dask cluster under ``serve --scheduler``) and the **voicing** of a supervisor's
checked scenario (Piper, always in this process). On start-up, jobs left ``running`` by a process
that died are put back in the queue, so a restart finishes them.

``JOB_WORKERS`` threads (default 1) take any job, fairly across users. With ``EXPRESS_LANE_SECONDS``
> 0 (default 120) one more thread takes only analyses of at most that much audio, so a short clip
never waits behind a long recording. Each worker thread lowers its own CPU priority (``JOB_NICE``,
default 10; Linux, per thread) and the analyses it runs load their own copy of the Whisper model from
that thread (``JOB_CPU_THREADS``), so the threads doing the heavy work run at that priority and the
web requests get the CPU first.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from analysis.errors import ListenWellError
from service.pipeline import AnalysisSettings, analyze_file
from service.practice.added import voice_and_store
from service.store.db import connect
from service.store.storage import audio_path, save_report
from service.web.full_page import stored_full_page
from service.web.job_queue import MAX_ATTEMPTS, claim_next, enqueue, recover_interrupted

__all__ = [
    "MAX_ATTEMPTS",
    "JobRunner",
    "enqueue",
    "init_app",
    "lower_thread_priority",
    "notify_runner",
    "recover_interrupted",
    "usable_cores",
]

logger = logging.getLogger(__name__)
_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


def notify_runner(app: Flask) -> None:
    """Wake the app's job runner (if it has one) after a job was queued and committed."""
    runner = app.extensions.get("listenwell_jobs")
    if runner is not None:
        runner.notify()


def lower_thread_priority(niceness: int) -> bool:
    """Lower the calling thread's CPU priority by ``niceness`` (Linux: per thread; threads it starts
    later inherit it). False where that is not possible (another OS, or not allowed)."""
    if niceness <= 0 or not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))
        return True
    except OSError as e:  # pragma: no cover - a sandbox that forbids it
        logger.warning("could not lower the job thread's priority: %s", e)
        return False


def _default_analyze(path: Path, session: dict[str, Any], progress: Callable, *, cpu_threads: int = 0) -> dict[str, Any]:
    """Run the real pipeline with the session's speaker set-up; return the report dict.

    ``cpu_threads``: CTranslate2 threads (0: its default). The model is loaded once per process and
    per thread count, by the first thread that asks for it.
    """
    wanted = {
        "setup": session.get("speaker_setup") or "auto",
        "helper_channel": session.get("helper_channel"),
        # "first"/"second" (the upload form) are resolved by the pipeline after diarization
        "helper_speaker": session.get("helper_speaker"),
    }
    names = {f.name for f in dataclasses.fields(AnalysisSettings)}
    settings = AnalysisSettings(**{k: v for k, v in wanted.items() if k in names and v is not None})
    if cpu_threads:
        settings = dataclasses.replace(
            settings, transcribe=dataclasses.replace(settings.transcribe, cpu_threads=int(cpu_threads)))
    timeline = session.get("client_timeline")
    timeline = json.loads(timeline) if timeline else None  # [{"start", "end", "text"}]
    report = analyze_file(path, settings, progress=progress, client_timeline=timeline or None)
    return report.to_dict()


def _hide_path(message: str, path: Path | None) -> str:
    """Error text for users: the stored file's path and generated name become "the recording"."""
    if path is not None:
        message = message.replace(str(path), "the recording").replace(path.name, "the recording")
    return message


def _default_voice(instance: Path, payload: dict[str, Any], user_id: int, progress: Callable[[int, int], None], *,
                   bundled_folder: str | Path | None = None) -> float:
    """Voice and store the checked scenario in ``payload``; return the voicing time (s)."""
    _, seconds = voice_and_store(instance, payload["text"], bundled_folder=bundled_folder, user_id=user_id,
                                 username=str(payload.get("username") or user_id), progress=progress)
    return seconds


class JobRunner:
    """Worker threads that take queued jobs from the database and run them (analysis or voicing).

    ``workers`` threads take any job; with ``express_seconds`` > 0 (and ``workers`` > 0) one more takes
    only analyses of at most that many seconds of audio. ``nice``: how much each worker thread lowers
    its CPU priority. ``analyze(path, session, progress)`` returns a report dict; ``voice(instance,
    payload, user_id, progress)`` voices and stores a scenario and returns the voicing time (s).
    """

    def __init__(
        self,
        database: str | Path,
        instance_dir: str | Path,
        workers: int = 1,
        analyze: Callable[..., dict[str, Any]] | None = None,
        poll_seconds: float = 1.0,
        *,
        voice: Callable[..., float] | None = None,
        express_seconds: float = 0.0,
        nice: int = 0,
    ):
        self.database = str(database)
        self.instance_dir = Path(instance_dir)
        self.workers = max(0, int(workers))
        self.analyze = analyze or _default_analyze
        self.voice = voice or _default_voice
        self.express_seconds = max(0.0, float(express_seconds or 0.0))
        self.nice = int(nice or 0)
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
        lanes: list[tuple[str, float | None]] = [(f"listenwell-job-{i}", None) for i in range(self.workers)]
        if self.workers and self.express_seconds:
            lanes.append(("listenwell-job-express", self.express_seconds))
        for name, limit in lanes:
            t = threading.Thread(target=self._loop, args=(limit,), name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def notify(self) -> None:
        """Wake the idle workers (a job was queued)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the workers to finish their current job and exit."""
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    def _loop(self, max_audio_seconds: float | None) -> None:
        lower_thread_priority(self.nice)
        while not self._stop.is_set():
            try:
                worked = self.run_one(max_audio_seconds=max_audio_seconds)
            except Exception:  # never let a worker thread die
                logger.exception("job worker error")
                worked = False
            if not worked:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    # -- one job ----------------------------------------------------------
    def run_one(self, max_audio_seconds: float | None = None) -> bool:
        """Claim the next job (fair across users; with ``max_audio_seconds``, only analyses of at most that
        much audio) and run it; False when none waits."""
        conn = connect(self.database)
        conn.isolation_level = None  # explicit transactions
        try:
            job = claim_next(conn, max_audio_seconds=max_audio_seconds)
            if job is None:
                return False
            if job["kind"] == "voicing":
                self._run_voicing(conn, job)
            else:
                self._run(conn, int(job["id"]), int(job["session_id"]))
            return True
        finally:
            conn.close()

    @staticmethod
    def _progress_writer(conn, job_id: int) -> Callable[[str, float], None]:
        """``progress(stage, fraction)`` that stores the job's stage at most twice a second (and every new stage)."""
        last = {"t": 0.0, "stage": None}

        def progress(stage: str, fraction: float, force: bool = False) -> None:
            now = time.monotonic()
            if not force and stage == last["stage"] and now - last["t"] < 0.5:
                return
            last.update(t=now, stage=stage)
            fraction = min(1.0, max(0.0, float(fraction)))
            conn.execute(
                "UPDATE jobs SET stage = ?, progress = ? WHERE id = ? AND status = 'running'",
                (str(stage), fraction, job_id),
            )
        return progress

    def _run(self, conn, job_id: int, session_id: int) -> None:
        session = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if session is None:
            return
        progress = self._progress_writer(conn, job_id)
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

    def _run_voicing(self, conn, job) -> None:
        """Voice a checked scenario: "Voicing line 12 of 40" as it goes; stored whole, or failed with the reason."""
        job_id = int(job["id"])
        write = self._progress_writer(conn, job_id)

        def progress(done: int, total: int) -> None:
            step = min(done + 1, total)  # the line being voiced now
            write(f"Voicing line {step} of {total}", done / max(1, total), force=done == total)

        try:
            payload = json.loads(job["payload"])
            write(f"Voicing line 1 of {payload.get('lines', '?')}", 0.0, force=True)
            self.voice(self.instance_dir, payload, int(job["user_id"]), progress)
        except ListenWellError as e:
            self._finish(conn, job_id, "failed", e.message.replace(str(self.instance_dir), "the instance folder"))
            return
        except Exception as e:
            logger.exception("voicing job %s failed", job_id)
            message = f"internal error: {type(e).__name__}: {e}".replace(str(self.instance_dir), "the instance folder")
            self._finish(conn, job_id, "failed", message)
            return
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


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def init_app(app: Flask) -> JobRunner:
    """Create the app's job runner, requeue interrupted jobs and start its workers."""
    analyze = app.config.get("ANALYZE")
    if analyze is None:
        threads = int(app.config.get("JOB_CPU_THREADS") or usable_cores())
        analyze = functools.partial(_default_analyze, cpu_threads=threads)
    voice = app.config.get("VOICE") or functools.partial(_default_voice, bundled_folder=app.config.get("SCENARIOS_DIR"))
    runner = JobRunner(
        app.config["DATABASE"],
        app.instance_path,
        workers=app.config.get("JOB_WORKERS", 1),
        analyze=analyze,
        voice=voice,
        express_seconds=float(app.config.get("EXPRESS_LANE_SECONDS") or 0.0),
        nice=int(app.config.get("JOB_NICE") or 0),
    )
    app.extensions["listenwell_jobs"] = runner
    runner.start()
    return runner
