"""The web-service instance folder as the CLI commands name it: the option, the folder, its database."""

from __future__ import annotations

import os
from pathlib import Path

import click

from service.store.db import connect, db_path, migrate
from service.web.app import default_instance_dir
from service.web.auth import ensure_admin

__all__ = ["instance_option", "prepare_instance", "resolve_instance"]

instance_option = click.option(
    "--instance",
    "instance",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="LISTENWELL_INSTANCE",
    default=None,
    help="Instance folder (database, audio). Default: $LISTENWELL_INSTANCE or ~/.local/share/listenwell.",
)


def resolve_instance(instance: Path | None) -> Path:
    """The instance folder (given, else the default), made if missing."""
    path = (instance or default_instance_dir()).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def prepare_instance(instance: Path) -> None:
    """Create/upgrade the database and the first admin (printing a generated password once)."""
    conn = connect(db_path(instance))
    try:
        version = migrate(conn)
    finally:
        conn.close()
    password = ensure_admin(str(db_path(instance)), os.environ.get("LISTENWELL_ADMIN_PASSWORD"),
                            os.environ.get("LISTENWELL_PASSWORD_HASH") or None)
    click.echo(f"database: {db_path(instance)} (schema version {version})")
    if password:
        click.echo(f"created user 'admin' with password: {password}  (shown once: note it now)")
