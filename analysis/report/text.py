"""Plain-text rendering of a :class:`~analysis.report.types.Report` for the terminal."""

from __future__ import annotations

import textwrap

from analysis.report.sections import speaker_rows, transcript_rows, voice_rows
from analysis.report.types import Evidence, Report

__all__ = ["render_text", "format_time", "format_evidence", "speakers_block", "voice_block", "transcript_block"]

WIDTH = 88


def format_time(seconds: float | None) -> str:
    """``m:ss.s`` for a time in seconds, ``-`` when unknown."""
    if seconds is None:
        return "-"
    m, s = divmod(max(0.0, float(seconds)), 60.0)
    return f"{int(m)}:{s:04.1f}"


def format_evidence(e: Evidence) -> str:
    """One evidence line: [start-end] speaker: "quote" (note)."""
    when = f"[{format_time(e.start)}-{format_time(e.end)}] " if e.start is not None else ""
    mark = "+" if e.positive else "-"
    note = f" ({e.note})" if e.note else ""
    return f"{mark} {when}{e.speaker}: \"{e.quote}\"{note}"


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _score(v: float | None) -> str:
    return "not measured" if v is None else f"{v:.0f}/100"


def speakers_block(report: Report) -> list[str]:
    """"Speakers and timing" lines (empty for a text-only report without speakers)."""
    rows = speaker_rows(report)
    if not rows:
        return []
    w = max(len(a) for a, _ in rows)
    return [_wrap(f"{a:<{w}}  {b}", "  ").replace("\n", "\n" + " " * (w + 2)) for a, b in rows]


def voice_block(report: Report) -> list[str]:
    """"Voice per speaker" table lines (a one-line note when voice was not measured)."""
    heads, rows, notes = voice_rows(report)
    if not rows:
        return ["  Voice: not measured."]
    w = max(len(r[0]) for r in rows)
    lines = ["  " + " " * w + "".join(f"{h:>14}" for h in heads)]
    lines += ["  " + f"{r[0]:<{w}}" + "".join(f"{c:>14}" for c in r[1:]) for r in rows]
    lines += [_wrap(n, "  ") for n in notes]
    return lines


def transcript_block(report: Report) -> list[str]:
    """The transcript by turns: ``[m:ss-m:ss] role: text``."""
    return [_wrap(f"{when} {who}: {text}".strip(), "  ") for when, who, text in transcript_rows(report)]


def render_text(report: Report) -> str:
    """The report as plain text: index, sub-scores with evidence, MITI summary, notes."""
    lines = ["ListenWell listening report", "=" * 27]
    if report.source:
        lines.append(f"Source: {report.source}")
    if report.duration:
        lines.append(f"Length: {format_time(report.duration)}")
    index = "not available" if report.index is None else f"{report.index:.0f} / 100"
    lines.append(f"Listening-quality index: {index}" + ("  (partial report)" if report.partial else ""))
    lines.append("")
    for s in report.subscores.values():
        lines.append(f"{s.label:<30} {_score(s.score):>14}   (weight {s.weight:.2f})")
        if s.summary:
            lines.append(_wrap(s.summary))
        for p in s.parts:
            val = "-" if p.value is None else f"{p.value:g}"
            pts = "-" if p.points is None else f"{p.points:.0f}"
            lines.append(f"    · {p.name}: {val} {p.unit} -> {pts} pts (target: {p.target})")
        for e in s.evidence:
            lines.append(_wrap(format_evidence(e), "    "))
        if s.score is not None and s.try_instead:
            lines.append(_wrap(f"Try instead: {s.try_instead}", "    "))
        lines.append("")
    m = report.miti
    lines.append("MITI-style summary (fair / good)")
    rq = "-" if m.reflection_to_question is None else f"{m.reflection_to_question:.2f}"
    cr = "-" if m.pct_complex_reflections is None else f"{m.pct_complex_reflections:.0f} %"
    oq = "-" if m.pct_open_questions is None else f"{m.pct_open_questions:.0f} %"
    lines.append(f"  reflection : question  {rq:>6}   (1:1 / 2:1)   {m.levels.get('reflection_to_question', '')}")
    lines.append(f"  complex reflections    {cr:>6}   (40 % / 50 %)  {m.levels.get('pct_complex_reflections', '')}")
    lines.append(f"  open questions         {oq:>6}")
    lines.append(f"  counts: {m.questions} questions ({m.open_questions} open), {m.reflections} reflections "
                 f"({m.complex_reflections} complex)")
    lines.append("")
    timing_lines = speakers_block(report)
    if timing_lines:
        lines.append("Speakers and timing")
        lines.extend(timing_lines)
        lines.append("")
    if report.prosody:
        lines.append("Voice per speaker")
        lines.extend(voice_block(report))
        lines.append("")
    if report.strengths:
        lines.append("Strengths")
        lines.extend(_wrap("+ " + s) for s in report.strengths)
        lines.append("")
    if report.work_on:
        lines.append("Things to work on")
        lines.extend(_wrap("- " + s) for s in report.work_on)
        lines.append("")
    if report.notes:
        lines.append("Notes")
        lines.extend(_wrap("! " + n) for n in report.notes)
        lines.append("")
    if report.turns:
        lines.append(f"Transcript ({len(report.turns)} turns)")
        lines.extend(transcript_block(report))
        lines.append("")
    lines.append(_wrap(report.disclaimer, ""))
    return "\n".join(lines) + "\n"
