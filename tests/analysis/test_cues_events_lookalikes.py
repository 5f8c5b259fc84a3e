"""Cross-turn look-alikes: a question that points back at what was said vs one about something new,
and a feeling shown (crying, "I feel like I failed him") vs named."""

from __future__ import annotations

import pytest

from analysis.cues.client import match_emotion_shown
from analysis.cues.detect import CueOptions, detect_cues
from analysis.cues.events import asks_about
from analysis.schema import CLIENT, HELPER, Turn

SCARED = "I still can't sleep, though. I'm so scared."


@pytest.mark.parametrize("question, about", [
    ("What was that like?", True),
    ("How did that feel?", True),
    ("Tell me about that.", True),
    ("What is that fear about for you?", True),
    ("So what did you do this weekend?", False),  # "this" names a new thing
    ("How is that new job going?", False),
    ("What are you having for dinner tonight?", False),
])
def test_a_question_points_back_only_with_that_or_this_as_a_pronoun(question, about):
    assert asks_about(question, SCARED) is about


@pytest.mark.parametrize("text, shown", [
    ("Um, the job's fine. I just feel like I failed him. I was sobbing in the parking lot.", True),
    ("Nothing much. I cried most of Sunday, to be honest.", True),
    ("I feel like going to the meeting tonight.", False),
    ("She picks the place. I'm dreading it, honestly.", True),
    ("One hour with my daughter. I feel like I'm being punished.", True),
    ("Did you cry when he left?", False),
    ("Yeah. But some nights I just lie there and cry. It wears on you, you know?", True),
    ("Most nights I cry myself to sleep.", True),
    ("Maybe. Some nights I just cry. Grown man, sitting out there with a dog.", True),
    ("I just cry at movies, always have.", False),
    ("I don't cry at movies.", False),
    ("I sit and watch the game with him.", False),
])
def test_a_feeling_shown_is_a_disclosure(text, shown):
    assert bool(match_emotion_shown(text)) is shown


def _turns(*pairs):
    out, t = [], 0.0
    for i, (role, text) in enumerate(pairs):
        out.append(Turn(speaker=role, text=text, start=t, end=t + 3.0, role=role, index=i))
        t += 3.5
    return out


def test_an_unrelated_question_after_a_feeling_shown_is_topic_avoidance():
    turns = _turns((CLIENT, "Nothing much. I cried most of Sunday, to be honest."),
                   (HELPER, "So what did you do this weekend?"))
    res = detect_cues(turns, CueOptions(use_model=False))
    kinds = {(e.kind, e.turn_index) for e in res.events}
    assert ("topic_avoidance", 1) in kinds
    same = _turns((CLIENT, "Nothing much. I cried most of Sunday, to be honest."),
                  (HELPER, "What was that like, crying all day?"))
    assert not any(e.kind == "topic_avoidance" for e in detect_cues(same, CueOptions(use_model=False)).events)


@pytest.mark.parametrize("text, feeling", [
    ("The plant is cutting hours anyway, I'm down to thirty a week.", False),  # down to a number
    ("I lost my job last week.", False),  # an event, not a named feeling
    ("I'm low on money until Friday.", False),
    ("I've been down since she left.", True),
    ("I lost my job and I feel lost.", True),
    ("I'm dreading Saturday.", True),
])
def test_a_feeling_word_in_another_sense_is_no_disclosure(text, feeling):
    turns = _turns((CLIENT, text), (HELPER, "Mm-hmm."))
    res = detect_cues(turns, CueOptions(use_model=False))
    assert any(c.kind == "feeling_disclosure" for c in res.cues) is feeling


ANGRY = "I start Monday. But I can't stop thinking about him. I'm so angry at him for taking that pill."


@pytest.mark.parametrize("reply, stays", [
    ("Monday, nice. What shift did they put you on?", False),  # a word of the turn, not of the feeling
    ("What is it like, being that angry at him?", True),
    ("What keeps pulling your thoughts back to him?", True),  # the sentence beside the feeling
])
def test_a_question_stays_with_a_feeling_only_about_what_the_feeling_is_about(reply, stays):
    turns = _turns((CLIENT, ANGRY), (HELPER, reply))
    events = detect_cues(turns, CueOptions(use_model=False)).events
    assert any(e.kind == "feeling_reflected" for e in events) is stays
    assert any(e.kind == "feeling_missed" for e in events) is not stays


def test_a_disclosure_with_one_feeling_sentence_keeps_its_neighbours():
    from analysis.cues.events import feeling_context

    assert feeling_context(ANGRY) == "But I can't stop thinking about him. I'm so angry at him for taking that pill."
    assert feeling_context("I lost my job last week. I feel so ashamed.") == "I lost my job last week. I feel so ashamed."
    assert feeling_context("Marcus died Saturday.") == "Marcus died Saturday."


def test_only_the_asking_sentence_points_back():
    assert not asks_about("That's a long time. So what are you up to this weekend? Anything fun planned?", SCARED)
    assert asks_about("That's a long time. What was that like?", SCARED)


SON = "I see them Sundays. I should be happy on Sundays and I'm just tired. My son asked me why I don't smile anymore."


@pytest.mark.parametrize("question, about", [
    ("That question must have landed hard. What did you tell him?", True),  # "him": the son
    ("What did he say after that?", True),
    ("What did she say?", False),  # no woman or girl in what the client said
    ("So how's your own mom doing, is she still out in Dayton?", False),  # names its own person first
    ("How are the kids doing at school?", False),
])
def test_a_pronoun_points_back_only_at_someone_the_client_named(question, about):
    assert asks_about(question, SON) is about


def test_they_points_back_at_people_the_client_named():
    assert asks_about("How did they take it?", "I finally told my parents about the pills. I was so scared.")
    assert not asks_about("How did he take it?", "I finally told my parents about the pills. I was so scared.")
    # "they": nobody the client named (the boss who sets the shifts)
    assert not asks_about("What shift did they put you on?", "I can't stop thinking about him. I'm so angry at him.")


def test_a_closed_question_about_a_fact_beside_the_feeling_moves_away():
    merged = "I start Monday, but I can't stop thinking about him. I'm so angry at him for taking that pill."
    turns = _turns((CLIENT, merged), (HELPER, "Monday, nice. Did they put you on nights?"))
    events = detect_cues(turns, CueOptions(use_model=False)).events
    assert any(e.kind == "feeling_missed" for e in events) and any(e.kind == "topic_avoidance" for e in events)
    turns = _turns((CLIENT, merged), (HELPER, "Are you angry at him most of the day?"))
    assert not any(e.kind == "topic_avoidance" for e in detect_cues(turns, CueOptions(use_model=False)).events)


def test_a_lone_right_with_a_rising_voice_is_a_backchannel_not_a_question():
    from analysis.cues.text import is_backchannel

    assert is_backchannel("right?") and is_backchannel("Yeah?") and is_backchannel("Mm-hmm.")
    assert not is_backchannel("Is your sponsor coming?")
    turns = _turns((CLIENT, ANGRY), (HELPER, "right?"), (HELPER, "What is it like, being that angry at him?"))
    events = detect_cues(turns, CueOptions(use_model=False)).events
    assert not any(e.kind == "topic_avoidance" for e in events) and any(e.kind == "feeling_reflected" for e in events)


def test_a_short_turn_inside_the_disclosure_is_not_the_reply():
    # h135 in stereo: a word of the client's caught beside the helper's "mm" inside the client's turn
    turns = [
        Turn("c", "I put my keys down and I just stand there in the kitchen. I feel so lost in that house.", 54.9, 71.8,
             CLIENT, index=0),
        Turn("h", "door? MMM,", 63.6, 64.2, HELPER, index=1),
        Turn("h", "So lost, standing in the kitchen you shared. What is that like, coming home to it?", 72.4, 82.3,
             HELPER, index=2),
    ]
    events = detect_cues(turns, CueOptions(use_model=False)).events
    assert not any(e.kind in ("topic_avoidance", "feeling_missed") for e in events)
    assert any(e.kind == "feeling_reflected" and e.turn_index == 2 for e in events)
    # the same words after the client has finished are the reply, and a question about something else
    late = [turns[0], Turn("h", "door? MMM,", 72.0, 72.6, HELPER, index=1), turns[2]]
    assert any(e.kind == "topic_avoidance" and e.turn_index == 1 for e in detect_cues(late, CueOptions(use_model=False)).events)
