"""Where a batch's per-recording work runs: this process, a local process pool, or a Dask cluster.

:func:`analyze_recording` is the one per-recording function every runner calls;
it never raises for a bad file (the failure comes back as data). Each worker
process loads the Whisper model once: the pool's initializer loads it up
front, and on Dask workers :func:`audio.transcribe.load_model`'s per-process
cache keeps it between tasks. This module imports only the standard library at
the top so that a spawned worker can set its thread limits before NumPy loads.
"""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Iterator

from analysis.errors import AudioTooLongError, ListenWellError
from analysis.report.html import render_html
from analysis.report.text import render_text
from audio.decode import probe
from audio.transcribe import load_model
from service.pipeline import analyze_file

__all__ = [
    "RecordingTask",
    "analyze_recording",
    "init_worker",
    "run_serial",
    "run_pool",
    "run_dask",
]

logger = logging.getLogger(__name__)

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


@dataclass(frozen=True)
class RecordingTask:
    """One recording's work order: sent to a worker as is (it must pickle).

    ``data`` carries the file's bytes for workers that cannot see ``path``
    (a Dask cluster without a shared file system); ``render_text`` adds report.txt;
    ``max_duration`` (seconds) rejects longer recordings from their header.
    """

    rel: str
    path: str
    settings: Any
    data: bytes | None = None
    render_text: bool = True
    max_duration: float | None = None


def _failure(kind: str, reason: str, started: float) -> dict[str, Any]:
    return {
        "status": "failed",
        "error_kind": kind,
        "reason": reason,
        "analysis_seconds": round(time.perf_counter() - started, 3),
        "worker": f"{os.uname().nodename}:{os.getpid()}",
    }


def _analyze_path(path: str, task: RecordingTask, started: float) -> dict[str, Any]:
    report = analyze_file(path, task.settings, progress=None, client_timeline=None)
    files = {"report.json": report.to_json(indent=2), "report.html": render_html(report)}
    if task.render_text:
        files["report.txt"] = render_text(report)
    return {
        "status": "done",
        "report": report.to_dict(),
        "files": files,
        "analysis_seconds": round(time.perf_counter() - started, 3),
        "worker": f"{os.uname().nodename}:{os.getpid()}",
    }


def _check_length(path: str, task: RecordingTask) -> None:
    """Fail a recording longer than ``task.max_duration`` from its header, before any decoding."""
    if task.max_duration is None:
        return

    length = probe(path).duration
    if length is not None and length > task.max_duration:
        raise AudioTooLongError(
            f"{Path(task.rel).name} lasts {length:.1f} s, over the limit of {task.max_duration:.1f} s "
            "(--max-duration)", path=task.rel)


def _run(path: str, task: RecordingTask, started: float) -> dict[str, Any]:
    _check_length(path, task)
    return _analyze_path(path, task, started)


def analyze_recording(task: RecordingTask) -> dict[str, Any]:
    """Analyse one recording and render its report; bad input comes back as a failure dict.

    Returns ``{"status": "done", "report": dict, "files": {name: text}, ...}`` or
    ``{"status": "failed", "error_kind": kind, "reason": message, ...}``.
    """
    started = time.perf_counter()
    try:
        if task.data is None:
            return _run(task.path, task, started)
        with tempfile.TemporaryDirectory(prefix="listenwell-batch-") as tmp:
            local = Path(tmp) / Path(task.rel).name
            local.write_bytes(task.data)
            return _run(str(local), task, started)
    except ListenWellError as e:
        return _failure(e.kind, e.message, started)
    except MemoryError:
        return _failure("out_of_memory", "ran out of memory while analysing this file", started)
    except Exception as e:  # one bad file never stops the batch
        logger.exception("unexpected error while analysing %s", task.rel)
        return _failure("internal_error", f"{type(e).__name__}: {e}", started)


def watch_parent(parent_pid: int, interval: float = 0.5) -> None:
    """Exit this worker process as soon as ``parent_pid`` is no longer its parent (the parent died).

    Works whatever killed the parent (SIGKILL included): a daemon thread compares
    ``os.getppid()`` with the pid the worker was started by, twice a second.
    """
    import threading

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)  # no clean-up: the parent that would collect results is gone
            time.sleep(interval)

    threading.Thread(target=watch, name="listenwell-parent-watch", daemon=True).start()


def init_worker(transcribe_options: Any, threads: int, parent_pid: int | None = None) -> None:
    """Pool initializer: exit with the parent, cap threads, ignore Ctrl-C (the parent handles it), load the model."""
    if parent_pid is not None:
        watch_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if threads > 0:
        for var in _THREAD_VARS:
            os.environ[var] = str(threads)
    if transcribe_options is not None:
        load_model(transcribe_options)


def run_serial(tasks: Iterable[RecordingTask], transcribe_options: Any = None) -> Iterator[tuple[RecordingTask, dict]]:
    """Run every task in this process (one worker), in order."""
    if transcribe_options is not None:
        load_model(transcribe_options)
    for task in tasks:
        yield task, analyze_recording(task)


def _new_pool(workers: int, transcribe_options: Any, threads: int) -> ProcessPoolExecutor:
    import multiprocessing

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(transcribe_options, threads, os.getpid()),
    )


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued work and end the pool's worker processes (they are ours)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        if proc.is_alive():
            proc.terminate()
    for proc in processes:
        proc.join(timeout=5)


_CRASHED = "worker_crashed"


def run_pool(
    tasks: Iterable[RecordingTask], workers: int, transcribe_options: Any, threads: int
) -> Iterator[tuple[RecordingTask, dict]]:
    """Run tasks on ``workers`` spawned processes, yielding results as they finish.

    At most ``2 * workers`` tasks are queued at once. When a worker process dies
    (out of memory, a crash in native code) the pool is rebuilt and each task it
    held is retried alone in a fresh process, so only the file at fault fails.
    """
    pending = deque(tasks)
    suspects: list[RecordingTask] = []
    pool = _new_pool(workers, transcribe_options, threads)
    running: dict[Future, RecordingTask] = {}
    finished = False
    try:
        while pending or running:
            while pending and len(running) < 2 * workers:
                task = pending.popleft()
                running[pool.submit(analyze_recording, task)] = task
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                task = running.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    suspects.append(task)
                    broken = True
                    continue
                yield task, result
            if broken:
                suspects.extend(running.values())
                running.clear()
                _stop_pool(pool)
                logger.warning("a worker process died; retrying %d file(s) one at a time", len(suspects))
                for task in suspects:
                    yield task, _retry_alone(task, transcribe_options, threads)
                suspects.clear()
                pool = _new_pool(workers, transcribe_options, threads)
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:  # interrupted, or the consumer stopped early
            _stop_pool(pool)


def _retry_alone(task: RecordingTask, transcribe_options: Any, threads: int) -> dict[str, Any]:
    started = time.perf_counter()
    pool = _new_pool(1, transcribe_options, threads)
    try:
        return pool.submit(analyze_recording, task).result()
    except BrokenProcessPool:
        return _failure(
            _CRASHED, "the worker process died while analysing this file (out of memory or a crash)", started
        )
    finally:
        _stop_pool(pool)


def run_dask(
    tasks: Iterable[RecordingTask], scheduler: Any, *, ship_audio: bool = True, window: int | None = None
) -> Iterator[tuple[RecordingTask, dict]]:
    """Send tasks to a Dask distributed cluster and yield results as they come back.

    ``scheduler`` is an address (``tcp://host:8786``) or a ``distributed.Client``.
    Each Dask worker process loads the model on its first task and keeps it.
    ``ship_audio`` sends each file's bytes with its task (read just before
    sending), for workers that do not share this machine's file system.
    """
    from distributed import Client, as_completed

    own_client = not isinstance(scheduler, Client)
    client = Client(scheduler, set_as_default=False) if own_client else scheduler
    try:
        if window is None:
            window = max(2, 2 * sum(client.nthreads().values()))
        pending = deque(tasks)
        futures: dict[Any, RecordingTask] = {}
        unreadable: list[tuple[RecordingTask, dict]] = []
        queue = as_completed(loop=client.loop)

        def submit_next() -> None:
            task = pending.popleft()
            try:
                sent = replace(task, data=Path(task.path).read_bytes()) if ship_audio else task
            except OSError as e:
                unreadable.append((task, _failure("unreadable", f"cannot read: {e}", time.perf_counter())))
                return
            fut = client.submit(analyze_recording, sent, pure=False, retries=0)
            futures[fut] = task
            queue.add(fut)

        while pending and len(futures) < window:
            submit_next()
        while unreadable or futures:
            while unreadable:
                yield unreadable.pop()
            if not futures:
                while pending and not futures:
                    submit_next()
                continue
            fut = next(queue)
            task = futures.pop(fut)
            started = time.perf_counter()
            try:
                result = fut.result()
            except Exception as e:  # a lost worker or a cancelled task
                result = _failure(_CRASHED, f"the Dask task failed: {type(e).__name__}: {e}", started)
            fut.release()
            yield task, result
            while pending and len(futures) < window:
                submit_next()
    finally:
        if own_client:
            client.close()
        else:
            for fut in list(futures):
                fut.cancel()
