"""Speaking rate (words per minute), articulation rate, "rushed" turns and disclosure cues."""

from __future__ import annotations

import math
import re
from typing import Callable, Collection, Sequence

from analysis.schema import CLIENT, Turn

__all__ = [
    "FEELING_WORDS",
    "words_per_minute",
    "articulation_rate",
    "is_rushed",
    "looks_like_disclosure",
    "disclosure_turns",
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
