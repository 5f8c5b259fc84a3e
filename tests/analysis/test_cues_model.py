"""The shipped behaviour classifier on hand-written dialogue (not AnnoMI text) and its JSON form."""

from __future__ import annotations

import json

from analysis.cues.detect import CueOptions, detect_cues
from analysis.cues.model import MODEL_PATH, BehaviourModel, default_model
from analysis.schema import CLIENT, HELPER, Turn

DIALOGUE = [
    (HELPER, "Thanks for coming in today. What would you like to talk about?"),
    (CLIENT, "My drinking, I guess. I've been having six or seven beers every night after work."),
    (HELPER, "So you're drinking most nights, and it's starting to worry you."),
    (CLIENT, "Yeah, exactly. My wife is upset about it too."),
    (HELPER, "Mm-hmm."),
    (CLIENT, "I really want to cut down, it's ruining my marriage."),
    (HELPER, "Nicotine patches and medication double the chances of quitting, according to several studies."),
    (CLIENT, "Okay."),
    (HELPER, "Do you drink on weekends as well?"),
]


def turns_of(lines):
    return [Turn(speaker=r, text=t, role=r, index=i, start=3.0 * i, end=3.0 * i + 2.5) for i, (r, t) in enumerate(lines)]


def test_shipped_weights_are_small_and_load():
    assert MODEL_PATH.is_file()
    assert MODEL_PATH.stat().st_size < 20e6
    assert isinstance(default_model(), BehaviourModel)


def test_classifier_codes_hand_written_dialogue():
    res = detect_cues(turns_of(DIALOGUE))
    assert res.classifier == "model"
    codes = {b.turn_index: b.behaviour for b in res.behaviours}
    assert codes == {0: "question", 2: "reflection", 4: "other", 6: "input", 8: "question"}
    sub = {b.turn_index: b.subtype for b in res.behaviours}
    assert sub[0] == "open" and sub[8] == "closed"
    for b in res.behaviours:
        assert abs(sum(b.probabilities.values()) - 1.0) < 1e-3
    talk = {c.turn_index: c.kind for c in res.cues if c.kind.endswith("_talk")}
    assert talk.get(5) == "change_talk"
    json.dumps(res.to_dict())  # plain JSON types only


def test_model_and_rules_agree_on_clear_cases():
    rules = detect_cues(turns_of(DIALOGUE), CueOptions(use_model=False))
    assert rules.classifier == "rules"
    codes = {b.turn_index: b.behaviour for b in rules.behaviours}
    assert codes[0] == "question" and codes[2] == "reflection" and codes[8] == "question"


def test_long_session_codes_every_helper_turn():
    """A 108-turn session (about a 15-minute role-play) gets a code for each of its 60 helper turns.

    Its speed is measured by ``listenwell eval cues`` (seconds per AnnoMI session, printed and
    kept in benchmarks/results/cues-eval.json), not timed here.
    """
    long_session = turns_of(DIALOGUE * 12)
    res = detect_cues(long_session)
    assert res.classifier == "model"
    helper_turns = [i for i, t in enumerate(long_session) if t.role == HELPER and t.text.strip()]
    assert sorted(b.turn_index for b in res.behaviours) == helper_turns
    assert len(helper_turns) == 60
    # the same text gets the same code in every repeat of the dialogue
    codes = {b.turn_index: b.behaviour for b in res.behaviours}
    period = len(DIALOGUE)
    assert all(codes[i] == codes[i % period] for i in helper_turns)


def test_fragment_context_joins_split_utterance():
    from analysis.cues.features import contexts

    turns = turns_of([(HELPER, "So you've been-"), (CLIENT, "Mm-hmm."), (HELPER, "-drinking more since the move."),
                      (CLIENT, "Yes."), (HELPER, "What changed?")])
    cs = contexts(turns, HELPER)
    assert cs[0].joined == "So you've been- -drinking more since the move."
    assert cs[1].joined == cs[0].joined
    assert cs[2].joined == "" and cs[2].prev_client == "Yes." and cs[2].next_client == ""


class _Label:
    def __init__(self, behaviour: str = "", talk: str = ""):
        self.behaviour, self.talk, self.question, self.reflection, self.input = behaviour, talk, "", "", ""


_CODES = {0: "question", 2: "reflection", 4: "other", 6: "input", 8: "question"}


def _corpus(n: int = 4):
    turns = turns_of(DIALOGUE)
    labels = [_Label(_CODES[i]) if t.role == HELPER else _Label(talk="neutral") for i, t in enumerate(turns)]
    return [(turns, labels)] * n


def test_variant_hooks_feed_both_stages():
    """Subclasses change the main stages' features and contexts through ``_featurizer``/``_contexts``."""
    from analysis.cues.features import TextFeaturizer, contexts

    seen = []

    class OnlyPrevClient(BehaviourModel):
        def _featurizer(self):
            return TextFeaturizer(context_fields=("prev_client",))

        def _contexts(self, turns):
            cs = contexts(turns, HELPER)
            seen.append(len(cs))
            return cs[:-1]  # leave the last helper turn uncoded

    m = OnlyPrevClient().fit(_corpus())
    assert m.feat1.context_fields == ("prev_client",)
    assert seen == [5, 5, 5, 5]
    codes = m.predict_session(turns_of(DIALOGUE)).helper
    assert sorted(codes) == [0, 2, 4, 6]
    plain = BehaviourModel().fit(_corpus())
    assert plain.feat1.context_fields == ("prev_client", "next_client")
    assert sorted(plain.predict_session(turns_of(DIALOGUE)).helper) == [0, 2, 4, 6, 8]
