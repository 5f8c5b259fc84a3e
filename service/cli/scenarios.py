"""``listenwell scenarios``: the practice scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import click

from service.practice.scenarios import load_scenarios

__all__ = ["scenarios"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the scenarios as JSON.")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Scenario folder (default: the bundled samples/scenarios).")
def scenarios(as_json, folder):
    """List the practice scenarios."""
    found = load_scenarios(folder)
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], indent=2))
        return
    for s in found:
        audio = "" if s.has_audio else "  (no audio: run scripts/make_scenarios.py)"
        click.echo(f"{s.id:<22} {s.title}  [{len(s.lines)} lines]{audio}")
    click.echo("practise one with: listenwell practice ID")
