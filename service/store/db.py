"""The service's SQLite database: connection per request on ``g``, versioned migrations.

The schema lives in ``service/store/migrations/NNNN_name.sql``; ``PRAGMA user_version``
records the last one applied, so ``init-db`` (and every app start) brings an old
instance up to date without losing data.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from importlib import resources
from pathlib import Path

import click
from flask import Flask, current_app, g

__all__ = [
    "DB_FILENAME",
    "close_db",
    "connect",
    "db_path",
    "get_db",
    "init_app",
    "latest_version",
    "migrate",
    "schema_version",
]

logger = logging.getLogger(__name__)

DB_FILENAME = "listenwell.sqlite3"


def db_path(instance_dir: str | Path) -> Path:
    """Path of the database file inside an instance folder."""
    return Path(instance_dir) / DB_FILENAME


def _create_private(path: Path) -> None:
    """Create the database file owner-only (0600) before SQLite opens it.

    SQLite gives the ``-wal`` and ``-shm`` files the database file's permissions, so
    they are private too, whatever the process umask.
    """
    if str(path) == ":memory:":
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    for suffix in ("", "-wal", "-shm"):
        extra = Path(str(path) + suffix)
        try:
            if extra.stat().st_mode & 0o077:
                os.chmod(extra, 0o600)
        except FileNotFoundError:
            pass


def connect(path: str | Path) -> sqlite3.Connection:
    """Open the database: rows by name, foreign keys on, busy timeout, WAL, secure delete.

    ``secure_delete`` is set explicitly (some SQLite builds default it off), so a
    deleted transcript or report is overwritten with zeros in the file.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    _create_private(Path(path))
    conn = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA secure_delete = ON")
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError:  # pragma: no cover - read-only media
        pass
    return conn


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("service.store.migrations")
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    """Number of the newest migration shipped with this code."""
    migrations = _migrations()
    return migrations[-1][0] if migrations else 0


def schema_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database (0 for a new file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the database's version; return the new version."""
    current = schema_version(conn)
    for number, name, sql in _migrations():
        if number <= current:
            continue
        logger.info("applying migration %s", name)
        conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
        current = number
    return current


_THREAD = threading.local()


def get_db() -> sqlite3.Connection:
    """The request's database connection (opened on first use).

    With ``DB_PER_THREAD`` (set by ``listenwell serve``) each server thread keeps
    one connection and reuses it for its next requests, instead of opening the
    file and setting the pragmas again for every request.
    """
    if "db" not in g:
        database = current_app.config["DATABASE"]
        if current_app.config.get("DB_PER_THREAD"):
            cache = getattr(_THREAD, "connections", None)
            if cache is None:
                cache = _THREAD.connections = {}
            conn = cache.get(database)
            if conn is None:
                conn = cache[database] = connect(database)
            g.db = conn
            g.db_shared = True
        else:
            g.db = connect(database)
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is None:
        return
    if g.pop("db_shared", False):
        if db.in_transaction:  # nothing half-done is carried into the thread's next request
            db.rollback()
        return
    db.close()


@click.command("init-db")
def init_db_command() -> None:
    """Create or upgrade the database schema."""
    conn = connect(current_app.config["DATABASE"])
    try:
        version = migrate(conn)
    finally:
        conn.close()
    click.echo(f"database at schema version {version}: {current_app.config['DATABASE']}")


def init_app(app: Flask) -> None:
    """Register teardown and the ``flask init-db`` command; migrate the database."""
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
    conn = connect(app.config["DATABASE"])
    try:
        migrate(conn)
    finally:
        conn.close()
