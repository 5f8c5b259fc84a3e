"""``listenwell bench``: speed, memory and WER of the transcription core vs plain faster-whisper."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from analysis.errors import ParameterError
from service.bench.report import format_table
from service.bench.transcription import CONFIGS, run_benchmark

__all__ = ["bench"]

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@click.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder with speech/, dialogue/ and ami-excerpts/ (default: ../shared/data).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSON file to write (default: benchmarks/results/bench-<kind>-<time>.json).")
@click.option("--quick", is_flag=True, help="Only the default and the baseline, on JFK and one dialogue.")
@click.option("--config", "configs", multiple=True, help="Run only these configurations (repeatable).")
@click.option("--interleave", is_flag=True,
              help="Alternate the configurations item by item (fairer ratios when the machine is busy).")
@click.option("--memory", "memory_minutes", type=float, default=None,
              help="Instead: peak memory of the default configuration on a file this many minutes long.")
def bench(data_dir, out, quick, configs, interleave, memory_minutes):
    """Benchmark the transcription core against plain faster-whisper on the same audio."""
    data_dir = data_dir or DEFAULT_DATA
    if not data_dir.is_dir():
        raise ParameterError(f"--data {data_dir} is not a folder (point it at the shared data)")
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        raise ParameterError(f"unknown --config {', '.join(unknown)}; known: {', '.join(CONFIGS)}")
    if memory_minutes is not None and memory_minutes <= 0:
        raise ParameterError(f"--memory={memory_minutes} must be a positive number of minutes")
    record = run_benchmark(data_dir, quick=quick, configs=list(configs) or None,
                           memory_minutes=memory_minutes, interleave=interleave, on_progress=lambda m: click.echo(m, err=True))
    if out is None:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        out = Path("benchmarks") / "results" / f"bench-{record['kind']}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    click.echo(format_table(record))
    if record["kind"] == "memory":
        run = record["runs"][0]
        if "peak_rss_mb" in run:
            click.echo(f"peak memory for {memory_minutes:g} min: {run['peak_rss_mb']:.0f} MB "
                       f"({'under' if run['peak_rss_mb'] < 1536 else 'OVER'} the 1.5 GB target)")
    click.echo(f"wrote {out}")
