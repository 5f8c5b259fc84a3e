"""What ``listenwell record`` and ``practice`` share: keys, the level meter, analyse-and-store."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click

from analysis.errors import ParameterError
from analysis.report.text import render_text
from service.cli.analyze import _Progress, transcribe_options_from, write_report
from service.pipeline import AnalysisSettings, analyze_audio, analyze_file
from service.store.storage import store_analysed_session

__all__ = ["KeyListener", "analyze_and_store", "check_store_args", "device_arg", "show_status"]


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


def show_status(status) -> None:
    if sys.stderr.isatty():
        click.echo(_meter(status), err=True, nl=False)


def device_arg(value: str | None):
    if value is None or value == "":
        return None
    return int(value) if value.isdigit() else value


def check_store_args(trainee, instance) -> None:
    if bool(trainee) != bool(instance):
        raise ParameterError("--trainee and --instance go together (the trainee's name and the web "
                             "service's instance folder)")


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
        sid = store_analysed_session(instance, trainee, audio_path, report_dict, scenario_id=scenario_id,
                            client_timeline=client_timeline, title=title)
        click.echo(f"sent to {instance} as session {sid} for trainee {trainee!r}")
    return report_dict
