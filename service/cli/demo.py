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

from analysis.errors import NotFoundError
from analysis.report.consistency import check_report
from analysis.report.glossary import percent
from analysis.report.sections import mmss, turn_counts
from analysis.report.types import Report
from analysis.scoring.score import LABELS
from service.cli.analyze import write_report
from service.pipeline import AnalysisSettings, analyze_file

__all__ = ["demo", "SAMPLES", "samples_dir", "side_by_side", "timing_block", "voice_block"]

logger = logging.getLogger(__name__)

SAMPLES = {
    "listens-well": "A helper who listens well",
    "jumps-to-fixes": "A helper who interrupts and jumps to fixes",
}


def samples_dir() -> Path:
    """The bundled ``samples/dialogues`` folder (next to the package in a checkout)."""
    here = Path(__file__).resolve().parents[2] / "samples" / "dialogues"
    return here


def _score(v: float | None) -> str:
    return "n/m" if v is None else f"{v:.0f}"


def side_by_side(reports: dict[str, Report]) -> str:
    """A plain-text table: index, sub-scores and MITI ratios, one column per report."""
    names = list(reports)
    width = 24
    head = f"{'':<30}" + "".join(f"{n:>{width}}" for n in names)
    rows = [head, "-" * len(head)]
    rows.append(f"{'Listening score (0-100)':<30}" + "".join(f"{_score(r.index):>{width}}"
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
    share = None if r.timing is None else r.timing.talk_share_helper  # the one figure, rounded as everywhere
    if share is not None:
        return f"{percent(share)} %"
    p = _part(r, "make_space", "helper_talk_share")
    return "-" if p is None or p.value is None else f"{percent(p.value / 100.0)} %"


def timing_block(r: Report) -> list[str]:
    """Compact "speakers / turns / timing" lines for one report (empty when not measured)."""
    t, sp = r.timing, r.speakers
    if t is None and sp is None:
        return []
    c = turn_counts(r)
    minutes = (r.duration or 0) / 60.0
    lines = []
    if sp is not None:  # supervisors' view: the raw speaker source and labels
        roles = sp.roles
        labels = roles.roles if roles else {}
        who = ", ".join(f"{k}={v}" for k, v in sorted(labels.items(), key=lambda kv: kv[1] != "helper"))
        lines.append(f"  speakers  {sp.source}: {who} (roles {roles.method if roles else '?'}, confidence "
                     f"{roles.confidence if roles else 0:.2f})")
    per_min = f", {len(r.turns) / minutes:.1f}/min" if minutes > 0 else ""
    share = None if t is None else t.talk_share_helper
    lines.append(f"  turns     {len(r.turns)} (helper {c.get('helper', 0)}, client {c.get('client', 0)}){per_min}; "
                 f"helper talk {'-' if share is None else f'{percent(share)} %'}")
    if t is None:
        return lines
    lat, b = t.latency, t.latency.bins
    if not t.overlaps_measured:  # one microphone: speech inside the other's cannot be seen
        lines.append("  replies   pause before answering, overlaps, interruptions and backchannels not measured "
                     "(one microphone)")
    else:
        if lat.count and lat.median is not None:
            lines.append(f"  replies   median latency {lat.median:.2f} s; overlap {b.get('overlap', 0)}, "
                         f"<0.2 s {b.get('fast', 0)}, 0.2-1 s {b.get('medium', 0)}, >1 s {b.get('long', 0)}")
        at = f" (at {', '.join(mmss(e.start) for e in t.interruptions[:4])})" if t.interruptions else ""
        lines.append(f"  events    overlaps {len(t.overlaps)}, interruptions {len(t.interruptions)}{at}, "
                     f"backchannels {len(t.backchannels)}")
    dur = lambda e: "-" if e is None else f"{e.duration:.1f} s"  # noqa: E731
    p = t.pauses
    lines.append(f"  longest   helper turn {dur(t.longest_helper_monologue)}, client story "
                 f"{dur(t.longest_client_story)}; pauses <0.2 s {p.get('brief', 0)}, "
                 f"0.2-1 s {p.get('medium', 0)}, >1 s {p.get('long', 0)}")
    return lines


def voice_block(r: Report) -> list[str]:
    """Compact "voice per speaker" table for one report (one line when not measured)."""
    spk = {s.role: s for s in (r.prosody.speakers if r.prosody else ())}
    if not spk:
        return ["  voice     not measured"]

    def f(x, fmt):
        return "-" if x is None or x != x else format(x, fmt)

    lines = [f"  {'voice':<8}{'pitch Hz':>9}{'sd st':>7}{'range st':>9}{'mono':>6}{'level dB':>9}{'sd dB':>7}"
             f"{'wpm':>6}{'artic':>7}{'pauses':>10}{'fill/min':>9}"]
    for role in ("helper", "client"):
        s = spk.get(role)
        if s is None:
            continue
        mono = "-" if s.monotone is None else ("yes" if s.monotone else "no")
        lines.append(f"  {role:<8}{f(s.pitch_median_hz, '9.0f')}{f(s.pitch_sd_st, '7.2f')}"
                     f"{f(s.pitch_range_st, '9.1f')}{mono:>6}{f(s.energy_db, '9.1f')}"
                     f"{f(s.energy_sd_db, '7.1f')}{f(s.wpm, '6.0f')}{f(s.articulation_wpm, '7.0f')}"
                     f"{f'{s.pauses.brief}/{s.pauses.medium}/{s.pauses.long}':>10}"
                     f"{f(s.fillers_per_min, '9.1f')}")
    db = r.prosody.helper_minus_client_db
    if db is not None and db == db:
        lines.append(f"  helper vs client level {db:+.1f} dB (pauses: <0.2 s / 0.2-1 s / >1 s)")
    return lines


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
        for line in timing_block(report) + voice_block(report):
            click.echo(line)
        click.echo(f"  {report.summary.headline}")
        if report.summary.strength is not None:
            click.echo(f"  + keep doing: {report.summary.strength.label}: {report.summary.strength.message}")
        for p in report.summary.priorities:
            click.echo(f"  - work on: {p.label} (up to +{p.gain:.0f} points): {p.message}")
        problems = check_report(report.to_dict())
        if problems:
            click.echo(f"  ! consistency check found {len(problems)} problem(s): " + "; ".join(problems[:3]))
        else:
            click.echo("  consistency check: no contradictions")
        click.echo(f"  full report: {out / name / 'report.txt'}\n")
    (out / "index.html").write_text(_index_html(reports, table), encoding="utf-8")
    click.echo(f"wrote {out / 'index.html'} and a report folder per sample")
