"""Experiment (not shipped): the extra written helper-behaviour sets of ``../shared/data/extra-cues`` as training sessions.

Each dialogue (``dialogue_id``, turns ordered by ``turn_index``) becomes one training session of
ListenWell turns; a helper row's label is its ``label_mapped`` (question, reflection, input, other)
or none. The text is read from the shared folder at run time and never written anywhere.

- ``mi_gold``: welivita MI gold (one helper sentence per "dialogue", no context).
- ``esconv``: ESConv, the cleaner subset its README suggests: a helper row keeps its label only
  when ``(label_mapped == "question") == (has_qmark == 1)``; the other rows stay as context.
- ``mibot``: MIBot v6.3a (LLM-labelled; unmapped rows stay as context).
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis.cues.types import BEHAVIOURS
from analysis.schema import CLIENT, HELPER, Turn

__all__ = ["ExtraLabel", "FILES", "extra_sessions", "extra_root"]

FILES = {"mi_gold": "welivita-mi-gold/mi_gold_cues.csv", "esconv": "esconv/esconv_cues.csv",
         "mibot": "mibot-v6.3a/mibot_cues.csv"}


@dataclass(frozen=True)
class ExtraLabel:
    """The label attributes :meth:`BehaviourModel.fit` reads (no subtypes, no client talk type)."""

    behaviour: str = ""
    talk: str = ""
    question: str = ""
    reflection: str = ""
    input: str = ""


def extra_root() -> Path:
    """``$LISTENWELL_SHARED_DATA/extra-cues``, by default ``../shared/data/extra-cues`` beside the repository."""
    root = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("LISTENWELL_SHARED_DATA", root.parent / "shared" / "data")) / "extra-cues"


def _keep(name: str, row: dict[str, str]) -> bool:
    if row["speaker"] != "helper" or row["label_mapped"] not in BEHAVIOURS:
        return False
    if name == "esconv":
        return (row["label_mapped"] == "question") == (row.get("has_qmark") == "1")
    return True


@lru_cache(maxsize=8)
def extra_sessions(name: str, root: str | None = None) -> tuple[tuple[tuple[Turn, ...], tuple[ExtraLabel, ...]], ...]:
    """Training sessions ``(turns, labels)`` of one extra set (see the module docstring)."""
    path = Path(root or extra_root()) / FILES[name]
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["text"].strip():
                rows[row["dialogue_id"]].append(row)
    out = []
    for did in sorted(rows):
        rs = sorted(rows[did], key=lambda r: int(r["turn_index"]))
        turns, labels = [], []
        for i, r in enumerate(rs):
            role = HELPER if r["speaker"] == "helper" else CLIENT
            turns.append(Turn(speaker=role, text=r["text"], role=role, index=i))
            labels.append(ExtraLabel(behaviour=r["label_mapped"] if _keep(name, r) else ""))
        out.append((tuple(turns), tuple(labels)))
    return tuple(out)
