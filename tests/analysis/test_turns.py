"""Words to speakers and turns (analysis/speakers/turns.py)."""

from __future__ import annotations

from analysis.schema import CLIENT, HELPER, Word
from analysis.schema import SpeechRegion as R
from analysis.speakers.activity import SpeakerActivity
from analysis.speakers.turns import assign_words, build_turns, turns_from_activity
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
    from analysis.speakers.activity import activity_from_channels

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


def test_changes_move_to_sentence_ends():
    act = _act([R(0.0, 3.0, CLIENT), R(3.4, 6.0, HELPER)], source="diarization")
    # Whisper put "Have you" early, inside the client's speech
    words = [Word(0.1, 1.0, "It's"), Word(1.1, 2.5, "hard."), Word(2.6, 2.9, "Have"), Word(2.9, 3.3, "you"),
             Word(3.5, 4.5, "tried"), Word(4.6, 5.8, "walking?")]
    turns = build_turns(words, act)
    assert [(t.speaker, t.text) for t in turns] == [(CLIENT, "It's hard."), (HELPER, "Have you tried walking?")]
    # the client's last word, heard late, goes back to the client
    words = [Word(0.1, 1.0, "It's"), Word(1.1, 2.9, "really"), Word(3.0, 3.5, "hard."),
             Word(3.6, 4.5, "Tell"), Word(4.6, 5.8, "me.")]
    turns = build_turns(words, act)
    assert [(t.speaker, t.text) for t in turns] == [(CLIENT, "It's really hard."), (HELPER, "Tell me.")]
    # a genuine mid-sentence change (an interruption) stays where the audio puts it
    words = [Word(0.1, 1.0, "I"), Word(1.1, 2.0, "was"), Word(2.1, 2.9, "going"), Word(3.5, 4.0, "Stop"),
             Word(4.1, 4.5, "there"), Word(4.6, 5.0, "please.")]
    turns = build_turns(words, act)
    assert [t.speaker for t in turns] == [CLIENT, HELPER]
    # with one speaker per channel the audio decides, even mid-sentence
    words = [Word(0.1, 1.0, "It's"), Word(1.1, 2.5, "hard."), Word(2.6, 2.9, "Have"), Word(2.9, 3.3, "you"),
             Word(3.5, 4.5, "tried"), Word(4.6, 5.8, "walking?")]
    chan = _act([R(0.0, 3.0, CLIENT), R(3.4, 6.0, HELPER)], source="channels")
    assert build_turns(words, chan)[0].text == "It's hard. Have you"


def test_sentence_carried_across_a_change_is_joined():
    act = _act([R(0.0, 4.0, CLIENT), R(6.0, 8.0, HELPER)], source="diarization")
    # Whisper put the helper's first words right after the client, 2 s early
    words = [Word(0.1, 1.5, "Lonely."), Word(1.6, 2.5, "Nobody"), Word(2.5, 3.9, "knew."),
             Word(3.9, 4.2, "That"), Word(4.2, 4.5, "sounds"), Word(6.0, 6.5, "like"),
             Word(6.5, 7.0, "a"), Word(7.0, 7.9, "struggle.")]
    turns = build_turns(words, act)
    assert [(t.speaker, t.text) for t in turns] == [
        (CLIENT, "Lonely. Nobody knew."), (HELPER, "That sounds like a struggle.")]


def test_a_short_answer_in_the_clear_takes_the_floor():
    """'Did you tell him?' / 'No.' / 'Have you talked to your sponsor?': three turns, not one question turn.

    A short client region in a helper silence of at least ANSWER_GAP s, overlapping none of the helper's
    speech, takes the floor; the same short region laid over the helper's talk, or in a short pause, does not."""
    from analysis.speakers.turns import ANSWER_GAP

    act = _act([R(0.0, 1.5, HELPER), R(2.2, 2.6, CLIENT), R(3.3, 5.0, HELPER)])
    assert 3.3 - 1.5 >= ANSWER_GAP
    assert [t.speaker for t in turns_from_activity(act)] == [HELPER, CLIENT, HELPER]
    # in a short pause (0.9 s): a backchannel, the helper's turn goes on
    act = _act([R(0.0, 1.5, HELPER), R(1.6, 2.0, CLIENT), R(2.4, 5.0, HELPER)])
    assert [t.speaker for t in turns_from_activity(act)] == [HELPER, CLIENT]
    # over the helper's talk: a backchannel
    act = _act([R(0.0, 5.0, HELPER), R(2.0, 2.4, CLIENT), R(6.0, 7.0, HELPER)])
    assert [t.speaker for t in turns_from_activity(act)] == [HELPER, CLIENT]
