"""Issue 21: "one trainee's six 59-minute uploads were accepted at once, and another's 12 s clip waited
more than 2 minutes behind them."

The job runner's claim order with a stand-in analysis that records when each job starts and ends:
round-robin by owner puts bob's clip second at the latest (the old ``ORDER BY id`` put it seventh),
and the express lane starts it while alice's first long recording is still running. The worker
threads run at a lowered CPU priority.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid

import pytest

from service.store.db import connect, db_path
from service.store.storage import audio_dir, create_session
from service.web.job_queue import claim_next, enqueue, enqueue_voicing, queued_audio_seconds
from service.web.jobs import JobRunner, lower_thread_priority
from tests.web_fixtures import JFK, add_users, make_app, stop_jobs

LONG_S, CLIP_S = 59 * 60.0, 12.0


def _queue(instance, trainee_id: int, duration: float) -> int:
    """A session whose recording is ``duration`` s long (the file itself is JFK), queued; its id."""
    name = f"{uuid.uuid4().hex}.flac"
    (audio_dir(instance) / name).write_bytes(JFK.read_bytes())
    conn = connect(db_path(instance))
    try:
        sid = create_session(conn, trainee_id=trainee_id, created_by=None, audio_name=name, audio_mime="audio/flac",
                             duration=duration, source="test", title=f"{duration:.0f} s")
        enqueue(conn, sid)
        conn.commit()
    finally:
        conn.close()
    return sid


class _Recorder:
    """A stand-in analysis: long recordings take ``long_s`` seconds, short ones ``short_s``; start and end times kept."""

    def __init__(self, long_s: float, short_s: float = 0.02):
        self.long_s, self.short_s = long_s, short_s
        self.started: dict[int, float] = {}
        self.ended: dict[int, float] = {}
        self.lock = threading.Lock()

    def __call__(self, path, session, progress):
        with self.lock:
            self.started[session["id"]] = time.monotonic()
        time.sleep(self.long_s if session["duration"] > 120 else self.short_s)
        with self.lock:
            self.ended[session["id"]] = time.monotonic()
        return {"index": 50.0, "subscores": {}}

    def order(self) -> list[int]:
        return sorted(self.started, key=self.started.get)


@pytest.fixture
def queued(tmp_path):
    """alice: six 59-minute recordings queued first; then bob: one 12 s clip."""
    instance = tmp_path / "instance"
    app = make_app(instance)  # migrates; no workers
    users = add_users(instance)
    alice = [_queue(instance, users["alice"], LONG_S) for _ in range(6)]
    bob = _queue(instance, users["bob"], CLIP_S)
    yield instance, users, alice, bob
    stop_jobs(app)


def _run_until_done(runner: JobRunner, recorder: _Recorder, n: int, timeout: float = 30.0) -> None:
    runner.start()
    try:
        end = time.monotonic() + timeout
        while len(recorder.ended) < n:
            assert time.monotonic() < end, (recorder.started, recorder.ended)
            time.sleep(0.01)
    finally:
        runner.stop()


def test_claim_order_is_round_robin_by_owner(queued):
    instance, users, alice, bob = queued
    conn = connect(db_path(instance))
    conn.isolation_level = None
    try:
        assert queued_audio_seconds(conn, users["alice"]) == 6 * LONG_S
        assert queued_audio_seconds(conn, users["bob"]) == CLIP_S
        claimed = [claim_next(conn)["session_id"] for _ in range(7)]
        assert claim_next(conn) is None
    finally:
        conn.close()
    # alice's oldest (it was first), then bob's clip (his first), then the rest of alice's in order
    assert claimed == [alice[0], bob] + alice[1:]


def test_one_worker_runs_the_short_clip_second_at_the_latest(queued):
    instance, _, alice, bob = queued
    recorder = _Recorder(long_s=0.1)
    _run_until_done(JobRunner(db_path(instance), instance, workers=1, analyze=recorder, poll_seconds=0.02),
                    recorder, 7)
    assert recorder.order() == [alice[0], bob] + alice[1:]


def test_express_lane_starts_the_short_clip_while_a_long_one_runs(queued):
    instance, _, alice, bob = queued
    recorder = _Recorder(long_s=0.6)
    runner = JobRunner(db_path(instance), instance, workers=1, analyze=recorder, poll_seconds=0.02,
                       express_seconds=120)
    runner.start()
    try:
        end = time.monotonic() + 10
        while bob not in recorder.ended:
            assert time.monotonic() < end, recorder.started
            time.sleep(0.01)
        assert alice[0] in recorder.started and alice[0] not in recorder.ended  # still on its first long one
        assert recorder.ended[bob] - recorder.started[alice[0]] < 0.5
        assert alice[1] not in recorder.started  # the express lane never takes a long recording
    finally:
        runner.stop()


def test_express_lane_takes_no_voicing_and_no_long_recording(queued):
    instance, users, alice, bob = queued
    conn = connect(db_path(instance))
    conn.isolation_level = None
    try:
        conn.execute("DELETE FROM jobs WHERE session_id = ?", (bob,))
        enqueue_voicing(conn, users["sup1"], {"text": "{}", "id": "x", "title": "X", "lines": 1, "username": "sup1"})
        assert claim_next(conn, max_audio_seconds=120) is None
        assert claim_next(conn)["session_id"] == alice[0]
        assert claim_next(conn)["kind"] == "voicing"  # sup1's first job goes before alice's second
    finally:
        conn.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority is Linux only")
def test_worker_threads_run_at_a_lowered_priority(queued):
    instance, _, _, _ = queued
    seen = {}

    def analyze(path, session, progress):
        tid = threading.get_native_id()
        seen.setdefault("nice", os.getpriority(os.PRIO_PROCESS, tid))
        return {"index": 50.0, "subscores": {}}

    base = os.getpriority(os.PRIO_PROCESS, 0)
    runner = JobRunner(db_path(instance), instance, workers=1, analyze=analyze, poll_seconds=0.02, nice=10)
    runner.start()
    try:
        end = time.monotonic() + 10
        while "nice" not in seen:
            assert time.monotonic() < end
            time.sleep(0.01)
    finally:
        runner.stop()
    assert seen["nice"] == min(19, base + 10)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base  # this thread is untouched
    assert lower_thread_priority(0) is False
