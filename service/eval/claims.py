"""The planted-behaviour bench: scripts with labelled lines, and what a report's claims are worth.

Pure: reads script JSON and report dicts, never audio (voicing and the pipeline run in
:mod:`service.eval.claims_run`). Definitions of every figure: docs/evaluation/claims.md.

A script (one JSON file)::

    {"id": "c001",
     "turns": [{"role": "client" | "helper", "text": "...", "codes": ["open_question"], "cuts_in": true?}],
     "expect": {"work_on": [...], "not_work_on": [...], "strength": [...], "index": [lo, hi]?, "jargon": true?}}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from analysis.errors import ParameterError

__all__ = [
    "SUBSCORES", "CODES", "GOOD", "FAULT", "ScriptTurn", "Expectation", "ClaimScript", "LineTimes",
    "ScriptResult", "load_script", "load_scripts", "turn_codes", "align_lines", "judge_claims",
    "score_script", "summarise",
]

SUBSCORES = ("reflect_validate", "explore", "hold_back", "stay_with", "make_space", "voice")
CODES = ("open_question", "closed_question", "simple_reflection", "complex_reflection", "validation",
         "affirmation", "advice", "permission", "information", "minimising", "topic_change", "jargon",
         "backchannel", "other")
CUT_IN = "cut_in"  # a pseudo-code: the script line has cuts_in true

# What a helper line's codes say about each part. A priority (a fault) quoting a helper line
# that carries a GOOD code of its part and no FAULT code contradicts the labels; a strength
# quoting a line with a FAULT code of its part does. Voice is about delivery: no line labels it.
GOOD: dict[str, frozenset[str]] = {
    "reflect_validate": frozenset({"simple_reflection", "complex_reflection", "validation", "affirmation"}),
    "explore": frozenset({"open_question"}),
    "hold_back": frozenset({"simple_reflection", "complex_reflection", "validation", "affirmation",
                            "open_question", "permission", "backchannel"}),
    "stay_with": frozenset({"simple_reflection", "complex_reflection", "validation", "open_question"}),
    "make_space": frozenset({"backchannel"}),
    "voice": frozenset(),
}
FAULT: dict[str, frozenset[str]] = {
    "reflect_validate": frozenset({"minimising", "topic_change"}),
    "explore": frozenset({"closed_question", "advice"}),
    "hold_back": frozenset({"advice", "minimising", "information"}),
    "stay_with": frozenset({"topic_change", "minimising", "advice"}),
    "make_space": frozenset({CUT_IN}),
    "voice": frozenset(),
}
# Parts whose priority may quote the client's line it is about ("when the client says X, ...");
# such a quote contradicts the labels when the helper's next line does the part well.
_CLIENT_QUOTED = ("reflect_validate", "stay_with")
BACKCHANNEL_MAX_WORDS = 3  # a helper turn this short counts as a backchannel (the truth's definition)


@dataclass(frozen=True)
class ScriptTurn:
    role: str
    text: str
    codes: tuple[str, ...] = ()
    cuts_in: bool = False

    def line_codes(self) -> frozenset[str]:
        """The labels of the line, with the pseudo-code ``cut_in`` when it cuts in."""
        return frozenset(self.codes) | ({CUT_IN} if self.cuts_in else set())


@dataclass(frozen=True)
class Expectation:
    work_on: tuple[str, ...] = ()
    not_work_on: tuple[str, ...] = ()
    strength: tuple[str, ...] = ()
    index: tuple[float, float] | None = None
    jargon: bool = False


@dataclass(frozen=True)
class ClaimScript:
    id: str
    turns: tuple[ScriptTurn, ...]
    expect: Expectation
    path: str = ""

    def helper_first(self) -> bool:
        return self.turns[0].role == "helper"

    def content_hash(self, salt: str = "") -> str:
        """Hash of what is voiced (roles, texts, cut-ins), so edits to labels keep the audio."""
        body = json.dumps([[t.role, t.text, t.cuts_in, "backchannel" in t.codes] for t in self.turns]) + salt
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def _names(value: Any, allowed: Sequence[str], what: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or any(v not in allowed for v in value):
        raise ParameterError(f"{where}: {what}={value!r} must be a list of {', '.join(allowed)}")
    return tuple(value)


def load_script(path: str | Path) -> ClaimScript:
    """Read and check one script file (raises ParameterError naming the file and the field)."""
    p = Path(path)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ParameterError(f"{p}: not a readable JSON script ({e})") from e
    where = str(p)
    if not isinstance(d, dict) or not isinstance(d.get("id"), str) or not isinstance(d.get("turns"), list):
        raise ParameterError(f"{where}: a script needs an 'id' string and a 'turns' list")
    turns = []
    for i, t in enumerate(d["turns"]):
        if t.get("role") not in ("helper", "client") or not str(t.get("text", "")).strip():
            raise ParameterError(f"{where}: turn {i} needs role helper|client and some text")
        codes = _names(t.get("codes", []), CODES, f"turns[{i}].codes", where)
        if t["role"] == "client" and codes:
            raise ParameterError(f"{where}: turn {i} is the client's; only helper lines carry codes")
        turns.append(ScriptTurn(t["role"], t["text"].strip(), codes, bool(t.get("cuts_in", False))))
    e = d.get("expect", {})
    idx = e.get("index")
    if idx is not None and (not isinstance(idx, list) or len(idx) != 2 or idx[0] > idx[1]):
        raise ParameterError(f"{where}: expect.index={idx!r} must be [lo, hi]")
    expect = Expectation(
        work_on=_names(e.get("work_on", []), SUBSCORES, "expect.work_on", where),
        not_work_on=_names(e.get("not_work_on", []), SUBSCORES, "expect.not_work_on", where),
        strength=_names(e.get("strength", []), SUBSCORES, "expect.strength", where),
        index=None if idx is None else (float(idx[0]), float(idx[1])),
        jargon=bool(e.get("jargon", False)))
    if set(expect.work_on) & set(expect.not_work_on):
        raise ParameterError(f"{where}: a part is both in work_on and not_work_on")
    return ClaimScript(d["id"], tuple(turns), expect, where)


def load_scripts(folder: str | Path, only: Iterable[str] = ()) -> list[ClaimScript]:
    """Every ``*.json`` script in ``folder`` sorted by id (``only``: keep these ids)."""
    files = sorted(Path(folder).glob("*.json"))
    if not files:
        raise ParameterError(f"{folder}: no *.json scripts found")
    scripts = [load_script(f) for f in files]
    want = set(only)
    if want:
        scripts = [s for s in scripts if s.id in want]
        missing = want - {s.id for s in scripts}
        if missing:
            raise ParameterError(f"no script with id {', '.join(sorted(missing))} in {folder}")
    return sorted(scripts, key=lambda s: s.id)


# ---------------------------------------------------------------- the report's codes per turn

_KIND_CODE = {"validation": "validation", "affirmation": "affirmation", "permission": "permission",
              "minimising": "minimising", "jargon": "jargon", "advice": "advice"}


def turn_codes(report: Mapping[str, Any]) -> dict[int, set[str]]:
    """Script codes the report gives each helper turn (by ``turns[].index``; mapping in the docs)."""
    turns = report.get("turns") or []
    helper = {int(t.get("index", i)) for i, t in enumerate(turns) if t.get("role") == "helper"}
    out: dict[int, set[str]] = {i: set() for i in helper}
    cues = report.get("cues") or {}
    for c in cues.get("cues") or []:
        i, kind, label = int(c["turn_index"]), c.get("kind"), c.get("label") or ""
        if i not in out:
            continue
        if kind == "question" and label in ("open", "closed"):
            out[i].add(f"{label}_question")
        elif kind == "reflection" and label in ("simple", "complex"):
            out[i].add(f"{label}_reflection")
        elif kind in _KIND_CODE:
            out[i].add(_KIND_CODE[kind])
    for b in cues.get("behaviours") or []:
        i = int(b["turn_index"])
        if i in out and b.get("behaviour") == "input" and b.get("subtype") == "information":
            out[i].add("information")
    for ev in cues.get("events") or []:
        i = int(ev.get("turn_index", -1))
        if i in out and ev.get("kind") == "topic_avoidance":
            out[i].add("topic_change")
    for t in turns:
        i = int(t.get("index", -1))
        if i in out and len(str(t.get("text", "")).split()) <= BACKCHANNEL_MAX_WORDS:
            out[i].add("backchannel")
    return out


@dataclass(frozen=True)
class LineTimes:
    """Where each script line sits in the voiced audio (s), from the synthesis truth."""

    start: tuple[float, ...]
    end: tuple[float, ...]

    @classmethod
    def from_truth(cls, truth: Mapping[str, Any]) -> "LineTimes":
        ts = truth["turns"]
        return cls(tuple(float(t["start"]) for t in ts), tuple(float(t["end"]) for t in ts))


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _report_backchannels(report: Mapping[str, Any]) -> list[tuple[float, float]]:
    timing = report.get("timing") or {}
    return [(float(e["start"]), float(e["end"])) for e in timing.get("backchannels") or []
            if e.get("start") is not None and e.get("end") is not None]


def align_lines(script: ClaimScript, times: LineTimes, report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each helper line with the codes the report gave it.

    Rule: the line takes the helper turn of the report that overlaps its spoken time most
    (none when no helper turn overlaps it); a timing backchannel overlapping the line
    (0.3 s either side) adds ``backchannel``. No mapped code at all reads ``other``.
    """
    codes = turn_codes(report)
    bcs = _report_backchannels(report)
    turns = [t for t in report.get("turns") or [] if t.get("role") == "helper" and t.get("start") is not None]
    rows = []
    for k, line in enumerate(script.turns):
        if line.role != "helper":
            continue
        s, e = times.start[k], times.end[k]
        best, best_ov = None, 0.0
        for t in turns:
            ov = _overlap(s, e, float(t["start"]), float(t["end"]))
            if ov > best_ov:
                best, best_ov = t, ov
        got = set() if best is None else set(codes.get(int(best["index"]), set()))
        if any(_overlap(s - 0.3, e + 0.3, b0, b1) > 0 for b0, b1 in bcs):
            got.add("backchannel")
        if not got:
            got = {"other"}
        want = set(line.codes) or {"other"}
        rows.append({"line": k, "text": line.text, "want": sorted(want), "got": sorted(got),
                     "turn": None if best is None else int(best["index"]), "right": want <= got})
    return rows


# ---------------------------------------------------------------- claims against the labels

def _quoted_line(script: ClaimScript, times: LineTimes, ev: Mapping[str, Any] | None) -> int | None:
    """The script line a claim's quote comes from: most time overlap, same role first."""
    if not ev or ev.get("start") is None or ev.get("end") is None:
        return None
    s, e = float(ev["start"]), float(ev["end"])
    role = ev.get("role")
    for same_role in (True, False):
        best, best_ov = None, 0.0
        for k, line in enumerate(script.turns):
            if same_role and role in ("helper", "client") and line.role != role:
                continue
            ov = _overlap(s, e, times.start[k], times.end[k])
            if ov > best_ov:
                best, best_ov = k, ov
        if best is not None:
            return best
    return None


def _next_helper(script: ClaimScript, k: int) -> int | None:
    return next((j for j in range(k + 1, len(script.turns)) if script.turns[j].role == "helper"), None)


def _does_well(part: str, line: ScriptTurn) -> bool:
    c = line.line_codes()
    return bool(c & GOOD[part]) and not (c & FAULT[part])


def _claim_problems(kind: str, claim: Mapping[str, Any], script: ClaimScript, times: LineTimes) -> list[str]:
    part = claim.get("subscore")
    ex = script.expect
    probs = []
    if kind == "priority" and part in ex.not_work_on:
        probs.append(f"priority {part}: the script does this part well (expect.not_work_on)")
    if kind == "strength" and part not in ex.strength:
        allowed = ", ".join(ex.strength) or "none"
        probs.append(f"strength {part}: not a strength of this script (allowed: {allowed})")
    k = _quoted_line(script, times, claim.get("evidence"))
    if k is None or part not in GOOD:
        return probs
    line = script.turns[k]
    if kind == "strength" and line.role == "helper" and line.line_codes() & FAULT[part]:
        probs.append(f"strength {part} quotes line {k} labelled {sorted(line.line_codes())}: a fault of this part")
    if kind == "priority" and line.role == "helper" and _does_well(part, line):
        probs.append(f"priority {part} quotes line {k} labelled {sorted(line.line_codes())}: done well")
    if kind == "priority" and line.role == "client" and part in _CLIENT_QUOTED:
        j = _next_helper(script, k)
        if j is not None and _does_well(part, script.turns[j]):
            probs.append(f"priority {part} quotes client line {k}, but the helper's next line {j} is "
                         f"labelled {sorted(script.turns[j].line_codes())}: done well")
    return probs


def judge_claims(script: ClaimScript, times: LineTimes, report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every claim of the summary (each priority, the strength) with its contradictions."""
    summary = report.get("summary") or {}
    claims = [("priority", p) for p in summary.get("priorities") or []]
    if summary.get("strength"):
        claims.append(("strength", summary["strength"]))
    out = []
    for kind, c in claims:
        ev = c.get("evidence") or {}
        out.append({"kind": kind, "subscore": c.get("subscore"), "quote": ev.get("quote"),
                    "start": ev.get("start"), "problems": _claim_problems(kind, c, script, times)})
    return out


# ---------------------------------------------------------------- jargon shown

def _norm(s: str) -> str:
    return " ".join("".join(ch for ch in s.lower() if ch.isalnum() or ch.isspace()).split())


def jargon_shown(script: ClaimScript, report: Mapping[str, Any], report_text: str) -> bool:
    """A jargon entry names a term of the script's jargon lines AND the text report mentions it."""
    said = " ".join(_norm(t.text) for t in script.turns if "jargon" in t.codes)
    text = _norm(report_text)
    for sub in (report.get("subscores") or {}).values():
        for j in (sub or {}).get("jargon") or []:
            term = _norm(str(j.get("term", "")))
            if term and f" {term} " in f" {said} " and term in text:
                return True
    return False


# ---------------------------------------------------------------- one script, all scripts

@dataclass
class ScriptResult:
    id: str
    mode: str
    index: float | None
    judged: bool
    priorities: list[str]
    strength: str | None
    claims: list[dict[str, Any]]
    work_on_found: list[str]
    work_on_missed: list[str]
    index_ok: bool | None
    jargon: bool | None
    lines: list[dict[str, Any]]
    consistency: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def score_script(script: ClaimScript, times: LineTimes, report: Mapping[str, Any], *, mode: str = "",
                 report_text: str = "", consistency: Sequence[str] = (), seconds: float = 0.0) -> ScriptResult:
    """What one report claimed about one script, judged against the script's labels and expectation."""
    summary = report.get("summary") or {}
    prios = [p.get("subscore") for p in summary.get("priorities") or []]
    strength = (summary.get("strength") or {}).get("subscore")
    index = report.get("index")
    lo_hi = script.expect.index
    return ScriptResult(
        id=script.id, mode=mode, index=index, judged=bool(summary.get("judged")), priorities=prios,
        strength=strength, claims=judge_claims(script, times, report),
        work_on_found=[w for w in script.expect.work_on if w in prios],
        work_on_missed=[w for w in script.expect.work_on if w not in prios],
        index_ok=None if lo_hi is None else (index is not None and lo_hi[0] <= float(index) <= lo_hi[1]),
        jargon=jargon_shown(script, report, report_text) if script.expect.jargon else None,
        lines=align_lines(script, times, report), consistency=list(consistency), seconds=round(seconds, 2))


def _ratio(a: int, b: int) -> float | None:
    return None if b == 0 else round(a / b, 3)


def summarise(results: Sequence[ScriptResult]) -> dict[str, Any]:
    """The bench's figures over a set of script results (one mode)."""
    claims = [c for r in results for c in r.claims]
    bad = [dict(c, id=r.id) for r in results for c in r.claims if c["problems"]]
    n_work = sum(len(r.work_on_found) + len(r.work_on_missed) for r in results)
    n_found = sum(len(r.work_on_found) for r in results)
    lines = [ln for r in results for ln in r.lines]
    per_code: dict[str, dict[str, int]] = {}
    for ln in lines:
        for c in ln["want"]:
            d = per_code.setdefault(c, {"lines": 0, "found": 0})
            d["lines"] += 1
            d["found"] += c in ln["got"]
    jar = [r for r in results if r.jargon is not None]
    idx = [r for r in results if r.index_ok is not None]
    return {
        "scripts": len(results),
        "judged": sum(r.judged for r in results),
        "claims": len(claims),
        "claims_ok": len(claims) - len(bad),
        "claim_precision": _ratio(len(claims) - len(bad), len(claims)),
        "work_on": n_work,
        "work_on_found": n_found,
        "fault_recall": _ratio(n_found, n_work),
        "contradictions": len(bad),
        "contradiction_list": [{"id": b["id"], "kind": b["kind"], "subscore": b["subscore"],
                                "problems": b["problems"], "quote": b["quote"]} for b in bad],
        "jargon_shown": sum(bool(r.jargon) for r in jar),
        "jargon_scripts": len(jar),
        "index_in_range": sum(bool(r.index_ok) for r in idx),
        "index_scripts": len(idx),
        "lines": len(lines),
        "lines_right": sum(ln["right"] for ln in lines),
        "line_code_accuracy": _ratio(sum(ln["right"] for ln in lines), len(lines)),
        "per_code": {c: dict(v, recall=_ratio(v["found"], v["lines"])) for c, v in sorted(per_code.items())},
        "consistency_problems": sum(len(r.consistency) for r in results),
        "consistency_list": [{"id": r.id, "problem": p} for r in results for p in r.consistency],
        "seconds": round(sum(r.seconds for r in results), 1),
    }
