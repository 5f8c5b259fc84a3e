"""The one cue decision per helper utterance: rules that hold whatever the model says, and their look-alikes."""

from __future__ import annotations

import pytest

from analysis.cues.decide import clauses, decide_turn
from analysis.cues.detect import CueOptions, detect_cues
from analysis.cues.reply import classify_reply
from analysis.cues.view import cue_view
from analysis.schema import CLIENT, HELPER, Turn

RULES = CueOptions(use_model=False)
SHAME = "I relapsed last weekend and I feel so ashamed. I had ninety days."
# what the model might say, very sure of itself: the rules must still hold
SURE = {b: {"question": 0.02, "reflection": 0.02, "input": 0.02, "other": 0.02, b: 0.94}
        for b in ("question", "reflection", "input", "other")}


def decide(text: str, model: str | None = None, client: str = SHAME, **kw):
    return decide_turn(text, client, model_behaviour=model, probabilities=SURE[model] if model else None, **kw)


@pytest.mark.parametrize("model", [None, "reflection", "question", "other"])
@pytest.mark.parametrize("text", [
    "Don't be so hard on yourself. At least it was only once.",
    "Don't worry, everyone slips.",
    "Aw, it's not that bad. Look on the bright side.",
    "Well, it could be worse.",
    "Oh great, so the first bad day and you're back at the bar.",
    "Yeah right, you were just going to have one.",
    "Oh, sure. Two weeks off meetings, because that always goes well.",
    "Six hours at the casino and you walked out with five bucks. Should we throw you a party?",
    "You're in denial about this.",
    "Have you thought about going to a meeting?",
    "Why don't you call your sponsor?",
    "Have you tried going for a walk when it hits?",
    "Could you just stop going to that bar?",
    "You should call your sponsor right away.",
])
def test_minimising_sarcasm_confronting_and_advice_are_never_a_reflection(text, model):
    d = decide(text, model)
    assert "reflection" not in d.behaviour and not d.has("reflection"), d.reason
    assert not {"simple_reflection", "complex_reflection"} & set(d.codes)
    if model == "reflection":
        assert d.model_behaviour == "reflection"  # the rules overruled a sure model, and say so
        assert "not a reflection" in d.reason


@pytest.mark.parametrize("text,kind,label", [
    ("Don't be so hard on yourself. At least it was only once.", "minimising", ""),
    ("Don't worry, everyone slips.", "minimising", ""),
    ("Oh great, so the first bad day and you're back at the bar.", "confront", "sarcasm"),
    ("You're in denial about this.", "confront", ""),
])
def test_the_fix_is_coded_as_what_it_is(text, kind, label):
    d = decide(text, "reflection")
    assert d.hit(kind) is not None and d.hit(kind).label == label
    assert d.behaviour == "other"


def test_warm_minimising_versus_validation():
    warm = decide("Aw, don't be so hard on yourself, everyone slips.", "reflection")
    assert "minimising" in warm.codes and "validation" not in warm.codes
    val = decide("That makes sense you'd feel that way.", "reflection")
    assert "validation" in val.codes and "minimising" not in val.codes
    assert val.behaviour == "reflection" and not val.model_behaviour  # nothing overruled
    assert classify_reply("That makes sense you'd feel that way.", SHAME, use_model=False).move == "reflection"
    assert classify_reply("Aw, don't be so hard on yourself, everyone slips.", SHAME,
                          use_model=False).move == "fixing"


@pytest.mark.parametrize("model", [None, "question"])
def test_advice_as_a_question_versus_an_open_question(model):
    for text in ("Have you thought about going to a meeting?", "Why don't you call your sponsor?",
                 "Have you tried calling someone?", "Could you just stay home on Friday?"):
        d = decide(text, model)
        assert d.behaviour == "input" and d.subtype == "advice", text
        assert "advice" in d.codes and not {"open_question", "closed_question"} & set(d.codes), text
    d = decide("What do you think might help?", model)
    assert d.behaviour == "question" and "open_question" in d.codes and "advice" not in d.codes
    assert classify_reply("What do you think might help?", SHAME, use_model=False).move == "open_question"
    assert classify_reply("Have you thought about going to a meeting?", SHAME, use_model=False).move == "fixing"


def test_advice_after_permission_versus_unasked_advice():
    asked = decide("Would it be okay if I shared an idea? You could try calling your sponsor tonight.", "input")
    assert "advice_after_permission" in asked.codes and asked.hit("advice").label == "after_permission"
    earlier = decide("You could try calling your sponsor tonight.", "input", permission_before=True)
    assert earlier.hit("advice").label == "after_permission"
    unasked = decide("You could try calling your sponsor tonight.", "input")
    assert unasked.hit("advice").label == "unasked" and "advice_after_permission" not in unasked.codes
    assert classify_reply("You could try calling your sponsor tonight.", SHAME, use_model=False).move == "fixing"
    res = detect_cues([Turn("c", SHAME, role=CLIENT), Turn("h", "Can I share something that helped others?", role=HELPER),
                       Turn("c", "Okay.", role=CLIENT), Turn("h", "You could try calling your sponsor tonight.", role=HELPER)],
                      RULES)
    assert [c.label for c in res.cues if c.kind == "advice"] == ["after_permission"]


def test_sarcasm_versus_a_sincere_reflection():
    sarcastic = decide("Oh great, so the first bad day and you're back at the bar.", "reflection")
    sincere = decide("So the first really bad day came, and you found yourself back at the bar.", "reflection")
    assert sarcastic.hit("confront").label == "sarcasm" and not sarcastic.has("reflection")
    assert sincere.has("reflection") and not sincere.has("confront")


@pytest.mark.parametrize("model", ["reflection", "question", None])
def test_a_reflection_or_validation_then_an_open_question_counts_as_both(model):
    d = decide("No wonder you're nervous about Friday. What worries you most?", model,
               client="I go back to work on Friday and I keep dreading it.")
    assert "validation" in d.codes and "open_question" in d.codes
    r = decide("It sounds like you're scared of going back. What scares you most about it?", model)
    assert "open_question" in r.codes and {"simple_reflection", "complex_reflection"} & set(r.codes)
    # read as a reflection by the practice client, and counted as both in the MITI summary
    text = "No wonder you're nervous about Friday. What worries you most?"
    assert classify_reply(text, "I go back to work on Friday and I keep dreading it.", use_model=False).move == "reflection"
    res = detect_cues([Turn("c", "I go back to work on Friday.", role=CLIENT),
                       Turn("h", "It sounds like you're scared of going back. What scares you most about it?",
                            role=HELPER)], RULES)
    assert res.summary.reflections == 1 and res.summary.open_questions == 1


def test_a_lone_question_after_a_reflection_model_call_stays_a_reflection():
    d = decide("So you're feeling stuck?", "reflection")
    assert d.behaviour == "reflection" and "closed_question" not in d.codes


def test_directives_said_back_inside_a_reflection_are_the_clients():
    d = decide("So you feel you have to hide it from her.", "reflection")
    assert d.has("reflection") and not d.has("advice")
    assert decide("It sounds like you should go to more meetings.", "reflection").has("advice")


def test_a_feeling_said_back_in_other_words_is_a_reflection_even_when_the_model_says_other():
    d = decide("It hurt that he saw it that way.", "other", client="My dad was furious when he found out.")
    assert d.behaviour == "reflection" and d.model_behaviour == "other"


def test_clauses_split_sentences_and_a_but_tail():
    assert clauses("That sounds hard, but you should call your sponsor. OK?") == [
        "that sounds hard", "but you should call your sponsor.", "ok?"]
    d = decide("That sounds hard, but you should call your sponsor.", "reflection")
    assert "validation" in d.codes and "advice" in d.codes
    assert classify_reply("That sounds hard, but you should call your sponsor.", SHAME, use_model=False).move == "fixing"


def test_detect_cues_emits_exactly_the_decision():
    turns = [Turn("c", SHAME, role=CLIENT),
             Turn("h", "Don't be so hard on yourself. At least it was only once.", role=HELPER),
             Turn("c", "I guess.", role=CLIENT),
             Turn("h", "No wonder you're nervous. What worries you most?", role=HELPER)]
    res = detect_cues(turns, RULES)
    for code in res.behaviours:
        d = decide_turn(turns[code.turn_index].text, turns[code.turn_index - 1].text)
        assert code.codes == d.codes and code.behaviour == d.behaviour
        view = cue_view(res)
        for c in ("minimising", "validation", "open_question", "advice"):
            assert view.has(code.turn_index, c) == (c in code.codes)
    assert res.summary.reflections == 0 and res.summary.minimising == 1
    assert res.summary.validations == 1 and res.summary.open_questions == 1


@pytest.mark.parametrize("text", [
    "What do you need to do next?",
    "Do you feel confident that you could just stop completely?",
    "Where do you think you might want to go from here?",
])
def test_a_question_about_what_the_client_needs_to_do_asks_it_does_not_tell(text):
    d = decide(text, "question")
    assert d.behaviour == "question" and not d.has("advice") and not d.has("persuade")


@pytest.mark.parametrize("text", [
    "You must like that statue.",  # an inference, not an order
    "That's hard, being told that you have to give up your dog.",  # what someone else said
    "You realise it's something you shouldn't have done.",
])
def test_directives_that_are_not_the_helpers_do_not_block_a_reflection(text):
    d = decide(text, "reflection")
    assert d.has("reflection") and not d.has("advice") and not d.has("persuade"), d.reason


def test_persuasion_as_a_question_is_not_a_question():
    d = decide("Don't you think you should stop drinking?", "question")
    assert d.behaviour == "input" and d.has("advice") and not d.has("question")


@pytest.mark.parametrize("text", [
    "So why don't you start by telling me a little bit about yourself?",  # an invitation to talk
    "Maybe you could tell me how that's been going?",
    "What sorts of treatment have you tried before?",  # asks about the past
    "Have you thought about when you want to quit by?",  # asks about the client's own thinking
    "Would it be helpful to give you some information on safer drinking?",  # asks permission
])
def test_questions_that_only_look_like_suggestions_stay_questions(text):
    d = decide(text, "question")
    assert d.behaviour == "question" and not d.has("advice"), d.reason


def test_a_narrated_just_is_not_an_order():
    assert not decide("So that time you just let it go.", "reflection").has("advice")
    assert decide("Just let it go.", "input").has("advice")


def test_an_explicit_change_of_subject_after_the_client_speaks_of_their_life_is_topic_avoidance():
    """No feeling word in the client's line, but she tells of her life: "Moving on, ..." right after it
    changes the subject; a follow-up about what she said does not."""
    from analysis.cues.detect import detect_cues
    from analysis.schema import CLIENT, HELPER, Turn

    client = "My mum is back in hospital and I have been going every night after work."
    moved = detect_cues([Turn("c", client, role=CLIENT, index=0),
                         Turn("h", "Moving on, did you get your bus pass sorted out?", role=HELPER, index=1)])
    assert [(e.kind, e.turn_index, e.label) for e in moved.events] == [("topic_avoidance", 1, "explicit")]
    stayed = detect_cues([Turn("c", client, role=CLIENT, index=0),
                          Turn("h", "Every night after work: what is that like for you?", role=HELPER, index=1)])
    assert not [e for e in stayed.events if e.kind == "topic_avoidance"]
    short = detect_cues([Turn("c", "Fine, thanks.", role=CLIENT, index=0),
                         Turn("h", "Let's talk about something more positive.", role=HELPER, index=1)])
    assert not [e for e in short.events if e.kind == "topic_avoidance"]


# ---- look-alikes read by the clause's form (issue 25, item 2)

@pytest.mark.parametrize("model", [None, "reflection", "question"])
def test_a_directive_inside_a_subordinate_clause_describes_and_is_no_advice(model):
    d = decide("Your own home has turned into a place where you have to be on guard. What's that been like?", model)
    assert not d.has("advice") and not d.has("persuade")
    assert "open_question" in d.codes
    assert not decide("When you have to face him, it gets hard.", model).has("advice")


@pytest.mark.parametrize("model", [None, "reflection", "input"])
def test_the_helpers_own_view_of_what_to_do_is_advice(model):
    d = decide("I think you should call your sponsor tonight.", model)
    assert d.has("advice") and d.behaviour == "input"
    # the client's own thought said back stays theirs
    assert not decide("It sounds like you feel you have to work late.", model).has("advice")


@pytest.mark.parametrize("model", [None, "reflection", "other"])
def test_the_clients_need_to_be_heard_is_not_a_fix(model):
    d = decide("That's fair. You need to be heard first.", model)
    assert not d.has("advice") and not d.has("persuade")


def test_a_want_said_back_is_not_a_confrontation():
    d = decide("You want to be honest without giving away more than feels safe.", "reflection")
    assert not d.has("confront") and d.behaviour == "reflection"
    assert decide("Be honest with yourself, you knew it would happen.", "reflection").has("confront")


@pytest.mark.parametrize("model", [None, "reflection"])
def test_next_time_try_is_advice(model):
    d = decide("Maybe next time try walking past it just for a change.", model)
    assert d.has("advice") and d.behaviour == "input"


def test_a_feeling_said_back_to_you_is_a_reflection_even_when_the_model_reads_information():
    text = ("You're carrying a lot of guilt about not being there for your son. I remember that feeling so well. "
            "In my second year I missed his birthday.")
    d = decide(text, "input", model_subtype="information")
    assert d.behaviour == "reflection" and not d.has("advice")
    # a "you" statement with no feeling in it stays what the model said
    assert decide("You're going to get a letter from the court next week.", "input",
                  model_subtype="information").behaviour == "input"


def test_a_feeling_called_real_is_validation():
    assert decide("That fear of running out of time with her is real.", "other").has("validation")
    assert not decide("That letter from the court is real.", "other").has("validation")


def test_sympathy_for_what_happened_is_validation():
    assert decide("Oh, Tanya, I'm so sorry about Marcus.", "other").has("validation")
    assert not decide("Sorry, I'm late, the bus was full.", "other").has("validation")


def test_you_might_plus_a_doing_verb_is_a_suggestion_and_a_consequence_is_not():
    assert decide("I took a different bus for a while. You might look for a route that skips that block.",
                  "reflection").has("advice")
    assert not decide("You could lose custody if this goes on.", "reflection").has("advice")
    assert not decide("It sounds like you feel you could call her any time.", "reflection").has("advice")


def test_a_statement_about_the_client_before_a_question_is_a_reflection_too():
    for text in ("So it was the one thing just for you. What changed after the crash?",
                 "You've carried a lot on your own for a long time. How did drinking fit into that?"):
        d = decide(text, "question", model_subtype="open")
        assert d.has("reflection") and d.has("question"), text
    assert not decide("I'll give you a pamphlet. What do you think?", "question", model_subtype="open").has("reflection")
    assert not decide("You should call her. What do you think?", "question", model_subtype="open").has("reflection")


def test_a_what_or_how_question_is_open_whatever_the_model_read():
    """MITI: the question's form decides: 'What goes through your mind...?' is open even when the model says closed."""
    d = decide("Even with your lawyer's hope, jail keeps crowding in. What goes through your mind when it does?",
               "question", model_subtype="closed")
    assert d.hit("question").label == "open"
    # a fact question and a yes/no question keep the model's closed call
    assert decide("How many days do you have now?", "question", model_subtype="closed").hit("question").label == "closed"
    assert decide("Is your sponsor coming on Thursday?", "question", model_subtype="closed").hit("question").label == "closed"


@pytest.mark.parametrize("model", ["reflection", "other"])
def test_a_turn_that_only_asks_in_open_form_is_a_question(model):
    d = decide("What's it like keeping that part of your life from him?", model, model_subtype="complex")
    assert d.behaviour == "question" and d.hit("question").label == "open" and not d.has("reflection")
    # a reflection stem dressed as a question stays the model's reflection
    d = decide("So what you're saying is you've had a rough night?", "reflection", model_subtype="simple")
    assert d.behaviour == "reflection" and not d.has("question")


def test_a_reflection_said_with_a_rising_voice_is_a_reflection():
    """A statement form with '?' that the model called an open question (a form it cannot have) says back."""
    d = decide("You want them to see a mom who's present now?", "question", model_subtype="open")
    assert d.behaviour == "reflection" and d.has("reflection") and not d.has("question")
    # checking ("I hear you're sure you don't want advice?") read as closed stays a closed question
    d = decide("I hear you're sure you don't want advice?", "question", model_subtype="closed")
    assert d.behaviour == "question" and d.hit("question").label == "closed"
    # a real open question keeps its reading
    assert decide("Your first visit. What's that bringing up for you?", "question",
                  model_subtype="open").hit("question").label == "open"


def test_that_fear_makes_sense_validates():
    assert decide("That fear makes sense. Shelters can be hard places to stay clean.", "input",
                  model_subtype="information").has("validation")
    assert decide("Your worry makes sense.", "other").has("validation")
    assert not decide("That bus leaves at six, so plan for it.", "other").has("validation")


@pytest.mark.parametrize("text", [
    "Then line up a call with your sponsor for right after and go to the Sunday morning meeting.",
    "First, drive yourself, so you can leave whenever you want.",
    "And bring your own drinks, sparkling water or whatever you like.",
])
def test_a_plan_handed_over_as_orders_is_advice(text):
    d = decide(text, "reflection", model_subtype="complex")
    assert d.has("advice") and d.behaviour == "input" and not d.has("reflection")


@pytest.mark.parametrize("text", ["Take your time.", "Call me anytime.", "Tell me more about that."])
def test_an_offer_or_an_invitation_is_no_order(text):
    assert not decide(text, "other").has("advice")


def test_an_unsure_closed_call_on_a_reflection_with_a_rising_voice_is_a_reflection():
    unsure = {"question": 0.51, "reflection": 0.49}
    d = decide_turn("So you'd be asking again, expecting the same no?", "He'll say he's busy. He always does.",
                    model_behaviour="question", model_subtype="closed", probabilities=unsure)
    assert d.behaviour == "reflection" and not d.has("question")
    sure = {"question": 0.9, "reflection": 0.1}
    d = decide_turn("So you'd be asking again, expecting the same no?", "He'll say he's busy. He always does.",
                    model_behaviour="question", model_subtype="closed", probabilities=sure)
    assert d.behaviour == "question" and d.hit("question").label == "closed"


def test_the_models_advice_on_a_turn_that_only_affirms_is_an_affirmation():
    d = decide("You've already thought through where your days could go, and that's a real plan of your own.",
               "input", model_subtype="advice")
    assert d.has("affirmation") and not d.has("advice") and d.behaviour == "other"
    # a suggestion beside the praise stays advice
    d = decide("You've done so well. You should call her tonight.", "input", model_subtype="advice")
    assert d.has("advice") and d.behaviour == "input"


@pytest.mark.parametrize("text", [
    "Oh, sure. You're totally fine. That's what everybody says right before a relapse.",
    "Right, too exhausted for a one-hour meeting, but not for Netflix, I bet.",
])
def test_sarcasm_read_across_sentences_is_never_a_reflection(text):
    d = decide(text, "reflection", model_subtype="complex")
    assert d.has("confront") and d.hit("confront").label == "sarcasm" and not d.has("reflection")
    assert decide(text, "input", model_subtype="information").behaviour == "other"  # confronts, informs nothing


def test_you_had_better_and_an_order_with_a_tag_are_advice():
    assert decide("Well, you'd better start going again, then.", "reflection", model_subtype="simple").has("advice")
    d = decide("And try not to skip the next one, okay?", "question", model_subtype="closed")
    assert d.has("advice") and not d.has("question")
    assert decide("Is that okay?", "question", model_subtype="closed").has("question")
    # two sides said back is no sarcasm
    assert not decide("You were too tired to go, but not too tired to worry about it.", "reflection",
                      model_subtype="complex").has("confront")


@pytest.mark.parametrize("text", [
    "Sure. Because the bartender on Ninth is such a good listener.",
    "Well, that's forty-one days down the drain. Congratulations.",
])
def test_sarcasm_across_a_full_stop(text):
    d = decide(text, "reflection", model_subtype="simple")
    assert d.has("confront") and not d.has("reflection")


@pytest.mark.parametrize("text, sarcastic", [
    ("Oh, sure. Two weeks off meetings, because that always goes well.", True),
    ("You want a medal for calling him back?", True),
    ("When you plan the day ahead, it always goes well for you.", False),
    ("You deserve a lot of credit for calling him back.", False),
    # the seventh and eighth blind batches (h145-h192), each beside a sincere neighbour
    ("Somebody give this man a trophy for showing up today.", True),
    ("You showed up today, and that took something.", False),
    ("Well, that's some strategy you got going there.", True),
    ("That's a plan you worked out yourself.", False),
    ("Poor baby. An empty apartment and a fridge full of pinot. The suffering.", True),
    ("An empty apartment and a fridge full of pinot. That's a lonely, risky place to be.", False),
    ("After New Year's. Because January is famously when bartenders dry out.", True),
    ("After New Year's. You want the holidays behind you first.", False),
])
def test_ironic_idioms_are_sarcasm_and_their_sincere_neighbours_are_not(text, sarcastic):
    assert bool(decide(text, "reflection").has("confront")) is sarcastic


@pytest.mark.parametrize("model", ["question"])
def test_a_statement_the_model_read_as_a_question_says_back(model):
    """No '?' and no question opening: "And now you keep wondering what would have happened if you'd
    checked" is a reflection, even where the model called it an open question."""
    d = decide("And now you keep wondering what would have happened if you'd checked.", model,
               client="She didn't text and I didn't check. They found her on Sunday.")
    assert d.has("reflection") and not d.has("question"), d.reason
    asked = decide("And now you keep wondering what would have happened?", model)
    assert asked.has("question") and not asked.has("reflection")


@pytest.mark.parametrize("text, model, affirms, informs", [
    # an effort named, no fact given: an affirmation whatever the model read
    ("You earned that certificate while you were rebuilding everything else too.", "input", True, False),
    ("Reaching for your daughter in the hardest week of the year takes strength.", "reflection", True, False),
    ("You should be really proud of that.", "other", True, False),
    # a fact beside it stays information; "a big change" about a schedule affirms no one
    ("Congratulations. The intake is at the clinic on Monday at nine, bring your ID.", "input", True, True),
    ("It's a big change, the new schedule starts Monday.", "input", False, True),
])
def test_an_affirmation_names_an_effort_and_gives_no_fact(text, model, affirms, informs):
    d = decide_turn(text, SHAME, model_behaviour=model, probabilities=SURE[model], model_subtype="information"
                    if model == "input" else "")
    assert d.has("affirmation") is affirms, d.reason
    assert ("information" in d.codes) is informs, d.codes


@pytest.mark.parametrize("model", ["input", "question", None])
def test_asking_to_share_is_permission_and_no_advice_but_would_it_help_if_you_is_advice(model):
    ask = decide("You want a straight answer instead of looks. Would it help if I shared what I know about how "
                 "MOUD works?", model, model_subtype="advice" if model == "input" else "")
    assert ask.has("permission") and not ask.has("advice"), ask.reason
    tell = decide("Would it help if you called your sponsor tonight?", model)
    assert tell.has("advice") and not tell.has("permission"), tell.reason


@pytest.mark.parametrize("text, reflects", [
    ("Okay, yeah, I'm following you.", False),
    ("Alright, I'm with you so far.", False),
    ("Wow, okay. Keep going.", False),
    ("Okay, I see.", False),
    ("I'm following you: you felt left behind when they drove off.", True),
])
def test_a_continuer_only_asks_the_client_to_go_on_and_is_no_reflection(text, reflects):
    d = decide_turn(text, SHAME, model_behaviour="reflection", probabilities=SURE["reflection"], model_subtype="simple")
    assert d.has("reflection") is reflects, d.reason


@pytest.mark.parametrize("text, lead", [
    ("Relief and shame, hitting you in the same moment. How are you carrying both of those now?",
     "relief and shame, hitting you in the same moment."),
    ("Okay. Six weeks of aching for your boy. What goes through your mind?",
     "okay. six weeks of aching for your boy."),
    ("He's your reason, and he's also someone you're still protecting. What do you hope he understands?",
     "he's your reason, and he's also someone you're still protecting."),
    # a fact read out, a fix, reassurance, sarcasm or a second question before the question: nothing to read
    ("Okay. It looks like cholesterol statin. Do you know how you're supposed to take it?", None),
    ("Medicines keep best away from heat. Where do you keep yours?", None),
    ("You should call her. What do you think?", None),
    ("At least it was only once. How are you now?", None),
    ("Oh great, so the first bad day and you're back at the bar. What happened?", None),
    ("How long? What happened then?", None),
    ("Hey, your ninety days is coming up soon. Isn't it?", None),
    ("You're worried about the hearing. Did you call your lawyer?", None),
    ("What happened then?", None),
])
def test_the_statements_before_a_question_are_read_alone(text, lead):
    from analysis.cues.decide import lead_statement

    assert lead_statement(text) == lead


def test_a_statement_the_model_reads_as_a_reflection_before_a_question_counts_as_both():
    text = "Relief and shame, hitting you in the same moment. How are you carrying both of those now?"
    d = decide(text, "question", model_subtype="open", lead_behaviour="reflection")
    assert d.has("reflection") and d.has("question")
    assert not decide(text, "question", model_subtype="open", lead_behaviour="question").has("reflection")
    assert not decide(text, "question", model_subtype="open").has("reflection")  # not read: no stem, not "you ..."
    # a fact the model took for a reflection is still no reflection (it does not speak of the client)
    fact = "Fifteen years of caring for people, and two of them with a secret. What was it like?"
    assert not decide(fact, "question", model_subtype="open", lead_behaviour="reflection").has("reflection")


def test_detect_cues_reads_the_statement_before_a_question_with_the_model():
    from analysis.cues.model import default_model

    model = default_model()
    if model is None:
        pytest.skip("the shipped cue model is not installed")
    turns = [Turn("c", "Part of me was relieved. I was so tired of hiding. And part of me wanted the floor to "
                       "swallow me.", role=CLIENT),
             Turn("h", "Relief and shame, hitting you in the same moment. How are you carrying both of those now?",
                  role=HELPER)]
    res = detect_cues(turns, model=model)
    code = res.behaviours[0]
    assert code.behaviour == "question" and "open_question" in code.codes
    assert any(c.endswith("reflection") for c in code.codes), code
    assert res.summary.reflections == 1 and res.summary.open_questions == 1


# ---- the third blind batch of held-out scripts (h049-h072): new phrasings of known codes
@pytest.mark.parametrize("text", [
    "Nobody noticed how hard you were trying.",  # the client's experience said back
    "You're scared she's not going to stay.",
    "You've been through worse, and it still scares you.",
    # beside the fourth blind batch's reassurance forms ("he's going to be fine", "go easy on yourself")
    "You're afraid he's not going to be fine without you.",
    "You went easy on him, and now you wonder if that was right.",
    # beside the fifth blind batch's forms ("handled plenty of these", "a month from now", "one rough patch")
    "You've handled plenty of these hard talks before, and this one still scares you.",
    "A month from now you'll have your ninety-day chip, and that matters to you.",
    "You've been through worse than this, and it still shakes you.",
    "It's been one rough week after another for you.",
])
def test_their_sincere_neighbours_are_not_minimising(text):
    assert not decide(text, "reflection").has("minimising")


@pytest.mark.parametrize("question, label", [
    ("Are you working nights now?", "closed"),
    ("Does your doctor know about the nights?", "closed"),
    ("What time's the appointment?", "closed"),
    ("Can you tell me more about that?", "open"),
    ("What was that like for you?", "open"),
    ("Okay. So where does that leave you?", "open"),
    ("Is that a new schedule?", "closed"),
    ("Monday, nice. What shift did they put you on?", "closed"),
    ("What part of that scares you most?", "open"),
    ("When's your next doctor's appointment?", "closed"),
    ("Where's the meeting these days?", "closed"),
    # the transcriber put "What" in the turn before: not read as yes/no against the classifier's open call
    ("would a good night after close look like for you?", "open"),
])
def test_a_yes_no_or_one_fact_question_is_closed_whatever_the_model_read(question, label):
    d = decide_turn(question, "", model_behaviour="question", probabilities=SURE["question"], model_subtype="open")
    assert d.hit("question").label == label


def test_a_time_told_with_you_could_is_no_suggestion(model="reflection"):
    assert not decide("She found it before you could tell her.", model).has("advice")
    assert decide("You could tell her tonight, before she hears it from someone else.", model).has("advice")


@pytest.mark.parametrize("text", ["That shaking would rattle anyone.", "Night after night of that would wear anybody down."])
def test_a_reaction_anyone_would_have_is_validation(text):
    assert decide(text, "reflection").has("validation")


@pytest.mark.parametrize("text", ["You just said it once. That took nerve.", "Two weeks without playing. That's no small thing."])
def test_nerve_and_no_small_thing_affirm(text):
    assert decide(text, "other").has("affirmation")


def test_want_to_hear_it_asks_permission():
    d = decide("I have a thought about breaking news like this. Want to hear it, or not right now?", "question")
    assert d.has("permission") and not d.has("advice")


def test_the_clients_own_plan_said_back_as_a_directive_is_no_advice():
    plan = "No, that's it. Maybe I just tell her I went and let her decide what it means."
    said_back = decide_turn("Tell her, and leave what it means up to her.", plan,
                            model_behaviour="reflection", probabilities=SURE["reflection"])
    assert not said_back.has("advice") and said_back.has("reflection"), said_back.reason
    told = decide_turn("Tell her, and leave what it means up to her.", "I don't know what to do about her.",
                       model_behaviour="reflection", probabilities=SURE["reflection"])
    assert told.has("advice")
    # a condition is no plan (h166 as heard: the client fears what telling would do; the helper says to tell)
    feared = decide_turn("tell the manager today, that's what the agreements for and it covers you.",
                         "Not yet, if I tell when I'm wrong, she gets kicked out, and she's got nowhere.",
                         model_behaviour="reflection", probabilities=SURE["reflection"])
    assert feared.has("advice") and not feared.has("reflection"), feared.reason


@pytest.mark.parametrize("text", [
    "Right, because everybody's got nothing better to do than stare at you.",
    "Guess you'll have a fun chat with her, then.",
    "Great attitude. That'll go over well.",
])
def test_more_sarcasm_is_never_a_reflection(text):
    d = decide(text, "reflection")
    assert d.has("confront") and not d.has("reflection"), d.reason


@pytest.mark.parametrize("text", ["Right. Yeah. Because you're the kind of parent that wants your kids to do well.",
                                  "Yeah, because worry's no fun."])
def test_yeah_because_is_mostly_sincere(text):
    assert not decide(text, "reflection").has("confront")


def test_maybe_try_actually_doing_it_is_advice():
    assert decide("Maybe try actually showing up this week?", "question").has("advice")


# ---- the fourth blind batch of held-out scripts (h073-h096): new phrasings of known codes
@pytest.mark.parametrize("text", [
    "Nobody at that book club is keeping score of anybody's glasses.",
    "He's going to be fine, sons come around.",
    "Frank would just want you to go easy on yourself, that's all.",
    "There you go. One little wobble and you're already right back on track.",
    "Honestly, she's with you now, she's not going to care what you did ten years ago. That's ancient history.",
    "Come on, you're not a hazard, nobody catches it from a hug or a fork.",
    # the fifth blind batch (h097-h120)
    "Oh, honey, two hundred is pocket change next to where you were a year ago.",
    "Eight months of good days don't vanish over one Tuesday.",
    "Ray's stuck by you through a lot worse than a few scratch cards.",
    "It's one rough patch, Denise. A month from now this'll be a story you barely remember.",
    "Your doctor's handled plenty of these. You're going to sail through it.",
    "Your crew's not going to notice a thing.",
    "A few rough nights are nothing next to eight years. It'll pass quicker than you think.",
    "People say all kinds of things when they're upset.",
    # the sixth blind batch (h121-h144)
    "She adores you. She'll be laughing about it with you by Christmas, you'll see.",
    "Three little wobbles in a whole year? That's nothing, really.",
    "You did what you were told, so there's really nothing there to feel bad about.",
    "Honestly, one text wasn't going to save him.",
    # the eighth blind batch (h169-h192)
    "Eh, supervised is just a formality, hon. Couple months and she won't even bother sitting in.",
    "Oh, kids that little won't remember any of the hard years.",
    "Girl. Eleven months doesn't evaporate over one weekend in Nashville.",
    # the first look-alike scripts: the slip made small
    "You're not a fraud. Two glasses is nothing compared to where you were two years ago.",
    "But look how far you've come. One slip really doesn't matter.",
    # the third blind batch (h049-h072): the slip or the others' view made small
    "Oh, honey, three glasses at a wedding is hardly a relapse.",
    "Nobody in that room is going to think twice about it, trust me. Half of them have done worse.",
    "Thoughts are just thoughts. It'll all feel a lot smaller by next week.",
    "God's not keeping a tally on you, brother. He's seen a lot worse than one weekend.",
    "Nah, she's not going anywhere. One weekend out of eleven months is a blip on the screen.",
    "Nobody at that church is thinking about it half as much as you are.",
])
def test_reassurance_in_other_words_is_minimising_and_no_reflection(text):
    d = decide(text, "reflection")
    assert d.has("minimising") and not d.has("reflection"), d.reason


@pytest.mark.parametrize("text, model", [
    ("Okay, what I'd do is go straight to the house manager tomorrow.", "reflection"),
    ("The thing that worked for me was calling my parole officer first.", "other"),
    ("And after Monday, what you really need is a meeting schedule.", "input"),
    ("What you want is a letter from your supervisor, on company letterhead.", "input"),
    ("Honestly, go with PHP, you're way too early for IOP.", "input"),
    ("Don't explain, don't tell your story, they've heard every story there is.", "other"),
    ("Good. And drink plenty of water, but not a ton right before.", "input"),
])
def test_advice_in_the_helpers_own_way_is_advice(text, model):
    assert decide(text, model).has("advice")


@pytest.mark.parametrize("text", [
    "A day you'd never want to miss, and a clinic you have to walk into every single morning.",
    "That plan's yours, start to finish.",
])
def test_a_directive_describing_a_thing_is_no_advice(text):
    d = decide(text, "reflection")
    assert not d.has("advice") and d.has("reflection"), d.reason


@pytest.mark.parametrize("text", ["Can I throw some stuff at you that I know about this?",
                                  "I know a bit about how those visits work. Want me to tell you what I know?"])
def test_offering_what_one_knows_asks_permission(text):
    d = decide(text, "question")
    assert d.has("permission") and not d.has("advice"), d.reason


@pytest.mark.parametrize("text", [
    "Okay, well, go ahead and keep buying it then, clearly you've got it all figured out.",
    "Right, a powder from behind the register. Great thinking.",
    # the fifth blind batch (h097-h120)
    "Danny's till four, with the old crew, for the games. Very wholesome.",
    "And yet here you are telling me. Lucky me.",
    "A gold star for not smoking in a smoke-filled house. I'll go order the trophy.",
    "Right, and Danny's couch at four in the morning was the clever choice.",
])
def test_sarcasm_of_the_fourth_and_fifth_batches_is_never_a_reflection(text):
    d = decide(text, "reflection")
    assert d.has("confront") and not d.has("reflection"), d.reason


def test_the_models_advice_on_a_directive_that_describes_is_a_reflection():
    said = decide("A day you'd never want to miss, and a clinic you have to walk into every single morning.",
                  "input", model_subtype="advice")
    assert said.has("reflection") and not said.has("advice"), said.reason
    told = decide("You have to walk into that clinic every single morning.", "input", model_subtype="advice")
    assert told.has("advice") and not told.has("reflection"), told.reason


def test_the_models_advice_on_a_turn_that_only_validates_is_a_validation():
    # h142 as the transcriber wrote it: no fix in the words, a feeling called natural (with the comma it heard)
    said = decide("walking in cold at 58, after years of being the regular at the post. Of course, that's uncomfortable.",
                  "input", model_subtype="advice")
    assert said.has("validation") and not said.has("advice") and said.behaviour == "other", said.reason
    # a stem alone does not undo the model's advice: "you want a plan written before the first cut" directs
    told = decide("Your prescriber goes by the criteria. And you want a relapse prevention plan written before the "
                  "very first cut.", "input", model_subtype="advice")
    assert told.has("advice"), told.reason
    # a fix in the words stays advice beside the validation
    both = decide("Of course, that's uncomfortable. Just bring Ray with you.", "input", model_subtype="advice")
    assert both.has("advice") and both.has("validation"), both.reason


# ---- the fifth blind batch of held-out scripts (h097-h120): new phrasings of known codes
@pytest.mark.parametrize("text", ["Calling your sponsor first was the smart call.",
                                  "Walking out of there was the wise choice, and it cost you something."])
def test_praise_for_a_choice_is_not_sarcasm(text):
    assert not decide(text, "reflection").has("confront")


def test_offering_a_thought_if_wanted_asks_permission():
    d = decide("Half of it feels solid, half makes you uneasy. I have a thought about this if you want it, or we can "
               "leave it.", "input", model_subtype="information")
    assert d.has("permission") and not d.has("advice"), d.reason


def test_a_summary_is_a_reflection():
    d = decide("Let me pull it together. Thirty days, a job, seven months clean, and a clear list: quiet, no using.",
               "input", model_subtype="information")
    assert d.has("reflection"), d.reason


# ---- the sixth blind batch of held-out scripts (h121-h144): new phrasings of known codes
@pytest.mark.parametrize("text, model", [
    ("Okay, here's the thing. Next time, text her before you show up.", "reflection"),
    ("You can't go. Seriously, tell Nate you'll be there for the wedding.", "reflection"),
    ("Then go, but get your own room, not the suite with everybody else.", "reflection"),
    ("Good. And print a list of meetings out there before you go.", "reflection"),
    ("Go home, put the kettle on and get some sleep.", "reflection"),
    ("Would it be easier to just tell him and ask to go on days for a while?", "reflection"),
    ("Is there a clinic near you that you could walk into this week?", "question"),
    # the seventh blind batch (h145-h168)
    ("Why not grab one of those flush drinks just in case?", "question"),
    ("So how about one of those quit apps?", "question"),
    ("And hey, how about an extra meeting this week, the Wednesday one at the rec center?", "question"),
    ("Any reason you can't stay out till she's gone to bed?", "question"),
    ("How about bringing your daughter along to the next appointment?", "question"),
    ("And wouldn't a relapse prevention plan help for the nights?", "question"),
    ("Alright, first thing, call them back tomorrow and ask for the hardship plan.", "reflection"),
    ("Give it three meetings before you decide.", "reflection"),
    ("Then quit carrying cash.", "reflection"),
    ("Go this week and get yourself a phone list.", "reflection"),
    ("Then get your sponsor on the phone tonight.", "reflection"),
])
def test_advice_of_the_sixth_and_seventh_batches_is_advice(text, model):
    d = decide(text, model)
    assert d.has("advice") and not d.has("reflection"), d.reason


@pytest.mark.parametrize("text", [
    "You'll see her on Sunday, and that scares you.",
    "Seriously, that sounds exhausting.",
    "Would it be easier if I shared what I know about the clinic?",
])
def test_their_sincere_neighbours_of_the_sixth_batch(text):
    d = decide(text, "reflection")
    assert not d.has("minimising") and not d.has("advice"), d.reason


def test_a_feeling_called_natural_with_of_course_validates():
    d = decide("Walking in cold at fifty-eight, after years of being the regular. Of course that's uncomfortable.",
               "reflection")
    assert d.has("validation") and not d.has("advice"), d.reason


# ---- the seventh blind batch (h145-h168), as the transcriber wrote it
@pytest.mark.parametrize("model", ["reflection", "other", "question"])
@pytest.mark.parametrize("text", ["Did you tell the house manager?", "did you tell the house manager,",
                                  "Is she your roommate?", "Okay. Are you still going Mondays?"])
def test_a_turn_that_only_asks_yes_or_no_is_a_closed_question(text, model):
    d = decide(text, model)
    assert d.codes == ("closed_question",), d.reason


@pytest.mark.parametrize("text", ["You told the house manager?", "So you're saying you'd rather wait?"])
def test_a_statement_with_a_rising_voice_stays_a_reflection(text):
    assert decide(text, "reflection").has("reflection")


def test_orders_run_together_with_commas_are_advice():
    d = decide("Then the two of you go to the manager together, bring the foil, write down the dates, stick to facts,",
               "reflection")
    assert d.has("advice") and not d.has("reflection"), d.reason
    # a comma-separated part that tells what happened is no order
    told = decide("So you stayed home, called nobody, and just sat with it.", "reflection")
    assert told.has("reflection") and not told.has("advice"), told.reason


def test_nothing_to_lose_sleep_over_minimises_and_a_real_question_about_why_not_stays_a_question():
    assert decide("Plenty of guys let the wife run the money. Nothing to lose sleep over.", "reflection").has("minimising")
    d = decide("Why not? What's stopping you from telling her?", "question")
    assert d.has("question") and not d.has("advice"), d.reason


@pytest.mark.parametrize("text", [
    "Anyone coming down off something they've taken that long would be shaky and rattled, prescription or not.",
    "Any mom who loves her kid would be gutted reading that.",
])
def test_a_reaction_anyone_would_have_validates_and_gives_no_fact(text):
    d = decide(text, "input", model_subtype="information")
    assert d.has("validation") and d.behaviour == "other", d.reason
    # a fact beside it stays information
    both = decide(text + " The clinic opens at eight and the dose is adjusted every week.", "input",
                  model_subtype="information")
    assert both.has("validation") and both.behaviour == "input", both.reason


def test_a_feeling_called_real_in_its_own_sentence_validates():
    d = decide("That kind of guilt hits a lot of people who lose somebody they used with. It's real and it's heavy.",
               "input", model_subtype="information")
    assert d.has("validation") and d.behaviour == "other", d.reason
    assert not decide("That's real money, though. Two grand.", "input", model_subtype="information").has("validation")


def test_that_says_how_much_he_matters_affirms():
    assert decide("And you keep walking in. That says how much he matters to you.", "reflection").has("affirmation")


def test_praise_said_sarcastically_is_no_affirmation():
    # c043 as heard: the sarcastic "Congratulations." was counted as an affirmation and praised under reflect and validate
    d = decide("Well, that's 41 days down the drain. Congratulations.", "input", model_subtype="information")
    assert d.has("confront") and not d.has("affirmation"), d.reason
    assert decide("Forty-one days. Congratulations, that took real work.", "reflection").has("affirmation")


# ---- the eighth blind batch (h169-h192): validation, affirmation, minimising and sarcasm in new words
@pytest.mark.parametrize("text", [
    "Oh, Dale. Burying your mama, and then that. Of course you want to crawl in a hole.",
    "Course you miss her. She's been gone less than a week.",
    "Anybody'd dread walking back in there after a week like yours.",
    "Running into a soccer mom you know in that room, anybody would flinch at that.",
    "The induction day looms big, for you and the baby both. Any mom-to-be would want that answered first.",
])
def test_the_eighth_batchs_validations(text):
    assert decide(text, "reflection").has("validation")


@pytest.mark.parametrize("text", ["Anyone would want to call the hotline.", "Of course you need to call your sponsor."])
def test_what_anyone_would_do_is_no_validation(text):
    assert not decide(text, "input").has("validation")


@pytest.mark.parametrize("text", ["And still, thirty down to twelve, with kids and no sleep. That's grit.",
                                  "Letting somebody walk in beside you. That's its own kind of strong."])
def test_the_eighth_batchs_affirmations(text):
    assert decide(text, "input", model_subtype="information").has("affirmation")


@pytest.mark.parametrize("text", ["Her 'you'll be fine' lands like she's not quite hearing how much is riding on this for you.",
                                  "Her you'll be fine lands like she's not quite hearing how much is riding on this for you."])
def test_someone_elses_reassurance_said_back_is_no_minimising(text):
    d = decide(text, "reflection")
    assert not d.has("minimising") and d.has("reflection"), d.reason
    assert decide("You'll be fine, honestly.", "reflection").has("minimising")
