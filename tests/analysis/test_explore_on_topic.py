"""Explore counts the questions on the client's topic: a question that changes the subject is Stay with's,
and an open question that cannot be shown to follow the client is neither praised nor faulted."""

from __future__ import annotations

from analysis.cues.detect import CueOptions, detect_cues
from analysis.cues.view import cue_view
from analysis.schema import CLIENT, HELPER, Turn
from analysis.scoring.parts import explore, stay_with


def _turns(*pairs):
    out, t = [], 0.0
    for i, (role, text) in enumerate(pairs):
        out.append(Turn(speaker=role, text=text, start=t, end=t + 3.0, role=role, index=i))
        t += 3.5
    return out


def _explore(turns):
    view = cue_view(detect_cues(turns, CueOptions(use_model=False)))
    return explore(turns, view, True), stay_with(turns, view, True)


def test_questions_that_change_the_subject_leave_explore_unmeasured_and_fault_stay_with():
    turns = _turns(
        (CLIENT, "I'm terrified about my court date. I could lose custody of my daughter."),
        (HELPER, "Anyway, how's the new job at the warehouse going?"),
        (CLIENT, "It's fine. But I keep thinking about her. I feel sick about it all the time."),
        (HELPER, "So what did you do this weekend?"),
    )
    (score, parts, extra), (sw_score, sw_parts, _) = _explore(turns)
    assert score is None and "changed the subject" in extra["summary"]
    assert sw_score is not None and next(p for p in sw_parts if p.name == "stayed_after_feeling").value == 0.0


def test_an_open_question_that_follows_counts_and_one_that_may_not_is_left_out():
    turns = _turns(
        (CLIENT, "My sponsor hasn't called me back since the meeting."),
        (HELPER, "What do you make of your sponsor not calling?"),
        (CLIENT, "I guess she's busy."),
        (HELPER, "What have you been doing for fun lately?"),
        (CLIENT, "Not much."),
        (HELPER, "Did you go to the meeting on Tuesday?"),
    )
    (score, parts, extra), _ = _explore(turns)
    oq = next(p for p in parts if p.name == "open_questions")
    assert oq.value == 50.0  # one following open question, one yes/no; "for fun lately" left out
    assert "1 of the open ones did not clearly follow" in extra["summary"]
    praised = [e.quote for e in extra["evidence"] if e.positive]
    assert praised and all("sponsor" in q for q in praised)


def test_a_yes_no_question_is_never_quoted_as_an_open_one():
    from analysis.cues.view import CueView
    turns = _turns(
        (CLIENT, "My sponsor says I can leave the wedding after the first dance."),
        (HELPER, "Is your sponsor coming to the wedding?"),
        (CLIENT, "He's invited. He said he'd sit near the door."),
        (HELPER, "What would it mean to you to have him near the door?"),
    )
    # the reading says both are open (as a model may): the praise still quotes only the open form
    view = CueView({1: frozenset({"question", "open_question"}), 3: frozenset({"question", "open_question"})})
    _, _, extra = explore(turns, view, True)
    praised = [e.quote for e in extra["evidence"] if e.positive]
    assert praised and not any(q.startswith("Is your sponsor") for q in praised)
