"""onnxruntime CPU sessions for the graphs of :mod:`audio.onnx_models.proto`; PyTorch LSTM weights in ONNX's layout."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from analysis.errors import ModelUnavailableError, ParameterError

__all__ = ["cpu_session", "onnx_lstm_weights"]


def cpu_session(model: bytes, *, threads: int = 1):
    """An onnxruntime CPU session of a serialised model with ``threads`` intra-op threads that do not spin
    while waiting (``session.intra_op.allow_spinning`` off: the machine is shared with transcription).

    Raises
    ------
    ModelUnavailableError
        onnxruntime is not installed or cannot load the model.
    """
    if threads < 1:
        raise ParameterError(f"threads={threads} must be at least 1")
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise ModelUnavailableError("onnxruntime is not installed") from e
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.log_severity_level = 3
    try:
        return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        raise ModelUnavailableError(f"onnxruntime cannot load the graph: {e}") from e


def _onnx_gates(w: np.ndarray) -> np.ndarray:
    """PyTorch's LSTM gate blocks (i, f, g, o) along axis 0, reordered to ONNX's (i, o, f, c)."""
    i, f, g, o = np.split(np.asarray(w, dtype=np.float32), 4, axis=0)
    return np.concatenate([i, o, f, g], axis=0)


def onnx_lstm_weights(directions: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ONNX ``LSTM`` inputs W, R, B from PyTorch's (weight_ih, weight_hh, bias_ih, bias_hh) per direction.

    Returns W (dirs, 4H, in), R (dirs, 4H, H), B (dirs, 8H): gates reordered, B = [input bias, recurrent bias].
    """
    w = np.stack([_onnx_gates(d[0]) for d in directions])
    r = np.stack([_onnx_gates(d[1]) for d in directions])
    b = np.stack([np.concatenate([_onnx_gates(d[2]), _onnx_gates(d[3])]) for d in directions])
    return w, r, b
