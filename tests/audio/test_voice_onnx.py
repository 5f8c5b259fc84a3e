"""The voice encoder in onnxruntime gives the NumPy pass's voiceprints on real speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.speakers.voice_encoder import VoiceEncoder
from audio.voice_weights import find_voice_weights, load_voice_weights

DATA = Path(__file__).resolve().parents[1] / "data"
pytestmark = pytest.mark.skipif(find_voice_weights() is None,
                                reason="voice-encoder weights not installed: pip install --no-deps resemblyzer==0.1.4")


def test_onnx_voiceprints_match_numpy_on_real_speech():
    pytest.importorskip("onnxruntime")
    import soundfile as sf

    from audio.onnx_models.voice import OnnxVoiceNetwork

    two, sr = sf.read(DATA / "dialogues" / "interruptions.stereo.flac", dtype="float32", always_2d=True)
    mono = np.clip(two.sum(axis=1), -1, 1)
    segments = [(float(a), float(a) + 1.6) for a in np.arange(0.0, 30.0, 0.8)] + [(40.0, 40.0)]  # + an empty one
    weights = load_voice_weights()
    ref = VoiceEncoder(weights).embed_segments(mono, sr, segments)
    for threads in (1, 2):
        out = VoiceEncoder(weights, network=OnnxVoiceNetwork(weights, threads=threads)).embed_segments(
            mono, sr, segments)
        assert out.shape == ref.shape == (len(segments), 256)
        np.testing.assert_allclose(out, ref, atol=1e-5)  # tolerance: 1e-5 per coordinate of unit vectors
        assert np.all(out[-1] == 0.0)  # an empty segment stays all zeros
    silent = VoiceEncoder(weights, network=OnnxVoiceNetwork(weights)).forward(np.zeros((1, 160, 40), np.float32))
    assert np.all(np.isfinite(silent))
