"""The minimal ONNX writer: protobuf encoding known answers, and graphs onnxruntime runs."""

from __future__ import annotations

import numpy as np
import pytest

from audio.onnx_models.proto import OnnxGraph, _attribute, _varint, model_bytes


def test_varints_are_protobuf_varints():
    assert _varint(0) == b"\x00"
    assert _varint(1) == b"\x01"
    assert _varint(300) == b"\xac\x02"  # the protobuf documentation's example
    assert _varint(-1) == b"\xff" * 9 + b"\x01"  # int64 -1: ten bytes, two's complement


def test_attributes_carry_their_type():
    assert _attribute("alpha", 0.5).endswith(b"\xa0\x01\x01")  # field 20 (type) = FLOAT
    assert _attribute("axis", -1).endswith(b"\xa0\x01\x02")  # INT
    assert _attribute("direction", "forward").endswith(b"\xa0\x01\x03")  # STRING
    assert _attribute("perm", [1, 0]).endswith(b"\xa0\x01\x07")  # INTS
    with pytest.raises(ValueError):
        _attribute("flag", True)


def test_a_small_graph_runs_in_onnxruntime():
    ort = pytest.importorskip("onnxruntime")
    g = OnnxGraph()
    y = g.op("MatMul", ["x", g.const("w", np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))], "mm")
    y = g.op("Add", [y, g.const("b", np.array([0.5, -0.5], dtype=np.float32))], "add")
    y = g.op("LeakyRelu", [y], "leaky", alpha=0.1)
    y = g.op("Transpose", [y], "out", perm=[1, 0])
    session = ort.InferenceSession(model_bytes(g, input_name="x", input_shape=("n", 2), output_name=y,
                                               output_shape=(2, "n")), providers=["CPUExecutionProvider"])
    x = np.array([[1.0, 0.0], [0.0, -1.0]], dtype=np.float32)
    out = session.run(None, {"x": x})[0]
    # x @ w + b = [[1.5, 1.5], [-2.5, -4.5]]; leaky: [[1.5, 1.5], [-0.25, -0.45]]; transposed
    np.testing.assert_allclose(out, [[1.5, -0.25], [1.5, -0.45]], rtol=1e-6)


def test_int64_constants_and_duplicate_names():
    ort = pytest.importorskip("onnxruntime")
    g = OnnxGraph()
    y = g.op("Reshape", ["x", g.const("shape", np.array([-1, 3], dtype=np.int64))], "out")
    with pytest.raises(ValueError, match="twice"):
        g.const("shape", np.zeros(1, dtype=np.int64))
    session = ort.InferenceSession(model_bytes(g, input_name="x", input_shape=(6,), output_name=y,
                                               output_shape=(2, 3)), providers=["CPUExecutionProvider"])
    out = session.run(None, {"x": np.arange(6, dtype=np.float32)})[0]
    np.testing.assert_array_equal(out, [[0, 1, 2], [3, 4, 5]])
