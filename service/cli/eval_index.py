"""``listenwell eval index DATA_DIR``: does the index separate AnnoMI's high- from low-quality sessions?"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["index"]


@click.command("index")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="Write the figures as JSON.")
def index(data_dir: str, out: str | None) -> None:
    """Session-level AUC of the listening-quality index on AnnoMI (DATA_DIR or DATA_DIR/annomi-dev)."""
    from service.eval.index import main

    folder = Path(data_dir)
    if (folder / "annomi-dev").is_dir():
        folder = folder / "annomi-dev"
    main([str(folder)] + (["--json", out] if out else []))
