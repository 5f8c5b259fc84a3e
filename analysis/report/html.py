"""A self-contained HTML page for a :class:`~analysis.report.types.Report` (inline CSS and plots)."""

from __future__ import annotations

import logging
from html import escape

from analysis.report.glossary import GLOSSARY, speaker_name
from analysis.report.sections import not_judged_line, not_judged_summary, score_text, speaker_rows, transcript_rows, voice_rows
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
.score{float:right;font-weight:700} .unjudged{color:#6b4e00;background:#fff6dc;padding:.3em .5em;border-radius:4px} .ev{margin:.2em 0;font-size:.95em}
.ev.pos{border-left:3px solid #2e9e5b;padding-left:.5em} .ev.neg{border-left:3px solid #d0633c;padding-left:.5em}
.try{background:#eef6ff;padding:.4em .7em;border-radius:6px} table{border-collapse:collapse}
td,th{padding:.25em .7em;border-bottom:1px solid #e3e7ee;text-align:left} .plot svg{max-width:100%;height:auto}
details{margin:.3em 0} .turn{margin:.15em 0} .role-helper{color:#1f5fbf} .role-client{color:#9a3d8c}
.headline{font-size:1.35em;font-weight:600;margin:.4em 0} .prio{border-left:4px solid #d0633c}
.keep{border-left:4px solid #2e9e5b} .quote{font-style:italic} .unsure{color:#8a5a00;font-size:.9em}
abbr{text-decoration:underline dotted;cursor:help} .gain{color:#5b6575;font-size:.9em}
@media (max-width:600px){body{margin:1em auto} .index{font-size:2.2em} td,th{padding:.2em .35em}}
"""


def _term(word: str, key: str | None = None) -> str:
    """A word with its one-line explanation on hover."""
    tip = GLOSSARY.get(key or word, "")
    return f"<abbr title='{escape(tip)}'>{escape(word)}</abbr>" if tip else escape(word)


def _moment(e: Evidence | None) -> str:
    if e is None:
        return ""
    when = f"at {format_time(e.start)}, " if e.start is not None else ""
    unsure = (f" <span class='unsure'>({_term('unsure')}: listen to check)</span>" if e.unsure else "")
    return (f"<p class='moment'>{escape(when)}<b>{escape(speaker_name(e.role, e.speaker))}</b>: "
            f"<span class='quote'>“{escape(e.quote)}”</span>{unsure}</p>")


def _summary(report: Report) -> str:
    s = report.summary
    out = [f"<p class='headline' id='headline'>{escape(s.headline or 'No summary for this report.')}</p>"]
    if not s.judged:
        return "<section id='summary'>" + "".join(out) + "</section>"
    if s.priorities:
        out.append("<h2>What to work on next</h2><ol id='priorities'>")
        for p in s.priorities:
            try_line = f"<p class='try'><b>Try instead:</b> {escape(p.try_instead)}</p>" if p.try_instead else ""
            out.append(f"<li class='card prio' data-subscore='{escape(p.subscore)}'><h3>{escape(p.label)} "
                       f"<span class='gain'>(up to +{p.gain:.0f} points)</span></h3><p>{escape(p.message)}</p>"
                       f"{_moment(p.evidence)}{try_line}</li>")
        out.append("</ol>")
    if s.strength is not None:
        k = s.strength
        out.append(f"<h2>Keep doing</h2><div class='card keep' id='strength' data-subscore='{escape(k.subscore)}'>"
                   f"<h3>{escape(k.label)}</h3><p>{escape(k.message)}</p>{_moment(k.evidence)}</div>")
    off = not_judged_summary(report.subscores.values())
    if off:
        out.append(f"<p class='unjudged' id='not-judged'>{escape(off)}</p>")
    return "<section id='summary'>" + "".join(out) + "</section>"


def _glossary() -> str:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in GLOSSARY.items())
    return f"<details id='glossary'><summary>Words used in this report</summary><dl>{rows}</dl></details>"


def _fmt(v: float | None, unit: str = "") -> str:
    return "–" if v is None else f"{v:g}{unit}"


def _evidence(e: Evidence) -> str:
    when = f"[{format_time(e.start)}–{format_time(e.end)}] " if e.start is not None else ""
    cls = "pos" if e.positive else "neg"
    note = f" <span class='muted'>({escape(e.note)})</span>" if e.note else ""
    unsure = f" <span class='unsure'>({_term('unsure')}: listen to check)</span>" if e.unsure else ""
    return (f"<div class='ev {cls}'>{escape(when)}<b>{escape(speaker_name(e.role, e.speaker))}</b>: "
            f"“{escape(e.quote)}”{note}{unsure}</div>")


def _subscore(s: SubScore) -> str:
    score = score_text(s)
    width = 0 if not s.judged else max(0.0, min(100.0, s.score or 0.0))
    why = not_judged_line(s)
    parts = "".join(
        f"<tr><td>{escape(p.name.replace('_', ' '))}</td><td>{_fmt(p.value)} {escape(p.unit)}</td>"
        f"<td>{_fmt(p.points)}</td><td class='muted'>{escape(p.target)}</td></tr>"
        for p in s.parts
    )
    table = (f"<details><summary>How this was scored (counts {s.weight:.0%} of the score)</summary><table>"
             f"<tr><th>measure</th><th>this session</th><th>points of 100</th><th>target</th></tr>{parts}"
             f"</table></details>" if parts else "")
    ev = "".join(_evidence(e) for e in s.evidence)
    try_line = (f"<p class='try'><b>Try instead:</b> {escape(s.try_instead)}</p>"
                if s.try_instead and s.judged else "")
    return (f"<section class='card' id='sub-{escape(s.name)}'><span class='score'>{score}</span>"
            f"<h3>{escape(s.label)}</h3>"
            + (f"<p class='unjudged'>{escape(why)}</p>" if why else
               f"<div class='bar'><span style='width:{width:.0f}%'></span></div>")
            + f"<p>{escape(s.summary)}</p>{ev}{try_line}{table}</section>")


def _miti(report: Report) -> str:
    m = report.miti
    rows = [
        ("Reflections per question (R:Q)", _fmt(m.reflection_to_question), "1:1", "2:1",
         m.levels.get("reflection_to_question", "")),
        ("% complex reflections", _fmt(m.pct_complex_reflections, " %"), "40 %", "50 %",
         m.levels.get("pct_complex_reflections", "")),
        ("% open questions", _fmt(m.pct_open_questions, " %"), "", "", ""),
    ]
    body = "".join(f"<tr><td>{a}</td><td>{escape(b)}</td><td>{c}</td><td>{d}</td><td>{escape(e)}</td></tr>"
                   for a, b, c, d, e in rows)
    return (f"<details id='miti'><summary>For supervisors: {_term('MITI')} figures</summary>"
            f"<table><tr><th>measure</th><th>this session</th><th>fair</th><th>good</th><th>level</th></tr>"
            f"{body}</table><p class='muted'>{m.questions} questions ({m.open_questions} open), "
            f"{m.reflections} reflections ({m.complex_reflections} complex), {m.validations} validations, "
            f"{m.affirmations} affirmations, {m.advice} advice ({m.advice_after_permission} after asking)."
            f"</p></details>")


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
        role = t.role or "unknown"
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
    """The whole report as one HTML page (no external files), led by the summary.

    Order: headline, priorities (what happened, the moment, try instead), the strength; the
    listening score and its six parts; who spoke when; voice; figures; the MITI figures for
    supervisors (collapsed); the glossary; the transcript.
    """
    index = "–" if report.index is None else f"{report.index:.0f}"
    partial = ""
    if report.partial or report.notes:
        notes = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
        title = _term("Partial report", "partial report") if report.partial else "Notes"
        partial = f"<div class='partial'><b>{title}</b><ul>{notes}</ul></div>"
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
{_summary(report)}
{partial}
<h2>{_term("Listening score", "listening score")}</h2>
<div class="index" id="index">{index}<span class="muted" style="font-size:.4em"> / 100</span></div>
<p class="muted">{escape(report.disclaimer)}</p>
<h2>The six parts of listening</h2>{subs}
<h2>Who spoke when</h2>{_speakers(report)}
<h2>Voice</h2>{_voice(report)}
<h2>Figures</h2>{plots_html or "<p class='muted'>No timing or voice data to plot.</p>"}
<h2>For supervisors</h2>{_miti(report)}
{_glossary()}
<h2>Transcript</h2><details id="transcript" open><summary>Show all {len(report.turns)} turns</summary>{_turns(report)}</details>
</body></html>
"""
