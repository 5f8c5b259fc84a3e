"""pyannote segmentation-3.0 run by onnxruntime: the same network as the NumPy forward pass, one graph.

:class:`analysis.speakers.segmentation_model.SegmentationModel` steps its LSTM from Python, one
NumPy call per gate per frame; onnxruntime's ``LSTM`` operator runs the whole recurrence in C++
(and its convolutions and matrix products in its own kernels). The graph is built here from the
same state dict (``sincnet.*``, ``lstm.*``, ``linear.*``, ``classifier.*``) and the SincNet
filters the NumPy model computes, serialised by :mod:`audio.onnx_models.proto` (no ``onnx`` package),
and run on the CPU. Its log-probabilities match the NumPy model's within 1e-3 (probabilities
within 1e-4; ``tests/audio/test_segmentation_onnx.py``).

Layers, in ONNX operators: InstanceNormalization of the waveform; Conv (the 80 sinc filters,
stride 10); Abs; three times MaxPool 3 / InstanceNormalization / LeakyRelu(0.01), with a Conv
(5 taps) before the second and third; four bidirectional LSTMs of 128 (PyTorch's gate order
i, f, g, o reordered to ONNX's i, o, f, c; ONNX's bias is [input bias, recurrent bias]); two
MatMul + Add + LeakyRelu; MatMul + Add; LogSoftmax. The front end treats the waveform as a
(B, 1, 1, samples) image, so its convolutions and pools are 2-D and onnxruntime runs them in its
blocked (NCHWc) layout: 9 % less time for the whole network than 1-D, probabilities within 3e-6.
"""

from __future__ import annotations

import logging
from typing import Mapping

import numpy as np

from analysis.errors import ParameterError
from audio.onnx_models.proto import OnnxGraph, model_bytes
from audio.onnx_models.session import cpu_session, onnx_lstm_weights

__all__ = ["OnnxSegmenter", "segmentation_graph"]

logger = logging.getLogger(__name__)

_EPS = 1e-5
_SLOPE = 0.01
_LSTM_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def segmentation_graph(weights: Mapping[str, np.ndarray], filters: np.ndarray) -> bytes:
    """The ONNX model of segmentation-3.0: input ``chunks`` (batch, samples) float32, output
    ``log_probs`` (batch, frames, 7).

    Parameters
    ----------
    weights : mapping of str to np.ndarray
        The PyTorch state dict.
    filters : np.ndarray, shape (80, 251)
        The SincNet band-pass filters (:func:`analysis.speakers.segmentation_model.sinc_filters`).
    """
    f32 = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    g = OnnxGraph()
    try:
        # the waveform as a (B, 1, 1, samples) image: onnxruntime runs 2-D convolutions in its blocked layout
        x = g.op("Unsqueeze", ["chunks", g.const("axes12", np.array([1, 2], dtype=np.int64))], "wave")
        x = g.op("InstanceNormalization", [x, g.const("wav_s", f32["sincnet.wav_norm1d.weight"]),
                                           g.const("wav_b", f32["sincnet.wav_norm1d.bias"])], "wave_n", epsilon=_EPS)
        x = g.op("Conv", [x, g.const("sinc", np.asarray(filters, dtype=np.float32)[:, None, None, :])], "sinc_out",
                 strides=[1, 10])
        x = g.op("Abs", [x], "sinc_abs")
        for i in range(3):
            if i > 0:
                x = g.op("Conv", [x, g.const(f"conv{i}_w", f32[f"sincnet.conv1d.{i}.weight"][:, :, None, :]),
                                  g.const(f"conv{i}_b", f32[f"sincnet.conv1d.{i}.bias"])], f"conv{i}")
            x = g.op("MaxPool", [x], f"pool{i}", kernel_shape=[1, 3], strides=[1, 3])
            x = g.op("InstanceNormalization", [x, g.const(f"norm{i}_s", f32[f"sincnet.norm1d.{i}.weight"]),
                                               g.const(f"norm{i}_b", f32[f"sincnet.norm1d.{i}.bias"])],
                     f"norm{i}", epsilon=_EPS)
            x = g.op("LeakyRelu", [x], f"leaky{i}", alpha=_SLOPE)
        x = g.op("Squeeze", [x, g.const("axis2", np.array([2], dtype=np.int64))], "features")
        x = g.op("Transpose", [x], "time_major", perm=[2, 0, 1])  # (frames, batch, 60)
        layer = 0
        while f"lstm.weight_ih_l{layer}" in f32:
            w, r, b = onnx_lstm_weights([tuple(f32[f"lstm.{k}_l{layer}{s}"] for k in _LSTM_KEYS)
                                         for s in ("", "_reverse")])
            hidden = r.shape[2]
            y = g.op("LSTM", [x, g.const(f"lstm{layer}_w", w), g.const(f"lstm{layer}_r", r),
                              g.const(f"lstm{layer}_b", b)], f"lstm{layer}", hidden_size=hidden,
                     direction="bidirectional")
            y = g.op("Transpose", [y], f"lstm{layer}_t", perm=[0, 2, 1, 3])  # (T, 2, B, H) -> (T, B, 2, H)
            x = g.op("Reshape", [y, g.const(f"lstm{layer}_shape", np.array([0, 0, 2 * hidden], dtype=np.int64))],
                     f"lstm{layer}_out")
            layer += 1
        if layer == 0:
            raise ParameterError("segmentation weights have no LSTM layers")
        x = g.op("Transpose", [x], "batch_major", perm=[1, 0, 2])
        i = 0
        while f"linear.{i}.weight" in f32:
            x = g.op("MatMul", [x, g.const(f"linear{i}_w", np.ascontiguousarray(f32[f"linear.{i}.weight"].T))],
                     f"linear{i}_mm")
            x = g.op("Add", [x, g.const(f"linear{i}_b", f32[f"linear.{i}.bias"])], f"linear{i}")
            x = g.op("LeakyRelu", [x], f"linear{i}_leaky", alpha=_SLOPE)
            i += 1
        x = g.op("MatMul", [x, g.const("classifier_w", np.ascontiguousarray(f32["classifier.weight"].T))],
                 "classifier_mm")
        x = g.op("Add", [x, g.const("classifier_b", f32["classifier.bias"])], "logits")
        x = g.op("LogSoftmax", [x], "log_probs", axis=-1)
    except KeyError as e:
        raise ParameterError(f"segmentation weights lack {e.args[0]}") from e
    n_classes = f32["classifier.weight"].shape[0]
    return model_bytes(g, input_name="chunks", input_shape=("batch", "samples"), output_name=x,
                       output_shape=("batch", "frames", n_classes), name="segmentation-3.0")


class OnnxSegmenter:
    """segmentation-3.0 in an onnxruntime session; :meth:`forward` has the NumPy model's signature.

    Parameters
    ----------
    weights, filters
        As for :func:`segmentation_graph`.
    threads : int
        onnxruntime's intra-op threads (default 1). Its threads do not spin while waiting
        (``session.intra_op.allow_spinning`` off), as the machine is shared with transcription.
    batch : int
        At most this many chunks per session run (default 8: on 2 cores 60 chunks took 1.44 s at
        once and 1.22 s eight at a time, the smaller working set staying in cache).

    Raises
    ------
    ModelUnavailableError
        onnxruntime is not installed or cannot load the graph.
    """

    def __init__(self, weights: Mapping[str, np.ndarray], filters: np.ndarray, *, threads: int = 1,
                 batch: int = 8):
        if threads < 1 or batch < 1:
            raise ParameterError(f"threads={threads} and batch={batch} must be at least 1")
        self.batch = batch
        self.threads = threads
        graph = segmentation_graph(weights, filters)  # ParameterError: weights missing or misshapen
        self._session = cpu_session(graph, threads=threads)

    def forward(self, chunks: np.ndarray) -> np.ndarray:
        """Log-probabilities of the 7 powerset classes: (batch, samples) -> (batch, frames, 7) float32."""
        x = np.ascontiguousarray(chunks, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] < 991:
            raise ParameterError(f"chunks must have shape (batch, samples >= 991), got {x.shape}")
        parts = [self._session.run(None, {"chunks": x[a: a + self.batch]})[0]
                 for a in range(0, x.shape[0], self.batch)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
