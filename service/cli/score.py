"""``listenwell score TRANSCRIPT``: a report from a transcript's text alone (report.json/.html/.txt)."""

from __future__ import annotations

from pathlib import Path

import click

from analysis.report.text import render_text
from service.cli.analyze import write_report
from service.pipeline import AnalysisSettings, score_transcript
from service.transcript_io import read_transcript

__all__ = ["score"]


@click.command()
@click.argument("transcript", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for report.json/.html/.txt (default: TRANSCRIPT's name + '.report').")
@click.option("--helper", "helper_speaker", default=None, help="The helper's speaker name in the file.")
@click.option("--transcript-id", default=None, help="CSV with several transcripts: which one.")
@click.option("--quiet", is_flag=True, help="Do not print the text report.")
def score(transcript, out, helper_speaker, transcript_id, quiet):
    """Score a transcript (JSON, 'Helper: ...' text, or CSV of turns) from its text alone."""
    turns = read_transcript(transcript, transcript_id=transcript_id)
    report = score_transcript(turns, AnalysisSettings(helper_speaker=helper_speaker), source=str(transcript))
    out = out or transcript.with_name(transcript.stem + ".report")
    paths = write_report(report, out)
    if not quiet:
        click.echo(render_text(report))
    click.echo(f"wrote {paths['json']}, {paths['html']}, {paths['txt']}")
