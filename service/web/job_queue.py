"""The durable job queue's rows: queueing, the fair claim, recovery after a restart, what a user has queued.

Two kinds of job share one table (``jobs``, migration 0004): an **analysis** of one session's
recording and the **voicing** of a supervisor's checked practice scenario. Each job is in its
owner's queue (the view ``job_queue``: the session's trainee, or the supervisor who added the
scenario). The runner takes jobs **round-robin by owner**: each queued job's turn is the number of
its owner's running jobs plus its owner's queued jobs older than it; the lowest turn goes first, then
the job of the owner served longest ago, then the oldest job. One trainee's six long uploads
therefore never hold back another's short clip for more than one job.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

__all__ = [
    "KINDS",
    "MAX_ATTEMPTS",
    "claim_next",
    "enqueue",
    "enqueue_voicing",
    "pending_voicings",
    "queued_audio_seconds",
    "queued_voicings",
    "recover_interrupted",
]

logger = logging.getLogger(__name__)

KINDS = ("analysis", "voicing")
MAX_ATTEMPTS = 3
_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
_LIVE = "status IN ('queued', 'running')"

# Every queued or running job with its turn in its owner's queue (running ones first); then, among the
# queued jobs the worker may take ({where}), the lowest turn, then the owner served longest ago (a job of
# an owner never served first), then the oldest job.
_FAIR = f"""
WITH live AS (
    SELECT id, kind, status, owner_id, audio_seconds,
           ROW_NUMBER() OVER (PARTITION BY owner_id ORDER BY status = 'queued', id) AS turn
    FROM job_queue WHERE {_LIVE}
),
served AS (SELECT owner_id, MAX(claimed_at) AS last FROM job_queue WHERE claimed_at IS NOT NULL GROUP BY owner_id)
SELECT live.id FROM live LEFT JOIN served ON served.owner_id = live.owner_id
WHERE live.status = 'queued' {{where}}
ORDER BY live.turn, COALESCE(served.last, 0), live.id LIMIT 1
"""
_CLAIMED = "(julianday('now') - 2440587.5) * 86400.0"


def enqueue(conn: sqlite3.Connection, session_id: int) -> int:
    """Queue an analysis of ``session_id``; return the job id (caller commits)."""
    cur = conn.execute("INSERT INTO jobs (kind, session_id) VALUES ('analysis', ?)", (session_id,))
    return int(cur.lastrowid)


def enqueue_voicing(conn: sqlite3.Connection, user_id: int, payload: dict[str, Any]) -> int:
    """Queue the voicing of a checked scenario (``payload``: its ``text``, ``id``, ``title``, ``lines`` and
    the adder's ``username``) for ``user_id``; return the job id (caller commits)."""
    cur = conn.execute("INSERT INTO jobs (kind, user_id, payload) VALUES ('voicing', ?, ?)",
                       (int(user_id), json.dumps(payload, ensure_ascii=False)))
    return int(cur.lastrowid)


def recover_interrupted(conn: sqlite3.Connection) -> int:
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


def claim_next(conn: sqlite3.Connection, *, max_audio_seconds: float | None = None) -> sqlite3.Row | None:
    """Mark the next job ``running`` (fair across owners) and return its ``job_queue`` row; None when none waits.

    ``max_audio_seconds``: take only analyses of at most that much audio (the express lane).
    ``conn`` must be in autocommit mode (``isolation_level = None``): the claim is one IMMEDIATE transaction.
    """
    where, args = "", ()
    if max_audio_seconds is not None:
        where, args = "AND live.kind = 'analysis' AND live.audio_seconds <= ?", (float(max_audio_seconds),)
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = conn.execute(_FAIR.format(where=where), args).fetchone()
        if found is None:
            conn.execute("COMMIT")
            return None
        conn.execute(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, stage = 'starting',"
            " progress = 0, error = NULL, started_at = " + _NOW + ", claimed_at = " + _CLAIMED + " WHERE id = ?",
            (found["id"],),
        )
        row = conn.execute("SELECT * FROM job_queue WHERE id = ?", (found["id"],)).fetchone()
        conn.execute("COMMIT")
        return row
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def queued_audio_seconds(conn: sqlite3.Connection, owner_id: int) -> float:
    """Seconds of audio of ``owner_id``'s analyses waiting or running."""
    row = conn.execute(f"SELECT COALESCE(SUM(audio_seconds), 0) FROM job_queue WHERE owner_id = ? AND kind = 'analysis'"
                       f" AND {_LIVE}", (owner_id,)).fetchone()
    return float(row[0])


def queued_voicings(conn: sqlite3.Connection, user_id: int) -> int:
    """How many voicing jobs ``user_id`` has waiting or running."""
    return int(conn.execute(f"SELECT COUNT(*) FROM jobs WHERE kind = 'voicing' AND user_id = ? AND {_LIVE}",
                            (user_id,)).fetchone()[0])


def pending_voicings(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """``(id, title)`` of every scenario waiting to be voiced or being voiced (no one may take them meanwhile)."""
    out = []
    for row in conn.execute(f"SELECT payload FROM jobs WHERE kind = 'voicing' AND {_LIVE}"):
        try:
            data = json.loads(row["payload"])
            out.append((str(data["id"]), str(data["title"])))
        except (ValueError, KeyError, TypeError):
            continue
    return out
