"""A consistency checker: every way a report could contradict itself or the session, as plain lines.

``check_report(report)`` takes a :class:`~analysis.report.types.Report` (or its ``to_dict()`` form,
read into one) and returns a list of problems (empty when the report agrees with itself). Kinds:

- **claims without their proof**: a priority that cites no figure outside its band, a strength
  citing a figure outside its band, a cited value, unit or band that is not the sub-score's own
  part (one band per figure, :mod:`analysis.report.figures`), a stored ``in_band`` the band
  contradicts, a headline verdict whose band does not hold the index;
- **claims about the wrong moment**: a priority whose quote is not a fault moment of a figure it
  cites, or whose try-instead speaks about another moment (it must quote the quoted words or the
  client's words just before them);
- a sub-score both a strength and something to work on, a strength carrying a try-instead line,
  priorities not ranked by gain or with a gain that is not the sub-score's, more than three;
- a partial or unscored report that is judged or lists a strength, priority or work-on line;
- a sub-score that is not judged (``SubScore.judged``) used as a priority or strength, or whose
  stored ``judged`` flag disagrees with that rule; an unsure quote behind a claim not marked unsure;
- evidence whose role or speaker is not that of the turn it quotes, or a quote found in no turn;
  a moment praised in one place and faulted in another (unless the fault is about delivery);
- **numbers that appear twice and disagree**: counts in the sentences against the MITI block and
  the cue stage, R:Q against MITI's, the talk share against the timing stage, and cut-ins or
  pauses shown as measured on one microphone (``TimingMetrics.overlaps_measured`` false), or a
  negative pause.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from analysis.report.figures import VERDICT_BANDS, band_of
from analysis.report.types import Because, Evidence, Report, SubScore
from analysis.schema import CLIENT, Turn
from analysis.speakers.order_check import order_conflict

__all__ = ["check_report", "STRENGTH_AT"]

logger = logging.getLogger(__name__)

STRENGTH_AT = 70.0  # the same mark as analysis.scoring.summary.STRENGTH_AT (tests check they agree)
_DELIVERY = ("make_space", "voice")
_DELIVERY_NOTE = "how it was said"
_WORDS = {"no": 0, "once": 1, "twice": 2, "one": 1, "two": 2, "three": 3}


def _num(token: str) -> int:
    return _WORDS[token] if token in _WORDS else int(token)


def _norm(text: str) -> str:
    return " ".join(text.replace("…", " ").split()).lower()


def _quote_turn(e: Evidence, turns: tuple[Turn, ...]) -> Turn | None:
    """The turn the quote comes from: overlapping in time (when timed) and holding its words."""
    q = _norm(e.quote)
    if not q or q.startswith("("):
        return None
    best = None
    for t in turns:
        text = _norm(t.text)
        if q.rstrip(". ") not in text and text not in q:
            continue
        if e.start is not None and e.end is not None and t.start is not None and t.end is not None:
            if e.end < t.start - 0.05 or e.start > t.end + 0.05:
                continue
        best = t
        if e.role is None or t.role == e.role:
            return t
    return best


def _evidence_items(r: Report) -> Iterator[tuple[str, str, Evidence]]:
    for name, s in r.subscores.items():
        for e in s.evidence:
            yield f"sub-score {name}", name, e
    for p in r.summary.priorities:
        if p.evidence is not None:
            yield f"priority {p.subscore}", p.subscore, p.evidence
    st = r.summary.strength
    if st is not None and st.evidence is not None:
        yield f"strength {st.subscore}", st.subscore, st.evidence


def _check_evidence(r: Report, out: list[str]) -> None:
    praised: dict[tuple, str] = {}
    faulted: list[tuple[tuple, str, Evidence]] = []
    for where, name, e in _evidence_items(r):
        t = _quote_turn(e, r.turns)
        if t is None:
            if r.turns and not e.quote.startswith("("):
                out.append(f"{where}: the quote {e.quote[:50]!r} is in no turn")
            continue
        if e.role != t.role:
            out.append(f"{where}: the quote {e.quote[:50]!r} is labelled {e.role!r} but that turn is the "
                       f"{t.role!r}'s")
        if e.speaker not in (t.speaker, t.role):
            out.append(f"{where}: the quote {e.quote[:50]!r} names speaker {e.speaker!r} but that turn is "
                       f"{t.speaker!r}'s")
        if where.startswith("sub-score"):
            key = (e.role, e.start, e.quote)
            if e.positive:
                praised[key] = name
            else:
                faulted.append((key, name, e))
    for key, name, e in faulted:
        if key in praised and praised[key] != name:
            if name in _DELIVERY and _DELIVERY_NOTE in e.note:
                continue
            out.append(f"sub-score {name}: the moment {key[2][:50]!r} is faulted here and praised under "
                       f"{praised[key]}")


def _listed(lines: tuple[str, ...], r: Report) -> set[str]:
    """Sub-score names of ``strengths``/``work_on`` lines ("Label: ...")."""
    return {name for line in lines for name, s in r.subscores.items() if line.startswith(s.label + ":")}


def _check_confidence(r: Report, stored: "_Stored", out: list[str]) -> None:
    """Sub-scores not judged are never a priority or strength; unsure quotes are marked."""
    listed = _listed(r.strengths, r) | _listed(r.work_on, r)
    for name, s in r.subscores.items():
        flag = stored.judged[name] if name in stored.judged else None
        if flag is not None and bool(flag) != s.judged:
            out.append(f"{s.label}: stored judged={flag} but its confidence {s.confidence} gives {s.judged}")
        if s.score is not None and not s.judged and name in listed:
            out.append(f"{s.label} is not enough to judge but is listed as a strength or to work on")
    picks = [("priority", p.subscore, p.evidence, False) for p in r.summary.priorities]
    if r.summary.strength is not None:
        picks.append(("strength", r.summary.strength.subscore, r.summary.strength.evidence, True))
    for what, name, e, positive in picks:
        s = r.subscores.get(name)
        if s is None:
            continue
        if s.score is not None and not s.judged:
            out.append(f"the {what} {s.label} is not enough to judge (confidence {s.confidence})")
        if e is None or e.unsure:
            continue
        same = [x for x in s.evidence if x.positive == positive]
        match = [x for x in same if x.quote == e.quote and x.start == e.start]
        if any(x.unsure for x in match) or (same and all(x.unsure for x in same)):
            out.append(f"the {what} {s.label} rests on the unsure quote {e.quote[:50]!r} without marking it unsure")


def _check_because(where: str, items: tuple[Because, ...], s: SubScore, stored: list[Any], out: list[str]) -> None:
    """Each cited figure is the sub-score's own part, with its value, unit and the one band; ``stored``
    holds each cited figure's stored ``in_band`` flag (None when absent)."""
    parts = {p.name: p for p in s.parts}
    for b, flag in zip(items, stored + [None] * (len(items) - len(stored))):
        p = parts.get(b.figure)
        if p is None:
            out.append(f"{where} cites {b.figure!r}, not a part of {s.label}")
            continue
        if p.value is None or b.value is None or abs(p.value - b.value) > 1e-6 or b.unit != p.unit:
            out.append(f"{where} cites {b.figure} = {b.value} {b.unit} but the part holds {p.value} {p.unit}")
        if band_of(b.figure) is None or b.band != band_of(b.figure):
            out.append(f"{where} cites {b.figure} against the band {b.band.as_list()}, not its own")
        if flag is not None and bool(flag) != b.in_band:
            out.append(f"{where}: {b.figure} is stored in_band={flag} but its band gives {b.in_band}")


def _about(text: str, quoted: str) -> bool:
    """True when ``text`` quotes the start of ``quoted`` (at least its first four words or all of it)."""
    words = _norm(quoted).strip(' ."').split()
    return bool(words) and " ".join(words[:4]) in _norm(text)


def _check_claims(r: Report, stored: "_Stored", out: list[str]) -> None:
    summ = r.summary
    for k, p in enumerate(summ.priorities):
        s = r.subscores.get(p.subscore)
        if s is None:
            continue
        where = f"priority {s.label}"
        if not p.because:
            out.append(f"{where} cites no figure")
            continue
        _check_because(where, p.because, s, stored.priority_in_band[k] if k < len(stored.priority_in_band) else [],
                       out)
        if not any(b.fault for b in p.because):
            out.append(f"{where}: no figure it cites is outside its band, so the session shows no fault")
        if p.evidence is None:
            out.append(f"{where} quotes no moment of the fault")
            continue
        cited = {b.figure for b in p.because if b.fault}
        moments = [e for e in s.evidence if not e.positive and e.quote == p.evidence.quote
                   and e.start == p.evidence.start]
        if not any(e.figure in cited for e in moments):
            out.append(f"{where}: the quote {p.evidence.quote[:50]!r} is not a moment of the fault it states")
        before = _client_before(r.turns, p.evidence)
        if not (_about(p.try_instead, p.evidence.quote) or (before is not None and _about(p.try_instead, before.text))):
            out.append(f"{where}: the try-instead does not speak about the quoted moment {p.evidence.quote[:50]!r}")
    st = summ.strength
    if st is not None and st.subscore in r.subscores:
        s = r.subscores[st.subscore]
        if not st.because:
            out.append(f"the strength {s.label} cites no figure")
        _check_because(f"the strength {s.label}", st.because, s, stored.strength_in_band, out)
        for b in st.because:
            if b.in_band is not True:
                out.append(f"the strength {s.label} cites {b.figure} = {b.value}, outside its band {b.band.as_list()}")
    if summ.judged and r.index is not None and summ.verdict_because:
        b = summ.verdict_because[0]
        verdict = next((v for v in VERDICT_BANDS if f"{v}: " in summ.headline), None)
        if b.value != r.index or verdict is None or b.band != VERDICT_BANDS[verdict] or not b.in_band:
            out.append(f"the headline verdict does not match the index {r.index} and its band")


def _client_before(turns: tuple[Turn, ...], e: Evidence) -> Turn | None:
    t = _quote_turn(e, turns)
    if t is None:
        return None
    pos = next((i for i, u in enumerate(turns) if u is t), None)
    return next((u for u in reversed(turns[:pos or 0]) if u.role == CLIENT and u.text.strip()), None)


def _check_summary(r: Report, out: list[str]) -> None:
    summ = r.summary
    prios, strength = summ.priorities, summ.strength
    strengths, work_on = _listed(r.strengths, r), _listed(r.work_on, r)
    if r.partial or r.index is None:
        if summ.judged:
            out.append("a partial or unscored report is marked judged")
        if strength or prios or strengths or work_on:
            out.append("a partial or unscored report lists a strength or something to work on")
    if not summ.headline:
        out.append("the summary has no headline")
    if not summ.judged:
        if strength or prios:
            out.append("an unjudged summary has a strength or priorities")
        return
    for name in strengths & work_on:
        out.append(f"{r.subscores[name].label} is both a strength and something to work on")
    for name, s in r.subscores.items():
        if s.score is None:
            if name in strengths or name in work_on:
                out.append(f"{s.label} is not measured but is listed as a strength or to work on")
            continue
        if not s.judged:  # neither strength nor to work on: checked in _check_confidence
            continue
        praised = name in strengths or (strength is not None and strength.subscore == name)
        if praised and s.try_instead:
            out.append(f"{s.label} is a strength ({s.score:.0f}) but carries a try-instead line")
        if s.score < STRENGTH_AT and name in strengths:
            out.append(f"{s.label} scores {s.score:.0f} but is listed as a strength")
        if praised and any(not e.positive and _DELIVERY_NOTE not in e.note for e in s.evidence):
            out.append(f"{s.label} is a strength but quotes a fault")
    if len(prios) > 3:
        out.append(f"{len(prios)} priorities: at most 3")
    gains = [p.gain for p in prios]
    if gains != sorted(gains, reverse=True):
        out.append(f"priorities are not ranked by gain: {gains}")
    total = sum(s.weight for s in r.subscores.values() if s.score is not None)
    for p in prios:
        s = r.subscores.get(p.subscore)
        if s is None or s.score is None:
            out.append(f"priority {p.subscore!r} is not a measured sub-score")
            continue
        if p.subscore in strengths:
            out.append(f"priority {s.label} is also listed as a strength")
        if total > 0:
            want = round(s.weight / total * (100.0 - s.score), 1)
            if abs(want - p.gain) > 0.05:
                out.append(f"priority {s.label}: gain {p.gain} but the sub-score gives {want}")
        if strength is not None and strength.subscore == p.subscore:
            out.append(f"{s.label} is both the strength and a priority")
    if strength is not None:
        s = r.subscores.get(strength.subscore)
        if s is None or s.score is None or s.score < STRENGTH_AT:
            out.append(f"the strength {strength.subscore!r} does not score as a strength")
    held = order_conflict(r.speakers) is not None  # the claims wait for the order to be settled
    if held and (prios or strength is not None):
        out.append("a priority or strength is stated while the given speaking order contradicts what was heard")
    if len(prios) < 3 and r.version >= 3 and not held:  # a fault the session shows, with its moment, left unsaid
        named = {p.subscore for p in prios}
        for name, s in r.subscores.items():
            shown = bool(s.fault_moments())  # the summary's own rule (explore needs two moments)
            if s.judged and shown and name not in named:
                out.append(f"{s.label} shows a fault with its moment but is not a priority")


def _says(out: list[str], text: str, pattern: str, want: Any, message: str) -> None:
    """Each number ``pattern`` finds in ``text`` that is not ``want``: ``message`` with ``{n}`` and ``{want}``."""
    for n in (_num(m) for m in re.findall(pattern, text)):
        if n != want:
            out.append(message.format(n=n, want=want))


def _check_counts(r: Report, out: list[str]) -> None:
    m = r.miti
    cues = r.cues
    if cues is not None:
        for key in ("questions", "open_questions", "reflections", "complex_reflections", "validations",
                    "affirmations", "advice", "reflection_to_question", "pct_complex_reflections"):
            if getattr(cues.summary, key) != getattr(m, key):
                out.append(f"MITI {key}: {getattr(m, key)} in the report but {getattr(cues.summary, key)} in the "
                           "cue stage's summary")
    rv = _sub(r, "reflect_validate")
    if rv is not None and rv.summary:
        _says(out, rv.summary, r"questions: (\d+)", m.questions,
              "reflect and validate says {n} questions; the MITI block counts {want}")
        _says(out, rv.summary, r"what the client said\): (\d+)", m.reflections,
              "reflect and validate says {n} reflections; the MITI block counts {want}")
        if cues is not None:
            val = len({c.turn_index for c in cues.cues if c.kind in ("validation", "affirmation")})
            _says(out, rv.summary, r"validating or affirming remarks: (\d+)", val,
                  "reflect and validate says {n} validating or affirming remarks; the cues hold {want}")
        rq = rv.part_value("reflection_to_question")
        if rq is not None and m.reflection_to_question is not None and abs(rq - m.reflection_to_question) > 0.006:
            out.append(f"reflect and validate gives R:Q {rq}; the MITI block {m.reflection_to_question}")
        if rq is not None and not m.reflections and m.questions == 0:
            out.append("reflect and validate shows an R:Q with neither reflections nor questions")
    ex = _sub(r, "explore")
    if ex is not None and ex.summary:
        _says(out, ex.summary, r"^(no|\d+) questions?:", m.questions,
              "explore says {n} questions; the MITI block counts {want}")
        _says(out, ex.summary, r": (\d+) open", m.open_questions,
              "explore says {n} open questions; the MITI block counts {want}")
    hb = _sub(r, "hold_back")
    if hb is not None:
        _says(out, hb.summary, r"gave advice (no|once|twice|\d+)\b", m.advice,
              "hold back says advice {n} times; the MITI block counts {want}")
    _check_timing(r, out)


def _check_timing(r: Report, out: list[str]) -> None:
    ms = _sub(r, "make_space")
    timing = r.timing
    if timing is None or ms is None:
        return
    share = timing.talk_share_helper
    if share is not None and ms.summary:
        want = int(float(share) * 100.0 + 0.5 + 1e-9)
        _says(out, ms.summary, r"You took (\d+) %", want,
              "make space says talk share {n} %, the timing stage {want} % (rounding)")
        _says(out, ms.summary, r"cut in on the client: (\d+)", len(timing.interruptions),
              "make space says {n} interruptions; the timing stage lists {want}")
        _says(out, ms.summary, r"the client talked: (\d+)", len(timing.backchannels),
              "make space says {n} short mm-hmms; the timing stage lists {want}")
        value = ms.part_value("helper_talk_share")
        if value is not None and abs(value - 100.0 * float(share)) > 0.051:
            out.append(f"make space part talk share {value} differs from the timing stage's {100 * float(share):.1f}")
    if not timing.overlaps_measured:
        shown = {p.name for p in ms.parts} & {"interruptions_per_minute", "response_pause"}
        if shown or re.search(r"cut in on the client: \d|pause before answering was", ms.summary):
            out.append("make space shows cut-ins or pauses as measured on one microphone, where they are not")
    if re.search(r"pause before answering was -", ms.summary):
        out.append("make space shows a negative pause")


def _sub(r: Report, name: str) -> SubScore | None:
    return r.subscores[name] if name in r.subscores else None


@dataclass(frozen=True)
class _Stored:
    """The flags a stored report.json carries beside what the typed Report recomputes: the
    sub-scores' ``judged`` and each cited figure's ``in_band`` (checked against the rules)."""

    judged: dict[str, Any] = field(default_factory=dict)
    priority_in_band: list[list[Any]] = field(default_factory=list)
    strength_in_band: list[Any] = field(default_factory=list)

    @classmethod
    def of(cls, raw: dict[str, Any]) -> "_Stored":
        summary = raw["summary"] if isinstance(raw.get("summary"), dict) else {}
        flags = lambda claim: [b["in_band"] if "in_band" in b else None for b in claim.get("because") or ()]  # noqa
        return cls(judged={k: v["judged"] for k, v in (raw.get("subscores") or {}).items() if "judged" in v},
                   priority_in_band=[flags(p) for p in summary.get("priorities") or ()],
                   strength_in_band=flags(summary["strength"]) if summary.get("strength") else [])


def check_report(report: Report | dict[str, Any]) -> list[str]:
    """Every contradiction in one report, as plain lines.

    Parameters
    ----------
    report : Report or dict
        A report, or its ``to_dict()`` form (version 2 or 3).

    Returns
    -------
    list of str
        Problems found; empty when the report agrees with itself.
    """
    if isinstance(report, Report):
        raw = report.to_dict()
    elif isinstance(report, dict):
        raw = report
    else:
        return [f"not a report: {type(report).__name__}"]
    r = report if isinstance(report, Report) else Report.from_dict(raw)
    if not isinstance(raw.get("summary"), dict):
        return ["the report has no summary"]
    stored = _Stored.of(raw)
    out: list[str] = []
    _check_summary(r, out)
    _check_confidence(r, stored, out)
    if r.version >= 3:
        _check_claims(r, stored, out)
    _check_evidence(r, out)
    _check_counts(r, out)
    return out
