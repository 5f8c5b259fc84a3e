"""Words to speakers and turns (analysis/turns.py)."""

from __future__ import annotations

from analysis.schema import CLIENT, HELPER, SpeechRegion as R, Word
from analysis.speakers import SpeakerActivity
from analysis.turns import assign_words, build_turns, turns_from_activity
from tests.speaker_fixtures import load, truth_words


def _act(regions, duration=30.0, source="reference"):
    return SpeakerActivity(tuple(regions), tuple(dict.fromkeys(r.speaker for r in regions)), source, duration)


def test_words_go_to_the_covering_speaker():
    act = _act([R(0.0, 2.0, "spk0"), R(2.4, 4.0, "spk1")])
    words = [Word(0.1, 0.5, "hello"), Word(0.6, 1.9, "there"), Word(2.5, 3.0, "hi"),
             Word(4.2, 4.4, "late"), Word(9.0, 9.5, "orphan")]
    out = assign_words(words, act)
    assert [w.speaker for w in out] == ["spk0", "spk0", "spk1", "spk1", "spk1"]
    # a word that already has a speaker (per-channel transcript) keeps it
    assert assign_words([Word(0.1, 0.5, "x", speaker="spk1")], act)[0].speaker == "spk1"


def test_backchannel_does_not_split_the_turn():
    act = _act([R(0.0, 6.0, CLIENT), R(2.0, 2.4, HELPER), R(6.5, 8.0, HELPER)])
    words = [Word(0.2, 1.0, "I", speaker=CLIENT), Word(1.1, 1.9, "was", speaker=CLIENT),
             Word(2.0, 2.4, "mm-hmm", speaker=HELPER), Word(2.5, 5.9, "alone", speaker=CLIENT),
             Word(6.5, 8.0, "Tell me more", speaker=HELPER)]
    turns = build_turns(words, act)
    assert [(t.speaker, t.text) for t in turns] == [
        (CLIENT, "I was alone"), (HELPER, "mm-hmm"), (HELPER, "Tell me more")]
    assert turns[0].start == 0.0 and turns[0].end == 6.0  # times from the audio
    assert [t.index for t in turns] == [0, 1, 2]


def test_turns_on_fixture_follow_truth():
    stereo, sr, truth = load("good_listener")
    from analysis.speakers import activity_from_channels

    act = activity_from_channels(stereo, sr, speakers=[HELPER, CLIENT])
    turns = build_turns(truth_words(truth), act)
    want = [(t["speaker"], t["text_spoken"]) for t in truth["turns"]]
    assert [(t.speaker, t.text) for t in turns] == want
    for t, w in zip(turns, truth["turns"]):
        assert abs(t.start - w["start"]) <= 0.1 and abs(t.end - w["end"]) <= 0.1


def test_without_words_or_without_activity():
    act = _act([R(0.0, 1.0, "a"), R(1.5, 2.0, "a"), R(3.0, 5.0, "b"), R(6.0, 7.0, "a")])
    turns = turns_from_activity(act)
    assert [(t.speaker, t.start, t.end) for t in turns] == [("a", 0.0, 2.0), ("b", 3.0, 5.0), ("a", 6.0, 7.0)]
    assert build_turns([], act) == turns
    none = _act([])
    words = [Word(0.0, 0.5, "x", speaker="a"), Word(0.6, 1.0, "y", speaker="b")]
    assert [t.text for t in build_turns(words, none)] == ["x", "y"]
    assert build_turns([], none) == []
