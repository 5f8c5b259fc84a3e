"""Speaking rate (words per minute), articulation rate, "rushed" turns and disclosure cues."""

from __future__ import annotations

import math
import re
from typing import Callable, Collection, Sequence

from analysis.schema import CLIENT, Turn, Word

__all__ = [
    "FEELING_WORDS",
    "words_per_minute",
    "articulation_rate",
    "is_rushed",
    "looks_like_disclosure",
    "disclosure_turns",
    "assign_words",
]

# A tiny stand-in for the cues stage's feeling-disclosure detector.
FEELING_WORDS = frozenset(
    """feel feels feeling feelings felt sad scared afraid frightened worried worry anxious
    nervous angry mad upset lonely alone ashamed embarrassed guilty hopeless helpless
    overwhelmed depressed down frustrated hurt stressed disappointed miserable exhausted
    terrified panicked panic crying cried""".split()
)
_WORD = re.compile(r"[a-z']+")

DisclosureDetector = Callable[[Turn], bool]


def words_per_minute(n_words: int, seconds: float) -> float:
    """``n_words`` over ``seconds`` of speaking time, per minute (NaN when no time)."""
    return 60.0 * n_words / seconds if seconds > 0 else math.nan


def articulation_rate(n_words: int, seconds: float, pause_s: float) -> float:
    """Words per minute over speaking time minus silent pauses (NaN when nothing is left)."""
    return words_per_minute(n_words, seconds - pause_s) if seconds - pause_s > 0 else math.nan


def is_rushed(wpm: float, n_words: int, *, threshold_wpm: float = 160.0, min_words: int = 8) -> bool | None:
    """True above ``threshold_wpm``; None when the turn is too short to judge."""
    if n_words < min_words or not math.isfinite(wpm):
        return None
    return wpm > threshold_wpm


def looks_like_disclosure(turn: Turn) -> bool:
    """Keyword guess: a client turn that names a feeling ("I feel...", "scared", "worried")."""
    words = set(_WORD.findall(turn.text.lower().replace("\u2019", "'")))
    return bool(words & FEELING_WORDS)


def disclosure_turns(
    turns: Sequence[Turn],
    disclosures: Collection[int] | DisclosureDetector | None = None,
) -> set[int]:
    """Indices (``Turn.index``) of client turns that disclose a feeling.

    ``disclosures``: explicit indices (e.g. from the cues stage), a detector
    called on each client turn, or None for :func:`looks_like_disclosure`.
    """
    if disclosures is not None and not callable(disclosures):
        return {int(i) for i in disclosures}
    detect = disclosures if callable(disclosures) else looks_like_disclosure
    return {t.index for t in turns if _is_client(t) and detect(t)}


def _is_client(turn: Turn) -> bool:
    return turn.role == CLIENT or (turn.role is None and turn.speaker == CLIENT)


def assign_words(turns: Sequence[Turn], words: Sequence[Word], *, slack_s: float = 0.3) -> list[Turn]:
    """Give each timed turn the recognised words whose midpoint falls in it.

    A word goes to the turn containing its midpoint (widened by ``slack_s``
    seconds on each side), the nearest such turn when several do; words outside
    every turn are dropped. Useful when turn times come from elsewhere (a
    scripted timeline, truth files) and words from the transcriber.

    Returns
    -------
    list of Turn
        The turns with ``words`` replaced (text unchanged).
    """
    from dataclasses import replace

    timed = [(i, t) for i, t in enumerate(turns) if t.start is not None and t.end is not None]
    buckets: dict[int, list] = {i: [] for i, _ in timed}
    for w in words:
        mid = 0.5 * (w.start + w.end)
        best, best_d = None, math.inf
        for i, t in timed:
            if t.start - slack_s <= mid <= t.end + slack_s:
                d = 0.0 if t.start <= mid <= t.end else min(abs(mid - t.start), abs(mid - t.end))
                if d < best_d:
                    best, best_d = i, d
        if best is not None:
            buckets[best].append(w)
    return [replace(t, words=tuple(buckets[i])) if i in buckets else t for i, t in enumerate(turns)]
