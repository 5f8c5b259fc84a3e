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
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Iterable

from analysis.report.figures import PACE_BAND, finite
from analysis.prosody.types import ProsodyOptions
from analysis.report.sections import not_judged_line, not_judged_summary, score_text
from analysis.report.types import Report, ScorePart, SubScore
from analysis.schema import HELPER

__all__ = [
    "CALM_PACE_WPM",
    "GLOSSARY",
    "CHECK_RULES",
    "display_source",
    "public_report",
    "public_view",
    "SubScoreRow",
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


def _field(row: Any, name: str) -> str:
    """A text column of a session row (or dict), "" when absent or empty."""
    return str((dict(row) if row is not None else {}).get(name) or "")


def display_source(session: dict | None, source: str = "") -> str:
    """The recording's name as the trainee knows it: the uploaded file's name, else a plain label.

    ``source`` is the report's own ``source`` (the analysed path), used when the session has no name.
    """
    name = _field(session, "source_name").strip()
    if name:
        return _basename(name)
    if source and _basename(source) != _field(session, "audio_name") and not source.startswith(("<", "channels")):
        return _basename(source)
    kind = _field(session, "source")
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
    """A copy of the stored ``report.json`` safe to show: ``source`` is the file's name, no absolute path."""
    out = _strip_paths(copy.deepcopy(report))
    out["source"] = display_source(session, str(out["source"] if "source" in report else ""))
    return out


def public_view(report: dict, session: dict | None = None) -> Report:
    """The stored report, safe to show (:func:`public_report`), read into the typed :class:`Report`:
    what every function below and the page template read (a version-1 report has no summary)."""
    return Report.from_dict(public_report(report, session))


def _evidence_marks(report: Report) -> list[dict]:
    marks: list[dict] = []
    summary = report.summary
    for rank, p in enumerate(summary.priorities, 1):
        if p.evidence is not None and p.evidence.start is not None:
            marks.append({"start": p.evidence.start, "end": p.evidence.end, "kind": "priority",
                          "label": f"To try {rank}: {p.label}"})
    st = summary.strength
    if st is not None and st.evidence is not None and st.evidence.start is not None:
        marks.append({"start": st.evidence.start, "end": st.evidence.end, "kind": "strength",
                      "label": f"Keep doing: {st.label}"})
    if not marks:  # no summary: mark the sub-scores' evidence instead
        for sub in report.subscores.values():
            for ev in sub.evidence:
                if ev.start is not None:
                    marks.append({"start": ev.start, "end": ev.end, "kind": "strength" if ev.positive else "evidence",
                                  "label": f"{sub.label}: {ev.note}".strip(": ")})
    return marks


def _pace_rows(report: Report, turns: list[dict]) -> list[dict]:
    rows = []
    for t in report.prosody.turns if report.prosody else ():
        if t.role != HELPER or t.start is None:
            continue
        i = t.turn_index
        text = turns[i]["text"] if isinstance(i, int) and 0 <= i < len(turns) else ""
        rows.append({"turn": i, "start": t.start, "end": t.end, "wpm": finite(t.wpm), "n_words": t.n_words,
                     "pitch_sd": finite(t.pitch_sd_st), "pitch_range": finite(t.pitch_range_st),
                     "rushed": bool(t.rushed), "text": text})
    return rows


def _bands(report: Report) -> dict:
    options = report.prosody.options if report.prosody else ProsodyOptions()
    flat = options.monotone_sd_st
    return {"pace": [CALM_PACE_WPM[0], options.rushed_wpm or CALM_PACE_WPM[1]], "voice_flat": flat,
            "voice_lively": max(flat, 2.5)}


@dataclass(frozen=True)
class SubScoreRow:
    """A sub-score as the details section shows it: ``shown`` ("72/100", "not enough to judge" or
    "not measured") and ``why`` it is not judged, from the one rule in :attr:`SubScore.judged`;
    every other attribute is the sub-score's own."""

    sub: SubScore
    shown: str
    why: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sub, name)


def subscore_rows(report: Report) -> list[SubScoreRow]:
    """The sub-scores for the details section, most weight first."""
    rows = [SubScoreRow(s, score_text(s), not_judged_line(s)) for s in report.subscores.values()]
    return sorted(rows, key=lambda r: -r.sub.weight)


def not_judged_text(report: Report) -> str:
    """The line under the summary naming the parts not judged when others are ("" otherwise)."""
    return not_judged_summary(report.subscores.values())


def page_data(report: Report, comments: Iterable[dict] = ()) -> dict:
    """The compact JSON the page's script draws from (timeline, transcript, pace, pins)."""
    turns = [{"i": i, "role": t.role, "who": role_name(t.role, t.speaker), "start": t.start, "end": t.end,
              "text": t.text} for i, t in enumerate(report.turns)]
    ends = [t["end"] for t in turns if t["end"] is not None]
    duration = report.duration or (max(ends) if ends else 0.0)

    def events(kind: str) -> list[dict]:
        found = getattr(report.timing, kind) if report.timing else ()
        return [{"start": e.start, "end": e.end, "who": e.speaker, "text": e.text} for e in found]

    pins = [{"id": c["id"], "at": float(c["at_seconds"] or 0.0), "author": c["author"] or "deleted user",
             "body": c["body"]} for c in map(_comment, comments) if c["parent_id"] is None]
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
    rows = [_comment(r) for r in rows]
    top = [dict(r, replies=[]) for r in rows if r["parent_id"] is None]
    by_id = {c["id"]: c for c in top}
    for r in sorted((r for r in rows if r["parent_id"] is not None), key=lambda r: r["id"]):
        if r["parent_id"] in by_id:
            by_id[r["parent_id"]]["replies"].append(r)
    return sorted(top, key=lambda c: (c["at_seconds"] or 0.0, c["id"]))


def _comment(row: Any) -> dict:
    """A comment row as a dict with every column the page reads (older rows may lack some)."""
    return {"parent_id": None, "at_seconds": None, "author": None, "body": "", **dict(row)}


# --- the scenario's "good listening" list -----------------------------------------------------------
# Each rule: words that select it (first match wins, in this order), then a check over the report's
# counts (the one cue decision's, MITI block) and sub-score parts (read against their one band,
# analysis/report/figures.py) that returns (ticked, reason) or None (not measured).

def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _count(report: Report, *names: str) -> int:
    counts = report.cues.summary if report.cues is not None else report.miti  # the same numbers by design
    return int(sum(getattr(counts, n) for n in names))


def _part(report: Report, sub: str, name: str) -> ScorePart | None:
    s = report.subscores.get(sub)
    return next((p for p in (s.parts if s else ()) if p.name == name and p.value is not None), None)


def _first_cue(report: Report, kinds: tuple[str, ...], label: str | None = None) -> dict | None:
    for c in report.cues.cues if report.cues else ():
        if c.role == HELPER and c.kind in kinds and c.start is not None and (label is None or c.label == label):
            return {"quote": c.quote, "start": c.start, "end": c.end}
    return None


def _count_rule(one: str, many: str, counts: tuple[str, ...], kinds: tuple[str, ...], cue_label: str | None = None):
    def check(report: Report):
        if report.cues is None:
            return None, None
        n = _count(report, *counts)
        return (n > 0, f"{_plural(n, one, many)} found"), _first_cue(report, kinds, cue_label)
    return check


def _silence(report: Report):
    pause = _part(report, "make_space", "response_pause")
    if pause is None:
        return None, None
    return (not pause.fault, f"usual pause before answering {pause.value:.1f} s (aim: {pause.target})"), None


def _floor(report: Report):
    share = _part(report, "make_space", "helper_talk_share")
    if share is None:
        return None, None
    return (bool(share.in_band), f"your share of the talking {share.value:.0f} % (aim: {share.target})"), None


def _hold_back(report: Report):
    early = _part(report, "hold_back", "solution_before_exploration")
    if early is None:
        return None, None
    advice = _count(report, "advice")
    return (early.value == 0, f"{_plural(advice, 'piece', 'pieces')} of advice, {early.value:.0f} before "
                              "exploring a feeling"), None


def _permission(report: Report):
    advice, asked = _count(report, "advice"), _count(report, "advice_after_permission")
    if advice == 0:
        return None, None  # nothing offered: nothing to show either way
    return (asked >= advice, f"{asked} of {_plural(advice, 'piece', 'pieces')} of advice came after asking"), None


def _stay_with(report: Report):
    share = _part(report, "stay_with", "stayed_after_feeling")
    if share is None:
        return None, None
    return (bool(share.in_band), f"stayed with {share.value:.0f} % of the feelings the client named"), None


def _no_arguing(report: Report):
    if report.cues is None:
        return None, None
    n = _count(report, "confront", "persuade")
    return (n == 0, f"{_plural(n, 'moment', 'moments')} of arguing or persuading"), None


def _slow(report: Report):
    rate = _part(report, "voice", "speaking_rate")
    if rate is None:
        return None, None
    return (not rate.fault, f"pace {rate.value:.0f} words a minute (aim: {rate.target})"), None


CHECK_RULES: list[tuple[tuple[str, ...], Any]] = [
    (("permission",), _permission),
    (("autonomy", "decision is", "his call", "her call"),
     _count_rule("moment of stressing their choice", "moments of stressing their choice", ("emphasising_autonomy",),
                 ("emphasising_autonomy",))),
    (("silence", "pause", "slow down"), _silence),
    (("validate", "affirm"),
     _count_rule("validation or affirmation", "validations or affirmations", ("validations", "affirmations"),
                 ("validation", "affirmation"))),
    (("reflect", "summarise", "name what"), _count_rule("reflection", "reflections", ("reflections",), ("reflection",))),
    (("open question", "ask what", "invite", "ask how", "gently ask"),
     _count_rule("open question", "open questions", ("open_questions",), ("question",), "open")),
    (("stay with", "do not rush"), _stay_with),
    (("before offering", "before any plan", "rather than deciding", "before anything"), _hold_back),
    (("resistance", "debate", "arguing", "argue"), _no_arguing),
    (("your own talk", "turns brief", "floor", "space"), _floor),
    (("slow",), _slow),
]


def good_listening_checklist(items: Iterable[str], report: Report | None) -> list[dict]:
    """Each scenario item with ``status`` "yes", "no" or "unknown", a plain ``reason`` and evidence.

    "yes" only when the report holds evidence for it; items no rule covers stay "unknown".
    """
    out = []
    for text in items:
        low = text.lower()
        status, reason, evidence = "unknown", "not measured automatically: ask your supervisor", None
        for words, rule in CHECK_RULES:
            if any(w in low for w in words):
                if report is not None:
                    result, evidence = rule(report)
                    if result is not None:
                        status, reason = ("yes" if result[0] else "no"), result[1]
                        if status == "no":
                            evidence = None
                break
        out.append({"text": text, "status": status, "reason": reason, "evidence": evidence})
    return out
