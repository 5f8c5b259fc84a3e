"""Mono diarization and the DER scorer (analysis/speakers/diarize.py, service/eval/der.py)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import ParameterError
from analysis.schema import SpeechRegion as R
from analysis.speakers.diarize import DiarizeOptions, diarize
from audio.vad import speech_intervals
from service.eval.der import diarization_error, parse_rttm, parse_uem, to_rttm
from tests.speaker_fixtures import load, mono, truth_regions

SR = 16000


def test_der_known_answers():
    ref = [R(0, 10, "A"), R(10, 20, "B")]
    assert diarization_error(ref, [R(0, 10, "x"), R(10, 20, "y")], collar=0).der == 0.0
    # labels swapped: still perfect (optimal mapping)
    assert diarization_error(ref, [R(0, 10, "y"), R(10, 20, "x")], collar=0).der == 0.0
    # all one label: 10 s confusion of 20 s
    s = diarization_error(ref, [R(0, 20, "x")], collar=0)
    assert s.confusion == pytest.approx(10.0) and s.der == pytest.approx(0.5)
    # 5 s missed, 2 s false alarm
    s = diarization_error(ref, [R(0, 10, "x"), R(10, 15, "y"), R(25, 27, "y")], collar=0)
    assert (s.missed, s.false_alarm, s.confusion) == pytest.approx((5.0, 2.0, 0.0))
    # overlap is scored: both speakers in 4..6, hypothesis has one
    s = diarization_error([R(0, 6, "A"), R(4, 10, "B")], [R(0, 5, "x"), R(5, 10, "y")], collar=0)
    assert s.reference == pytest.approx(12.0) and s.missed == pytest.approx(2.0)
    # the collar hides boundary errors of up to 0.25 s
    s = diarization_error(ref, [R(0.2, 10.2, "x"), R(10.2, 20, "y")], collar=0.25)
    assert s.der == pytest.approx(0.0, abs=1e-9)
    # uem limits the scored span
    assert diarization_error(ref, [R(0, 10, "x")], uem=(0, 10), collar=0).der == 0.0


def test_rttm_roundtrip():
    regions = [R(1.5, 3.0, "spk0"), R(2.5, 4.0, "spk1")]
    parsed = parse_rttm(to_rttm(regions, "f1"))["f1"]
    assert parsed == regions
    assert parse_uem("f1 NA 0.000 30.000\n") == {"f1": (0.0, 30.0)}
    with pytest.raises(ParameterError):
        parse_rttm("SPEAKER f1 1 x y <NA> <NA> s <NA> <NA>")


@pytest.mark.parametrize("name", ["interruptions", "good_listener", "client_cuts_in"])
def test_two_voice_fixtures_mono(name):
    stereo, sr, truth = load(name)
    x = mono(stereo)
    act = diarize(x, sr, speech=speech_intervals(x, sr))
    assert act.n_speakers_detected == 2 and act.source == "diarization"
    assert diarization_error(truth_regions(truth), act.regions, collar=0.25).der <= 0.10


def test_one_speaker_is_not_split():
    stereo, sr, truth = load("one_speaker")
    x = mono(stereo)
    act = diarize(x, sr, speech=speech_intervals(x, sr))
    assert act.speakers == ("spk0",) and act.n_speakers_detected == 1
    assert any("only one speaker" in n for n in act.notes)


def test_energy_vad_fallback_and_degenerate_input(rng):
    stereo, sr, truth = load("client_cuts_in")
    act = diarize(mono(stereo), sr)  # no VAD given: energy VAD
    assert act.info["speech_source"] == "energy"
    assert diarization_error(truth_regions(truth), act.regions, collar=0.25).der <= 0.15
    silence = (1e-5 * rng.standard_normal(SR * 5)).astype(np.float32)
    s = diarize(silence, SR)
    assert s.regions == () and "no speech found" in s.notes
    short = mono(stereo)[: int(0.8 * sr)]
    act = diarize(short, sr)
    assert act.n_speakers_detected <= 1
    assert diarize(np.zeros(0, np.float32), SR).regions == ()
    with pytest.raises(ParameterError):
        diarize(np.zeros((2, 10)), SR)
    with pytest.raises(ParameterError):
        DiarizeOptions(max_speakers=0)
    with pytest.raises(ParameterError, match="voice_per_cluster"):
        DiarizeOptions(voice_per_cluster=-1)
    with pytest.raises(ParameterError, match="voice_window"):
        DiarizeOptions(voice_step=0.0)
    assert DiarizeOptions().voice_per_cluster == 32  # voiceprints (when switched on) embed at most 64 windows


def test_eval_command_on_fixtures(tmp_path):
    import json

    from click.testing import CliRunner

    from service.cli.main import main

    out = tmp_path / "d.json"
    res = CliRunner().invoke(main, ["eval", "diarization", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "overall DER:" in res.output and "fixtures/stereo" in res.output
    data = json.loads(out.read_text())
    assert data["collar"] == 0.25 and data["summary_der_percent"]["fixtures/mono"] <= 10.0
    stereo = [i for i in data["items"] if i["name"] == "interruptions" and i["mode"] == "stereo"][0]
    assert stereo["interruptions_found"] == stereo["interruptions_planted"] == 2
    assert stereo["interruption_false_alarms"] == 0
    decisions = {(d["group"], d["name"]): d for d in data["one_vs_two"]}
    assert decisions[("one-voice", "jfk")]["correct"] and decisions[("one-voice", "jfk")]["n_hyp_speakers"] == 1
    assert all(decisions[("fixtures", n)]["correct"] for n in ("interruptions", "good_listener", "client_cuts_in"))
    assert "one-vs-two decision correct:" in res.output
    bad = CliRunner().invoke(main, ["eval", "diarization", str(tmp_path / "missing")])
    assert bad.exit_code != 0 and "does not exist" in bad.output


def test_one_voice_jfk_is_one_speaker_two_voices_stay_two():
    from audio.decode import decode
    from tests.speaker_fixtures import DIALOGUES

    d = decode(DIALOGUES.parent / "jfk.flac")  # 11 s, one voice with a varied delivery
    x = d.channels.mean(axis=0)
    act = diarize(x, d.sample_rate, speech=speech_intervals(x, d.sample_rate))
    assert act.speakers == ("spk0",) and act.n_speakers_detected == 1
    assert any("only one speaker found" in n and "too little to tell voices apart" in n for n in act.notes)
    stereo, sr, _ = load("interruptions")
    two = diarize(mono(stereo), sr, speech=speech_intervals(mono(stereo), sr))
    assert two.speakers == ("spk0", "spk1") and two.n_speakers_detected == 2
    # the same voice with less speech than min_two_speech is one speaker, with the note
    short = mono(stereo)[: 14 * sr]
    act = diarize(short, sr, DiarizeOptions(min_two_speech=30.0), speech=speech_intervals(short, sr))
    assert act.n_speakers_detected == 1 and "30 s needed" in " ".join(act.notes)


def test_vad_matches_faster_whisper_and_parts_agree():
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    stereo, sr, _ = load("interruptions")
    x = mono(stereo)
    ref = get_speech_timestamps(x, VadOptions(threshold=0.2, min_silence_duration_ms=500,
                                              min_speech_duration_ms=120, speech_pad_ms=100))
    got = speech_intervals(x, sr, workers=1)
    assert got == [(s["start"] / SR, s["end"] / SR) for s in ref] and len(got) >= 3
    long = np.tile(x, 4)  # 144 s: scored in two parts at once
    one, two = speech_intervals(long, sr, workers=1), speech_intervals(long, sr, workers=2)

    def mask(iv):
        m = np.zeros(long.size // 160 + 1, bool)
        for a, b in iv:
            m[int(a * 100): int(b * 100)] = True
        return m

    assert np.mean(mask(one) != mask(two)) < 0.005


def test_block_sums_give_the_same_levels_as_sample_sums(rng):
    """frame_levels sums squares over blocks where it can; every frame matches the sample-by-sample sum."""
    from analysis.speakers.energy_vad import _sample_energy, frame_levels

    x = (0.1 * rng.standard_normal(SR * 3 + 123)).astype(np.float32)
    x[SR: SR + 4000] = 0.0
    for sr, frame, hop in ((SR, 0.025, 0.02), (SR, 0.032, 0.01), (44100, 0.025, 0.01)):
        h, w = int(round(hop * sr)), int(round(frame * sr))
        n = int(np.ceil(x.size / h))
        exact = 10.0 * np.log10(np.maximum(_sample_energy(x, w, h, n), 1e-12))
        levels = frame_levels(x, sr, frame=frame, hop=hop)
        assert levels.shape == exact.shape and np.max(np.abs(levels - exact)) < 1e-4
    assert frame_levels(x, SR, frame=0.025, hop=0.02).min() == pytest.approx(-120.0)


def test_unsure_band_reports_two_speakers_and_asks():
    """Separation between min_separation and sure_separation: two speakers, flagged, a note asks."""
    from analysis.speakers.activity import SpeakerActivity

    x, sr, truth = load("interruptions")
    m = mono(x)
    speech = speech_intervals(m, sr)
    sure = diarize(m, sr, DiarizeOptions(sure_separation=0.0), speech=speech)
    assert sure.n_speakers_detected == 2 and not sure.uncertain_count
    assert not any("not sure" in n for n in sure.notes)
    unsure = diarize(m, sr, DiarizeOptions(sure_separation=50.0), speech=speech)
    assert unsure.n_speakers_detected == 2 and unsure.uncertain_count
    note = next(n for n in unsure.notes if n.startswith("not sure whether one or two people speak"))
    assert "helper speaks first or second" in note and "stereo" in note
    # the split itself is the same best guess
    assert unsure.regions == sure.regions
    assert SpeakerActivity.from_dict(unsure.to_dict()).uncertain_count is True
    assert SpeakerActivity.from_dict(sure.to_dict()).uncertain_count is False


def test_too_little_speech_is_one_speaker_but_flagged():
    """Under min_two_speech of speech: one speaker, never silently (flag + note)."""
    x, sr, truth = load("interruptions")
    m = mono(x)[: 10 * sr]
    act = diarize(m, sr, speech=speech_intervals(m, sr))
    assert act.n_speakers_detected == 1 and act.uncertain_count
    assert any(n.startswith("not sure whether one or two people speak (only") for n in act.notes)
    # hardly any speech: nothing to be unsure about
    quiet = np.zeros(5 * sr, dtype=np.float32)
    assert not diarize(quiet, sr, speech=[(1.0, 2.0)]).uncertain_count


def test_resegmentation_model_sizes(monkeypatch):
    """By default a speaker's mixture has one component per 50 core frames (at most 4); with
    ``reseg_equal_components`` both speakers get the size the smaller one allows."""
    from dataclasses import replace

    import sklearn.mixture

    import analysis.speakers.diarize_steps as steps

    sizes: list[int] = []
    real = sklearn.mixture.GaussianMixture

    def spy(*a, **kw):
        sizes.append(kw["n_components"])
        return real(*a, **kw)

    monkeypatch.setattr(sklearn.mixture, "GaussianMixture", spy)
    rng = np.random.default_rng(0)
    feats = rng.normal(0, 1, (1000, 6)).astype(np.float32)
    feats[900:] += 3.0  # the last 100 frames: another voice
    mask = np.ones(1000, bool)
    labels = np.zeros(1000, int)
    labels[900:] = 1
    out = steps.resegment(feats, mask, mask, labels, 2, DiarizeOptions())
    assert sizes == [4, 2]
    assert out[900:].mean() > 0.9 and out[:900].mean() < 0.05
    sizes.clear()
    steps.resegment(feats, mask, mask, labels, 2, replace(DiarizeOptions(), reseg_equal_components=True))
    assert sizes == [2, 2]
    sizes.clear()
    labels[990:] = 1
    labels[900:990] = 0  # a "speaker" of 10 frames is too small to model: labels come back unchanged
    assert np.array_equal(steps.resegment(feats, mask, mask, labels, 2, DiarizeOptions()), labels)
    assert sizes == []


def test_given_number_of_speakers_replaces_the_decision():
    """The user said how many people speak: no one-vs-two decision, no unsure flag."""
    x, sr, truth = load("interruptions")
    m = mono(x)[: 10 * sr]  # too little speech to decide: one speaker, unsure (test above)
    sp = speech_intervals(m, sr)
    two = diarize(m, sr, DiarizeOptions(num_speakers=2), speech=sp)
    assert two.speakers == ("spk0", "spk1") and not two.uncertain_count and two.info["speakers_given"] == 2
    # the split still follows the voices: scored against the truth it beats giving all to one speaker
    ref = [r for r in truth_regions(truth) if r.start < 10.0]
    one = diarize(m, sr, DiarizeOptions(num_speakers=1), speech=sp)
    assert one.speakers == ("spk0",) and not one.uncertain_count and one.info["speakers_given"] == 1
    assert diarization_error(ref, list(two.regions), collar=0.25).der < diarization_error(ref, list(one.regions), collar=0.25).der
    # two voices given on one short stretch of speech: cannot split, says so
    quiet = np.zeros(5 * sr, dtype=np.float32)
    act = diarize(quiet, sr, DiarizeOptions(num_speakers=2), speech=[(1.0, 2.0)])
    assert act.n_speakers_detected <= 1 and any("too little to split into two voices" in n for n in act.notes)
    with pytest.raises(ParameterError):
        DiarizeOptions(num_speakers=3)
