"""Timing metrics with known answers on the synthetic fixtures (analysis/timing/metrics.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.errors import ParameterError
from analysis.schema import CLIENT, HELPER, Turn, Word
from analysis.schema import SpeechRegion as R
from analysis.speakers.activity import SpeakerActivity, activity_from_channels
from analysis.speakers.roles import assign_roles
from analysis.speakers.turns import build_turns, turns_from_activity
from analysis.timing.metrics import TimingMetrics, TimingOptions, timing_metrics
from tests.speaker_fixtures import (
    events,
    load,
    truth_latencies,
    truth_regions,
    truth_words,
)


def _metrics(name: str, options: TimingOptions | None = None):
    stereo, sr, truth = load(name)
    act = activity_from_channels(stereo, sr, speakers=[HELPER, CLIENT])
    turns, _ = assign_roles(build_turns(truth_words(truth), act), helper=HELPER)
    return timing_metrics(turns, act, options), truth


def _union(regions):
    out = []
    for r in sorted(regions, key=lambda r: r.start):
        if out and r.start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], r.end)
        else:
            out.append([r.start, r.end])
    return sum(b - a for a, b in out)


@pytest.mark.parametrize("name", ["interruptions", "good_listener", "client_cuts_in"])
def test_planted_events_are_found(name):
    m, truth = _metrics(name)
    planted = events(truth, "interruption")
    # every planted helper interruption found within 0.3 s, at most one false alarm
    found = [e.start for e in m.interruptions]
    for p in planted:
        assert any(abs(f - p["start"]) <= 0.3 for f in found), (p, found)
    assert len(found) - len(planted) <= 1
    assert len(m.backchannels) == len(events(truth, "backchannel"))
    for p, e in zip(events(truth, "backchannel"), m.backchannels):
        assert abs(e.start - p["start"]) <= 0.1 and e.text == p["text"]
    assert len(m.client_interruptions) == len(events(truth, "interruption", CLIENT))
    assert len(m.long_pauses) >= len(events(truth, "long_pause", None))


def test_interruptions_known_answers():
    m, truth = _metrics("interruptions")
    assert len(m.interruptions) == 2
    a, b = m.interruptions
    assert a.start == pytest.approx(20.09, abs=0.1) and b.start == pytest.approx(32.5, abs=0.1)
    assert a.text.startswith("Well, you could") and "sister" in a.before
    assert a.details["client_stopped_after"] == pytest.approx(0.6, abs=0.1)
    # latencies: every client->helper hand-over, within 0.1 s of the truth
    want = truth_latencies(truth)
    assert m.latency.count == len(want)
    np.testing.assert_allclose(sorted(m.latency.values), sorted(want), atol=0.1)
    assert m.latency.bins["overlap"] == 2
    # talk share from the truth turns
    h = _union([r for r in truth_regions(truth) if r.speaker == HELPER])
    c = _union([r for r in truth_regions(truth) if r.speaker == CLIENT])
    assert m.talk_share_helper == pytest.approx(h / (h + c), abs=0.02)
    assert m.longest_client_story.duration == pytest.approx(14.85 - 5.48, abs=0.1)
    assert m.pauses["long"] == 1 and m.long_pauses[0].duration == pytest.approx(1.5, abs=0.1)


def test_good_listener_known_answers():
    m, truth = _metrics("good_listener")
    assert m.interruptions == ()
    np.testing.assert_allclose([e.start for e in m.backchannels], [5.58, 8.18, 21.85], atol=0.1)
    assert len(m.overlaps) >= 1 and any(abs(o.start - 17.34) <= 0.1 for o in m.overlaps)
    assert m.long_pauses[0].start == pytest.approx(10.36, abs=0.1)
    assert m.long_pauses[0].speaker == HELPER  # the helper waited 1.8 s before answering
    assert m.talk_share_helper < 0.5  # the client spoke more


def test_thresholds_are_configurable():
    m, _ = _metrics("good_listener", TimingOptions(backchannel_max=0.2))
    assert len(m.backchannels) == 0  # no helper vocalisation is that short
    m, _ = _metrics("interruptions", TimingOptions(yield_within=0.3))
    assert len(m.interruptions) == 0  # the client went on for ~0.6-0.7 s
    with pytest.raises(ParameterError):
        TimingOptions(guard=-1)


def test_roundtrip_json():
    m, _ = _metrics("interruptions")
    again = TimingMetrics.from_dict(json.loads(json.dumps(m.to_dict())))
    assert again == m
    assert again.summary()["n_interruptions"] == 2
    # over time: one bin per minute, adding up to the session's speech time
    m2, _ = _metrics("interruptions", TimingOptions(time_bin=10.0))
    assert len(m2.over_time) == 4 and sum(b["interruptions"] for b in m2.over_time) == 2
    assert sum(b["helper_s"] for b in m2.over_time) == pytest.approx(m2.speech_time[HELPER], abs=0.01)


def _act(regions, duration):
    return SpeakerActivity(tuple(regions), tuple(sorted({r.speaker for r in regions})), "reference", duration)


def test_client_who_never_stops():
    act = _act([R(0.5, 60.0, CLIENT), R(10.0, 10.4, HELPER), R(30.0, 30.5, HELPER)], 61.0)
    turns = turns_from_activity(act)
    m = timing_metrics(turns, act)
    assert len(m.backchannels) == 2 and m.interruptions == ()
    assert m.latency.count == 0 and m.talk_share_helper < 0.02
    assert m.longest_client_story.duration == pytest.approx(59.5)
    assert m.longest_helper_monologue is None


def test_degenerate_input():
    empty = timing_metrics([], _act([], 0.0))
    assert empty.talk_share_helper is None and empty.latency.count == 0 and empty.notes
    one = _act([R(0.0, 5.0, HELPER), R(6.5, 9.0, HELPER)], 10.0)
    m = timing_metrics(turns_from_activity(one), one)
    assert m.talk_share_helper == 1.0 and m.pauses["long"] == 1
    assert any("no client speech" in n for n in m.notes)
    short = _act([R(0.0, 0.3, CLIENT)], 0.3)
    assert timing_metrics(turns_from_activity(short), short).turns_per_minute == pytest.approx(200.0)


def test_latency_words_are_quoted():
    act = _act([R(0.0, 2.0, CLIENT), R(2.7, 4.0, HELPER)], 4.0)
    words = [Word(0.1, 0.9, "I", speaker=CLIENT), Word(1.0, 1.9, "relapsed.", speaker=CLIENT),
             Word(2.7, 3.2, "That", speaker=HELPER), Word(3.3, 3.9, "hurts.", speaker=HELPER)]
    turns = build_turns(words, act)
    assert [t.text for t in turns] == ["I relapsed.", "That hurts."]
    m = timing_metrics([Turn(**{**t.__dict__, "role": t.speaker}) for t in turns], act)
    (lat,) = m.latencies
    assert lat.details["latency"] == pytest.approx(0.7) and lat.before == "I relapsed."
    assert lat.after == "That hurts." and m.latency.bins["medium"] == 1


def test_a_cut_in_quotes_only_the_client_words_it_came_in_on():
    """The words before an event are the other person's run just before it, never reaching back across
    the helper's own words or a turn's pause: the quote stays inside one client turn."""
    act = _act([R(0.0, 1.0, HELPER), R(1.2, 2.0, CLIENT), R(3.0, 6.0, CLIENT), R(5.2, 9.0, HELPER)], 9.0)
    words = [Word(0.1, 0.8, "Okay.", speaker=HELPER), Word(1.2, 1.9, "Right.", speaker=CLIENT),
             Word(3.0, 3.5, "My", speaker=CLIENT), Word(3.6, 4.2, "sponsor", speaker=CLIENT),
             Word(4.3, 5.1, "left.", speaker=CLIENT), Word(6.1, 6.8, "Have", speaker=HELPER),
             Word(6.9, 7.5, "you", speaker=HELPER)]
    turns = [Turn(**{**t.__dict__, "role": t.speaker}) for t in build_turns(words, act)]
    m = timing_metrics(turns, act)
    (cut,) = m.interruptions
    assert cut.start == pytest.approx(5.2) and cut.before == "My sponsor left."  # not "Okay. Right. My ..."
    assert any(cut.before in t.text for t in turns if t.role == CLIENT)


def test_a_line_cut_off_by_barge_in_counts_the_cut_in():
    """Practice with barge-in: the client stops 0.23 s after the trainee's voice, inside the 0.3 s end guard.

    Known as cut off, her line's end is no natural turn end, so the cut-in is an interruption; the same
    timing without the mark is a helper starting as she finished."""
    regions = [R(0.0, 5.23, CLIENT), R(5.0, 8.0, HELPER)]
    act = SpeakerActivity(tuple(regions), (CLIENT, HELPER), "scripted", 10.0, info={"cut_offs": [5.23]})
    m = timing_metrics(turns_from_activity(act), act)
    assert len(m.interruptions) == 1 and m.interruptions[0].start == pytest.approx(5.0)
    plain = SpeakerActivity(tuple(regions), (CLIENT, HELPER), "scripted", 10.0)
    assert timing_metrics(turns_from_activity(plain), plain).interruptions == ()
