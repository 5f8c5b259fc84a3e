"""Experiment (not shipped): cue-model variants for issue 24, built on the shipped model's hooks.

Each variant is the shipped :class:`analysis.cues.model.BehaviourModel` with more inputs for its two
main stages (the subtype and client-talk heads are unchanged):

- ``minilm`` / ``wordllama``: the frozen sentence embedding of the helper utterance
  (:mod:`text_encoders`), appended as a dense block of unit length (weight fixed at 1 before any
  run, like the word and character TF-IDF blocks, which are also of unit length).
- ``context_bow``: wider context as bags of words: the helper's and the client's turns among the
  previous ``HISTORY`` turns, one bag each (the current model already has the client's previous
  and next turns).
- ``minilm_context``: MiniLM embeddings of the utterance, the client's previous turn, the client's
  next turn and of the previous ``HISTORY`` turns (both speakers, averaged with weights halving
  every two turns back).

``HISTORY`` = 10 turns, after M3TCM (about ten utterances of context), fixed before any run.

``plus_mi_gold``, ``plus_esconv``, ``plus_mibot``, ``plus_all_extra``: the shipped model trained on
the outer training transcripts plus each extra written set (:mod:`extra_data`), weight 1 per row
(an earlier run, code not kept, had tried these without intervals).

``minilm_stacked`` (added last, after all other rows were seen): a separate logistic regression
(C = 1) on the MiniLM embeddings of the utterance and the client's previous and next turns; its
out-of-fold class probabilities are appended to both main stages (stacking rather than
concatenating the embeddings).

Added once the first four rows were seen (so not chosen blind): ``context_bow_3`` (the previous 3
turns, the issue's lower end) and ``minilm_w2`` (the utterance's MiniLM block at weight 2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from analysis.cues.features import Context, TextFeaturizer, contexts
from analysis.cues.model import BehaviourModel
from analysis.schema import CLIENT, HELPER, Turn
from extra_data import extra_sessions
from text_encoders import EmbeddingStore

__all__ = ["HISTORY", "WideContext", "wide_contexts", "EmbedFeaturizer", "VariantModel", "ExtraDataModel", "VARIANTS",
           "make_model"]

HISTORY = 10


@dataclass(frozen=True)
class WideContext(Context):
    """A :class:`Context` with the previous turns of both speakers (most recent first)."""

    history: tuple[tuple[str, str], ...] = ()  # (role, text)

    @property
    def history_helper(self) -> str:
        return " ".join(t for r, t in self.history if r == HELPER)

    @property
    def history_client(self) -> str:
        return " ".join(t for r, t in self.history if r == CLIENT)


def wide_contexts(turns: Sequence[Turn], role: str = HELPER, k: int = HISTORY) -> list[WideContext]:
    """:func:`analysis.cues.features.contexts` plus the ``k`` non-empty turns before each utterance."""
    out = []
    for c in contexts(turns, role):
        hist = []
        j = c.index - 1
        while j >= 0 and len(hist) < k:
            if turns[j].text.strip():
                hist.append((turns[j].role, turns[j].text))
            j -= 1
        out.append(WideContext(**{f.name: getattr(c, f.name) for f in dataclasses.fields(Context)},
                               history=tuple(hist)))
    return out


_STORES: dict[str, EmbeddingStore] = {}


def _store(name: str) -> EmbeddingStore:
    if name not in _STORES:
        _STORES[name] = EmbeddingStore(name)
    return _STORES[name]


def history_vector(store: EmbeddingStore, history: Sequence[tuple[str, str]]) -> np.ndarray:
    """Mean of the history's embeddings, weight halving every two turns back (zeros if none)."""
    texts = [t for _, t in history]
    if not texts:
        return np.zeros(store.get(["x"]).shape[1], np.float32)
    v = store.get(texts)
    w = 0.5 ** (np.arange(len(texts)) / 2.0)
    return (w[:, None] * v).sum(0) / w.sum()


class EmbedFeaturizer(TextFeaturizer):
    """The shipped features plus dense embedding blocks (frozen encoders: nothing is fitted on them).

    Parameters
    ----------
    encoder : str
        ``minilm`` or ``wordllama``.
    fields : tuple of str
        Which texts to embed: ``text``, ``prev_client``, ``next_client``, ``history``.
    weight : float
        Scale of each (unit-length) block.
    """

    def __init__(self, encoder: str = "minilm", fields: tuple[str, ...] = ("text",), weight: float = 1.0,
                 context_fields: tuple[str, ...] = ("prev_client", "next_client")):
        super().__init__(context_fields=context_fields)
        self.encoder, self.fields, self.weight = encoder, fields, weight

    def embed_block(self, cs: Sequence[Context]) -> np.ndarray:
        store = _store(self.encoder)
        blocks = []
        for f in self.fields:
            if f == "history":
                blocks.append(np.stack([history_vector(store, getattr(c, "history", ())) for c in cs]))
            else:
                blocks.append(store.get([getattr(c, f) for c in cs]))
        return np.hstack(blocks) * self.weight

    def transform(self, cs: Sequence[Context]) -> sparse.csr_matrix:
        return sparse.hstack([super().transform(cs), sparse.csr_matrix(self.embed_block(cs).astype(np.float32))],
                             format="csr", dtype=np.float32)


class VariantModel(BehaviourModel):
    """:class:`BehaviourModel` whose main stages use ``featurizer()`` and, if ``history``, wide contexts."""

    def __init__(self, featurizer, history: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.make_featurizer, self.history = featurizer, history

    def _featurizer(self) -> TextFeaturizer:
        return self.make_featurizer()

    def _contexts(self, turns: Sequence[Turn]) -> list[Context]:
        return wide_contexts(turns, k=self.history) if self.history else contexts(turns, HELPER)


_BOW_FIELDS = ("prev_client", "next_client", "history_helper", "history_client")

VARIANTS = {
    "minilm": lambda: VariantModel(lambda: EmbedFeaturizer("minilm", ("text",))),
    "wordllama": lambda: VariantModel(lambda: EmbedFeaturizer("wordllama", ("text",))),
    "context_bow": lambda: VariantModel(lambda: TextFeaturizer(context_fields=_BOW_FIELDS), history=HISTORY),
    "minilm_context": lambda: VariantModel(
        lambda: EmbedFeaturizer("minilm", ("text", "prev_client", "next_client", "history")), history=HISTORY),
    # added after the four rows above had been seen (so chosen with their figures in view):
    "context_bow_3": lambda: VariantModel(lambda: TextFeaturizer(context_fields=_BOW_FIELDS), history=3),
    "minilm_w2": lambda: VariantModel(lambda: EmbedFeaturizer("minilm", ("text",), weight=2.0)),
}


class ExtraDataModel(BehaviourModel):
    """The shipped model trained on the given AnnoMI sessions plus the extra written sets ``names``."""

    def __init__(self, names: tuple[str, ...], **kwargs):
        super().__init__(**kwargs)
        self.extra = names

    def fit(self, sessions):
        return super().fit(list(sessions) + [s for n in self.extra for s in extra_sessions(n)])


for _name in ("mi_gold", "esconv", "mibot"):
    VARIANTS[f"plus_{_name}"] = lambda n=_name: ExtraDataModel((n,))
VARIANTS["plus_all_extra"] = lambda: ExtraDataModel(("mi_gold", "esconv", "mibot"))


class SideProbs:
    """A logistic regression on frozen embeddings alone, whose class probabilities become features.

    Fitted on the training contexts; for those it answers with *out-of-fold* probabilities (3
    folds grouped by session), so the main model learns from probabilities as noisy as it gets
    at run time; for any other context, with the model fitted on all training contexts.
    """

    def __init__(self, encoder: str = "minilm", fields: tuple[str, ...] = ("text", "prev_client", "next_client"),
                 c: float = 1.0):
        self.embed = EmbedFeaturizer(encoder, fields)
        self.c = c
        self.oof: dict[Context, np.ndarray] = {}
        self.lr = None

    def fit(self, cs: Sequence[Context], y: Sequence[str], groups: Sequence[int]) -> "SideProbs":
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GroupKFold

        x, y_arr = self.embed.embed_block(cs), np.array(y)
        self.classes = sorted(set(y))
        oof = np.zeros((len(cs), len(self.classes)))
        for tr, te in GroupKFold(n_splits=3).split(x, y_arr, groups):
            m = LogisticRegression(C=self.c, class_weight="balanced", max_iter=3000).fit(x[tr], y_arr[tr])
            oof[np.ix_(te, [self.classes.index(k) for k in m.classes_])] = m.predict_proba(x[te])
        self.oof = {c: p for c, p in zip(cs, oof)}
        self.lr = LogisticRegression(C=self.c, class_weight="balanced", max_iter=3000).fit(x, y_arr)
        return self

    def __call__(self, cs: Sequence[Context]) -> np.ndarray:
        out = self.lr.predict_proba(self.embed.embed_block(cs)) if cs else np.zeros((0, len(self.classes)))
        for i, c in enumerate(cs):
            if c in self.oof:
                out[i] = self.oof[c]
        return out


class SideFeaturizer(TextFeaturizer):
    """The shipped features plus the class probabilities of a :class:`SideProbs` model."""

    def __init__(self, side: SideProbs):
        super().__init__()
        self.side = side

    def transform(self, cs: Sequence[Context]) -> sparse.csr_matrix:
        return sparse.hstack([super().transform(cs), sparse.csr_matrix(self.side(cs).astype(np.float32))],
                             format="csr", dtype=np.float32)


class StackedEmbedModel(BehaviourModel):
    """The shipped model whose main stages also see a side model's probabilities from MiniLM embeddings."""

    def fit(self, sessions):
        from analysis.cues.types import BEHAVIOURS

        cs, y, groups = [], [], []
        for g, (turns, labels) in enumerate(sessions):
            for c in self._contexts(turns):
                if labels[c.index].behaviour in BEHAVIOURS:
                    cs.append(c)
                    y.append(labels[c.index].behaviour)
                    groups.append(g)
        self.side = SideProbs().fit(cs, y, groups)
        return super().fit(sessions)

    def _featurizer(self) -> TextFeaturizer:
        return SideFeaturizer(self.side)


# added last, after every row above had been seen:
VARIANTS["minilm_stacked"] = StackedEmbedModel


def make_model(name: str) -> BehaviourModel:
    """A fresh, unfitted model of variant ``name`` (``baseline`` is the shipped class)."""
    return BehaviourModel() if name == "baseline" else VARIANTS[name]()
