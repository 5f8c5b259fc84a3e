"""A consistency checker: every way a report could contradict itself, as plain problem lines.

``check_report(report_dict)`` reads ``Report.to_dict()`` output (version 2) and returns a list
of problems (empty when the report agrees with itself). Kinds of problem:

- a sub-score that is both a strength and something to work on (``strengths``/``work_on``,
  ``summary.strength``/``summary.priorities``), or a strength that carries a try-instead line;
- a summary that does not match the sub-scores: a priority scoring at or above the strength
  mark, a strength below it, priorities not ranked by gain, a gain that is not the sub-score's,
  more than three priorities, a judged poor session without priorities;
- a partial or unscored report that is judged or lists a strength, priority or work-on line;
- a sub-score that is not judged (confidence under ``LOW_CONFIDENCE``, the rule of
  ``SubScore.judged``) listed as a priority, the strength, a strength or something to work on, or
  whose stored ``judged`` flag disagrees with that rule;
- a priority or strength whose quote is unsure in its sub-score (or whose sub-score's quotes of
  that kind are all unsure) but is not marked unsure in the summary;
- evidence whose role or speaker is not that of the turn it quotes, or a quote found in no turn;
- a moment praised in one place and faulted in another (unless the fault is about delivery);
- counts that disagree between the sentences, the MITI block and the cue stage's summary;
- the same figure rounded two ways (talk share).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from analysis.report.types import SubScore

__all__ = ["check_report", "STRENGTH_AT"]

logger = logging.getLogger(__name__)

STRENGTH_AT = 70.0  # the same mark as analysis.scoring.summary.STRENGTH_AT (tests check they agree)
_DELIVERY = ("make_space", "voice")
_WORDS = {"no": 0, "once": 1, "twice": 2, "one": 1, "two": 2, "three": 3}


def _num(token: str) -> int:
    return _WORDS[token] if token in _WORDS else int(token)


def _label_of(line: str, labels: dict[str, str]) -> str | None:
    for name, label in labels.items():
        if line.startswith(label + ":"):
            return name
    return None


def _norm(text: str) -> str:
    return " ".join(text.replace("…", " ").split()).lower()


def _quote_turn(ev: dict[str, Any], turns: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The turn the quote comes from: overlapping in time (when timed) and holding its words."""
    q = _norm(ev.get("quote", ""))
    if not q or q.startswith("("):
        return None
    start, end = ev.get("start"), ev.get("end")
    best = None
    for t in turns:
        text = _norm(t.get("text", ""))
        if q.rstrip(". ") not in text and text not in q:
            continue
        if start is not None and t.get("start") is not None and t.get("end") is not None:
            if end is not None and (end < t["start"] - 0.05 or start > t["end"] + 0.05):
                continue
        best = t
        if ev.get("role") is None or t.get("role") == ev.get("role"):
            return t
    return best


def _evidence_items(d: dict[str, Any]):
    for name, s in (d.get("subscores") or {}).items():
        for e in s.get("evidence") or ():
            yield f"sub-score {name}", name, e
    summ = d.get("summary") or {}
    for p in summ.get("priorities") or ():
        if p.get("evidence"):
            yield f"priority {p.get('subscore')}", p.get("subscore"), p["evidence"]
    st = summ.get("strength")
    if st and st.get("evidence"):
        yield f"strength {st.get('subscore')}", st.get("subscore"), st["evidence"]


def _check_evidence(d: dict[str, Any], out: list[str]) -> None:
    turns = list(d.get("turns") or ())
    praised: dict[tuple, str] = {}
    faulted: list[tuple[tuple, str, dict[str, Any]]] = []
    for where, name, e in _evidence_items(d):
        if "role" not in e:
            out.append(f"{where}: evidence has no role")
            continue
        t = _quote_turn(e, turns)
        if t is None:
            if turns and not str(e.get("quote", "")).startswith("("):
                out.append(f"{where}: the quote {e.get('quote', '')[:50]!r} is in no turn")
            continue
        if e.get("role") != t.get("role"):
            out.append(f"{where}: the quote {e.get('quote', '')[:50]!r} is labelled {e.get('role')!r} "
                       f"but that turn is the {t.get('role')!r}'s")
        if e.get("speaker") not in (t.get("speaker"), t.get("role")):
            out.append(f"{where}: the quote {e.get('quote', '')[:50]!r} names speaker {e.get('speaker')!r} "
                       f"but that turn is {t.get('speaker')!r}'s")
        if where.startswith("sub-score"):
            key = (e.get("role"), e.get("start"), e.get("quote"))
            if e.get("positive"):
                praised[key] = name
            else:
                faulted.append((key, name, e))
    for key, name, e in faulted:
        if key in praised and praised[key] != name:
            if name in _DELIVERY and "how it was said" in (e.get("note") or ""):
                continue
            out.append(f"sub-score {name}: the moment {key[2][:50]!r} is faulted here and praised under "
                       f"{praised[key]}")


def _judged(name: str, s: dict[str, Any]) -> bool:
    """The one rule (``SubScore.judged``) applied to a stored sub-score."""
    return SubScore.from_dict({"name": name, **s}).judged


def _check_confidence(d: dict[str, Any], out: list[str]) -> None:
    """Sub-scores not judged are never a priority or strength; unsure quotes are marked."""
    subs = d.get("subscores") or {}
    labels = {k: s.get("label", k) for k, s in subs.items()}
    summ = d.get("summary") or {}
    strengths = {_label_of(x, labels) for x in d.get("strengths") or ()} - {None}
    work_on = {_label_of(x, labels) for x in d.get("work_on") or ()} - {None}
    for name, s in subs.items():
        judged = _judged(name, s)
        if "judged" in s and bool(s["judged"]) != judged:
            out.append(f"{labels[name]}: stored judged={s['judged']} but its confidence {s.get('confidence')} "
                       f"gives {judged}")
        if s.get("score") is None or judged:
            continue
        if name in strengths or name in work_on:
            out.append(f"{labels[name]} is not enough to judge but is listed as a strength or to work on")
    picks = [("priority", p, False) for p in summ.get("priorities") or ()]
    if summ.get("strength"):
        picks.append(("strength", summ["strength"], True))
    for what, p, positive in picks:
        name = p.get("subscore")
        s = subs.get(name)
        if s is None:
            continue
        if s.get("score") is not None and not _judged(name, s):
            out.append(f"the {what} {labels[name]} is not enough to judge (confidence {s.get('confidence')})")
        e = p.get("evidence")
        if not e or e.get("unsure"):
            continue
        same = [x for x in s.get("evidence") or () if bool(x.get("positive")) == positive]
        match = [x for x in same if x.get("quote") == e.get("quote") and x.get("start") == e.get("start")]
        if any(x.get("unsure") for x in match) or (same and all(x.get("unsure") for x in same)):
            out.append(f"the {what} {labels[name]} rests on the unsure quote {e.get('quote', '')[:50]!r} "
                       "without marking it unsure")


def _check_summary(d: dict[str, Any], out: list[str]) -> None:
    subs = d.get("subscores") or {}
    labels = {k: s.get("label", k) for k, s in subs.items()}
    summ = d.get("summary")
    if not isinstance(summ, dict):
        out.append("the report has no summary")
        return
    prios = summ.get("priorities") or []
    strength = summ.get("strength")
    strengths = {_label_of(x, labels) for x in d.get("strengths") or ()} - {None}
    work_on = {_label_of(x, labels) for x in d.get("work_on") or ()} - {None}
    unjudgeable = d.get("partial") or d.get("index") is None
    if unjudgeable:
        if summ.get("judged"):
            out.append("a partial or unscored report is marked judged")
        if strength or prios or strengths or work_on:
            out.append("a partial or unscored report lists a strength or something to work on")
    if not summ.get("headline"):
        out.append("the summary has no headline")
    if not summ.get("judged"):
        if strength or prios:
            out.append("an unjudged summary has a strength or priorities")
        return
    for name in strengths & work_on:
        out.append(f"{labels[name]} is both a strength and something to work on")
    for name, s in subs.items():
        score = s.get("score")
        if score is None:
            if name in strengths or name in work_on:
                out.append(f"{labels[name]} is not measured but is listed as a strength or to work on")
            continue
        if not _judged(name, s):  # neither strength nor to work on: checked in _check_confidence
            continue
        if score >= STRENGTH_AT and s.get("try_instead"):
            out.append(f"{labels[name]} is a strength ({score:.0f}) but carries a try-instead line")
        if score >= STRENGTH_AT and name in work_on:
            out.append(f"{labels[name]} scores {score:.0f} but is listed to work on")
        if score < STRENGTH_AT and name in strengths:
            out.append(f"{labels[name]} scores {score:.0f} but is listed as a strength")
        if score >= STRENGTH_AT and any(not e.get("positive") and "how it was said" not in (e.get("note") or "")
                                        for e in s.get("evidence") or ()):
            out.append(f"{labels[name]} is a strength but quotes a fault")
    if len(prios) > 3:
        out.append(f"{len(prios)} priorities: at most 3")
    gains = [p.get("gain", 0.0) for p in prios]
    if gains != sorted(gains, reverse=True):
        out.append(f"priorities are not ranked by gain: {gains}")
    total = sum(s.get("weight", 0.0) for s in subs.values() if s.get("score") is not None)
    for p in prios:
        s = subs.get(p.get("subscore"))
        if s is None or s.get("score") is None:
            out.append(f"priority {p.get('subscore')!r} is not a measured sub-score")
            continue
        if s["score"] >= STRENGTH_AT:
            out.append(f"priority {labels[p['subscore']]} scores {s['score']:.0f}, a strength")
        if p.get("subscore") in strengths:
            out.append(f"priority {labels[p['subscore']]} is also listed as a strength")
        if total > 0:
            want = round(s.get("weight", 0.0) / total * (100.0 - s["score"]), 1)
            if abs(want - float(p.get("gain", 0.0))) > 0.05:
                out.append(f"priority {labels[p['subscore']]}: gain {p.get('gain')} but the sub-score gives {want}")
        if strength and strength.get("subscore") == p.get("subscore"):
            out.append(f"{labels[p['subscore']]} is both the strength and a priority")
    if strength:
        s = subs.get(strength.get("subscore")) or {}
        if s.get("score") is None or s["score"] < STRENGTH_AT:
            out.append(f"the strength {strength.get('subscore')!r} does not score as a strength")
        if "try_instead" in strength:
            out.append("the strength carries a try-instead line")
    index = d.get("index")
    judged_weak = [n for n, s in subs.items() if s.get("score") is not None and s["score"] < STRENGTH_AT
                   and _judged(n, s)]
    if index is not None and index < STRENGTH_AT and not prios and judged_weak:
        out.append(f"a session scoring {index:.0f} has no priorities")


def _count(pattern: str, text: str) -> list[int]:
    return [_num(m) for m in re.findall(pattern, text)]


def _says(out: list[str], text: str, pattern: str, want: Any, message: str) -> None:
    """Each number ``pattern`` finds in ``text`` that is not ``want``: ``message`` with ``{n}`` and ``{want}``."""
    for n in _count(pattern, text):
        if n != want:
            out.append(message.format(n=n, want=want))


def _check_counts(d: dict[str, Any], out: list[str]) -> None:
    subs = d.get("subscores") or {}
    m = d.get("miti") or {}
    cue = (d.get("cues") or {}).get("summary") or {}
    for key in ("questions", "open_questions", "reflections", "complex_reflections", "validations",
                "affirmations", "advice", "reflection_to_question", "pct_complex_reflections"):
        if cue and key in cue and key in m and cue[key] != m[key]:
            out.append(f"MITI {key}: {m[key]} in the report but {cue[key]} in the cue stage's summary")
    rv = (subs.get("reflect_validate") or {}).get("summary", "")
    if rv and m:
        _says(out, rv, r"questions: (\d+)", m.get("questions"),
              "reflect and validate says {n} questions; the MITI block counts {want}")
        _says(out, rv, r"what the client said\): (\d+)", m.get("reflections"),
              "reflect and validate says {n} reflections; the MITI block counts {want}")
        cues = (d.get("cues") or {}).get("cues")
        if cues is not None:
            val = len({c["turn_index"] for c in cues if c.get("kind") in ("validation", "affirmation")})
            _says(out, rv, r"validating or affirming remarks: (\d+)", val,
                  "reflect and validate says {n} validating or affirming remarks; the cues hold {want}")
    ex = (subs.get("explore") or {}).get("summary", "")
    if ex and m:
        if ex.startswith("You asked no questions") and m.get("questions"):
            out.append(f"explore says no questions; the MITI block counts {m.get('questions')}")
        _says(out, ex, r"^(no|\d+) questions?:", m.get("questions"),
              "explore says {n} questions; the MITI block counts {want}")
        _says(out, ex, r": (\d+) open", m.get("open_questions"),
              "explore says {n} open questions; the MITI block counts {want}")
    hb = (subs.get("hold_back") or {}).get("summary", "")
    if m:
        _says(out, hb, r"gave advice (no|once|twice|\d+)\b", m.get("advice"),
              "hold back says advice {n} times; the MITI block counts {want}")
    timing = d.get("timing") or {}
    ms = (subs.get("make_space") or {}).get("summary", "")
    share = timing.get("talk_share_helper")
    if share is not None and ms:
        want = int(float(share) * 100.0 + 0.5 + 1e-9)
        _says(out, ms, r"You took (\d+) %", want,
              "make space says talk share {n} %, the timing stage {want} % (rounding)")
        _says(out, ms, r"cut in on the client: (\d+)", len(timing.get("interruptions") or []),
              "make space says {n} interruptions; the timing stage lists {want}")
        _says(out, ms, r"the client talked: (\d+)", len(timing.get("backchannels") or []),
              "make space says {n} short mm-hmms; the timing stage lists {want}")
        for p in (subs.get("make_space") or {}).get("parts") or ():
            if p.get("name") == "helper_talk_share" and p.get("value") is not None:
                if abs(p["value"] - 100.0 * float(share)) > 0.051:
                    out.append(f"make space part talk share {p['value']} differs from the timing stage's "
                               f"{100 * float(share):.1f}")


def check_report(report: dict[str, Any]) -> list[str]:
    """Every contradiction in one report (``Report.to_dict()`` output), as plain lines.

    Parameters
    ----------
    report : dict
        A version-2 report dictionary.

    Returns
    -------
    list of str
        Problems found; empty when the report agrees with itself.
    """
    out: list[str] = []
    if not isinstance(report, dict):
        return [f"not a report dictionary: {type(report).__name__}"]
    _check_summary(report, out)
    _check_confidence(report, out)
    _check_evidence(report, out)
    _check_counts(report, out)
    return out
