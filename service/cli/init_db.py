"""``listenwell init-db``: create or upgrade the database and the first admin."""

from __future__ import annotations

from pathlib import Path

import click

from service.cli.instance import instance_option, prepare_instance, resolve_instance

__all__ = ["init_db"]


@click.command("init-db")
@instance_option
def init_db(instance: Path | None) -> None:
    """Create or upgrade the database; create the first admin."""
    prepare_instance(resolve_instance(instance))
