"""The practice client's decision: text replies with known moves pick known lines (shipped cue model)."""

from __future__ import annotations

import json

import pytest

from analysis.cues.reply import classify_reply
from service.practice.conversation import decide, first_line, next_line
from service.practice.scenarios import get_scenario, load_scenario_file

OPENING = "I wasn't going to come today. I used on Saturday. Eleven months, and I just threw it away."


@pytest.mark.parametrize("reply, move, label", [
    ("It sounds like you feel you let everyone down, and you still came today.", "reflection", "reflection"),
    ("You feel like everyone can see it on you.", "reflection", "reflection"),
    ("What happened on Saturday?", "open_question", "open_question"),
    ("Tell me more about that.", "open_question", "open_question"),
    ("Did you use alone?", "closed_question", "closed_question"),
    ("You should call your sponsor tonight.", "fixing", "advice"),
    ("Have you thought about going to more meetings?", "fixing", "advice"),
    ("Don't be so hard on yourself, at least it was only once.", "fixing", "minimising"),
    ("Mm-hmm.", "backchannel", "backchannel"),
    ("", "backchannel", "silence"),
    ("I relapsed once too.", "other", "other"),
])
def test_replies_are_read_as_the_move_a_client_reacts_to(reply, move, label):
    m = classify_reply(reply, OPENING)
    assert (m.move, m.label) == (move, label), m
    assert m.because.startswith("after ")


@pytest.fixture(scope="module")
def dana():
    return get_scenario("relapse-shame")


def test_listening_reaches_the_heart_of_the_matter(dana):
    said = [first_line(dana).line_id]
    assert said == ["opening"]
    steps = []
    for reply in ("It sounds like you're ashamed, and you still came today.",
                  "What was that like, going back there?",
                  "You feel like a fraud, like the eleven months didn't count."):
        d = next_line(dana, said, reply)
        steps.append((d.line_id, d.because))
        said.append(d.line_id)
    assert steps == [("sister-deeper", "after a reflection"), ("judged-elaborates", "after an open question"),
                     ("card-heart", "after a reflection")]
    assert d.line.heart and d.ends_after_reply and not d.ends_now
    assert next_line(dana, said, "That card means a lot.").line is None  # the end


def test_fixing_meets_yes_but_and_then_she_leaves(dana):
    said = ["opening"]
    d = next_line(dana, said, "Don't be so hard on yourself, at least it was only once.")
    assert (d.line_id, d.because, d.beat) == ("sister-yes-but", "after minimising", "sister")
    assert d.text.startswith("Yeah, but") and not d.ends_now
    said.append(d.line_id)
    d = next_line(dana, said, "You should call your sponsor and go to a meeting every day this week.")
    # the same reaction again would repeat a line: she says the closing line and the session ends
    assert (d.line_id, d.because, d.ends_now) == ("closing", "after advice", True)


def test_closed_question_gets_a_short_answer_and_backchannel_lets_her_go_on(dana):
    d = next_line(dana, ["opening"], "Was it on Saturday?")
    assert (d.line_id, d.text) == ("sister-short", "Yeah. Saturday.")
    d = next_line(dana, ["opening", "sister-short"], "Mm-hmm.")
    assert (d.line_id, d.because) == ("sister-elaborates", "after a short 'mm-hmm'")
    d = next_line(dana, ["opening", "sister-short", "sister-elaborates"], "")
    assert (d.line_id, d.because) == ("judged-elaborates", "after a silence")


def test_every_scenario_answers_every_move_and_only_listening_reaches_the_heart():
    from service.practice.scenarios import MOVES, load_scenarios

    for s in load_scenarios():
        for b in s.beats:
            assert sorted(m for v in b.variants for m in v.when) == sorted(MOVES), (s.id, b.id)
        # walking with one move throughout: only reflections and open questions get to the heart
        for move in MOVES:
            said = [s.opening.id]
            while True:
                d = decide(s, said, _move(move))
                if d.line is None:
                    break
                said.append(d.line_id)
                if d.ends_now:
                    break
            reached = any(s.line(x).heart for x in said)
            assert reached == (move in ("reflection", "open_question")), (s.id, move, said)


def _move(move: str):
    from analysis.cues.reply import ReplyMove

    return ReplyMove(move, move, f"after {move}")


def test_a_linear_scenario_plays_its_lines_in_order(tmp_path):
    path = tmp_path / "lin.json"
    path.write_text(json.dumps({
        "id": "lin", "title": "t", "profile": "p", "feelings": ["a"], "good_listening": ["g"],
        "lines": [{"kind": "opening", "text": "One."}, {"text": "Two."}]}))
    s = load_scenario_file(path)
    d0 = first_line(s)
    d1 = next_line(s, [d0.line_id], "You should relax.", use_model=False)
    assert (d0.text, d1.text, d1.line_id, d1.ends_after_reply) == ("One.", "Two.", "line-02", True)
    assert next_line(s, [d0.line_id, d1.line_id], "ok", use_model=False).line is None


def test_arc_sentences_tell_where_the_client_went(dana):
    from service.practice.conversation import arc_sentence

    heart = arc_sentence(dana, [{"line_id": "opening", "because": "the opening", "reply_start": None},
                                {"line_id": "sister-deeper", "because": "after a reflection", "reply_start": 8.2},
                                {"line_id": "judged-deeper", "because": "after a reflection", "reply_start": 31.0},
                                {"line_id": "card-heart", "because": "after a reflection", "reply_start": 72.4}])
    assert heart == ('The client reached the heart of the matter ("The worst part is my daughter made me a '
                     'card for my one year. It\'s still on the fridge.") after a reflection at 1:12.')
    left = arc_sentence(dana, [{"line_id": "opening", "because": "the opening", "reply_start": None},
                               {"line_id": "sister-yes-but", "because": "after minimising", "reply_start": 7.0},
                               {"line_id": "closing", "because": "after advice", "reply_start": 40.4}])
    assert left.startswith("The client pulled back after minimising at 0:07 and went quiet and left after "
                           "advice at 0:40, without reaching the heart of the matter")
    early = arc_sentence(dana, [{"line_id": "opening", "because": "the opening", "reply_start": None},
                                {"line_id": "sister-elaborates", "because": "after an open question",
                                 "reply_start": 9.0}])
    assert early.startswith("The session ended before the client reached the heart of the matter")
    assert early.endswith("her last line came after an open question at 0:09.")
    assert arc_sentence(dana, [{"line_id": "line-01", "because": "", "reply_start": None}]) == ""
