"""``listenwell batch INPUT_DIR --out OUT_DIR``: every recording of a cohort, reports plus a summary."""

from __future__ import annotations

import sys

import click

from analysis.errors import ParameterError
from service.batch.cohort import run_batch
from service.batch.settings import build_settings
from service.cli.transcribe import build_options, transcribe_options

__all__ = ["batch"]


@click.command()
@click.argument("input_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output folder (reports, summary.csv, summary.html).")
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False), default=None,
              help="CSV: file, trainee, scenario, setup, helper_channel, helper_speaker "
                   "(default: INPUT_DIR/manifest.csv when present).")
@click.option("--setup", type=click.Choice(["auto", "stereo", "mono", "scripted"]), default="auto", show_default=True,
              help="Speaker set-up for files the manifest says nothing about.")
@click.option("--helper-channel", type=int, default=None, help="Helper's channel (0-based) in stereo files.")
@click.option("--helper-speaker", default=None, help="Helper's speaker label in mono files.")
@transcribe_options
@click.option("--workers", type=int, default=None,
              help="Worker processes on this machine (default: from cores and free memory).")
@click.option("--cpu-threads", type=int, default=0, show_default=True,
              help="Whisper threads per worker (0: cores / workers here; CTranslate2's default on Dask).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Send the work to this Dask distributed scheduler instead of local processes.")
@click.option("--shared-fs", is_flag=True,
              help="With --scheduler: workers read INPUT_DIR at the same path (no audio is sent).")
@click.option("--force", is_flag=True, help="Redo recordings whose report is up to date.")
@click.option("--no-text", is_flag=True, help="Do not write report.txt.")
@click.option("--no-progress", is_flag=True, help="No progress bar (per-file lines only).")
def batch(input_dir, out_dir, manifest, setup, helper_channel, helper_speaker, model, device, compute_type,
          beam_size, max_duration, workers, cpu_threads, scheduler, shared_fs, force, no_text, no_progress):
    """Analyse every recording under INPUT_DIR into OUT_DIR with a cohort summary.

    Reruns skip recordings whose report is up to date; a bad file is listed
    with its reason and never stops the batch. Exit code 1 when any file failed.
    """
    if workers is not None and workers < 1:
        raise ParameterError(f"--workers={workers} must be at least 1")
    if workers is not None and scheduler:
        raise ParameterError("--workers and --scheduler exclude each other (Dask workers are started separately)")
    if cpu_threads < 0:
        raise ParameterError(f"--cpu-threads={cpu_threads} must not be negative")
    settings = build_settings(setup, helper_channel, helper_speaker, build_options(model, device, compute_type, beam_size))
    outcome = run_batch(
        input_dir,
        out_dir,
        settings,
        manifest=manifest,
        workers=workers,
        cpu_threads=cpu_threads,
        scheduler=scheduler,
        ship_audio=not shared_fs,
        force=force,
        render_text=not no_text,
        max_duration=max_duration,
        show_progress=False if no_progress else None,
        echo=lambda line: click.echo(line, err=True),
    )
    stopped = "Interrupted: " if outcome.interrupted else ""
    click.echo(f"{stopped}{outcome.sentence} Summary: {outcome.out_dir / 'summary.html'}")
    sys.exit(outcome.exit_code)
