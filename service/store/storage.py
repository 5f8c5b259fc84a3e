"""Sessions, audio files and reports on disk and in the database.

Audio is stored under ``<instance>/audio`` with generated names (never a path
or name from the user). :func:`import_session` adds a finished session from
outside the web app (CLI practice, batch import, demo data).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from analysis.errors import NotFoundError, ParameterError
from audio.decode import probe
from service.store.db import connect, db_path, migrate

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "audio_dir",
    "audio_extension",
    "audio_path",
    "checkpoint",
    "create_session",
    "delete_session",
    "ensure_user",
    "import_session",
    "load_report",
    "private_dir",
    "private_file",
    "report_scores",
    "save_report",
    "secure_instance",
    "store_analysed_session",
    "store_audio",
    "temp_dir",
]

logger = logging.getLogger(__name__)

# container format name (as PyAV/ffmpeg reports it) -> (extension, MIME type)
_FORMATS = {
    "wav": ("wav", "audio/wav"),
    "flac": ("flac", "audio/flac"),
    "mp3": ("mp3", "audio/mpeg"),
    "ogg": ("ogg", "audio/ogg"),
    "matroska,webm": ("webm", "audio/webm"),
    "mov,mp4,m4a,3gp,3g2,mj2": ("m4a", "audio/mp4"),
    "aac": ("aac", "audio/aac"),
}
_BY_EXT = {ext: mime for ext, mime in _FORMATS.values()}


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: str | Path) -> Path:
    """Create ``path`` (and missing parents) and make it owner-only (0700), whatever the umask."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if (path.stat().st_mode & 0o777) != PRIVATE_DIR_MODE:
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def private_file(path: str | Path) -> Path:
    """Make an existing file owner-only (0600); returns it. Missing files are ignored."""
    path = Path(path)
    try:
        if (path.stat().st_mode & 0o777) != PRIVATE_FILE_MODE:
            os.chmod(path, PRIVATE_FILE_MODE)
    except FileNotFoundError:
        pass
    return path


def secure_instance(instance_dir: str | Path) -> Path:
    """Owner-only instance folder: 0700 for it and its folders, 0600 for every file in it.

    Run at every start, so an instance made by an older version (or copied with a
    loose umask) is tightened too.
    """
    root = private_dir(instance_dir)
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            private_dir(Path(folder) / d)
        for f in files:
            full = Path(folder) / f
            if not full.is_symlink():
                private_file(full)
    return root


def checkpoint(conn: sqlite3.Connection) -> None:
    """Copy the WAL into the database file and empty it, after a deletion: with ``secure_delete`` the
    deleted rows are then zeroed in the file, and no old copy of their pages stays in the ``-wal``."""
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError as e:  # pragma: no cover - a reader holding the WAL; the next one runs it
        logger.warning("WAL checkpoint after a deletion did not run: %s", e)


def temp_dir(instance_dir: str | Path) -> Path:
    """Owner-only folder for uploads being checked (``<instance>/tmp``)."""
    return private_dir(Path(instance_dir) / "tmp")


def audio_dir(instance_dir: str | Path) -> Path:
    """Owner-only folder holding the instance's audio files (created on demand)."""
    return private_dir(Path(instance_dir) / "audio")


def audio_extension(format_name: str) -> tuple[str, str]:
    """Extension and MIME type for a probed container format name."""
    return _FORMATS.get(format_name, ("bin", "application/octet-stream"))


def audio_path(instance_dir: str | Path, audio_name: str | None) -> Path | None:
    """Path of a stored audio file, or None when the session has none."""
    if not audio_name:
        return None
    if "/" in audio_name or "\\" in audio_name or audio_name.startswith("."):
        raise ParameterError(f"bad stored audio name {audio_name!r}")
    return Path(instance_dir) / "audio" / audio_name


def store_audio(instance_dir: str | Path, src: str | Path) -> tuple[str, str, float | None]:
    """Copy ``src`` into the instance under a generated name, after checking its content.

    Returns ``(audio_name, mime, duration_seconds)``. Raises an AudioError subclass
    when ``src`` is not decodable audio.
    """
    info = probe(src)
    ext, mime = audio_extension(info.format_name)
    name = f"{uuid.uuid4().hex}.{ext}"
    dest = audio_dir(instance_dir) / name
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as out, open(src, "rb") as fh:
        shutil.copyfileobj(fh, out)
    return name, mime, info.duration


def report_scores(report: dict[str, Any]) -> tuple[float | None, dict[str, float]]:
    """The 0-100 index and the sub-scores (name -> 0-100) of a report dict."""
    index = report.get("index")
    if isinstance(index, dict):
        index = index.get("value", index.get("score"))
    subs: dict[str, float] = {}
    raw = report.get("subscores") or {}
    items = raw.items() if isinstance(raw, dict) else enumerate(raw)
    for key, value in items:
        name = key
        if isinstance(value, dict):
            name = value.get("name") or value.get("key") or value.get("id") or key
            value = value.get("score", value.get("value"))
        if isinstance(value, (int, float)) and value == value:
            subs[str(name)] = float(value)
    return (float(index) if isinstance(index, (int, float)) else None), subs


def save_report(conn: sqlite3.Connection, session_id: int, report: dict[str, Any]) -> str:
    """Store (or replace) a session's report dict; returns the JSON text stored."""
    index, subs = report_scores(report)
    text = json.dumps(report)
    conn.execute(
        "INSERT OR REPLACE INTO reports (session_id, report_json, score_index, subscores_json)"
        " VALUES (?, ?, ?, ?)",
        (session_id, text, index, json.dumps(subs)),
    )
    return text


def load_report(conn: sqlite3.Connection, session_id: int) -> dict[str, Any] | None:
    """A session's report dict, or None while it has none."""
    row = conn.execute(
        "SELECT report_json FROM reports WHERE session_id = ?", (session_id,)
    ).fetchone()
    return json.loads(row["report_json"]) if row else None


def ensure_user(conn: sqlite3.Connection, username: str, role: str = "trainee") -> int:
    """Id of ``username``, creating it (without a password) when missing."""
    username = username.strip()
    if not username:
        raise ParameterError("the trainee's username is empty")
    row = conn.execute("SELECT id FROM users WHERE username = ? COLLATE NOCASE", (username,)).fetchone()
    if row:
        return int(row["id"])
    cur = conn.execute("INSERT INTO users (username, role) VALUES (?, ?)", (username, role))
    logger.info("created %s %r without a password", role, username)
    return int(cur.lastrowid)


def create_session(
    conn: sqlite3.Connection,
    *,
    trainee_id: int,
    created_by: int | None,
    audio_name: str | None,
    audio_mime: str | None,
    duration: float | None,
    source: str,
    title: str = "",
    scenario_id: str | None = None,
    speaker_setup: str = "auto",
    helper_channel: int | None = None,
    helper_speaker: str | None = None,
    client_timeline: list | None = None,
    source_name: str | None = None,
) -> int:
    """Insert a session row and return its id (``source_name``: the uploaded file's name, no folder)."""
    if source_name:
        source_name = Path(source_name.replace("\\", "/")).name[:200] or None
    cur = conn.execute(
        "INSERT INTO sessions (trainee_id, created_by, scenario_id, title, source, audio_name,"
        " audio_mime, duration, speaker_setup, helper_channel, helper_speaker, client_timeline, source_name)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            trainee_id,
            created_by,
            scenario_id,
            title,
            source,
            audio_name,
            audio_mime,
            duration,
            speaker_setup,
            helper_channel,
            helper_speaker,
            json.dumps(client_timeline) if client_timeline else None,
            source_name,
        ),
    )
    return int(cur.lastrowid)


def delete_session(conn: sqlite3.Connection, instance_dir: str | Path, session_id: int) -> None:
    """Remove a session's audio file and every row that belongs to it."""
    row = conn.execute("SELECT audio_name FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"session {session_id} does not exist")
    path = audio_path(instance_dir, row["audio_name"])
    conn.execute("DELETE FROM comments WHERE session_id = ?", (session_id,))
    conn.execute("DELETE FROM reports WHERE session_id = ?", (session_id,))
    conn.execute("DELETE FROM jobs WHERE session_id = ?", (session_id,))
    conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
    conn.commit()
    checkpoint(conn)
    if path is not None and path.exists():
        path.unlink()
    for page in (Path(instance_dir) / "full").glob(f"{int(session_id)}-*.html"):  # stored /full pages
        page.unlink(missing_ok=True)


def import_session(
    instance_dir: str | Path,
    trainee_username: str,
    audio_path: str | Path | None,
    report_dict: dict[str, Any],
    scenario_id: str | None = None,
    source: str = "cli",
    title: str = "",
    client_timeline: list | None = None,
) -> int:
    """Add a finished session (audio + report) to an instance from outside the web app.

    The trainee account is created (without a password) when it does not exist;
    an admin sets its password later. ``audio_path`` may be None (report only).
    ``client_timeline`` ([start, end] pairs, seconds) marks a scripted practice
    session (helper on channel 0), so a re-analysis treats it the same way.
    Returns the new session's id.
    """
    if not isinstance(report_dict, dict):
        raise ParameterError("report_dict must be a dict (Report.to_dict())")
    conn = connect(db_path(instance_dir))
    stored: str | None = None
    try:
        migrate(conn)
        name = mime = duration = None
        if audio_path is not None:
            name, mime, duration = store_audio(instance_dir, audio_path)
            stored = name
        trainee_id = ensure_user(conn, trainee_username)
        session_id = create_session(
            conn,
            trainee_id=trainee_id,
            created_by=None,
            audio_name=name,
            audio_mime=mime,
            duration=duration,
            source=source,
            title=title or (Path(audio_path).stem if audio_path else "imported report"),
            scenario_id=scenario_id,
            speaker_setup="scripted" if client_timeline else "auto",
            helper_channel=0 if client_timeline else None,
            client_timeline=client_timeline,
            source_name=Path(audio_path).name if audio_path is not None else None,
        )
        save_report(conn, session_id, report_dict)
        conn.execute(
            "INSERT INTO jobs (session_id, status, stage, progress, finished_at)"
            " VALUES (?, 'done', 'done', 1.0, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            (session_id,),
        )
        conn.commit()
        return session_id
    except BaseException:
        conn.rollback()
        if stored:
            (Path(instance_dir) / "audio" / stored).unlink(missing_ok=True)
        raise
    finally:
        conn.close()


def store_analysed_session(instance: str | Path, trainee: str, audio_path: str | Path | None, report_dict: dict,
                           *, scenario_id: str | None = None, client_timeline=None, title: str = "",
                           source: str = "cli") -> int:
    """Add the session to the web service's storage (same SQLite database as the web app).

    A scripted practice session also gets its speaker set-up and client timeline,
    so a re-analysis in the web app treats it as scripted (helper on channel 0).
    """
    pairs = None
    if client_timeline is not None:
        pairs = [[float(t["start"]), float(t["end"])] for t in client_timeline]
    return import_session(instance, trainee, audio_path, report_dict, scenario_id=scenario_id, source=source,
                          title=title, client_timeline=pairs)
