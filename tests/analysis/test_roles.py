"""Helper/client roles: given, scripted or inferred (analysis/speakers/roles.py)."""

from __future__ import annotations

import pytest

from analysis.errors import ParameterError
from analysis.schema import CLIENT, HELPER, Turn
from analysis.speakers.activity import activity_from_channels
from analysis.speakers.roles import RoleAssignment, assign_roles
from analysis.speakers.turns import build_turns
from tests.speaker_fixtures import NAMES, load, truth_words


def _t(speaker, text, start, end):
    return Turn(speaker=speaker, text=text, start=start, end=end)


DIALOGUE = [
    _t("spk0", "I don't know, I just feel stuck and my family keeps asking me when I'll get a job.", 0, 6),
    _t("spk1", "It sounds like you're feeling a lot of pressure. What is that like for you?", 6.5, 10),
    _t("spk0", "It's hard. I keep thinking I let everyone down, and I can't sleep.", 10.5, 15),
    _t("spk1", "You're worried about disappointing them.", 15.5, 17.5),
]


def test_inferred_from_questions_and_reflections():
    turns, ra = assign_roles(DIALOGUE)
    assert ra.helper == "spk1" and ra.client == "spk0" and ra.method == "inferred"
    assert ra.confidence > 0.8
    assert [t.role for t in turns] == [CLIENT, HELPER, CLIENT, HELPER]
    assert RoleAssignment.from_dict(ra.to_dict()) == ra


def test_user_choice_overrides():
    turns, ra = assign_roles(DIALOGUE, helper="spk0")
    assert ra.helper == "spk0" and ra.method == "given" and ra.confidence == 1.0
    assert turns[0].role == HELPER
    with pytest.raises(ParameterError):
        assign_roles(DIALOGUE, helper="spk7")


@pytest.mark.parametrize("name", [n for n in NAMES if n != "one_speaker"])
def test_fixture_roles_inferred_from_channels(name):
    stereo, sr, truth = load(name)
    act = activity_from_channels(stereo, sr)  # ch0 / ch1, roles unknown
    words = truth_words(truth, {HELPER: "ch0", CLIENT: "ch1"})
    _, ra = assign_roles(build_turns(words, act))
    assert ra.helper == "ch0", ra.scores


def test_one_speaker_scripted_and_empty():
    _, ra = assign_roles([_t("spk0", "hello", 0, 1)])
    assert ra.helper == "spk0" and ra.client is None and ra.notes
    _, ra = assign_roles([_t(HELPER, "hi", 0, 1), _t(CLIENT, "hello", 1, 2)])
    assert ra.method == "scripted" and ra.roles == {HELPER: HELPER, CLIENT: CLIENT}
    turns, ra = assign_roles([])
    assert turns == [] and ra.helper is None
    # no words: the quieter speaker is taken as the helper, with a note
    _, ra = assign_roles([_t("a", "", 0, 10), _t("b", "", 10, 12)])
    assert ra.helper == "b" and ra.method == "default" and ra.confidence == 0.5


def test_real_transcription_end_to_end():
    """faster-whisper (tiny.en) on the mono mix, speakers from the channels, roles inferred."""
    from analysis.timing.metrics import timing_metrics
    from audio.transcribe import transcribe
    from tests.speaker_fixtures import mono

    stereo, sr, truth = load("interruptions")
    transcript = transcribe(mono(stereo))
    assert len(transcript.words) > 60
    act = activity_from_channels(stereo, sr)
    turns, ra = assign_roles(build_turns(transcript.words, act))
    assert ra.helper == "ch0" and ra.method == "inferred"
    m = timing_metrics(turns, act)
    assert len(m.interruptions) == 2
    first = m.interruptions[0]
    assert abs(first.start - 20.09) <= 0.3
    assert "invite" in (first.text + " " + first.after).lower()
    assert first.before  # the words before it are there to quote
    assert len(m.backchannels) == 1
