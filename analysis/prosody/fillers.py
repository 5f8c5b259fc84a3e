"""Filler words ("um", "uh", "like", "you know") found in a turn's words, with times."""

from __future__ import annotations

import re
from typing import Sequence

from analysis.prosody.types import FillerEvent
from analysis.schema import Turn, Word

__all__ = ["HESITATIONS", "turn_tokens", "find_fillers"]

# Hesitation sounds: always fillers (Whisper spells them several ways).
HESITATIONS = frozenset({"um", "umm", "uh", "uhh", "uhm", "erm", "er", "hmm", "mm"})
_BREAK = re.compile(r"[,;:.!?\u2014\u2013-]$")
_STRIP = re.compile(r"^[^\w']+|[^\w']+$")


def _clean(text: str) -> str:
    return _STRIP.sub("", text.strip().lower().replace("\u2019", "'"))


def turn_tokens(turn: Turn) -> list[Word]:
    """The turn's words; from its text (without times) when it has no word times.

    Tokens that are only punctuation are dropped. Text-derived words carry
    ``start=end=nan``.
    """
    if turn.words:
        return [w for w in turn.words if _clean(w.text)]
    nan = float("nan")
    return [Word(nan, nan, t, speaker=turn.speaker) for t in turn.text.split() if _clean(t)]


def _time(x: float) -> float | None:
    return None if x != x else float(x)


def find_fillers(turn: Turn, words: Sequence[Word] | None = None) -> list[FillerEvent]:
    """Fillers in one turn.

    Hesitations ("um", "uh", ...) always count. "like" counts when set off by
    punctuation (", like," / "like," - the discourse marker, not "I like it").
    "you know" counts when followed by punctuation or the turn end, or preceded
    by a comma ("and, you know, ..."), not in "you know what happened".

    Parameters
    ----------
    turn : Turn
        The turn; ``turn.words`` give times (s) when present.
    words : sequence of Word, optional
        Pre-computed :func:`turn_tokens` of the turn.

    Returns
    -------
    list of FillerEvent
        In order, with start/end in seconds (None without word times).
    """
    words = list(words) if words is not None else turn_tokens(turn)
    raw = [w.text.strip() for w in words]
    clean = [_clean(t) for t in raw]
    out: list[FillerEvent] = []
    idx = turn.index
    n = len(words)
    for i, c in enumerate(clean):
        prev_break = i == 0 or bool(_BREAK.search(raw[i - 1]))
        if c in HESITATIONS:
            out.append(FillerEvent(c, _time(words[i].start), _time(words[i].end), idx, turn.speaker))
        elif c == "like" and i > 0 and (prev_break or bool(_BREAK.search(raw[i]))):
            out.append(FillerEvent("like", _time(words[i].start), _time(words[i].end), idx, turn.speaker))
        elif c == "you" and i + 1 < n and clean[i + 1] == "know":
            end_break = bool(_BREAK.search(raw[i + 1])) or i + 1 == n - 1
            if end_break or (i > 0 and raw[i - 1].endswith(",")):
                out.append(FillerEvent("you know", _time(words[i].start), _time(words[i + 1].end), idx, turn.speaker))
    return out
