"""``listenwell devices``: the input devices (microphones) PortAudio can see."""

from __future__ import annotations

import json

import click

from audio.devices.record import list_input_devices

__all__ = ["devices"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the devices as JSON.")
def devices(as_json):
    """List the input devices (microphones) PortAudio can see."""
    found = list_input_devices()
    if as_json:
        click.echo(json.dumps([d.__dict__ for d in found], indent=2))
        return
    if not found:
        click.echo("no input devices found (plug in a microphone, or check the system sound settings)")
        return
    for d in found:
        mark = "*" if d.is_default else " "
        click.echo(f"{mark} {d.index:3d}  {d.name}  ({d.channels} in, {d.default_samplerate:g} Hz, {d.hostapi})")
    click.echo("* = default input; choose another with --device NUMBER or part of its name")
