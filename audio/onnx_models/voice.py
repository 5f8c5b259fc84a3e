"""The GE2E voice encoder (resemblyzer's weights) run by onnxruntime: the NumPy forward pass as one graph.

Same network as :class:`analysis.speakers.voice_encoder.VoiceEncoder`: three LSTM layers of 256
over 40 mel bands, the last frame's hidden state through a linear layer of 256, ReLU and L2
normalisation. The NumPy pass steps the LSTM from Python (480 steps a batch); onnxruntime's
``LSTM`` operator runs the recurrence in C++. Embeddings match the NumPy pass's within 1e-5
(``tests/audio/test_voice_onnx.py``). :class:`OnnxVoiceNetwork` is the ``network`` a
``VoiceEncoder`` can be given.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from analysis.errors import ParameterError
from audio.onnx_models.proto import OnnxGraph, model_bytes
from audio.onnx_models.session import cpu_session, onnx_lstm_weights

__all__ = ["OnnxVoiceNetwork", "voice_graph"]

_LSTM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def voice_graph(weights: Mapping[str, np.ndarray]) -> bytes:
    """The ONNX model: input ``mels`` (batch, frames, 40) float32, output ``embedding`` (batch, 256)."""
    f32 = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    g = OnnxGraph()
    try:
        x = g.op("Transpose", ["mels"], "time_major", perm=[1, 0, 2])
        layer = 0
        while f"lstm.weight_ih_l{layer}" in f32:
            w, r, b = onnx_lstm_weights([tuple(f32[f"lstm.{k}_l{layer}"] for k in _LSTM_KEYS)])
            y = g.op("LSTM", [x, g.const(f"lstm{layer}_w", w), g.const(f"lstm{layer}_r", r),
                              g.const(f"lstm{layer}_b", b)], f"lstm{layer}", hidden_size=r.shape[2])
            x = g.op("Squeeze", [y, g.const(f"lstm{layer}_axis", np.array([1], dtype=np.int64))], f"lstm{layer}_out")
            layer += 1
        if layer == 0:
            raise ParameterError("voice-encoder weights have no LSTM layers")
        x = g.op("Gather", [x, g.const("last_frame", np.array(-1, dtype=np.int64))], "last_hidden", axis=0)
        x = g.op("MatMul", [x, g.const("linear_w", np.ascontiguousarray(f32["linear.weight"].T))], "linear_mm")
        x = g.op("Add", [x, g.const("linear_b", f32["linear.bias"])], "linear")
        x = g.op("Relu", [x], "relu")
        norm = g.op("ReduceL2", [x], "norm", axes=[-1], keepdims=1)
        norm = g.op("Add", [norm, g.const("tiny", np.array(1e-9, dtype=np.float32))], "norm_eps")
        x = g.op("Div", [x, norm], "embedding")  # as the NumPy pass: an all-zero vector stays zero
    except KeyError as e:
        raise ParameterError(f"voice-encoder weights lack {e.args[0]}") from e
    return model_bytes(g, input_name="mels", input_shape=("batch", "frames", 40), output_name=x,
                       output_shape=("batch", f32["linear.weight"].shape[0]), name="ge2e-voice-encoder")


class OnnxVoiceNetwork:
    """The voice encoder's network in an onnxruntime session: ``(batch, frames, 40) -> (batch, 256)``.

    Raises ModelUnavailableError when onnxruntime is missing or cannot load the graph.
    """

    def __init__(self, weights: Mapping[str, np.ndarray], *, threads: int = 1):
        self.threads = threads
        self._session = cpu_session(voice_graph(weights), threads=threads)

    def __call__(self, mels: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(mels, dtype=np.float32)
        return self._session.run(None, {"mels": x})[0]
