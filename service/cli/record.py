"""``listenwell record``: record from the microphone (the laptop microphone); ``practice`` is in practice.py."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path

import click

from analysis.errors import ParameterError
from audio.devices.record import Recorder
from service.cli.capture import KeyListener, analyze_and_store, check_store_args, device_arg, show_status

__all__ = ["record"]

logger = logging.getLogger(__name__)


@click.command()
@click.option("--device", default=None, help="Input device number or part of its name (see 'listenwell devices').")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds (else press Enter).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="WAV file to write (default: recording-DATE-TIME.wav).")
@click.option("--channels", type=int, default=1, show_default=True,
              help="Input channels (2 = stereo interface, one person per channel).")
@click.option("--analyze", "do_analyze", is_flag=True, help="Analyse the recording straight away.")
@click.option("--model", default=None, help="Whisper model for --analyze (default tiny.en).")
@click.option("--trainee", default=None, help="With --analyze: store the session for this trainee...")
@click.option("--instance", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="...in this web-service instance folder.")
def record(device, duration, out, channels, do_analyze, model, trainee, instance):
    """Record from the microphone to a WAV file (Enter stops)."""
    check_store_args(trainee, instance)
    if trainee and not do_analyze:
        raise ParameterError("--trainee/--instance need --analyze (the web service stores analysed sessions)")
    out = out or Path(f"recording-{datetime.now():%Y%m%d-%H%M%S}.wav")
    rec = Recorder(out, device=device_arg(device), duration=duration, channels=channels)
    keys = KeyListener().start()
    click.echo(f"recording from {rec.device.label} at {rec.samplerate} Hz -> {out}", err=True)
    click.echo("press Enter to stop" + (f" (or wait {duration:g} s)" if duration else ""), err=True)
    rec.start()
    try:
        rec.wait(keys.enter, show_status)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: saving what was recorded", err=True)
    finally:
        result = rec.stop()
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(f"wrote {out} ({result.duration:.1f} s, {result.sample_rate} Hz, {result.channels} channel(s))")
    if not result.lossless:
        click.echo(f"warning: {result.overflows} input overflow(s), {result.dropped_blocks} dropped block(s) "
                   f"({result.filled_frames / result.sample_rate:.2f} s filled with silence); "
                   "close other programs or use a larger buffer", err=True)
    if do_analyze:
        analyze_and_store(out, out.with_name(out.stem + ".report"), model=model, trainee=trainee,
                          instance=instance)


