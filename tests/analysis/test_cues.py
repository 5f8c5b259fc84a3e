"""Known answers for every text cue on hand-written utterances (rules), cross-turn events, edge cases."""

from __future__ import annotations

import pytest

from analysis.cues.detect import CueOptions, CueResult, detect_cues, rule_behaviour
from analysis.errors import ListenWellError, ParameterError
from analysis.schema import CLIENT, HELPER, Turn

RULES = CueOptions(use_model=False)


def session(*lines: tuple[str, str], timed: bool = True) -> list[Turn]:
    return [Turn(speaker=r, text=t, role=r, index=i, start=2.0 * i if timed else None,
                 end=2.0 * i + 1.5 if timed else None) for i, (r, t) in enumerate(lines)]


def helper_cues(text: str, client: str = "I have been drinking a lot lately.", options: CueOptions = RULES):
    res = detect_cues(session((CLIENT, client), (HELPER, text)), options)
    return {c.kind: c.label for c in res.cues if c.turn_index == 1}


def client_cues(text: str, options: CueOptions = RULES):
    res = detect_cues(session((HELPER, "How have things been?"), (CLIENT, text)), options)
    return {c.kind: c.label for c in res.cues if c.turn_index == 1}


@pytest.mark.parametrize("text,label", [
    ("What brings you here today?", "open"),
    ("How do you feel about that?", "open"),
    ("Tell me more about what happened at home.", "open"),
    ("Do you drink every day?", "closed"),
    ("How many drinks did you have on Saturday?", "closed"),
    ("Okay. Is your wife worried about it?", "closed"),
    ("Where would you like to start?", "open"),
    ("When did you start drinking?", "closed"),
])
def test_questions_open_and_closed(text, label):
    assert helper_cues(text).get("question") == label


def test_negative_question_that_sounds_like_validation():
    cues = helper_cues("I hear you're sure you don't want advice?")
    assert cues.get("question") == "closed"
    assert "validation" not in cues and "reflection" not in cues


def test_reflections_simple_and_complex():
    client = "I drink every night after work."
    assert helper_cues("So you drink every night after work.", client).get("reflection") == "simple"
    cues = helper_cues("It sounds like part of you feels ashamed of it, and part of you needs it to unwind.",
                       "My wife keeps nagging me about the beer.")
    assert cues.get("reflection") == "complex"
    assert "reflection" not in helper_cues("We give this form to everyone once a year.")
    assert "reflection" in helper_cues("You're afraid this could cost you her trust.")
    assert "reflection" not in helper_cues("You're afraid of what, exactly?")


@pytest.mark.parametrize("kind,positive,negative", [
    ("validation", "That makes a lot of sense after everything you've been through.", "Does that make sense?"),
    ("validation", "No wonder you feel exhausted.", "I wonder what you did next."),
    ("validation", "I'm so sorry you're going through this.", "I'm sorry, I missed that."),
    ("validation", "I've been there too, and it's so hard.", "I've been to Paris twice."),
    ("affirmation", "That took a lot of courage, coming here today.", "It took a long time to get here."),
    ("advice", "Why don't you call your sister tonight?", "So you feel you have to work late every night."),
    ("advice", "You should just try going to a meeting.", "What do you think might help?"),
    ("advice", "Have you thought about calling your sponsor?", "Have you been sleeping?"),
    ("permission", "Would it be okay if I shared a few ideas?", "Would you like a coffee?"),
    ("minimising", "At least you still have your job.", "What is the least you could manage?"),
    ("minimising", "Calm down, don't worry about it.", "You seem calm today."),
    ("seeking_collaboration", "What do you think we could try together?", "I will decide the plan."),
    ("emphasising_autonomy", "It's completely up to you.", "It's up on the shelf."),
    ("persuade", "The fact is you need to stop now.", "You stopped last year."),
    ("confront", "You're in denial about this.", "You're in Denver this week."),
])
def test_helper_cue_known_answers(kind, positive, negative):
    assert kind in helper_cues(positive), positive
    assert kind not in helper_cues(negative), negative


def test_jargon_and_fillers():
    cues = helper_cues("Um, so, uh, your IOP and relapse prevention plan need a level of care review.")
    assert cues["filler"] == "2"
    assert {"IOP", "relapse prevention plan", "level of care"} <= set(cues["jargon"].split(", "))  # the table's names
    plain = helper_cues("How was your weekend with the kids?")
    assert "jargon" not in plain and "filler" not in plain


@pytest.mark.parametrize("text,kind,label", [
    ("I feel so ashamed of what I did.", "feeling_disclosure", "ashamed"),
    ("It makes me angry when he does that.", "feeling_disclosure", "angry"),
    ("I feel like I'm drowning.", "feeling_disclosure", "drowning"),
    ("I want to cut down on my drinking.", "change_talk", ""),
    ("I'm ready to make a change.", "change_talk", ""),
    ("I don't want to quit, it helps me relax.", "sustain_talk", ""),
    ("It's not a problem, everybody does it.", "sustain_talk", ""),
])
def test_client_cue_known_answers(text, kind, label):
    assert client_cues(text).get(kind) == label


def test_client_neutral_has_no_cues():
    assert client_cues("I went to the store on Tuesday.") == {}


def test_solution_before_exploration_and_topic_avoidance():
    bad = detect_cues(session(
        (CLIENT, "I feel so alone since my wife left."),
        (HELPER, "You should join a gym, it gets you out of the house."),
        (CLIENT, "Maybe."),
        (HELPER, "Anyway, how is work going?"),
    ), RULES)
    kinds = {(e.kind, e.turn_index) for e in bad.events}
    assert ("solution_before_exploration", 1) in kinds
    assert ("topic_avoidance", 1) in kinds
    missed = [e for e in bad.events if e.kind == "feeling_missed"]
    assert [e.label for e in missed] == ["alone"]
    assert missed[0].trigger_index == 0 and missed[0].start == 2.0

    good = detect_cues(session(
        (CLIENT, "I feel so alone since my wife left."),
        (HELPER, "You've been feeling really alone since she left."),
        (CLIENT, "Yes, the house is so quiet."),
        (HELPER, "Have you thought about joining a club?"),
    ), RULES)
    kinds = {e.kind for e in good.events}
    assert "solution_before_exploration" not in kinds and "topic_avoidance" not in kinds
    assert [e.label for e in good.events if e.kind == "feeling_reflected"] == ["alone"]
    assert good.summary.feelings_reflected_share == 1.0


def test_explicit_topic_change_is_avoidance():
    res = detect_cues(session((CLIENT, "I'm scared I'll relapse again."), (HELPER, "Anyway, let's move on to your housing.")),
                      RULES)
    ev = [e for e in res.events if e.kind == "topic_avoidance"]
    assert ev and ev[0].label == "explicit"


def test_cue_carries_quote_and_times():
    res = detect_cues(session((CLIENT, "I drink a lot."), (HELPER, "What worries you most about it?")), RULES)
    q = res.cues_of("question")[0]
    assert (q.turn_index, q.quote, q.start, q.end, q.role) == (1, "What worries you most about it?", 2.0, 3.5, HELPER)


def test_miti_summary_counts():
    res = detect_cues(session(
        (CLIENT, "I drink every night."), (HELPER, "So you drink every night."),
        (CLIENT, "Yes."), (HELPER, "What would you like to change?"),
        (CLIENT, "Not sure."), (HELPER, "Do you drink alone?"),
        (CLIENT, "Yes."), (HELPER, "You should stop drinking alone."),
    ), RULES)
    s = res.summary
    assert (s.helper_utterances, s.questions, s.open_questions, s.reflections, s.advice) == (4, 2, 1, 1, 1)
    assert s.reflection_to_question == 0.5 and s.pct_open_questions == 50.0 and s.advice_share == 0.25
    assert 0.0 < s.helper_word_share < 1.0


def test_round_trip():
    res = detect_cues(session((CLIENT, "I feel hopeless."), (HELPER, "You should just relax, at least it's Friday.")))
    again = CueResult.from_dict(res.to_dict())
    assert again == res
    assert again.to_dict() == res.to_dict()


@pytest.mark.parametrize("turns,note", [
    ([], "empty"),
    ([Turn("client", "", role=CLIENT)], "empty"),
    ([Turn("client", "I feel awful.", role=CLIENT)], "helper never speaks"),
    ([Turn("helper", "Hi.", role=HELPER)], "client never speaks"),
])
def test_partial_results(turns, note):
    res = detect_cues(turns)
    assert res.partial and any(note in n for n in res.notes)


def test_one_word_session_is_safe():
    res = detect_cues(session((HELPER, "Hello."), (CLIENT, "Hi.")))
    assert not res.partial and res.summary.helper_utterances == 1
    assert rule_behaviour("Hello.") == ("other", "")


def test_non_english_text_is_marked_partial():
    res = detect_cues(session(
        (CLIENT, "Je me sens très seul depuis que ma femme est partie, vraiment."),
        (HELPER, "Qu'est-ce que tu ressens maintenant quand tu es seul à la maison?"),
    ))
    assert res.partial and res.cues == () and any("English" in n for n in res.notes)
    assert res.summary.helper_utterances == 1


def test_bad_options_raise_typed_error():
    with pytest.raises(ParameterError):
        CueOptions(response_window=0)
    with pytest.raises(ListenWellError):
        CueOptions(min_confidence=1.5)


def test_advice_after_permission_is_labelled():
    res = detect_cues(session(
        (CLIENT, "I can't sleep at all."), (HELPER, "Would it be okay if I shared a few ideas?"),
        (CLIENT, "Sure."), (HELPER, "You could try keeping the phone out of the bedroom."),
        (CLIENT, "Hm."), (HELPER, "Have you thought about cutting coffee after lunch?"),
        (CLIENT, "Maybe."), (HELPER, "How does that sound?"),
        (CLIENT, "Fine."), (HELPER, "Okay."), (CLIENT, "Yes."), (HELPER, "You should also exercise."),
    ), RULES)
    labels = {c.turn_index: c.label for c in res.cues_of("advice")}
    assert labels == {3: "after_permission", 5: "after_permission", 11: "unasked"}
    assert res.summary.advice == 3 and res.summary.advice_after_permission == 2


def test_non_turn_input_raises_typed_error():
    with pytest.raises(ParameterError, match="Turn objects"):
        detect_cues(["hello there"])
