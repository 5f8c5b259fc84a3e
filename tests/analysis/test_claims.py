"""Every claim the summary makes carries its proof (issue: feedback a supervisor would sign).

Each test reproduces one finding of the issue on hand-made stage results, then checks the rule
that fixes it: praise only figures inside their band, fault only what the session shows, quote the
moment the sentence is about, never show a number that was not measured.
"""

from __future__ import annotations

import json

import pytest

from analysis.cues.view import CueView, TurnEvent
from analysis.prosody.types import ProsodyResult, ProsodySummary
from analysis.report.consistency import check_report
from analysis.report.figures import FIGURES, PACE_BAND, Band, in_band
from analysis.report.glossary import BANDS, GLOSSARY
from analysis.report.text import render_text
from analysis.report.types import Because, Report
from analysis.schema import CLIENT, HELPER, Turn
from analysis.scoring.score import score_session
from analysis.scoring.summary import with_summary
from analysis.timing.types import TimingMetrics
from tests.report_fixtures import GOOD, make_turns

GOOD_VIEW = CueView({0: frozenset({"feeling"}), 1: frozenset({"reflection", "complex_reflection"}),
                     2: frozenset({"feeling"}), 3: frozenset({"reflection", "complex_reflection"}),
                     5: frozenset({"question", "open_question"}),
                     7: frozenset({"reflection", "complex_reflection"})})


def _timing(**kw) -> TimingMetrics:
    return TimingMetrics.from_dict({"duration": 60.0, **kw})


def _report(turns, view, timing=None, prosody=None) -> Report:
    res = score_session(turns, view, timing, prosody)
    return with_summary(Report(index=res.index, subscores=res.subscores, miti=res.miti, turns=tuple(turns),
                               timing=timing))


def _claims(report: Report) -> dict:
    d = json.loads(report.to_json())["summary"]
    return {"priorities": {p["subscore"]: p for p in d["priorities"]}, "strength": d["strength"]}


def test_every_judged_figure_has_one_band_and_the_glossary_reads_it():
    assert PACE_BAND == Band(120.0, 160.0) and FIGURES["speaking_rate"].band is PACE_BAND
    assert BANDS["pace"][:2] == (120.0, 160.0) and BANDS["talk_share"][:2] == (0.0, 50.0)
    assert "120-160" in GLOSSARY["pace"] and "110" not in GLOSSARY["pace"]
    assert in_band("helper_talk_share", 63.0) is False and in_band("helper_talk_share", 40.0) is True
    assert in_band("response_pause", 8.3) is False and in_band("response_pause", None) is None


def test_strength_never_cites_a_figure_outside_its_band():
    """'Keep doing: Make space - you took 63 %... pause 8.3 s' and 'Keep doing: Voice - pace 205, flat'."""
    turns = make_turns(GOOD, timed=True)
    timing = _timing(talk_share_helper=0.35, interruptions=[], latency={"median": 8.3})
    fast = ProsodyResult(speakers=(ProsodySummary(scope="speaker", speaker="helper", wpm=205.0, pitch_sd_st=0.6,
                                                  n_words=60),), turns=(), tracks=(), helper_minus_client_db=0.5)
    report = _report(turns, GOOD_VIEW, timing, fast)
    strength = _claims(report)["strength"]
    assert strength is not None
    assert all(b["in_band"] for b in strength["because"]), strength
    assert strength["subscore"] != "voice"  # pace 205 and a flat voice: nothing there to praise as a whole
    if strength["subscore"] == "make_space":
        assert "8.3" not in strength["message"] and {b["figure"] for b in strength["because"]} <= {
            "helper_talk_share", "interruptions_per_minute", "longest_helper_turn"}
    assert check_report(report) == []


def test_make_space_praised_only_for_what_is_in_band():
    """With the pause out of its band, make space may be praised only for what is in band."""
    turns = make_turns(GOOD, timed=True)
    timing = _timing(talk_share_helper=0.35, interruptions=[], latency={"median": 8.3})
    sub = score_session(turns, GOOD_VIEW, timing).subscores["make_space"]
    report = with_summary(Report(index=90.0, subscores={"make_space": sub}, turns=tuple(turns)))
    s = report.summary.strength
    assert s is not None and s.subscore == "make_space"
    assert [b.figure for b in s.because] == ["helper_talk_share", "interruptions_per_minute"]
    assert s.message == ("You took 35 % of the talking, leaving the client the larger share; "
                         "you never cut in on the client.")
    # the moment that shows it: the client's longest turn, let run to its end
    longest = max((t for t in turns if t.role == "client"), key=lambda t: len(t.text.split()))
    assert s.evidence is not None and s.evidence.role == "client" and s.evidence.start == longest.start


def test_no_priority_without_a_fault_the_session_shows():
    """'Hold back solutions' as a thing to try with the text 'You gave no advice...'."""
    turns = make_turns(GOOD)
    # no advice, no minimising: only the classifier's soft input share is high
    probs = {i: {"question": 0.0, "reflection": 0.2, "input": 0.8, "other": 0.0} for i in (1, 3, 5, 7)}
    view = CueView(GOOD_VIEW.labels, (), probs)
    report = _report(turns, view)
    hb = report.subscores["hold_back"]
    assert hb.score < 70 and "You gave no advice" in hb.summary
    assert "hold_back" not in _claims(report)["priorities"]
    assert check_report(report) == []


def test_priority_quotes_its_fault_and_tries_instead_at_that_moment():
    """'Hold back solutions': quote at 0:16.6, try-instead about the line at 0:07."""
    lines = [(CLIENT, "I slipped on Friday and I feel awful about it."),
             (HELPER, "You should call your sponsor tonight."),
             (CLIENT, "I guess I could. I just feel like a failure, honestly."),
             (HELPER, "You need to get to a meeting first thing tomorrow."),
             (CLIENT, "Maybe."),
             (HELPER, "And you could write down your triggers too.")]
    turns = make_turns(lines, timed=True)
    view = CueView({0: frozenset({"feeling"}), 1: frozenset({"advice", "input"}), 2: frozenset({"feeling"}),
                    3: frozenset({"advice", "input"}), 5: frozenset({"advice", "input"})},
                   (TurnEvent("solution_before_exploration", 3, 2),))
    report = _report(turns, view)
    p = _claims(report)["priorities"]["hold_back"]
    assert p["evidence"]["quote"] in p["try_instead"]
    assert any(b["figure"] in ("advice", "solution_before_exploration") and b["in_band"] is False
               for b in p["because"])
    assert check_report(report) == []
    # the checker catches a try-instead about another moment
    d = json.loads(report.to_json())
    other = next(t.text for t in turns if t.role == HELPER and t.text != p["evidence"]["quote"])
    k = [x["subscore"] for x in d["summary"]["priorities"]].index("hold_back")
    d["summary"]["priorities"][k]["try_instead"] = f'Instead of "{other}", ask first.'
    assert any("does not speak about the quoted moment" in x for x in check_report(d))


def test_one_microphone_never_shows_cut_ins_or_pauses_as_measured():
    """'times you cut in: 0', 'pause 0.0 s' on a one-microphone recording."""
    turns = make_turns(GOOD, timed=True)
    timing = _timing(talk_share_helper=0.4, interruptions=[], latency={"median": 0.0}, overlaps_measured=False)
    report = _report(turns, GOOD_VIEW, timing)
    ms = report.subscores["make_space"]
    assert {p.name for p in ms.parts} == {"helper_talk_share"}
    assert "not measured with one microphone" in ms.summary and "cut in on the client: 0" not in ms.summary
    text = render_text(report)
    assert "interruptions per minute" not in text and "response pause" not in text
    assert check_report(report) == []
    d = json.loads(report.to_json())
    d["subscores"]["make_space"]["summary"] += " Times you cut in on the client: 0."
    assert any("one microphone" in x for x in check_report(d))


def test_counts_and_shares_agree():
    """'reflections 0, validations 0' beside '5.9 % reflections and validations per turn'; R:Q with no questions."""
    turns = make_turns(GOOD)
    probs = {i: {"question": 0.1, "reflection": 0.1, "input": 0.7, "other": 0.1} for i in (1, 3, 5, 7)}
    view = CueView({0: frozenset({"feeling"}), 1: frozenset({"input"}), 3: frozenset({"input"}),
                    5: frozenset({"input"}), 7: frozenset({"input"})}, (), probs)
    rv = score_session(turns, view).subscores["reflect_validate"]
    parts = {p.name: p.value for p in rv.parts}
    assert parts["reflections_and_validations_per_turn"] == 0.0 and parts["reflection_to_question"] is None
    only_reflections = CueView({1: frozenset({"reflection", "simple_reflection"}),
                                3: frozenset({"reflection", "simple_reflection"})})
    rv = score_session(turns, only_reflections).subscores["reflect_validate"]
    assert {p.name: p.value for p in rv.parts}["reflection_to_question"] == 2.0  # MITI: no questions -> R


def test_negative_pause_is_said_in_words():
    turns = make_turns(GOOD, timed=True)
    ms = score_session(turns, GOOD_VIEW, _timing(talk_share_helper=0.4, latency={"median": -0.485})).subscores[
        "make_space"]
    assert "-0." not in ms.summary and "started 0.5 s before the client had finished" in ms.summary


def test_plain_words_only():
    """'AnnoMI good sessions 2 %, poor 23 %', 'MITI fair 1:1', 'replys'."""
    turns = make_turns(GOOD, timed=True)
    rushed = ProsodyResult(speakers=(ProsodySummary(scope="speaker", speaker="helper", wpm=150.0, pitch_sd_st=3.0,
                                                    n_words=60),), turns=(), tracks=(), helper_minus_client_db=0.0,
                           rushed_after_disclosure=(1, 3))
    report = _report(turns, GOOD_VIEW, _timing(talk_share_helper=0.4), rushed)
    targets = " ".join(p.target for s in report.subscores.values() for p in s.parts)
    assert "AnnoMI" not in targets and "MITI" not in targets
    assert "replys" not in render_text(report) and "2 rushed replies" in report.subscores["voice"].summary


def test_checker_catches_a_strength_outside_its_band_and_a_wrong_band():
    turns = make_turns(GOOD, timed=True)
    report = _report(turns, GOOD_VIEW, _timing(talk_share_helper=0.35, interruptions=[]))
    d = json.loads(report.to_json())
    assert d["summary"]["strength"] is not None
    d["summary"]["strength"]["because"].append(
        Because("helper_talk_share", 63.0, Band(0.0, 50.0), "% of the speaking time").to_dict())
    assert any("outside its band" in x for x in check_report(d))
    d = json.loads(report.to_json())
    d["summary"]["strength"]["because"][0]["band"] = [0, 1000]
    assert any("not its own" in x for x in check_report(d))
    d = json.loads(report.to_json())
    d["summary"]["verdict_because"][0]["value"] = 12.0
    assert any("headline verdict" in x for x in check_report(d))


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_each_figure_phrase_states_its_own_value(name):
    d = FIGURES[name]
    value = 3.0 if d.band.lo is None else d.band.lo + 1.0
    assert d.praise(value) and d.fault(value)


def test_jargon_is_shown_where_it_was_said_with_a_plain_alternative():
    """IOP, MAT and "treatment plan" were in report.json as cues but on neither the page nor report.txt."""
    lines = [(CLIENT, "I relapsed last week and I feel so ashamed."),
             (HELPER, "It sounds like the shame is heavy right now."),
             (CLIENT, "It is. I don't know what to do next."),
             (HELPER, "We could look at an I.O.P. and talk about M.A.T. as part of your treatment plan.")]
    turns = make_turns(lines, timed=True)
    from service.pipeline import score_transcript

    report = score_transcript(turns)
    hb = report.subscores["hold_back"]
    assert [(j.term, j.said, j.plain) for j in hb.jargon] == [
        ("IOP", "I.O.P.", "the day programme"), ("MAT", "M.A.T.", "medicine for recovery"),
        ("treatment plan", "treatment plan", "your plan")]
    assert {j.start for j in hb.jargon} == {turns[3].start}
    assert {p.name: p.value for p in hb.parts}["technical_terms"] == 3.0
    text = " ".join(render_text(report).split())
    assert 'you said "I.O.P."; to the client, say "the day programme"' in text
    assert check_report(report) == []


def test_a_strength_needs_a_moment_that_shows_it():
    """No advice in a session is no moment to praise: hold back alone, with nothing to quote, is not the strength;
    asking permission first is such a moment."""
    turns = make_turns(GOOD)
    sub = score_session(turns, GOOD_VIEW, None).subscores["hold_back"]
    assert sub.score >= 70 and not any(e.positive for e in sub.evidence)
    report = with_summary(Report(index=90.0, subscores={"hold_back": sub}, turns=tuple(turns)))
    assert report.summary.strength is None
    labels = dict(GOOD_VIEW.labels)
    labels[3] = labels[3] | {"permission"}
    sub = score_session(turns, CueView(labels, GOOD_VIEW.events, GOOD_VIEW.probs), None).subscores["hold_back"]
    report = with_summary(Report(index=90.0, subscores={"hold_back": sub}, turns=tuple(turns)))
    s = report.summary.strength
    assert s is not None and s.subscore == "hold_back" and s.evidence.start == turns[3].start


def test_one_idea_after_asking_is_no_fault_and_a_lecture_after_one_ask_is():
    """Advice after permission vs unasked advice: one idea per time asked is fine; more is faulted."""
    turns = make_turns(GOOD)
    labels = dict(GOOD_VIEW.labels)
    labels[5] = frozenset({"permission", "question", "closed_question"})
    labels[7] = frozenset({"advice", "advice_after_permission"})
    sub = score_session(turns, CueView(labels), None).subscores["hold_back"]
    advice = next(p for p in sub.parts if p.name == "advice")
    assert advice.value == 0.0 and advice.in_band
    lecture = dict(labels)
    lecture[3] = frozenset({"advice", "advice_after_permission"})  # a second idea on the same ask
    sub = score_session(turns, CueView(lecture), None).subscores["hold_back"]
    advice = next(p for p in sub.parts if p.name == "advice")
    assert advice.value > 5.0 and not advice.in_band
    assert any(e.figure == "advice" and not e.positive for e in sub.evidence)


def test_a_counted_strength_needs_two_moments_and_ties_follow_the_training_order():
    """One open question is no pattern to keep doing; between equal scores reflecting is named first."""
    turns = make_turns(GOOD)
    subs = score_session(turns, GOOD_VIEW, None).subscores
    ex, rv = subs["explore"], subs["reflect_validate"]
    assert sum(e.positive for e in ex.evidence) == 1  # GOOD asks one open question
    report = with_summary(Report(index=90.0, subscores={"explore": ex}, turns=tuple(turns)))
    assert report.summary.strength is None
    assert rv.score == ex.score == 100.0
    report = with_summary(Report(index=90.0, subscores={"explore": ex, "reflect_validate": rv}, turns=tuple(turns)))
    assert report.summary.strength.subscore == "reflect_validate"


def test_praise_quotes_a_sure_moment_before_a_doubtful_one():
    turns = make_turns(GOOD)
    probs = {1: {"reflection": 0.5, "other": 0.5}, 3: {"reflection": 0.55, "other": 0.45},
             7: {"reflection": 0.95, "other": 0.05}}
    sub = score_session(turns, CueView(GOOD_VIEW.labels, GOOD_VIEW.events, probs), None).subscores["reflect_validate"]
    praised = [e.start for e in sub.evidence if e.positive]
    assert praised[0] == turns[7].start  # the sure reflection first, the two doubtful ones after it


def test_asking_permission_is_neither_an_open_nor_a_closed_question_in_explore():
    turns = make_turns(GOOD)
    labels = dict(GOOD_VIEW.labels)
    labels[3] = frozenset({"permission", "question", "closed_question"})
    ex = score_session(turns, CueView(labels), None).subscores["explore"]
    share = next(p for p in ex.parts if p.name == "open_questions")
    assert share.value == 100.0 and share.in_band  # the one real question was open
    assert ex.summary.startswith("2 questions: 1 open, 1 yes/no") and "1 asked permission" in ex.summary


def test_make_space_is_never_the_strength_while_cut_ins_went_unmeasured():
    """'Keep doing: make space' on a one-microphone recording where the helper cut in twice (issue 25)."""
    turns = make_turns(GOOD, timed=True)
    one_mic = _timing(talk_share_helper=0.3, interruptions=[], latency={"median": 0.0}, overlaps_measured=False)
    sub = score_session(turns, GOOD_VIEW, one_mic).subscores["make_space"]
    assert all(p.in_band for p in sub.parts)  # the talk share alone is in band ...
    report = with_summary(Report(index=90.0, subscores={"make_space": sub}, turns=tuple(turns), timing=one_mic))
    assert report.summary.strength is None  # ... yet room left is not praised unmeasured
    stereo = _timing(talk_share_helper=0.3, interruptions=[], latency={"median": 0.7})
    sub = score_session(turns, GOOD_VIEW, stereo).subscores["make_space"]
    report = with_summary(Report(index=90.0, subscores={"make_space": sub}, turns=tuple(turns), timing=stereo))
    assert report.summary.strength is not None and report.summary.strength.subscore == "make_space"


def test_the_words_are_praised_before_the_room_left():
    """Both in band and sure: 'keep doing' names what was said (reflect and validate), not make space."""
    turns = make_turns(GOOD, timed=True)
    timing = _timing(talk_share_helper=0.35, interruptions=[], latency={"median": 0.7})
    labels = dict(GOOD_VIEW.labels)
    labels[7] = frozenset({"question", "open_question"})  # one reflection per question: in band, below 100
    subs = score_session(turns, CueView(labels, GOOD_VIEW.events), timing).subscores
    ms, rv = subs["make_space"], subs["reflect_validate"]
    assert all(p.in_band for p in ms.parts if p.value is not None) and ms.score > rv.score
    assert all(p.in_band for p in rv.parts if p.value is not None)
    report = with_summary(Report(index=90.0, subscores={"make_space": ms, "reflect_validate": rv}, turns=tuple(turns)))
    assert report.summary.strength.subscore == "reflect_validate"


def test_the_words_praised_for_their_in_band_figures_come_before_the_room_left():
    """A good session (held-out h033): reflections in most turns but few complex ones; 'keep doing' names the
    reflecting, citing only its in-band figures, not make space (all in band, its quote a client's turn)."""
    turns = make_turns(GOOD, timed=True)
    timing = _timing(talk_share_helper=0.39, interruptions=[], latency={"median": 0.64})
    labels = {i: (frozenset({"reflection", "simple_reflection"}) if "reflection" in v else v)
              for i, v in GOOD_VIEW.labels.items()}
    subs = score_session(turns, CueView(labels, GOOD_VIEW.events), timing).subscores
    ms, rv = subs["make_space"], subs["reflect_validate"]
    assert all(p.in_band for p in ms.parts if p.value is not None)
    assert not all(p.in_band for p in rv.parts if p.value is not None)  # complex reflections: none
    report = with_summary(Report(index=90.0, subscores={"make_space": ms, "reflect_validate": rv}, turns=tuple(turns)))
    st = report.summary.strength
    assert st.subscore == "reflect_validate" and all(b.in_band for b in st.because)
    assert "complex_reflections" not in {b.figure for b in st.because}


def test_one_yes_no_question_is_no_pattern_to_work_on_and_two_are():
    """Held-out h049: one closed question among minimising replies was a priority ("none of your questions were
    open"); explore is faulted for the share of open questions only on two or more moments of it."""
    turns = make_turns(GOOD)
    one = dict(GOOD_VIEW.labels)
    one[5] = frozenset({"question", "closed_question"})
    ex = score_session(turns, CueView(one, GOOD_VIEW.events), None).subscores["explore"]
    assert any(p.fault for p in ex.parts)
    report = with_summary(Report(index=60.0, subscores={"explore": ex}, turns=tuple(turns)))
    assert not report.summary.priorities
    assert not [p for p in check_report(report) if "not a priority" in p]  # the checker reads the same rule
    two = dict(one)
    two[7] = frozenset({"question", "closed_question"})
    ex = score_session(turns, CueView(two, GOOD_VIEW.events), None).subscores["explore"]
    report = with_summary(Report(index=60.0, subscores={"explore": ex}, turns=tuple(turns)))
    assert [p.subscore for p in report.summary.priorities] == ["explore"]


def test_a_story_answered_only_with_mm_hmms_is_faulted_at_its_end():
    """A long client story, the helper's only words 'okay', 'right', then 'alright.' once it ends: the fault
    moment is that last reply, where a reflection could have gone."""
    story = ("My mom found my old pipe in the garage and now she won't let me see my little brother. "
             "I tried to explain it was old. She just cried. I feel so helpless.")
    turns = [Turn(speaker=CLIENT, role=CLIENT, text=story, start=0.0, end=30.0, index=0),
             Turn(speaker=HELPER, role=HELPER, text="Okay,", start=8.0, end=8.5, index=1),
             Turn(speaker=HELPER, role=HELPER, text="right,", start=16.0, end=16.4, index=2),
             Turn(speaker=HELPER, role=HELPER, text="alright.", start=30.6, end=31.0, index=3)]
    report = _report(turns, CueView({0: frozenset({"feeling"})}))
    p = _claims(report)["priorities"]["reflect_validate"]
    assert p["evidence"]["quote"] == "alright." and p["evidence"]["start"] == 30.6
    assert "say back what you heard" in p["try_instead"]


def test_the_idea_the_client_agreed_to_hear_is_no_place_for_a_reflection():
    """"Would it be okay if I shared something?" "Sure, go ahead." "Some people plan a set time to leave."
    The offered idea is not quoted as a reply where a reflection could go; a reply to the client's story is."""
    lines = [(CLIENT, "My family drinks at every holiday and my uncle pushes it on me. I feel trapped."),
             (HELPER, "Would it be okay if I shared something that has helped other people?"),
             (CLIENT, "Sure, go ahead."),
             (HELPER, "Some people plan a set time to leave and tell one person ahead of time."),
             (CLIENT, "Telling my mom ahead of time might actually help."),
             (HELPER, "Your mom."),
             (CLIENT, "Yeah, she would get it."),
             (HELPER, "Good.")]
    turns = make_turns(lines)
    view = CueView({0: frozenset({"feeling"}), 1: frozenset({"permission", "question", "closed_question"}),
                    3: frozenset({"information"}), 5: frozenset({"reflection", "simple_reflection"})})
    sub = score_session(turns, view, None).subscores["reflect_validate"]
    share = next(p for p in sub.parts if p.name == "reflections_and_validations_per_turn")
    assert share.value == 25.0 and not share.in_band
    faults = [e.quote for e in sub.evidence if not e.positive and e.figure == share.name]
    assert faults == ["Good."]  # not the idea offered after "Sure, go ahead."


def test_one_is_said_in_the_singular():
    from analysis.report.text import _part_value

    assert _part_value(1.0, "replies") == "1 reply" and _part_value(1.0, "times") == "1 time"
    assert _part_value(2.0, "replies") == "2 replies" and _part_value(0.0, "times") == "0 times"


def test_the_web_page_says_one_in_the_singular_too():
    from pathlib import Path

    from service.web.reports import unit_after

    assert unit_after("replies", 1.0) == "reply" and unit_after("replies", 3) == "replies"
    assert unit_after("times", "-") == "times"
    page = (Path(__file__).resolve().parents[2] / "web" / "templates" / "report.html").read_text(encoding="utf-8")
    assert "part.unit|unit_for(part.value)" in page


def test_open_questions_that_change_the_subject_after_feelings_are_not_praised_as_exploring():
    """A topic changer asking open questions was told "keep doing: explore" (issue 25's fifth blind batch, h104):
    two changes of subject were read, the others took up a word of the client's and counted as exploring."""
    lines = [(CLIENT, "She overdosed on Tuesday. I keep seeing her face, I feel sick all the time."),
             (HELPER, "Are you still picking up shifts at the daycare?"),
             (CLIENT, "Three days a week. I'm scared all the time."),
             (HELPER, "How's the new apartment coming along?"),
             (CLIENT, "I haven't been sleeping there. Her funeral is Saturday and I feel so lonely."),
             (HELPER, "What are you and your mom doing Saturday?"),
             (CLIENT, "The funeral. I don't know if I can go to the funeral."),
             (HELPER, "What time does your mom get off work?"),
             (CLIENT, "Four. My mom works late."),
             (HELPER, "What else is new with your mom?"),
             (CLIENT, "Not much.")]
    turns = make_turns(lines, timed=True)
    labels = {i: frozenset({"feeling"}) for i in (0, 2, 4, 6)}
    labels.update({1: frozenset({"question", "closed_question"})})
    labels.update({i: frozenset({"question", "open_question"}) for i in (3, 5, 7, 9)})
    changed = CueView(labels, (TurnEvent("topic_avoidance", 1, 0), TurnEvent("topic_avoidance", 3, 2)))
    subs = score_session(turns, changed, None).subscores
    assert subs["explore"].score == 100.0  # the questions read as following the client are all open ...
    report = with_summary(Report(index=50.0, subscores=subs, turns=tuple(turns)))
    stay = next(p for p in report.summary.priorities if p.subscore == "stay_with")
    assert any(b.figure == "topic_changes_after_disclosure" and b.in_band is False for b in stay.because)
    strength = report.summary.strength
    assert strength is None or strength.subscore != "explore"  # ... but the subject was changed after feelings
    # the same open questions where no change of subject was read: exploring, and praised
    kept = score_session(turns, CueView(labels), None).subscores
    assert with_summary(Report(index=90.0, subscores={"explore": kept["explore"]},
                               turns=tuple(turns))).summary.strength.subscore == "explore"


def test_bare_backchannels_are_left_out_of_the_turns_a_reflection_could_take():
    """c071: two reflections among four helper turns, two of them a bare "Right.", read as 2 in 6 (33 %, band
    40 % or more) and faulted; a continuer takes no turn from reflecting."""
    lines = [(CLIENT, "My daughter's wedding is Saturday and I'm scared I'll want a drink."),
             (HELPER, "Mm."),
             (CLIENT, "Everyone will be drinking champagne."),
             (HELPER, "It sounds like you're dreading being the only one without a glass."),
             (CLIENT, "And my ex will be there."),
             (HELPER, "Right."),
             (CLIENT, "I don't want to ruin her day."),
             (HELPER, "You feel her day matters more than your own nerves."),
             (CLIENT, "It does."),
             (HELPER, "What would help you get through the toast?")]
    turns = make_turns(lines)
    labels = {1: frozenset({"backchannel"}), 3: frozenset({"reflection", "complex_reflection"}),
              5: frozenset({"backchannel"}), 7: frozenset({"reflection", "complex_reflection"}),
              9: frozenset({"question", "open_question"})}
    rv = score_session(turns, CueView(labels), None).subscores["reflect_validate"]
    share = next(p for p in rv.parts if p.name == "reflections_and_validations_per_turn")
    assert share.value == pytest.approx(66.7) and share.in_band  # 2 of the 3 turns that say something
    bare = [(CLIENT, "I'm so tired of it all."), (HELPER, "Mm."), (CLIENT, "Nobody listens."), (HELPER, "Right."),
            (CLIENT, "Yeah."), (HELPER, "Mm-hmm.")]
    only = score_session(make_turns(bare), CueView({}), None).subscores["reflect_validate"]
    share = next((p for p in only.parts if p.name == "reflections_and_validations_per_turn"), None)
    assert share is None or share.value == 0.0  # nothing but continuers: none of the turns reflected
