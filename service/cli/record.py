"""``listenwell devices``, ``record`` and ``scenarios`` (the laptop microphone); ``practice`` is in cli_practice."""

from __future__ import annotations

import json
import logging
import sys
import threading
from datetime import datetime
from pathlib import Path

import click

from analysis.errors import ParameterError
from analysis.report.text import render_text
from audio.devices.record import Recorder, list_input_devices
from service.cli.analyze import _Progress, transcribe_options_from, write_report
from service.pipeline import AnalysisSettings, analyze_audio, analyze_file
from service.scenarios import load_scenarios
from service.store.storage import import_session

__all__ = ["devices", "record", "scenarios", "analyze_and_store", "store_session", "KeyListener"]

logger = logging.getLogger(__name__)


class KeyListener:
    """Reads lines from stdin in a thread: Enter sets ``enter``; 'q' + Enter sets ``quit``.

    End of input (stdin closed or /dev/null) sets nothing, so a recording with
    ``--duration`` started from a script is not stopped by an empty stdin.
    """

    def __init__(self, stream=None):
        self.enter = threading.Event()
        self.quit = threading.Event()
        self._stream = stream if stream is not None else sys.stdin
        self._thread = threading.Thread(target=self._run, name="listenwell-keys", daemon=True)

    def _run(self) -> None:
        while True:
            try:
                line = self._stream.readline()
            except (OSError, ValueError):
                return
            if not line:
                return
            if line.strip().lower() in ("q", "quit"):
                self.quit.set()
            self.enter.set()

    def start(self) -> "KeyListener":
        self._thread.start()
        return self


def _meter(status) -> str:
    """One line: elapsed time, a 30-character level bar over -60..0 dBFS, the level, overflows."""
    filled = int(round(30 * min(1.0, max(0.0, (status.level_db + 60.0) / 60.0))))
    m, s = divmod(status.elapsed, 60)
    warn = f"  overflows: {status.overflows + status.dropped_blocks}" if status.overflows or status.dropped_blocks else ""
    return f"\r● {int(m):02d}:{s:04.1f}  [{'#' * filled}{'-' * (30 - filled)}] {status.level_db:6.1f} dBFS{warn}"


def _show_status(status) -> None:
    if sys.stderr.isatty():
        click.echo(_meter(status), err=True, nl=False)


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


def _device_arg(value: str | None):
    if value is None or value == "":
        return None
    return int(value) if value.isdigit() else value


def analyze_and_store(audio_path: Path, out_dir: Path, *, model: str | None, client_timeline=None,
                      decoded=None, trainee: str | None = None, instance: Path | None = None,
                      scenario_id: str | None = None, quiet: bool = False, title: str = "") -> dict:
    """Analyse a recording (or decoded practice audio), write the report, optionally store it."""
    settings = AnalysisSettings(setup="scripted" if client_timeline is not None else "auto",
                                transcribe=transcribe_options_from(model, "auto", "auto", 1, "en"))
    if decoded is not None:
        report = analyze_audio(decoded, settings, _Progress(), client_timeline=client_timeline)
    else:
        report = analyze_file(audio_path, settings, _Progress())
    paths = write_report(report, out_dir)
    if not quiet:
        click.echo(render_text(report))
    click.echo(f"report: {paths['html']}")
    report_dict = report.to_dict()
    if trainee:
        sid = store_session(instance, trainee, audio_path, report_dict, scenario_id=scenario_id,
                            client_timeline=client_timeline, title=title)
        click.echo(f"sent to {instance} as session {sid} for trainee {trainee!r}")
    return report_dict


def store_session(instance: Path, trainee: str, audio_path: Path, report_dict: dict, *,
                  scenario_id: str | None = None, client_timeline=None, title: str = "") -> int:
    """Add the session to the web service's storage (same SQLite database as the web app).

    A scripted practice session also gets its speaker set-up and client timeline,
    so a re-analysis in the web app treats it as scripted (helper on channel 0).
    """
    pairs = None
    if client_timeline is not None:
        pairs = [[float(t["start"]), float(t["end"])] for t in client_timeline]
    return import_session(instance, trainee, audio_path, report_dict, scenario_id=scenario_id, source="cli",
                          title=title, client_timeline=pairs)


def _check_store_args(trainee, instance) -> None:
    if bool(trainee) != bool(instance):
        raise ParameterError("--trainee and --instance go together (the trainee's name and the web "
                             "service's instance folder)")


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
    _check_store_args(trainee, instance)
    if trainee and not do_analyze:
        raise ParameterError("--trainee/--instance need --analyze (the web service stores analysed sessions)")
    out = out or Path(f"recording-{datetime.now():%Y%m%d-%H%M%S}.wav")
    rec = Recorder(out, device=_device_arg(device), duration=duration, channels=channels)
    keys = KeyListener().start()
    click.echo(f"recording from {rec.device.label} at {rec.samplerate} Hz -> {out}", err=True)
    click.echo("press Enter to stop" + (f" (or wait {duration:g} s)" if duration else ""), err=True)
    rec.start()
    try:
        rec.wait(keys.enter, _show_status)
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

