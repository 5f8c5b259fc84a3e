"""Feature extraction for the behaviour classifier: text, conversational context and reflection cues.

One helper utterance is described by its own text, the client's previous and next utterances,
the helper's previous utterance, and dense features (question marks, reflection stems, lexical
overlap with the client's previous turn, length, position in the session). The classifier
(``analysis/cues/model.py``) stacks on top of these the predicted codes of neighbouring helper
utterances.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

import analysis.cues.rules as R
from analysis.schema import CLIENT, HELPER, Turn

__all__ = ["Context", "contexts", "dense_features", "TextFeaturizer"]

_DASH = ("-", "\u2014", "\u2013")
_YES = ("yes", "yeah", "yep", "right", "exactly", "mm", "mhm", "uh-huh", "true", "definitely", "absolutely")
_NO = ("no", "nope", "not", "well", "i don't know", "i guess")


@dataclass(frozen=True)
class Context:
    """One utterance with its neighbours in the session ('' where absent).

    ``joined`` is set only for a fragment (text starting or ending with a dash, as when the other
    speaker's words split an utterance): the fragment joined with the same speaker's neighbouring
    fragment(s).
    """

    index: int
    role: str
    text: str
    prev_client: str
    next_client: str
    prev_helper: str
    prev_same_role: bool
    next_same_role: bool
    position: float
    joined: str = ""


def contexts(turns: Sequence[Turn], role: str = HELPER) -> list[Context]:
    """Context records for every non-empty turn of ``role`` (positions in ``turns``)."""
    n = len(turns)
    out = []
    for i, t in enumerate(turns):
        if t.role != role or not t.text.strip():
            continue

        def find(step: int, want: str) -> str:
            j = i + step
            while 0 <= j < n:
                if turns[j].role == want and turns[j].text.strip():
                    return turns[j].text
                j += step
            return ""

        text = t.text.strip()
        joined = ""
        if text[:1] in _DASH or text[-1:] in _DASH:  # a fragment of an utterance split by the other's words
            before = find(-1, role) if text[:1] in _DASH else ""
            after = find(1, role) if text[-1:] in _DASH else ""
            joined = " ".join(x for x in (before, text, after) if x)
        out.append(Context(
            index=i, role=role, text=t.text, joined=joined,
            prev_client=find(-1, CLIENT), next_client=find(1, CLIENT), prev_helper=find(-1, HELPER),
            prev_same_role=i > 0 and turns[i - 1].role == role,
            next_same_role=i + 1 < n and turns[i + 1].role == role,
            position=i / max(1, n - 1),
        ))
    return out


def _overlap(a: set[str], b: set[str]) -> tuple[float, float]:
    if not a or not b:
        return 0.0, 0.0
    k = len(a & b)
    return k / len(a), k / len(b)


def _starts(text: str, heads: tuple[str, ...]) -> float:
    t = R.normalise(text)
    return float(any(t.startswith(h) for h in heads))


@lru_cache(maxsize=50000)
def dense_features(c: Context) -> tuple[float, ...]:
    """Dense features of one utterance in context (all roughly in 0..1); cached per context."""
    t = c.text.strip()
    w = R.words(t)
    n = len(w)
    mine = R.content_words(t)
    o_prev = _overlap(mine, R.content_words(c.prev_client))
    o_next = _overlap(mine, R.content_words(c.next_client))
    you = sum(x in ("you", "your", "you're", "yourself", "you've", "you'd") for x in w) / max(1, n)
    me = sum(x in ("i", "me", "my", "i'm", "i've", "we", "us", "our", "let's") for x in w) / max(1, n)
    nc = R.words(c.next_client)
    return (
        float(t.endswith("?")), float("?" in t), min(t.count("?"), 3) / 3,
        float(bool(R.match_reflection(t))), float(R.is_question(t)), float(bool(R.match_advice(t))),
        float(bool(R.match_validation(t))), float(bool(R.match_affirmation(t))), float(R.is_backchannel(t)),
        math.log1p(n) / 5, o_prev[0], o_prev[1], o_next[0], float(o_prev[0] > 0.5), you, me,
        float(c.prev_same_role), float(c.next_same_role), c.position,
        math.log1p(len(R.words(c.prev_client))) / 5, math.log1p(len(nc)) / 5, float(0 < len(nc) <= 3),
        _starts(c.next_client, _YES), _starts(c.next_client, _NO), _starts(t, ("so ", "so,")),
        float(bool(R.feelings_named(t))), float(bool(R.match_feeling_disclosure(c.text))),
        float(bool(R.match_change_talk(c.text))), float(bool(R.match_sustain_talk(c.text))),
        float(any(ch.isdigit() for ch in t)),
    )


class TextFeaturizer:
    """Word and character TF-IDF of the utterance plus word TF-IDF of its context, and dense features.

    Parameters
    ----------
    context_fields : tuple of str
        Which :class:`Context` text fields to add as separate bags of words.
    max_char : int
        Cap on the character n-gram vocabulary (keeps the shipped weights small).
    """

    def __init__(self, context_fields: tuple[str, ...] = ("prev_client", "next_client"), max_char: int = 40000):
        self.context_fields = context_fields
        self.word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                    token_pattern=r"(?u)\b\w[\w']*\b|\?", dtype=np.float32)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True,
                                    max_features=max_char, dtype=np.float32)
        self.ctx = {f: TfidfVectorizer(ngram_range=(1, 2), min_df=3, sublinear_tf=True, max_features=20000,
                                       token_pattern=r"(?u)\b\w[\w']*\b|\?", dtype=np.float32)
                    for f in context_fields}

    def fit(self, cs: Sequence[Context]) -> "TextFeaturizer":
        texts = [c.text for c in cs]
        self.word.fit(texts)
        self.char.fit(texts)
        for f, v in self.ctx.items():
            v.fit([getattr(c, f) or "_" for c in cs])
        for v in (self.word, self.char, *self.ctx.values()):
            if hasattr(v, "stop_words_"):
                del v.stop_words_  # pruned terms: not needed to transform, would bloat the weights
        return self

    def transform(self, cs: Sequence[Context]) -> sparse.csr_matrix:
        texts = [c.text for c in cs]
        blocks = [self.word.transform(texts), self.char.transform(texts)]
        for f, v in self.ctx.items():
            blocks.append(v.transform([getattr(c, f) or "_" for c in cs]) * 0.7)
        blocks.append(sparse.csr_matrix(np.array([dense_features(c) for c in cs], dtype=np.float32)))
        return sparse.hstack(blocks, format="csr", dtype=np.float32)
