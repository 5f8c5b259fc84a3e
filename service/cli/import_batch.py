"""``listenwell import-batch``: a ``listenwell batch`` output folder into the web service."""

from __future__ import annotations

from pathlib import Path

import click

from service.batch.importer import import_batch_output
from service.cli.instance import instance_option, prepare_instance, resolve_instance

__all__ = ["import_batch"]


@click.command("import-batch")
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@instance_option
@click.option("--trainee", default=None, help="Trainee for every report (default: first folder name).")
@click.option("--audio-root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="The batch's input folder, to find each recording's audio.")
def import_batch(out_dir: Path, instance: Path | None, trainee: str | None, audio_root: Path | None) -> None:
    """Import a ``listenwell batch`` output folder (report.json per recording) into the service."""
    instance = resolve_instance(instance)
    prepare_instance(instance)
    result = import_batch_output(instance, out_dir, trainee=trainee, audio_root=audio_root)
    click.echo(f"imported {len(result.session_ids)} session(s) into {instance}")
