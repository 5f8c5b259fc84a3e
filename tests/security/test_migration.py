"""Migration 0003 on an instance that already has "Alice" and "alice": one keeps the name, none is lost."""

from __future__ import annotations

import sqlite3
from importlib import resources

import pytest

from service.store.db import connect, migrate, schema_version


def test_duplicate_names_renamed_then_unique_case_insensitive(tmp_path):
    conn = connect(tmp_path / "old.sqlite3")
    sql = resources.files("service.store.migrations").joinpath("0001_init.sql").read_text(encoding="utf-8")
    conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = 1;\nCOMMIT;")
    conn.execute("INSERT INTO users (username, role) VALUES ('alice', 'trainee')")
    conn.execute("INSERT INTO users (username, role) VALUES ('Alice', 'trainee')")
    conn.execute("INSERT INTO users (username, role) VALUES ('bob', 'trainee')")
    conn.commit()
    migrate(conn)
    assert schema_version(conn) >= 3
    names = [r[0] for r in conn.execute("SELECT username FROM users ORDER BY id")]
    assert names == ["alice", "Alice-2", "bob"]
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO users (username, role) VALUES ('BOB', 'trainee')")
    assert conn.execute("SELECT COUNT(*) FROM login_sessions").fetchone()[0] == 0
    conn.close()
