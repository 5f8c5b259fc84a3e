"""Load AnnoMI transcripts (``AnnoMI-simple.csv`` and ``AnnoMI-full.csv``) as ListenWell turns.

The loader takes the data folder as an argument (nothing from AnnoMI ships with ListenWell).
Therapist utterances become ``helper`` turns, client utterances ``client`` turns. Labels: the
main therapist behaviour (question, reflection, input, other), the client talk type
(change, sustain, neutral) and, from the per-annotator file, the majority question subtype
(open/closed), reflection subtype (simple/complex) and input subtype (information, advice,
negotiation, options).
"""

from __future__ import annotations

import csv
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from analysis.cues.view import CueView
from analysis.errors import NotFoundError, ParameterError
from analysis.schema import CLIENT, HELPER, Turn

__all__ = ["AnnoMILabel", "AnnoMISession", "expert_view", "load_annomi", "resolve_dirs"]

log = logging.getLogger(__name__)

_BEHAVIOUR = {"question": "question", "reflection": "reflection", "therapist_input": "input", "other": "other"}


@dataclass(frozen=True)
class AnnoMILabel:
    """Expert labels of one utterance ("" where not applicable)."""

    behaviour: str = ""
    talk: str = ""
    question: str = ""
    reflection: str = ""
    input: str = ""


@dataclass(frozen=True)
class AnnoMISession:
    """One AnnoMI transcript: its turns (in order), labels per turn, and quality ("high"/"low")."""

    transcript_id: str
    quality: str
    topic: str
    turns: tuple[Turn, ...]
    labels: tuple[AnnoMILabel, ...]


def _seconds(stamp: str) -> float | None:
    try:
        parts = [float(p) for p in stamp.split(":")]
    except ValueError:
        return None
    total = 0.0
    for p in parts:
        total = total * 60 + p
    return total


def _majority(values: list[str]) -> str:
    values = [v for v in values if v]
    if not values:
        return ""
    return Counter(values).most_common(1)[0][0]


def _subtypes(full: Path) -> dict[tuple[str, str], tuple[str, str, str]]:
    votes: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    with full.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            votes[(row["transcript_id"], row["utterance_id"])].append(row)
    out = {}
    for key, rows in votes.items():
        out[key] = (
            _majority([r["question_subtype"] for r in rows]),
            _majority([r["reflection_subtype"] for r in rows]),
            _majority([r["therapist_input_subtype"] for r in rows]),
        )
    return out


def load_annomi(data_dir: str | Path) -> list[AnnoMISession]:
    """Read the AnnoMI transcripts in ``data_dir`` (a folder holding ``AnnoMI-simple.csv``).

    Parameters
    ----------
    data_dir : str or Path
        ``../shared/data/annomi-dev`` or a folder with the same files. ``AnnoMI-full.csv`` is
        optional (without it the subtypes are empty).

    Returns
    -------
    list of AnnoMISession
        Sorted by numeric transcript id. Turn ``start`` is the utterance's timestamp (seconds),
        ``end`` the next utterance's timestamp.
    """
    folder = Path(data_dir)
    simple = folder / "AnnoMI-simple.csv"
    if not simple.is_file():
        raise NotFoundError(f"AnnoMI-simple.csv not found in {folder}", path=str(folder))
    full = folder / "AnnoMI-full.csv"
    subtypes = _subtypes(full) if full.is_file() else {}
    rows_by_t: dict[str, list[dict[str, str]]] = defaultdict(list)
    with simple.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        need = {"transcript_id", "mi_quality", "utterance_id", "interlocutor", "utterance_text"}
        if not reader.fieldnames or not need <= set(reader.fieldnames):
            raise ParameterError(f"{simple} lacks the AnnoMI columns {sorted(need)}", path=str(simple))
        for row in reader:
            rows_by_t[row["transcript_id"]].append(row)
    sessions = []
    for tid in sorted(rows_by_t, key=lambda s: int(s) if s.isdigit() else s):
        rows = sorted(rows_by_t[tid], key=lambda r: int(r["utterance_id"]))
        starts = [_seconds(r.get("timestamp", "")) for r in rows]
        turns, labels = [], []
        for k, r in enumerate(rows):
            helper = r["interlocutor"] == "therapist"
            role = HELPER if helper else CLIENT
            end = starts[k + 1] if k + 1 < len(rows) else None
            turns.append(Turn(speaker=role, text=r["utterance_text"], start=starts[k], end=end, role=role, index=k))
            q, refl, inp = subtypes.get((tid, r["utterance_id"]), ("", "", ""))
            if helper:
                b = _BEHAVIOUR.get(r.get("main_therapist_behaviour", ""), "")
                labels.append(AnnoMILabel(
                    behaviour=b, question=q if b == "question" else "",
                    reflection=refl if b == "reflection" else "", input=inp if b == "input" else "",
                ))
            else:
                labels.append(AnnoMILabel(talk=r.get("client_talk_type", "")))
        sessions.append(AnnoMISession(tid, rows[0]["mi_quality"], rows[0].get("topic", ""), tuple(turns), tuple(labels)))
    log.info("loaded %d AnnoMI transcripts from %s", len(sessions), folder)
    return sessions


def resolve_dirs(data_dir: str | Path) -> tuple[Path, Path | None]:
    """The AnnoMI folder and the EPITOME folder (or None) from the shared-data root or the AnnoMI folder."""
    d = Path(data_dir)
    if (d / "annomi-dev" / "AnnoMI-simple.csv").is_file():
        return d / "annomi-dev", (d / "empathy") if (d / "empathy").is_dir() else None
    if (d / "AnnoMI-simple.csv").is_file():
        emp = d.parent / "empathy"
        return d, emp if emp.is_dir() else None
    raise NotFoundError(f"no AnnoMI-simple.csv in {d} or {d / 'annomi-dev'}", path=str(d))


def expert_view(labels) -> CueView:
    """A :class:`CueView` from AnnoMI's expert labels (behaviour and subtypes) per turn position."""
    out: dict[int, frozenset[str]] = {}
    for i, lab in enumerate(labels):
        s: set[str] = set()
        if lab.behaviour == "question":
            s |= {"question", f"{lab.question}_question"} if lab.question else {"question"}
        elif lab.behaviour == "reflection":
            s |= {"reflection", f"{lab.reflection}_reflection"} if lab.reflection else {"reflection"}
        elif lab.behaviour == "input":
            s.add("input")
            if lab.input == "advice":
                s.add("advice")
        if s:
            out[i] = frozenset(s)
    return CueView(out, ())
