"""Per-user limits: minutes of audio waiting (QueueRoom) and practice decisions at once (WorkGate)."""

from __future__ import annotations

import pytest

from analysis.errors import QueueFullError
from service.store.db import connect, db_path
from service.store.storage import create_session
from service.web.busy import Busy, WorkGate
from service.web.job_queue import enqueue
from service.web.queue_limits import QueueRoom, amount
from tests.web_fixtures import add_users, make_app, stop_jobs


@pytest.fixture
def conn(tmp_path):
    instance = tmp_path / "instance"
    app = make_app(instance)
    users = add_users(instance)
    c = connect(db_path(instance))
    yield c, users
    c.close()
    stop_jobs(app)


def _queue(conn, trainee_id: int, seconds: float, status: str = "queued") -> None:
    sid = create_session(conn, trainee_id=trainee_id, created_by=None, audio_name=None, audio_mime=None,
                         duration=seconds, source="test")
    job = enqueue(conn, sid)
    conn.execute("UPDATE jobs SET status = ? WHERE id = ?", (status, job))
    conn.commit()


def test_amounts_read_as_seconds_or_minutes():
    assert (amount(12), amount(89), amount(90), amount(118 * 60)) == ("12 s", "89 s", "2 minutes", "118 minutes")


def test_waiting_and_running_audio_counts_finished_does_not(conn):
    conn, users = conn
    alice = users["alice"]
    room = QueueRoom(alice, None, 120)
    room.check(conn, 3540)  # nothing waits: always one recording, even one longer than the limit
    _queue(conn, alice, 3540, "done")
    _queue(conn, alice, 3540, "failed")
    room.check(conn, 3540)
    _queue(conn, alice, 3540, "running")
    _queue(conn, alice, 3540)  # 118 minutes
    room.check(conn, 120)  # exactly 120 fits
    with pytest.raises(QueueFullError) as e:
        room.check(conn, 121)
    assert e.value.status_code == 429 and e.value.kind == "queue_full"
    assert e.value.message == ("You have 118 minutes waiting to be analysed, and this recording is 2 minutes; "
                               "the limit is 120 minutes. Upload it when some have finished.")
    QueueRoom(users["bob"], None, 120).check(conn, 3540)  # bob's queue is his own
    QueueRoom(alice, None, 0).check(conn, 10**6)  # 0: no limit


def test_a_full_queue_refuses_before_the_length_is_known(conn):
    conn, users = conn
    alice = users["alice"]
    _queue(conn, alice, 70 * 60)
    room = QueueRoom(alice, "alice", 60, again="Submit it")
    with pytest.raises(QueueFullError, match=r"^alice has 70 minutes waiting to be analysed; the limit is 60 "
                                             r"minutes\. Submit it when some have finished\.$"):
        room.check(conn, None)
    QueueRoom(alice, "alice", 71).check(conn, None)


def test_work_gate_bounds_per_user_and_in_all_and_never_waits():
    gate = WorkGate(per_user=1, total=2)
    with gate.admit("alice"):
        with pytest.raises(Busy) as e:
            with gate.admit("alice"):
                pass
        assert e.value.scope == "user"
        with gate.admit("bob"):
            assert gate.running() == 2 and gate.running("bob") == 1
            with pytest.raises(Busy) as e:
                with gate.admit("carol"):
                    pass
            assert e.value.scope == "server"
    assert gate.running() == 0
    with pytest.raises(RuntimeError):  # a failing decision gives its place back
        with gate.admit("alice"):
            raise RuntimeError("transcription failed")
    with gate.admit("alice"):
        assert gate.running("alice") == 1
