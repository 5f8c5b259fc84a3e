"""Scoring known answers on hand-written turns, and the edge cases that give a partial report."""

from __future__ import annotations

import pytest

from analysis.cues.detect import detect_cues
from analysis.cues.view import CueView, TurnEvent
from analysis.prosody.types import ProsodyResult, ProsodySummary
from analysis.report.types import ScorePart
from analysis.schema import CLIENT, HELPER, Turn
from analysis.scoring.score import WEIGHTS, combine_index, score_session
from analysis.scoring.util import ramp, weighted
from analysis.timing.types import TimingMetrics
from service.pipeline import score_transcript
from tests.report_fixtures import GOOD, POOR, make_turns


def _timing(d: dict) -> TimingMetrics:
    """The timing stage's result with just the figures a test sets (the rest at their defaults)."""
    return TimingMetrics.from_dict(d)


def _prosody(helper: dict, helper_minus_client_db: float, rushed: tuple[int, ...]) -> ProsodyResult:
    """The prosody stage's result with one helper summary and the session comparisons a test sets."""
    summary = ProsodySummary(scope="speaker", speaker="helper", **helper)
    return ProsodyResult(speakers=(summary,), turns=(), tracks=(), helper_minus_client_db=helper_minus_client_db,
                         rushed_after_disclosure=rushed)

def _score(lines, **kw):
    turns = make_turns(lines, **kw)
    return score_session(turns, detect_cues(turns))


def test_ramp_and_weighted_known_values():
    assert ramp(1.0, 0.0, 2.0) == 50.0
    assert ramp(3.0, 0.0, 2.0) == 100.0
    assert ramp(0.10, 0.25, 0.03) == pytest.approx(68.2, abs=0.1)
    assert ramp(None, 0, 1) is None
    parts = [ScorePart("a", 1, points=100, weight=3), ScorePart("b", 0, points=0, weight=1),
             ScorePart("c", None, points=None, weight=5)]
    assert weighted(parts) == 75.0
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


# Hand-labelled cues for GOOD and POOR (turn position -> labels), so scoring is tested on its own.
GOOD_VIEW = CueView({0: frozenset({"feeling"}), 1: frozenset({"reflection", "complex_reflection"}),
                     2: frozenset({"feeling"}), 3: frozenset({"reflection", "complex_reflection"}),
                     5: frozenset({"question", "open_question"}),
                     7: frozenset({"reflection", "complex_reflection"})},
                    (TurnEvent("feeling_reflected", 1, 0), TurnEvent("feeling_reflected", 3, 2)))
POOR_VIEW = CueView({0: frozenset({"feeling"}), 1: frozenset({"advice", "input", "minimising"}),
                     2: frozenset({"feeling"}), 3: frozenset({"question", "closed_question", "advice", "minimising"}),
                     5: frozenset({"question", "closed_question"}), 7: frozenset({"advice", "input"})},
                    (TurnEvent("solution_before_exploration", 1, 0), TurnEvent("solution_before_exploration", 3, 2)))


def test_known_answers_from_hand_labelled_cues():
    good = score_session(make_turns(GOOD), GOOD_VIEW)
    poor = score_session(make_turns(POOR), POOR_VIEW)
    # good: R:Q 3 -> 100; 3 of 4 turns reflect (75 % -> 100); all complex -> 100
    assert good.subscores["reflect_validate"].score == 100.0
    assert good.subscores["hold_back"].score == 100.0 and good.subscores["stay_with"].score == 100.0
    assert good.subscores["explore"].score == 100.0
    # poor: advice in 3 of 4 turns and input in 3 of 4 -> 0 pts; 2 solution-first events and
    # 2 minimising remarks -> 33.3 pts each: (0*.3 + 0*.45 + 33.3*.15 + 33.3*.1) / 1 = 8.3
    assert poor.subscores["hold_back"].score == pytest.approx(8.3, abs=0.05)
    assert poor.subscores["reflect_validate"].score == 0.0
    # stayed with 0 of 2 feelings -> 0 pts (weight .75); no topic changes -> 100 pts (weight .25)
    assert poor.subscores["stay_with"].score == 25.0
    # 0 % open questions; helper turns 3 and 5 are consecutive closed questions -> one run
    assert [p.value for p in poor.subscores["explore"].parts] == [0.0, 1.0]
    assert good.miti.levels == {"reflection_to_question": "good", "pct_complex_reflections": "good"}
    assert poor.miti.reflection_to_question == 0.0 and poor.miti.levels["reflection_to_question"] == "below fair"
    # four certain helper turns: confidence 4/14, over LOW_CONFIDENCE (judged) but under FIRM_CONFIDENCE
    # (the headline calls it a first reading)
    assert good.strengths and poor.work_on
    hold = poor.subscores["hold_back"]
    assert hold.judged and hold.confidence == pytest.approx(4 / 14, abs=0.001)
    assert "A first reading: it rests on only 4 of your turns" in poor.summary.headline
    assert "call your sponsor" in hold.try_instead
    assert [e.start for e in hold.evidence] == [None, None, None]
    assert "solution before exploring" in hold.evidence[0].note and "minimising" in hold.evidence[0].note


def test_good_helper_scores_far_above_poor_helper_with_detected_cues():
    good, poor = _score(GOOD), _score(POOR)
    assert good.index - poor.index >= 40, (good.index, poor.index)
    assert good.subscores["hold_back"].score > 80 > 50 > poor.subscores["hold_back"].score
    quotes = [e.quote for e in poor.subscores["hold_back"].evidence]
    assert any("call your sponsor" in q for q in quotes)


def test_index_is_weighted_mean_of_measured_parts():
    r = _score(GOOD)
    measured = {k: s for k, s in r.subscores.items() if s.score is not None}
    assert "voice" not in measured  # text alone: voice not measured
    expected = sum(s.score * s.weight for s in measured.values()) / sum(s.weight for s in measured.values())
    assert r.index == pytest.approx(expected, abs=0.05)
    assert combine_index({}) is None


def test_text_only_make_space_uses_word_share():
    r = _score(POOR)
    part = r.subscores["make_space"].parts[0]
    assert part.name == "helper_talk_share" and "words" in part.unit
    helper = sum(len(t.split()) for role, t in POOR if role == HELPER)
    client = sum(len(t.split()) for role, t in POOR if role == CLIENT)
    assert part.value == pytest.approx(100 * helper / (helper + client), abs=0.1)


def test_timing_and_prosody_dicts_are_used_when_present():
    turns = make_turns(GOOD, timed=True)
    cut = {"kind": "interruption", "start": 3.0, "end": 3.5, "speaker": "helper", "text": "you should",
           "before": "and I feel so"}
    timing = _timing({"talk_share_helper": 0.8, "interruptions": [cut] * 4, "duration": 60.0,
                      "latency": {"median": -0.1},
                      "longest_helper_monologue": {"kind": "monologue", "start": 10.0, "end": 75.0}})
    prosody = _prosody({"role": "helper", "wpm": 230.0, "pitch_sd_st": 0.5, "n_words": 60}, 14.0, (1, 3))
    calm = score_session(turns, detect_cues(turns),
                         _timing({"talk_share_helper": 0.4, "interruptions": [], "duration": 60.0,
                                  "latency": {"median": 0.8}}),
                         _prosody({"role": "helper", "wpm": 135.0, "pitch_sd_st": 3.0, "n_words": 60}, -1.0, ()))
    rushed = score_session(turns, detect_cues(turns), timing, prosody)
    assert calm.subscores["make_space"].score == 100.0 and calm.subscores["voice"].score == 100.0
    assert rushed.subscores["make_space"].score < 10 and rushed.subscores["voice"].score < 20
    assert rushed.index < calm.index
    space = {p.name: p.value for p in rushed.subscores["make_space"].parts}
    assert space == {"helper_talk_share": 80.0, "interruptions_per_minute": 4.0, "response_pause": -0.1,
                     "longest_helper_turn": 65.0}
    first = rushed.subscores["make_space"].evidence[0]  # one speaker's words, labelled with that speaker
    assert (first.quote, first.role, first.speaker) == ("you should", "helper", "helper")
    assert "and I feel so" in rushed.subscores["make_space"].try_instead
    voice = {p.name: p for p in rushed.subscores["voice"].parts}
    assert voice["level_vs_client"].value == 14.0 and voice["rushed_after_disclosure"].value == 2.0
    assert [e.start for e in rushed.subscores["voice"].evidence] == [turns[1].start, turns[3].start]


def test_without_cues_text_subscores_are_not_measured():
    r = score_session(make_turns(GOOD), None)
    for name in ("reflect_validate", "explore", "hold_back", "stay_with"):
        assert r.subscores[name].score is None
        assert "not measured" in r.subscores[name].summary.lower()
    assert r.index == r.subscores["make_space"].score


@pytest.mark.parametrize(
    "turns, fragment",
    [
        ([], "empty"),
        ([Turn("client", "Hi.", role=CLIENT)], "helper never speaks"),
        ([Turn("helper", "Hello.", role=HELPER)], "client never speaks"),
        ([Turn(s, t, role=s) for s, t in [(CLIENT, "Me siento muy triste y avergonzado por todo lo que pasó ayer"),
                                          (HELPER, "Deberías hablar con tu familia sobre lo que pasó anoche")]],
         "english"),
    ],
    ids=["empty", "helper-silent", "client-silent", "spanish"],
)
def test_edge_cases_give_clear_partial_report(turns, fragment):
    r = score_transcript(turns)
    assert r.partial
    assert any(fragment in n.lower() for n in r.notes), r.notes
    assert r.to_dict()["partial"] is True


def test_one_word_session_scores_without_crashing():
    r = score_transcript([Turn("client", "Hi.", role=CLIENT), Turn("helper", "Hey.", role=HELPER)])
    assert not r.partial and r.index is not None and 0 <= r.index <= 100
    assert r.subscores["stay_with"].score is None


def test_explore_is_not_measured_without_questions():
    """Advice ending in a question mark is advice, not a question: with no question asked, "explore"
    has no figure to judge, so it is not measured (never a made-up count of suggestions)."""
    turns = [
        Turn(speaker="c", role=CLIENT, text="I used again on Saturday and I feel so ashamed.", start=0.0, end=3.0, index=0),
        Turn(speaker="h", role=HELPER, text="You should call your sponsor. Have you been to a meeting since?",
             start=3.2, end=6.0, index=1),
        Turn(speaker="c", role=CLIENT, text="No.", start=6.2, end=6.6, index=2),
        Turn(speaker="h", role=HELPER, text="You need to go tonight.", start=6.8, end=8.0, index=3),
    ]
    view = CueView({1: frozenset({"advice", "input"}), 3: frozenset({"advice", "input"})}, ())
    res = score_session(turns, view)
    explore = res.subscores["explore"]
    assert explore.score is None and explore.summary == "Not measured: you asked no questions."
    assert "explore" not in {p.subscore for p in res.summary.priorities}
