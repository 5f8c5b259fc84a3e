"""Plain-text rendering of a :class:`~analysis.report.types.Report` for the terminal."""

from __future__ import annotations

import textwrap

from analysis.report.glossary import GLOSSARY, speaker_name, unit_for
from analysis.report.sections import not_judged_line, not_judged_summary, score_text, speaker_rows, transcript_rows, voice_rows
from analysis.report.types import Evidence, Report

__all__ = ["render_text", "format_time", "format_evidence", "speakers_block", "voice_block", "transcript_block",
           "summary_block", "miti_block"]

WIDTH = 88


def format_time(seconds: float | None) -> str:
    """``m:ss.s`` for a time in seconds, ``-`` when unknown."""
    if seconds is None:
        return "-"
    m, s = divmod(max(0.0, float(seconds)), 60.0)
    return f"{int(m)}:{s:04.1f}"


def format_evidence(e: Evidence) -> str:
    """One evidence line: [start-end] You (helper)/Client: "quote" (note) [unsure]."""
    when = f"[{format_time(e.start)}-{format_time(e.end)}] " if e.start is not None else ""
    mark = "+" if e.positive else "-"
    note = f" ({e.note})" if e.note else ""
    unsure = " [unsure: listen to check]" if e.unsure else ""
    return f"{mark} {when}{speaker_name(e.role, e.speaker)}: \"{e.quote}\"{note}{unsure}"


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


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


def _moment(e: Evidence | None) -> list[str]:
    if e is None:
        return []
    when = f"at {format_time(e.start)}, " if e.start is not None else ""
    unsure = " (unsure: the words or their reading may be wrong; listen to check)" if e.unsure else ""
    return [_wrap(f"{when}{speaker_name(e.role, e.speaker)}: \"{e.quote}\"{unsure}", "     ")]


def summary_block(report: Report) -> list[str]:
    """The headline, up to three priorities (what happened, the moment, try instead) and the strength."""
    s = report.summary
    lines = [_wrap(s.headline or "No summary for this report.", "")]
    if not s.judged:
        return lines
    if s.priorities:
        lines += ["", "What to work on next (most helpful first)"]
        for i, p in enumerate(s.priorities, 1):
            lines.append(_wrap(f"{i}. {p.label}: {p.message}", "  "))
            lines += _moment(p.evidence)
            if p.try_instead:
                lines.append(_wrap(f"Try instead: {p.try_instead}", "     "))
    if s.strength is not None:
        lines += ["", "Keep doing"]
        lines.append(_wrap(f"+ {s.strength.label}: {s.strength.message}", "  "))
        lines += _moment(s.strength.evidence)
    off = not_judged_summary(report.subscores.values())
    if off:
        lines += ["", _wrap(off, "")]
    return lines


def miti_block(report: Report) -> list[str]:
    """The MITI figures, for supervisors."""
    m = report.miti
    rq = "-" if m.reflection_to_question is None else f"{m.reflection_to_question:.2f}"
    cr = "-" if m.pct_complex_reflections is None else f"{m.pct_complex_reflections:.0f} %"
    oq = "-" if m.pct_open_questions is None else f"{m.pct_open_questions:.0f} %"
    return [
        _wrap("MITI: " + GLOSSARY["MITI"], "  "),
        f"  reflections per question (R:Q)  {rq:>6}   (fair 1:1, good 2:1)   {m.levels.get('reflection_to_question', '')}",
        f"  complex reflections             {cr:>6}   (fair 40 %, good 50 %)  {m.levels.get('pct_complex_reflections', '')}",
        f"  open questions                  {oq:>6}",
        f"  counts: {m.questions} questions ({m.open_questions} open), {m.reflections} reflections "
        f"({m.complex_reflections} complex), {m.validations} validations, {m.affirmations} affirmations, "
        f"{m.advice} advice ({m.advice_after_permission} after asking)",
    ]


def _part_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit.startswith("%"):
        return f"{value:.0f} {unit}"
    return f"{value:g} {unit_for(value, unit)}".strip()  # "1 reply", not "1 replies"


def render_text(report: Report) -> str:
    """The report as plain text: summary first, then each part with its moments, then details.

    Order: headline, priorities and strength; the listening score and its six parts (plain
    sentence, quotes, try-instead for parts that are not strengths, how it was scored); speakers
    and timing; voice; notes; the MITI figures for supervisors; a short glossary; the transcript.
    """
    lines = ["ListenWell listening report", "=" * 27]
    if report.source:
        lines.append(f"Recording: {report.source}")
    if report.duration:
        lines.append(f"Length: {format_time(report.duration)}")
    lines.append("")
    lines += summary_block(report)
    lines.append("")
    if report.practice and report.practice.get("arc"):
        lines.append(_wrap(report.practice['arc'], ""))
        lines.append("")
    cut_ins = (report.practice or {}).get("cut_ins") or []
    if cut_ins:
        when = ", ".join(format_time(c["trainee_voice_at"]) for c in cut_ins)
        lines.append(_wrap(f"You cut in on the client {len(cut_ins)} time{'s' if len(cut_ins) > 1 else ''} "
                           f"(at {when}); she stopped and let you speak.", ""))
        lines.append("")
    score = "no score" if report.index is None else f"{report.index:.0f} out of 100"
    lines.append(f"Listening score: {score}" + ("  (partial report: see the notes)" if report.partial else ""))
    lines.append(_wrap(GLOSSARY["listening score"], "  "))
    lines.append("")
    lines.append("The six parts of listening")
    for s in report.subscores.values():
        lines.append(f"{s.label:<30} {score_text(s):>20}")
        if not_judged_line(s):
            lines.append(_wrap(not_judged_line(s)))
        if s.summary:
            lines.append(_wrap(s.summary))
        for e in s.evidence:
            lines.append(_wrap(format_evidence(e), "    "))
        for j in s.jargon:
            when = f"at {format_time(j.start)}, " if j.start is not None else ""
            lines.append(_wrap(f'- Technical word: {when}you said "{j.said}"; to the client, say "{j.plain}".', "    "))
        if s.judged and s.try_instead:
            lines.append(_wrap(f"Try instead: {s.try_instead}", "    "))
        if s.parts:
            lines.append(f"    How it was scored (counts {s.weight:.0%} of the listening score):")
        for p in s.parts:
            pts = "-" if p.points is None else f"{p.points:.0f}"
            scored = f"-> {pts} of 100" if p.weight > 0 else "(shown, not counted in the score)"
            lines.append(_wrap(f"· {p.label}: {_part_value(p.value, p.unit)} {scored} (aim: {p.target})", "      "))
        lines.append("")
    timing_lines = speakers_block(report)
    if timing_lines:
        lines.append("Speakers and timing")
        lines.extend(timing_lines)
        lines.append("")
    if report.prosody:
        lines.append("Voice")
        lines.extend(voice_block(report))
        lines.append("")
    if report.notes:
        lines.append("Notes")
        lines.extend(_wrap("! " + n) for n in report.notes)
        lines.append("")
    lines.append("For supervisors: MITI figures")
    lines.extend(miti_block(report))
    lines.append("")
    lines.append("Words used in this report")
    for term in ("reflection", "validation", "affirmation", "open question", "backchannel", "pause before answering",
                 "pace", "pitch variation", "loudness vs the client", "unsure"):
        lines.append(_wrap(f"{term}: {GLOSSARY[term]}", "  "))
    lines.append("")
    if report.turns:
        lines.append(f"Transcript ({len(report.turns)} turns)")
        lines.extend(transcript_block(report))
        lines.append("")
    lines.append(_wrap(report.disclaimer, ""))
    return "\n".join(lines) + "\n"
