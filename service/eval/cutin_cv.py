"""Choosing an overlap-path setting on planted cut-ins without reporting in-sample figures.

Every setting's cut-ins are counted per dialogue (:class:`CutinCount`). :func:`leave_one_dialogue_out`
picks, for each dialogue held out, the setting with the best F1 on the other dialogues (ties: the
earlier setting in the given order, so list the current default first) and reports that setting's
counts on the held-out dialogue; :func:`pooled` adds the held-out counts up. Intervals are Wilson
score intervals (95 %), which stay inside [0, 1] for the small counts here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

__all__ = ["CutinCount", "HeldOut", "leave_one_dialogue_out", "pooled", "wilson"]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval of a proportion k/n (None when n is 0)."""
    if n <= 0:
        return None
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class CutinCount:
    """Planted cut-ins found (within the match window), planted, and flagged cut-ins matching none."""

    found: int
    planted: int
    false_alarms: int

    def __add__(self, other: "CutinCount") -> "CutinCount":
        return CutinCount(self.found + other.found, self.planted + other.planted,
                          self.false_alarms + other.false_alarms)

    @property
    def recall(self) -> float | None:
        return self.found / self.planted if self.planted else None

    @property
    def precision(self) -> float | None:
        flagged = self.found + self.false_alarms
        return self.found / flagged if flagged else None

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 0.0 if not p or not r else 2 * p * r / (p + r)

    def to_dict(self) -> dict:
        flagged = self.found + self.false_alarms
        return {"found": self.found, "planted": self.planted, "false_alarms": self.false_alarms,
                "precision": None if self.precision is None else round(self.precision, 3),
                "precision_95": wilson(self.found, flagged), "recall": None if self.recall is None else
                round(self.recall, 3), "recall_95": wilson(self.found, self.planted)}


@dataclass(frozen=True)
class HeldOut:
    """One fold: the dialogue held out, the setting chosen on the others, its counts on the held-out one."""

    dialogue: str
    chosen: str
    chosen_on: CutinCount
    held_out: CutinCount


def leave_one_dialogue_out(counts: Mapping[str, Mapping[str, CutinCount]],
                           order: Sequence[str] | None = None) -> list[HeldOut]:
    """Per dialogue held out, the setting with the best F1 on the other dialogues, scored on it.

    Parameters
    ----------
    counts : mapping setting -> (mapping dialogue -> CutinCount)
        Every setting must list the same dialogues.
    order : sequence of settings, optional
        Tie-break order (default: the mapping's order).
    """
    names = list(order or counts)
    dialogues = sorted(next(iter(counts.values())))
    if any(sorted(counts[n]) != dialogues for n in names):
        raise ValueError("every setting must be counted on the same dialogues")
    if len(dialogues) < 2:
        raise ValueError("leave-one-dialogue-out needs at least two dialogues")
    folds = []
    for held in dialogues:
        def on_rest(n: str) -> CutinCount:
            total = CutinCount(0, 0, 0)
            for d in dialogues:
                if d != held:
                    total = total + counts[n][d]
            return total

        best = max(names, key=lambda n: (on_rest(n).f1, -names.index(n)))
        folds.append(HeldOut(held, best, on_rest(best), counts[best][held]))
    return folds


def pooled(folds: Sequence[HeldOut]) -> CutinCount:
    """The held-out counts of all folds added up."""
    total = CutinCount(0, 0, 0)
    for f in folds:
        total = total + f.held_out
    return total
