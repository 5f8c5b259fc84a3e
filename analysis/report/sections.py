"""Speakers, timing, voice per speaker and the transcript by turns, as rows for the renderers.

Pure functions over a :class:`~analysis.report.types.Report` (its ``speakers``,
``timing`` and ``prosody`` dicts and its turns). ``render_text``,
``render_html`` and ``listenwell demo`` lay these rows out; they hold no
layout themselves. Times in seconds, pitch in Hz, levels in dB.
"""

from __future__ import annotations

from typing import Any, Iterable

from analysis.report.figures import PACE_BAND, finite
from analysis.report.glossary import percent, speaker_name
from analysis.report.types import NOT_JUDGED, Report, SubScore
from analysis.timing.types import TimingEvent
from analysis.schema import CLIENT, HELPER

__all__ = ["score_text", "not_judged_line", "not_judged_summary", "speaker_rows", "voice_rows", "transcript_rows", "turn_counts", "SOURCE_LABELS", "mmss"]

SOURCE_LABELS = {
    "channels": "stereo: one speaker on each side",
    "diarization": "one microphone: the two voices told apart by sound",
    "scripted": "practice: the client's lines were played, you on the microphone",
}


def mmss(seconds: float | None) -> str:
    """``m:ss`` for a time in seconds (``-`` when unknown)."""
    if seconds is None:
        return "-"
    s = int(round(max(0.0, float(seconds))))
    return f"{s // 60}:{s % 60:02d}"


def score_text(s: SubScore) -> str:
    """A sub-score as every renderer shows it: "72/100", "not enough to judge" or "not measured"."""
    if s.score is None:
        return "not measured"
    return f"{s.score:.0f}/100" if s.judged else NOT_JUDGED


def not_judged_line(s: SubScore) -> str:
    """The one-line reason under a sub-score that is not judged ("" otherwise)."""
    why = s.not_judged_reason
    return f"Not enough to judge: {why}. This part still counts in the score, but read it as a rough guide." if why else ""


def not_judged_summary(subscores: Iterable[SubScore]) -> str:
    """One line under the summary naming the parts not judged, when others are ("" otherwise).

    When no part is judged the headline already says so, and this is empty.
    """
    subs = [s for s in subscores if s.score is not None]
    off = [s for s in subs if not s.judged]
    if not off or len(off) == len(subs):
        return ""
    why = off[0].not_judged_reason if len({s.not_judged_reason for s in off}) == 1 else "too little to go on"
    names = ", ".join(s.label for s in off)
    return f"Not enough to judge yet: {names} ({why}). Their numbers are left out below."


def _num(x: Any, fmt: str, unit: str = "") -> str:
    return "-" if x is None else format(x, fmt) + unit


def turn_counts(report: Report) -> dict[str, int]:
    """Number of turns per role (``helper``, ``client``; other labels as they are)."""
    out: dict[str, int] = {HELPER: 0, CLIENT: 0}
    for t in report.turns:
        key = t.role or t.speaker
        out[key] = out.get(key, 0) + 1
    return out


def _event(e: TimingEvent | None) -> str:
    if e is None:
        return "-"
    return f"{e.duration:.1f} s at {mmss(e.start)}"


def speaker_rows(report: Report) -> list[tuple[str, str]]:
    """(label, value) rows for "Speakers and timing"; empty when nothing was measured.

    Parameters
    ----------
    report : Report

    Returns
    -------
    list of (str, str)
        Speaker source, speakers with roles and role confidence, turns per role,
        turns per minute, talk share (time, s), response latency (median, s, and bins),
        overlaps, interruptions, backchannels, longest helper monologue and client
        story (s), pauses by length; on one microphone what it cannot see reads "not measured".
    """
    rows: list[tuple[str, str]] = []
    sp = report.speakers
    if sp is not None:
        roles = sp.roles
        rows.append(("Speakers from", SOURCE_LABELS.get(sp.source, sp.source or "-")))
        labels = roles.roles if roles else {}
        names = sorted(sp.activity.speakers or labels, key=lambda s: {HELPER: 0, CLIENT: 1}.get(labels.get(s), 2))
        who = ", ".join(f"{speaker_name(labels.get(s))} = {_label(s)}" for s in names)
        how = roles.method if roles else ""
        rows.append(("Speakers", f"{who or '-'} (who is who: {how}"
                     + (f", {percent(roles.confidence)} % sure)" if roles else ")")))
    if report.turns:
        c = turn_counts(report)
        minutes = (report.duration or 0) / 60.0
        per_min = f", {len(report.turns) / minutes:.1f} per minute" if minutes > 0 else ""
        rows.append(("Turns", f"{len(report.turns)} (you {c.get(HELPER, 0)}, client {c.get(CLIENT, 0)}){per_min}"))
    t = report.timing
    if t is None:
        if rows:
            rows.append(("Timing", "not measured"))
        return rows
    share = t.talk_share_helper
    if share is not None:
        rows.append(("Talk share (time)", f"you {percent(share)} % ({t.speech_time.get(HELPER, 0):.1f} s), client "
                     f"{100 - percent(share)} % ({t.speech_time.get(CLIENT, 0):.1f} s); aim for under 50 %"))
    unseen = "not measured (one microphone: record in stereo)"
    lat = t.latency
    if not t.overlaps_measured:
        rows.append(("Pause before you answered", unseen))
    elif lat.count and lat.median is not None:
        b = lat.bins
        usual = (f"usually started {abs(lat.median):.1f} s before the client had finished" if lat.median < 0
                 else f"usually {lat.median:.1f} s")
        rows.append(("Pause before you answered",
                     f"{usual} over {lat.count} replies (calm is 0.5-1 s); started before the client finished "
                     f"{b.get('overlap', 0)}, under 0.2 s {b.get('fast', 0)}, 0.2-1 s {b.get('medium', 0)}, "
                     f"over 1 s {b.get('long', 0)}"))
    else:
        rows.append(("Pause before you answered", "no replies measured"))
    if not t.overlaps_measured:  # one microphone: speech inside the other person's is not seen
        rows.append(("Both talking at once", unseen))
        rows.append(("You cut in on the client", unseen))
        rows.append(('Short "mm-hmm"s while the client talked', unseen))
    else:
        when = ", ".join(mmss(e.start) for e in t.interruptions[:6])
        rows.append(("Both talking at once", str(len(t.overlaps))))
        rows.append(("You cut in on the client", f"{len(t.interruptions)}" + (f" (at {when})" if when else "")))
        if t.client_interruptions:
            rows.append(("The client cut in on you", str(len(t.client_interruptions))))
        rows.append(('Short "mm-hmm"s while the client talked', str(len(t.backchannels))))
    rows.append(("Your longest turn", _event(t.longest_helper_monologue)))
    rows.append(("The client's longest turn", _event(t.longest_client_story)))
    p = t.pauses
    rows.append(("Pauses", f"under 0.2 s {p.get('brief', 0)}, 0.2-1 s {p.get('medium', 0)}, "
                 f"over 1 s {p.get('long', 0)}"))
    for n in t.notes:
        rows.append(("Note", str(n)))
    return rows


_VOICE = (
    ("Usual pitch (Hz, how high the voice is)", "pitch_median_hz", ".0f", " Hz"),
    ("Pitch range (semitones: musical steps)", "pitch_range_st", ".1f", " semitones"),
    ("Voice rise and fall (2.5+ is lively)", "pitch_sd_st", ".1f", " semitones"),
    ("Loudness (dB, relative)", "energy_db", ".1f", " dB"),
    ("Loudness changes", "energy_sd_db", ".1f", " dB"),
    (f"Pace, words a minute (calm {PACE_BAND.lo:.0f}-{PACE_BAND.hi:.0f})", "wpm", ".0f", ""),
    ("Pace without pauses", "articulation_wpm", ".0f", ""),
    ("Fillers (um, uh) a minute", "fillers_per_min", ".1f", ""),
)


def _label(speaker: str) -> str:
    """A speaker label in words: "ch0" is the left channel, "spk1" the second voice."""
    if speaker.startswith("ch") and speaker[2:].isdigit():
        return {0: "left channel", 1: "right channel"}.get(int(speaker[2:]), f"channel {int(speaker[2:]) + 1}")
    if speaker.startswith("spk") and speaker[3:].isdigit():
        return f"voice {int(speaker[3:]) + 1}"
    return speaker


def _flag(v: Any) -> str:
    return "-" if v is None else ("yes" if v else "no")


def voice_rows(report: Report) -> tuple[list[str], list[list[str]], list[str]]:
    """Voice per speaker: (column heads, rows, footnotes); no rows when not measured.

    Columns are the helper and the client (other speakers after them). Rows:
    pitch median (Hz), range and variability (semitones), monotone flag, level
    and its variability (dB), words per minute, articulation rate, pauses by
    length (count under 0.2 s / 0.2-1 s / over 1 s), fillers per minute, rushed.
    Footnotes: the helper's level and pitch relative to the client's.
    """
    d = report.prosody
    order = {HELPER: 0, CLIENT: 1}
    spk = sorted(d.speakers if d else (), key=lambda s: order.get(s.role or "", 2))
    if not spk:
        return [], [], []
    heads = [speaker_name(s.role) for s in spk]
    rows = []
    for label, key, fmt, unit in _VOICE[:3]:
        rows.append([label] + [_num(finite(getattr(s, key)), fmt, unit) for s in spk])
    rows.append(["Flat voice"] + [_flag(s.monotone) for s in spk])
    for label, key, fmt, unit in _VOICE[3:]:
        rows.append([label] + [_num(finite(getattr(s, key)), fmt, unit) for s in spk])
    rows.append(["Pauses <0.2 / 0.2-1 / >1 s"] + [f"{s.pauses.brief}/{s.pauses.medium}/{s.pauses.long}" for s in spk])
    rows.append(["Rushed (faster than calm)"] + [_flag(s.rushed) for s in spk])
    notes = []
    db, st = finite(d.helper_minus_client_db), finite(d.helper_minus_client_st)
    if db is not None or st is not None:
        notes.append(f"You vs the client: loudness {_num(db, '+.1f', ' dB')} (within 3 dB is even), "
                     f"pitch {_num(st, '+.1f', ' semitones')}")
    if d.rushed_after_disclosure:
        notes.append(f"Rushed replies right after the client shared a feeling: {len(d.rushed_after_disclosure)}")
    notes.extend(str(n) for n in d.notes)
    return heads, rows, notes


def transcript_rows(report: Report) -> list[tuple[str, str, str]]:
    """(``[m:ss-m:ss]``, speaker/role, text) per turn, in time order."""
    out = []
    for t in report.turns:
        when = f"[{mmss(t.start)}-{mmss(t.end)}]" if t.start is not None else ""
        out.append((when, speaker_name(t.role, t.speaker), t.text))
    return out
