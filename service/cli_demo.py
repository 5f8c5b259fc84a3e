"""``listenwell demo``: analyse the two bundled role-plays and show their reports side by side.

No download: the samples ship in ``samples/dialogues`` and the default model
ships in a Python package. Writes each report (JSON, HTML, text) and an
``index.html`` that links both.
"""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path

import click

from analysis.report import Report
from analysis.scoring import LABELS

__all__ = ["demo", "SAMPLES", "samples_dir", "side_by_side"]

logger = logging.getLogger(__name__)

SAMPLES = {
    "listens-well": "A helper who listens well",
    "jumps-to-fixes": "A helper who interrupts and jumps to fixes",
}


def samples_dir() -> Path:
    """The bundled ``samples/dialogues`` folder (next to the package in a checkout)."""
    here = Path(__file__).resolve().parents[1] / "samples" / "dialogues"
    return here


def _score(v: float | None) -> str:
    return "n/m" if v is None else f"{v:.0f}"


def side_by_side(reports: dict[str, Report]) -> str:
    """A plain-text table: index, sub-scores and MITI ratios, one column per report."""
    names = list(reports)
    width = 24
    head = f"{'':<30}" + "".join(f"{n:>{width}}" for n in names)
    rows = [head, "-" * len(head)]
    rows.append(f"{'Listening-quality index':<30}" + "".join(f"{_score(r.index):>{width}}"
                                                             for r in reports.values()))
    for key, label in LABELS.items():
        rows.append(f"{label:<30}" + "".join(
            f"{_score(r.subscores[key].score if key in r.subscores else None):>{width}}" for r in reports.values()))
    rq = lambda r: "-" if r.miti.reflection_to_question is None else f"{r.miti.reflection_to_question:.2f}"  # noqa: E731
    rows.append(f"{'Reflection : question':<30}" + "".join(f"{rq(r):>{width}}" for r in reports.values()))
    rows.append(f"{'Interruptions':<30}" + "".join(f"{_interruptions(r):>{width}}" for r in reports.values()))
    rows.append(f"{'Helper talk share':<30}" + "".join(f"{_share(r):>{width}}" for r in reports.values()))
    return "\n".join(rows)


def _part(r: Report, sub: str, part: str):
    s = r.subscores.get(sub)
    for p in (s.parts if s else ()):
        if p.name == part:
            return p
    return None


def _interruptions(r: Report) -> str:
    p = _part(r, "make_space", "interruptions_per_minute")
    return "-" if p is None or p.value is None else f"{p.value:.1f}/min"


def _share(r: Report) -> str:
    p = _part(r, "make_space", "helper_talk_share")
    return "-" if p is None or p.value is None else f"{p.value:.0f} %"


def _index_html(reports: dict[str, Report], table: str) -> str:
    links = "".join(
        f"<li><a href='{escape(n)}/report.html'>{escape(SAMPLES.get(n, n))}</a>: index "
        f"{_score(r.index)}</li>" for n, r in reports.items()
    )
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>ListenWell demo</title></head>"
            f"<body style='font-family:system-ui;max-width:900px;margin:2em auto'><h1>ListenWell demo</h1>"
            f"<ul>{links}</ul><pre>{escape(table)}</pre></body></html>")


@click.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("listenwell-demo"),
              show_default=True, help="Folder for the two reports and index.html.")
@click.option("--setup", type=click.Choice(["stereo", "mono"]), default="stereo", show_default=True,
              help="Analyse the stereo (one speaker per channel) or the mono mix of each sample.")
@click.option("--no-prosody", is_flag=True, help="Skip voice measurements (faster).")
def demo(out, setup, no_prosody):
    """Analyse the bundled role-plays (good vs poor listening) and compare their reports."""
    from analysis.errors import NotFoundError
    from service.cli_analyze import write_report
    from service.pipeline import AnalysisSettings, analyze_file

    folder = samples_dir()
    reports: dict[str, Report] = {}
    for name, title in SAMPLES.items():
        path = folder / (f"{name}.stereo.wav" if setup == "stereo" else f"{name}.wav")
        if not path.is_file():
            raise NotFoundError(f"bundled sample {path} is missing (is this a full checkout?)", path=str(path))
        click.echo(f"analysing {path.name} ({title}) ...", err=True)
        settings = AnalysisSettings(setup=setup, prosody=not no_prosody,
                                    helper_channel=0 if setup == "stereo" else None)
        report = analyze_file(path, settings)
        reports[name] = report
        write_report(report, out / name)
    table = side_by_side(reports)
    click.echo("\n" + table + "\n")
    for name, report in reports.items():
        click.echo(f"{SAMPLES[name]} ({name}):")
        for line in report.strengths[:2]:
            click.echo(f"  + {line}")
        for line in report.work_on[:2]:
            click.echo(f"  - {line}")
        click.echo(f"  full report: {out / name / 'report.txt'}\n")
    (out / "index.html").write_text(_index_html(reports, table), encoding="utf-8")
    click.echo(f"wrote {out / 'index.html'} and a report folder per sample")
