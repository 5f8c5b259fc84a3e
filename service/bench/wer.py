"""Word error rate with the normalisation the benchmark and the tests share.

Lower case, punctuation and dashes dropped, apostrophes kept inside words
(``don't`` stays one word), whitespace collapsed. Uses ``jiwer`` for the
alignment.
"""

from __future__ import annotations

import re

__all__ = ["normalize_text", "word_error_rate", "count_fillers", "FILLERS", "WerResult"]

from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_LOOSE_APOSTROPHE = re.compile(r"(?<![a-z0-9])'|'(?![a-z0-9])")


# Disfluencies Whisper tends to drop unless prompted (later stages count them).
FILLERS = frozenset({"um", "umm", "uh", "uhh", "hmm", "mm", "er", "erm", "ah"})


def count_fillers(text: str) -> int:
    """How many filler words (``um``, ``uh``, ``hmm``...) ``text`` holds after normalising."""
    return sum(w in FILLERS for w in normalize_text(text).split())


def normalize_text(text: str) -> str:
    """Lower-case ``text`` and strip punctuation, keeping in-word apostrophes."""
    text = text.lower().translate(_APOSTROPHES)
    text = _NOT_WORD.sub(" ", text)
    text = _LOOSE_APOSTROPHE.sub(" ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class WerResult:
    """WER as a fraction, with the counts behind it."""

    wer: float
    reference_words: int
    hypothesis_words: int
    substitutions: int
    deletions: int
    insertions: int

    def to_dict(self) -> dict:
        return {
            "wer": round(self.wer, 4),
            "reference_words": self.reference_words,
            "hypothesis_words": self.hypothesis_words,
            "substitutions": self.substitutions,
            "deletions": self.deletions,
            "insertions": self.insertions,
        }


def word_error_rate(reference: str, hypothesis: str) -> WerResult:
    """WER of ``hypothesis`` against ``reference`` after :func:`normalize_text`.

    An empty hypothesis against a non-empty reference gives 1.0; both empty give 0.0.
    """
    import jiwer

    ref = normalize_text(reference)
    hyp = normalize_text(hypothesis)
    n_ref, n_hyp = len(ref.split()), len(hyp.split())
    if n_ref == 0:
        return WerResult(0.0 if n_hyp == 0 else float(n_hyp), 0, n_hyp, 0, 0, n_hyp)
    if n_hyp == 0:
        return WerResult(1.0, n_ref, 0, 0, n_ref, 0)
    out = jiwer.process_words(ref, hyp)
    return WerResult(
        wer=float(out.wer),
        reference_words=n_ref,
        hypothesis_words=n_hyp,
        substitutions=int(out.substitutions),
        deletions=int(out.deletions),
        insertions=int(out.insertions),
    )
