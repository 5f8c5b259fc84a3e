"""Speaker activity per channel and from a scripted timeline (analysis/speakers/activity.py)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from analysis.errors import ParameterError
from analysis.schema import CLIENT, HELPER, SpeechRegion
from analysis.speakers.activity import (
    SpeakerActivity,
    activity_from_channels,
    activity_from_timeline,
    channels_look_identical,
)
from service.eval.der import diarization_error
from tests.speaker_fixtures import NAMES, load, truth_regions

SR = 16000


@pytest.mark.parametrize("name", NAMES)
def test_channel_activity_matches_fixture_truth(name):
    stereo, sr, truth = load(name)
    act = activity_from_channels(stereo, sr, speakers=[HELPER, CLIENT])
    score = diarization_error(truth_regions(truth), act.regions, collar=0.25)
    assert score.der <= 0.05, score.to_dict()
    # region edges within 0.1 s of the truth for every turn
    for t in truth["turns"]:
        mine = act.regions_of(t["speaker"])
        assert min(abs(r.start - t["start"]) for r in mine) <= 0.1
        assert min(abs(r.end - t["end"]) for r in mine) <= 0.1
    assert act.source == "channels"
    assert act.n_speakers_detected == len({t["speaker"] for t in truth["turns"]})


def test_true_overlaps_are_kept():
    stereo, sr, truth = load("interruptions")
    act = activity_from_channels(stereo, sr, speakers=[HELPER, CLIENT])
    intr = [e for e in truth["events"] if e["type"] == "interruption"]
    for e in intr:  # both channels active in the planted overlap
        mid = (e["start"] + e["end"]) / 2
        assert act.active(HELPER, mid) and act.active(CLIENT, mid)


def test_bleed_between_channels_is_not_speech():
    stereo, sr, truth = load("interruptions")
    leaky = stereo + 0.1 * stereo[::-1]  # each mic hears the other at -20 dB
    act = activity_from_channels(leaky, sr, speakers=[HELPER, CLIENT])
    score = diarization_error(truth_regions(truth), act.regions, collar=0.25)
    assert score.der <= 0.08, score.to_dict()
    # ... and the planted overlaps survive the bleed suppression
    e = next(e for e in truth["events"] if e["type"] == "interruption")
    assert act.active(HELPER, (e["start"] + e["end"]) / 2) and act.active(CLIENT, (e["start"] + e["end"]) / 2)


def test_stereo_fixture_from_faster_whisper(test_data):
    x, sr = sf.read(test_data / "stereo_diarization.wav", dtype="float32", always_2d=True)
    act = activity_from_channels(x.T, sr)
    assert act.speakers == ("ch0", "ch1") or set(act.speakers) == {"ch0", "ch1"}
    left, right = act.speech_time("ch0"), act.speech_time("ch1")
    # left says a long sentence (~4 s), right a short one (~2.3 s)
    assert 3.0 < left < 4.6 and 1.6 < right < 2.8
    assert not act.notes


def test_silent_and_identical_channels(rng):
    noise = (1e-4 * rng.standard_normal((2, SR * 3))).astype(np.float32)
    act = activity_from_channels(noise, SR)
    assert act.regions == () and "no speech found" in act.notes
    stereo, sr, _ = load("one_speaker")
    same = np.stack([stereo[0], stereo[0]])
    assert channels_look_identical(same)
    dual = activity_from_channels(same, sr)
    assert any("same signal" in n for n in dual.notes)
    # identical channels are not suppressed as bleed of each other
    assert dual.speech_time("ch0") == pytest.approx(dual.speech_time("ch1"))
    assert dual.speech_time("ch0") > 5.0
    act1 = activity_from_channels(stereo, sr, speakers=[HELPER, CLIENT])
    assert act1.n_speakers_detected == 1 and any("only one speaker" in n for n in act1.notes)


def test_timeline_source_and_roundtrip():
    stereo, sr, truth = load("good_listener")
    client = [(t["start"], t["end"]) for t in truth["turns"] if t["speaker"] == CLIENT]
    act = activity_from_timeline(client, stereo[0], sr)
    assert act.source == "scripted" and set(act.speakers) == {HELPER, CLIENT}
    score = diarization_error(truth_regions(truth), act.regions, collar=0.25)
    assert score.der <= 0.05
    assert SpeakerActivity.from_dict(act.to_dict()) == act
    # echo of the played client voice in the mic is not taken for the helper
    echo_mic = stereo[0] + 0.2 * stereo[1]
    act2 = activity_from_timeline(client, echo_mic, sr, client_audio=stereo[1])
    assert diarization_error(truth_regions(truth), act2.regions, collar=0.25).der <= 0.08


def test_bad_input():
    with pytest.raises(ParameterError):
        activity_from_channels(np.zeros((2, 100)), 0)
    with pytest.raises(ParameterError):
        activity_from_channels(np.zeros((2, 100)), SR, speakers=["a"])
    with pytest.raises(ParameterError):
        activity_from_timeline([(2.0, 1.0)], np.zeros(SR), SR)
    with pytest.raises(ParameterError):
        SpeakerActivity((SpeechRegion(0, 1, "a"),), ("a",), "guess")
    assert activity_from_channels(np.zeros((2, 0), np.float32), SR).regions == ()
