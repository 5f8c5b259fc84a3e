"""``listenwell transcribe FILE``: timestamped text or JSON."""

from __future__ import annotations

import json

import click

from audio.decode import DecodeOptions, decode
from audio.transcribe import TranscribeOptions
from audio.transcribe import transcribe as run_transcribe

__all__ = ["transcribe", "transcribe_options"]


def transcribe_options(fn):
    """The shared model/device options of every command that transcribes."""
    fn = click.option("--model", default="tiny.en", show_default=True,
                      help="tiny.en (bundled), base (extra), a CTranslate2 folder, or a cached name.")(fn)
    fn = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)(fn)
    fn = click.option("--compute-type", default="auto", show_default=True,
                      help="auto = float16 on GPU, int8 on CPU.")(fn)
    fn = click.option("--beam-size", type=int, default=None, help="Beam size (default: core default).")(fn)
    fn = click.option("--max-duration", type=float, default=3 * 3600.0, show_default=True,
                      help="Longest audio accepted, in seconds.")(fn)
    return fn


def build_options(model, device, compute_type, beam_size) -> TranscribeOptions:
    opts = TranscribeOptions(model=model, device=device, compute_type=compute_type)
    if beam_size is not None:
        from dataclasses import replace

        opts = replace(opts, beam_size=beam_size)
    return opts


def _ts(t: float) -> str:
    m, s = divmod(t, 60)
    return f"{int(m):02d}:{s:05.2f}"


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@transcribe_options
@click.option("--channel", type=int, default=None, help="Transcribe one channel (0-based) instead of the mix.")
@click.option("--all-channels", is_flag=True, help="Transcribe each channel separately.")
@click.option("--json", "as_json", is_flag=True, help="Print the transcript as JSON.")
def transcribe(file, model, device, compute_type, beam_size, max_duration, channel, all_channels, as_json):
    """Transcribe FILE and print timestamped text."""
    audio = decode(file, DecodeOptions(max_duration=max_duration))
    opts = build_options(model, device, compute_type, beam_size)
    channels = list(range(audio.n_channels)) if all_channels else [channel]
    results = [run_transcribe(audio.channel(c), opts, channel=c) for c in channels]
    if as_json:
        payload = [r.to_dict() for r in results]
        click.echo(json.dumps(payload if all_channels else payload[0], indent=2))
        return
    for r in results:
        if all_channels:
            click.echo(f"# channel {r.channel}")
        if not r.has_speech:
            click.echo("(no speech found)")
        for seg in r.segments:
            click.echo(f"[{_ts(seg.start)} -> {_ts(seg.end)}] {seg.text}")
