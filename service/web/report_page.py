"""What the interactive report page shows, built from the stored report dict.

Pure functions (no Flask): the page's data block (turns, overlaps, evidence marks,
comment pins, pace per helper turn), comment threads, the scenario's "good
listening" checklist, and the public form of a report (no server path in it).
Every number comes from the report; nothing is measured again here.
"""

from __future__ import annotations

import copy
import logging
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Iterable

from analysis.report.figures import PACE_BAND
from analysis.report.sections import not_judged_line, not_judged_summary, score_text
from analysis.report.types import SubScore

__all__ = [
    "CALM_PACE_WPM",
    "GLOSSARY",
    "CHECK_RULES",
    "display_source",
    "public_report",
    "page_data",
    "comment_threads",
    "good_listening_checklist",
    "subscore_rows",
    "not_judged_text",
    "role_name",
]

logger = logging.getLogger(__name__)

CALM_PACE_WPM = (PACE_BAND.lo, PACE_BAND.hi)
"""Calm speaking pace, words a minute (the upper end is the report's "rushed" line when it gives one)."""

GLOSSARY: dict[str, str] = {
    "helper": "The person practising listening (you, the trainee).",
    "client": "The person being listened to (in practice, the recorded client).",
    "turn": "One stretch of talk by one person, until the other speaks.",
    "talk share": "How much of the speaking time was the helper's. Less than half leaves room for the client.",
    "interruption": "The helper started talking while the client was still talking, and the client stopped.",
    "overlap": "Both people talking at the same moment.",
    "reflection": "Saying back, in your own words, what the client said or feels, to show you heard it.",
    "validation": "Telling the client their feeling makes sense (\"No wonder you feel that way\").",
    "open question": "A question that cannot be answered with yes or no (\"What was that like?\").",
    "pace": f"How fast the helper talks, in words a minute. Calm is about {PACE_BAND.lo:.0f}-{PACE_BAND.hi:.0f}.",
    "voice movement": "How much the voice rises and falls. A flat voice can sound bored or tense.",
    "index": "A 0-100 summary of the six listening areas below. Practice feedback, not a grade.",
}

_ROLE_NAMES = {"helper": "Helper", "client": "Client"}
_ABS_PATH = re.compile(r"^(?:/|~/|[A-Za-z]:[\\/]|\\\\)")
_ROOTS = re.compile(r"^(?:/(?:home|tmp|srv|var|usr|opt|work|root|mnt|media|data|Users|private)/|~/|[A-Za-z]:[\\/])")


def role_name(role: str | None, speaker: str | None = None) -> str:
    """Plain name of a speaker: "Helper", "Client" or "Speaker N" (never ch0/spk0)."""
    if role in _ROLE_NAMES:
        return _ROLE_NAMES[role]
    digits = re.sub(r"\D", "", speaker or "")
    return f"Speaker {int(digits) + 1}" if digits else "Speaker"


def _basename(value: str) -> str:
    name = PureWindowsPath(value).name if "\\" in value else PurePosixPath(value).name
    return name or "audio"


def display_source(session: dict | None, report: dict | None) -> str:
    """The recording's name as the trainee knows it: the uploaded file's name, else a plain label."""
    if session is not None:
        name = (dict(session).get("source_name") or "").strip()
        if name:
            return _basename(name)
    src = str((report or {}).get("source") or "")
    audio_name = (dict(session).get("audio_name") if session is not None else None) or ""
    if src and _basename(src) != audio_name and not src.startswith(("<", "channels")):
        return _basename(src)
    kind = (dict(session).get("source") if session is not None else "") or ""
    return {"browser": "browser practice recording", "upload": "uploaded recording"}.get(kind, "recording")


def _strip_paths(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_paths(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_paths(v) for v in value]
    if isinstance(value, str) and _ABS_PATH.match(value) and (" " not in value or _ROOTS.match(value)):
        return _basename(value)  # a path (not words that happen to start with a slash)
    return value


def public_report(report: dict, session: dict | None = None) -> dict:
    """A copy of ``report`` safe to show: ``source`` is the file's name, no absolute path anywhere."""
    out = _strip_paths(copy.deepcopy(report))
    out["source"] = display_source(session, report)
    return out


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f else None


def _evidence_marks(report: dict) -> list[dict]:
    marks: list[dict] = []
    summary = report.get("summary") or {}
    for rank, p in enumerate(summary.get("priorities") or [], 1):
        ev = p.get("evidence") or {}
        if _num(ev.get("start")) is not None:
            marks.append({"start": _num(ev["start"]), "end": _num(ev.get("end")), "kind": "priority",
                          "label": f"To try {rank}: {p.get('label') or p.get('subscore')}"})
    strength = summary.get("strength") or {}
    ev = strength.get("evidence") or {}
    if _num(ev.get("start")) is not None:
        marks.append({"start": _num(ev["start"]), "end": _num(ev.get("end")), "kind": "strength",
                      "label": f"Keep doing: {strength.get('label') or strength.get('subscore')}"})
    if not marks:  # no summary (older report): mark the sub-scores' evidence instead
        for sub in (report.get("subscores") or {}).values():
            for ev in sub.get("evidence") or []:
                if _num(ev.get("start")) is not None:
                    marks.append({"start": _num(ev["start"]), "end": _num(ev.get("end")),
                                  "kind": "strength" if ev.get("positive") else "evidence",
                                  "label": f"{sub.get('label') or sub.get('name')}: {ev.get('note') or ''}".strip(": ")})
    return marks


def _pace_rows(report: dict, turns: list[dict]) -> list[dict]:
    prosody = report.get("prosody") or {}
    rows = []
    for t in prosody.get("turns") or []:
        if t.get("role") != "helper" or _num(t.get("start")) is None:
            continue
        i = t.get("turn_index")
        text = turns[i]["text"] if isinstance(i, int) and 0 <= i < len(turns) else ""
        rows.append({
            "turn": i, "start": _num(t.get("start")), "end": _num(t.get("end")),
            "wpm": _num(t.get("wpm")), "n_words": t.get("n_words"),
            "pitch_sd": _num(t.get("pitch_sd_st")), "pitch_range": _num(t.get("pitch_range_st")),
            "rushed": bool(t.get("rushed")), "text": text,
        })
    return rows


def _bands(report: dict) -> dict:
    options = (report.get("prosody") or {}).get("options") or {}
    high = _num(options.get("rushed_wpm")) or CALM_PACE_WPM[1]
    flat = _num(options.get("monotone_sd_st")) or 1.5
    return {"pace": [CALM_PACE_WPM[0], high], "voice_flat": flat, "voice_lively": max(flat, 2.5)}


def subscore_rows(report: dict) -> list[dict]:
    """The sub-scores for the details section, most weight first, each with ``shown`` ("72/100",
    "not enough to judge" or "not measured"), ``judged`` and ``why`` (the reason it is not judged),
    from the one rule in :attr:`analysis.report.types.SubScore.judged`."""
    rows = []
    for name, d in (report.get("subscores") or {}).items():
        sub = SubScore.from_dict({"name": name, **d})
        rows.append({**d, "shown": score_text(sub), "judged": sub.judged, "why": not_judged_line(sub)})
    return sorted(rows, key=lambda s: -float(s.get("weight") or 0))


def not_judged_text(report: dict) -> str:
    """The line under the summary naming the parts not judged when others are ("" otherwise)."""
    return not_judged_summary(SubScore.from_dict({"name": n, **d}) for n, d in (report.get("subscores") or {}).items())


def page_data(report: dict, comments: Iterable[dict] = ()) -> dict:
    """The compact JSON the page's script draws from (timeline, transcript, pace, pins)."""
    timing = report.get("timing") or {}
    turns = []
    for i, t in enumerate(report.get("turns") or []):
        turns.append({"i": i, "role": t.get("role"), "who": role_name(t.get("role"), t.get("speaker")),
                      "start": _num(t.get("start")), "end": _num(t.get("end")), "text": t.get("text", "")})
    ends = [t["end"] for t in turns if t["end"] is not None]
    duration = _num(report.get("duration")) or (max(ends) if ends else 0.0)

    def events(key: str) -> list[dict]:
        return [{"start": _num(e.get("start")), "end": _num(e.get("end")), "who": e.get("speaker"),
                 "text": e.get("text", "")} for e in timing.get(key) or [] if _num(e.get("start")) is not None]

    pins = [{"id": c["id"], "at": _num(c.get("at_seconds")) or 0.0, "author": c.get("author") or "deleted user",
             "body": c.get("body", "")} for c in comments if c.get("parent_id") is None]
    return {
        "duration": duration,
        "turns": turns,
        "overlaps": events("overlaps"),
        "interruptions": events("interruptions"),
        "client_interruptions": events("client_interruptions"),
        "marks": _evidence_marks(report),
        "pins": pins,
        "pace": _pace_rows(report, turns),
        "bands": _bands(report),
    }


def comment_threads(rows: Iterable[dict]) -> list[dict]:
    """Top-level comments in time order, each with ``replies`` (one level) in posting order."""
    rows = [dict(r) for r in rows]
    top = [dict(r, replies=[]) for r in rows if r.get("parent_id") is None]
    by_id = {c["id"]: c for c in top}
    for r in sorted((r for r in rows if r.get("parent_id") is not None), key=lambda r: r["id"]):
        parent = by_id.get(r["parent_id"])
        if parent is not None:
            parent["replies"].append(r)
    return sorted(top, key=lambda c: (c.get("at_seconds") or 0.0, c["id"]))


# --- the scenario's "good listening" list -----------------------------------------------------------
# Each rule: words that select it (first match wins, in this order), then a check over the
# report's counts and sub-score parts that returns (ticked, reason) or None (not measured).

def _cue_count(report: dict, *names: str) -> int:
    summary = (report.get("cues") or {}).get("summary") or {}
    return int(sum(int(summary.get(n) or 0) for n in names))


def _part(report: dict, sub: str, part: str) -> float | None:
    for p in ((report.get("subscores") or {}).get(sub) or {}).get("parts") or []:
        if p.get("name") == part:
            return _num(p.get("value"))
    return None


def _first_cue(report: dict, kinds: tuple[str, ...], label: str | None = None) -> dict | None:
    for c in (report.get("cues") or {}).get("cues") or []:
        if (c.get("role") == "helper" and c.get("kind") in kinds and _num(c.get("start")) is not None
                and (label is None or c.get("label") == label)):
            return {"quote": c.get("quote", ""), "start": _num(c["start"]), "end": _num(c.get("end"))}
    return None


def _count_rule(label: str, counts: tuple[str, ...], kinds: tuple[str, ...], cue_label: str | None = None):
    def check(report: dict):
        if not (report.get("cues") or {}).get("summary"):
            return None, None
        n = _cue_count(report, *counts)
        return (n > 0, f"{n} {label} found"), _first_cue(report, kinds, cue_label)
    return check


def _silence(report: dict):
    pause = _part(report, "make_space", "response_pause")
    if pause is None:
        return None, None
    return (pause >= 0.5, f"usual pause before answering {pause:.1f} s (calm is about 0.5-1 s)"), None


def _floor(report: dict):
    share = _part(report, "make_space", "helper_talk_share")
    if share is None:
        return None, None
    return (share <= 55.0, f"helper talk share {share:.0f} % (under about half leaves room)"), None


def _hold_back(report: dict):
    early = _part(report, "hold_back", "solution_before_exploration")
    if early is None:
        return None, None
    advice = _cue_count(report, "advice")
    return (early == 0, f"{advice} piece(s) of advice, {early:.0f} before exploring a feeling"), None


def _permission(report: dict):
    advice = _cue_count(report, "advice")
    asked = _cue_count(report, "advice_after_permission")
    if advice == 0:
        return None, None  # nothing offered: nothing to show either way
    return (asked >= advice, f"{asked} of {advice} piece(s) of advice came after asking"), None


def _stay_with(report: dict):
    share = _part(report, "stay_with", "stayed_after_feeling")
    if share is None:
        return None, None
    return (share >= 50.0, f"stayed with {share:.0f} % of the feelings the client named"), None


def _no_arguing(report: dict):
    n = _cue_count(report, "confront", "persuade")
    if not (report.get("cues") or {}).get("summary"):
        return None, None
    return (n == 0, f"{n} moment(s) of arguing or persuading"), None


def _slow(report: dict):
    rate = _part(report, "voice", "speaking_rate")
    if rate is None:
        return None, None
    lo, hi = CALM_PACE_WPM
    return (rate <= hi, f"pace {rate:.0f} words a minute (calm is {lo:.0f}-{hi:.0f})"), None


CHECK_RULES: list[tuple[tuple[str, ...], Any]] = [
    (("permission",), _permission),
    (("autonomy", "decision is", "his call", "her call"),
     _count_rule("moment(s) of stressing their choice", ("emphasising_autonomy",), ("emphasising_autonomy",))),
    (("silence", "pause", "slow down"), _silence),
    (("validate", "affirm"),
     _count_rule("validation(s) or affirmation(s)", ("validations", "affirmations"), ("validation", "affirmation"))),
    (("reflect", "summarise", "name what"), _count_rule("reflection(s)", ("reflections",), ("reflection",))),
    (("open question", "ask what", "invite", "ask how", "gently ask"),
     _count_rule("open question(s)", ("open_questions",), ("question",), "open")),
    (("stay with", "do not rush"), _stay_with),
    (("before offering", "before any plan", "rather than deciding", "before anything"), _hold_back),
    (("resistance", "debate", "arguing", "argue"), _no_arguing),
    (("your own talk", "turns brief", "floor", "space"), _floor),
    (("slow",), _slow),
]


def good_listening_checklist(items: Iterable[str], report: dict | None) -> list[dict]:
    """Each scenario item with ``status`` "yes", "no" or "unknown", a plain ``reason`` and evidence.

    "yes" only when the report holds evidence for it; items no rule covers stay "unknown".
    """
    out = []
    for text in items:
        low = text.lower()
        status, reason, evidence = "unknown", "not measured automatically: ask your supervisor", None
        for words, rule in CHECK_RULES:
            if any(w in low for w in words):
                if report:
                    result, evidence = rule(report)
                    if result is not None:
                        status, reason = ("yes" if result[0] else "no"), result[1]
                        if status == "no":
                            evidence = None
                break
        out.append({"text": text, "status": status, "reason": reason, "evidence": evidence})
    return out
