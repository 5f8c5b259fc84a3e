"""``listenwell eval index DATA_DIR``: does the index separate AnnoMI's high- from low-quality sessions?

Nested grouped cross-validation (the cue model and every fitted knob of the index fit on training
folds only), with a bootstrap 95 % interval beside every AUC.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from analysis.errors import ParameterError
from service.eval.index import evaluate_index, format_index
from service.eval.nested import machine_description

__all__ = ["index"]


@click.command("index")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="Write the figures as JSON.")
@click.option("--folds", default=5, show_default=True, help="Outer folds of the nested grouped cross-validation.")
@click.option("--inner", default=3, show_default=True, help="Inner folds (out-of-fold cues for the fits).")
@click.option("--limit", type=int, default=None, help="Use a balanced subset of N AnnoMI transcripts (quick check).")
@click.option("--boot", "n_boot", default=2000, show_default=True, help="Bootstrap resamples for the intervals.")
@click.option("--no-cache", is_flag=True, help="Recompute the nested run instead of reading ~/.cache/listenwell/nested.")
def index(data_dir: str, out: str | None, folds: int, inner: int, limit: int | None, n_boot: int,
          no_cache: bool) -> None:
    """Session-level AUC of index variants on AnnoMI, nested CV (DATA_DIR or DATA_DIR/annomi-dev)."""
    if folds < 2 or inner < 2:
        raise ParameterError(f"--folds={folds} and --inner={inner} must be at least 2")
    if limit is not None and limit < 2 * folds:
        raise ParameterError(f"--limit={limit} must be at least twice --folds={folds}")
    res = evaluate_index(data_dir, folds, inner, limit, progress=lambda m: click.echo(m, err=True), n_boot=n_boot,
                         use_cache=not no_cache)
    res["machine"] = machine_description()
    click.echo(format_index(res))
    if out:
        Path(out).write_text(json.dumps(res, indent=1), encoding="utf-8")
        click.echo(f"wrote {out}")
