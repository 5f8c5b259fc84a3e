"""``listenwell analyze AUDIO``: write report.json/.html/.txt (and the helpers other commands share)."""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

import click

from analysis.report.html import render_html
from analysis.report.text import render_text
from analysis.report.types import Report
from analysis.speakers.order_check import order_conflict, order_sentence
from audio.transcribe import TranscribeOptions
from service.pipeline import AnalysisSettings, analyze_file

__all__ = ["analyze", "write_report", "model_options", "transcribe_options_from", "rerun_command"]

logger = logging.getLogger(__name__)


def write_report(report: Report, out: Path) -> dict[str, Path]:
    """Write ``report.json``, ``report.html`` and ``report.txt`` into ``out`` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "html": out / "report.html", "txt": out / "report.txt"}
    paths["json"].write_text(report.to_json(), encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    paths["txt"].write_text(render_text(report), encoding="utf-8")
    return paths


def model_options(fn):
    """Whisper options shared by commands that transcribe."""
    for opt in reversed([
        click.option("--model", default=None, help="Whisper model name or CTranslate2 folder (default tiny.en)."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True),
        click.option("--compute-type", default="auto", show_default=True),
        click.option("--beam-size", type=int, default=1, show_default=True),
        click.option("--language", default="en", show_default=True, help="Spoken language, or 'auto'."),
    ]):
        fn = opt(fn)
    return fn


def transcribe_options_from(model, device, compute_type, beam_size, language):
    kw = dict(device=device, compute_type=compute_type, beam_size=beam_size,
              language=None if language == "auto" else language)
    if model:
        kw["model"] = model
    return TranscribeOptions(**kw)


class _Progress:
    """One stderr line per stage (only when stderr is a terminal)."""

    def __init__(self):
        self.last = None

    def __call__(self, stage: str, fraction: float) -> None:
        if not sys.stderr.isatty():
            return
        click.echo(f"\r{stage:<12} {100 * fraction:5.1f} %", err=True, nl=False)
        if fraction >= 1.0:
            click.echo("", err=True)


_HELPER_OPTIONS = ("--helper", "--helper-channel")


def rerun_command(report: Report, audio: Path, options: Sequence[tuple[str, Any]] = ()) -> str | None:
    """The order sentence and, on the next line, the ``listenwell analyze`` command with the other
    speaking order, when the given order conflicts with what was heard.

    ``options`` are this run's other options as ``(name, value)`` (value True for a flag); they are
    kept, and the helper option is replaced by the one the words suggest. None without a conflict.
    """
    check = order_conflict(report.speakers)
    if check is None:
        return None
    if check.inferred.startswith("ch") and check.inferred[2:].isdigit():
        helper = ("--helper-channel", check.inferred[2:])
    else:
        helper = ("--helper", check.inferred)
    args = ["listenwell", "analyze", str(audio)]
    for name, value in [*(o for o in options if o[0] not in _HELPER_OPTIONS), helper]:
        args += [name] if value is True else [name, str(value)]
    return f"{order_sentence(check, where='above')}\n  " + " ".join(shlex.quote(a) for a in args)


@click.command()
@click.argument("audio", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for report.json/.html/.txt (default: AUDIO's name + '.report').")
@click.option("--setup", type=click.Choice(["auto", "stereo", "mono"]), default="auto", show_default=True,
              help="Stereo: one speaker per channel; mono: two people on one channel.")
@click.option("--helper-channel", type=int, default=None, help="Stereo: the helper's channel (0 = left).")
@click.option("--helper", "--helper-speaker", "helper_speaker", default=None,
              help="Who the helper is: 'first' or 'second' (the one who talks first or second), "
                   "or a speaker label such as spk1 or ch0.")
@click.option("--order-confirmed", is_flag=True,
              help="The given --helper/--helper-channel is right even if the words suggest the other order: "
                   "the report then says what to try and keep.")
@click.option("--no-prosody", is_flag=True, help="Skip voice measurements (faster).")
@click.option("--quiet", is_flag=True, help="Do not print the text report.")
@model_options
def analyze(audio, out, setup, helper_channel, helper_speaker, order_confirmed, no_prosody, quiet, model, device,
            compute_type, beam_size, language):
    """Analyse a role-play recording and write the listening report."""
    settings = AnalysisSettings(
        setup=setup, helper_channel=helper_channel, helper_speaker=helper_speaker, prosody=not no_prosody,
        transcribe=transcribe_options_from(model, device, compute_type, beam_size, language),
        order_confirmed=order_confirmed,
    )
    kept = [("--out", out), ("--setup", setup if setup != "auto" else None), ("--no-prosody", no_prosody or None),
            ("--model", model), ("--device", device if device != "auto" else None),
            ("--compute-type", compute_type if compute_type != "auto" else None),
            ("--beam-size", beam_size if beam_size != 1 else None),
            ("--language", language if language != "en" else None)]
    report = analyze_file(audio, settings, progress=_Progress())
    out = out or audio.with_name(audio.stem + ".report")
    paths = write_report(report, out)
    if not quiet:
        click.echo(render_text(report))
    click.echo(f"wrote {paths['json']}, {paths['html']}, {paths['txt']}")
    rerun = rerun_command(report, audio, [(k, v) for k, v in kept if v is not None])
    if rerun:  # last, where the eye lands: the given order contradicts what was heard
        click.echo(f"\nSpeaking order: {rerun}")
        given = ("--helper-channel", helper_channel) if helper_channel is not None else ("--helper", helper_speaker)
        keep = ["listenwell", "analyze", str(audio)]
        for name, value in [*(o for o in kept if o[1] is not None), given, ("--order-confirmed", True)]:
            keep += [name] if value is True else [name, str(value)]
        click.echo("  If your order is right, this keeps it and says what to try and keep:\n  "
                   + " ".join(shlex.quote(a) for a in keep))
