"""A self-contained HTML page for a :class:`~analysis.report.types.Report` (inline CSS and plots)."""

from __future__ import annotations

import logging
from html import escape

from analysis.report.sections import speaker_rows, transcript_rows, voice_rows
from analysis.report.text import format_time
from analysis.report.types import Evidence, Report, SubScore

__all__ = ["render_html"]

logger = logging.getLogger(__name__)

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;
color:#1d2430;line-height:1.45}
h1{margin-bottom:.2em} .muted{color:#5b6575} .index{font-size:3em;font-weight:700;margin:.1em 0}
.partial{background:#fff4d6;border:1px solid #e8c66b;padding:.6em 1em;border-radius:6px}
.card{border:1px solid #d8dde6;border-radius:8px;padding:.8em 1.1em;margin:.9em 0}
.bar{background:#e9edf3;border-radius:4px;height:10px;width:100%;margin:.3em 0}
.bar>span{display:block;height:10px;border-radius:4px;background:#3a7bd5}
.score{float:right;font-weight:700} .ev{margin:.2em 0;font-size:.95em}
.ev.pos{border-left:3px solid #2e9e5b;padding-left:.5em} .ev.neg{border-left:3px solid #d0633c;padding-left:.5em}
.try{background:#eef6ff;padding:.4em .7em;border-radius:6px} table{border-collapse:collapse}
td,th{padding:.25em .7em;border-bottom:1px solid #e3e7ee;text-align:left} .plot svg{max-width:100%;height:auto}
details{margin:.3em 0} .turn{margin:.15em 0} .role-helper{color:#1f5fbf} .role-client{color:#9a3d8c}
"""


def _fmt(v: float | None, unit: str = "") -> str:
    return "–" if v is None else f"{v:g}{unit}"


def _evidence(e: Evidence) -> str:
    when = f"[{format_time(e.start)}–{format_time(e.end)}] " if e.start is not None else ""
    cls = "pos" if e.positive else "neg"
    note = f" <span class='muted'>({escape(e.note)})</span>" if e.note else ""
    return (f"<div class='ev {cls}'>{escape(when)}<b>{escape(e.speaker)}</b>: "
            f"“{escape(e.quote)}”{note}</div>")


def _subscore(s: SubScore) -> str:
    score = "not measured" if s.score is None else f"{s.score:.0f}/100"
    width = 0 if s.score is None else max(0.0, min(100.0, s.score))
    parts = "".join(
        f"<tr><td>{escape(p.name)}</td><td>{_fmt(p.value)} {escape(p.unit)}</td>"
        f"<td>{_fmt(p.points)}</td><td>{p.weight:g}</td><td class='muted'>{escape(p.target)}</td></tr>"
        for p in s.parts
    )
    table = (f"<details><summary>How this was scored</summary><table><tr><th>part</th><th>value</th>"
             f"<th>points</th><th>weight</th><th>target</th></tr>{parts}</table></details>" if parts else "")
    ev = "".join(_evidence(e) for e in s.evidence)
    try_line = f"<p class='try'><b>Try instead:</b> {escape(s.try_instead)}</p>" if s.try_instead else ""
    return (f"<section class='card' id='sub-{escape(s.name)}'><span class='score'>{score}</span>"
            f"<h3>{escape(s.label)} <span class='muted'>(weight {s.weight:g})</span></h3>"
            f"<div class='bar'><span style='width:{width:.0f}%'></span></div>"
            f"<p>{escape(s.summary)}</p>{ev}{try_line}{table}</section>")


def _miti(report: Report) -> str:
    m = report.miti
    rows = [
        ("Reflection : question", _fmt(m.reflection_to_question), "1:1", "2:1",
         m.levels.get("reflection_to_question", "")),
        ("% complex reflections", _fmt(m.pct_complex_reflections, " %"), "40 %", "50 %",
         m.levels.get("pct_complex_reflections", "")),
        ("% open questions", _fmt(m.pct_open_questions, " %"), "", "", ""),
    ]
    body = "".join(f"<tr><td>{a}</td><td>{escape(b)}</td><td>{c}</td><td>{d}</td><td>{escape(e)}</td></tr>"
                   for a, b, c, d, e in rows)
    return (f"<table><tr><th>measure</th><th>this session</th><th>fair</th><th>good</th><th>level</th></tr>"
            f"{body}</table><p class='muted'>{m.questions} questions ({m.open_questions} open), "
            f"{m.reflections} reflections ({m.complex_reflections} complex).</p>")


def _plots(report: Report) -> str:
    try:
        from analysis.report.plots import report_figures
    except ImportError as e:  # matplotlib missing: the page still renders
        logger.warning("plots unavailable: %s", e)
        return ""
    figs = report_figures(report)
    return "".join(f"<figure class='plot'>{svg}<figcaption class='muted'>{escape(cap)}</figcaption></figure>"
                   for cap, svg in figs)


def _turns(report: Report) -> str:
    rows = []
    for t, (when, who, text) in zip(report.turns, transcript_rows(report)):
        role = t.role or t.speaker
        rows.append(f"<div class='turn role-{escape(role)}'>{escape(when)} <b>{escape(who)}</b>: "
                    f"{escape(text)}</div>")
    return "".join(rows)


def _speakers(report: Report) -> str:
    rows = speaker_rows(report)
    if not rows:
        return "<p class='muted'>Not measured (a text-only report).</p>"
    body = "".join(f"<tr><th>{escape(a)}</th><td>{escape(b)}</td></tr>" for a, b in rows)
    return f"<table id='speakers-timing'>{body}</table>"


def _voice(report: Report) -> str:
    heads, rows, notes = voice_rows(report)
    if not rows:
        return "<p class='muted'>Voice was not measured.</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join("<tr><th>" + escape(r[0]) + "</th>" + "".join(f"<td>{escape(c)}</td>" for c in r[1:]) + "</tr>"
                   for r in rows)
    foot = "".join(f"<p class='muted'>{escape(n)}</p>" for n in notes)
    return f"<table id='voice-per-speaker'><tr><th></th>{head}</tr>{body}</table>{foot}"


def render_html(report: Report, *, plots: bool = True) -> str:
    """The whole report as one HTML page (no external files)."""
    index = "–" if report.index is None else f"{report.index:.0f}"
    partial = ""
    if report.partial or report.notes:
        notes = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
        title = "Partial report" if report.partial else "Notes"
        partial = f"<div class='partial'><b>{title}</b><ul>{notes}</ul></div>"
    strengths = "".join(f"<li>{escape(s)}</li>" for s in report.strengths) or "<li>–</li>"
    work_on = "".join(f"<li>{escape(s)}</li>" for s in report.work_on) or "<li>–</li>"
    subs = "".join(_subscore(s) for s in report.subscores.values())
    plots_html = _plots(report) if plots else ""
    meta = escape(report.source or "")
    if report.duration:
        meta += f" · {format_time(report.duration)}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ListenWell report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body>
<h1>Listening report</h1><p class="muted">{meta}</p>
<div class="index" id="index">{index}<span class="muted" style="font-size:.4em"> / 100 listening-quality index</span></div>
<p class="muted">{escape(report.disclaimer)}</p>
{partial}
<h2>Strengths</h2><ul id="strengths">{strengths}</ul>
<h2>Things to work on</h2><ul id="work-on">{work_on}</ul>
<h2>Sub-scores</h2>{subs}
<h2>MITI-style summary</h2>{_miti(report)}
<h2>Speakers and timing</h2>{_speakers(report)}
<h2>Voice per speaker</h2>{_voice(report)}
<h2>Figures</h2>{plots_html or "<p class='muted'>No timing or voice data to plot.</p>"}
<h2>Transcript by turns</h2><details id="transcript" open><summary>Show all {len(report.turns)} turns</summary>{_turns(report)}</details>
</body></html>
"""
