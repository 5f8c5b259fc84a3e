"""A minimal writer of ONNX models (protobuf wire format), enough to hand a graph to onnxruntime.

onnxruntime (installed with faster-whisper, which runs Silero VAD with it) reads a model from
bytes; writing those bytes needs no ``onnx`` package. This module encodes the few message types
a feed-forward graph needs (``ModelProto``, ``GraphProto``, ``NodeProto``, ``AttributeProto``,
``TensorProto``, ``ValueInfoProto``), with the field numbers of ``onnx/onnx.proto`` (proto2):

- ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 (domain 1, version 2)
- GraphProto: node 1, name 2, initializer 5, input 11, output 12
- NodeProto: input 1, output 2, name 3, op_type 4, attribute 5
- AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7)
- TensorProto: dims 1, data_type 2 (FLOAT 1, INT64 7), name 8, raw_data 9 (little-endian)
- ValueInfoProto: name 1, type 2 > TypeProto.tensor_type 1 > elem_type 1, shape 2 > dim 1 >
  dim_value 1 or dim_param 2
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

__all__ = ["OnnxNode", "OnnxGraph", "model_bytes"]

_VARINT, _FIXED32, _BYTES = 0, 5, 2
_DTYPES = {np.dtype(np.float32): 1, np.dtype(np.int64): 7}
IR_VERSION = 8  # onnxruntime >= 1.10 reads it


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64: two's complement, ten bytes
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _int(number: int, value: int) -> bytes:
    return _key(number, _VARINT) + _varint(int(value))


def _bytes(number: int, value: bytes | str) -> bytes:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return _key(number, _BYTES) + _varint(len(raw)) + raw


def _tensor(name: str, array: np.ndarray) -> bytes:
    a = np.asarray(array)
    if a.dtype not in _DTYPES:
        raise ValueError(f"tensor {name!r}: dtype {a.dtype} is not float32 or int64")
    dims = b"".join(_int(1, d) for d in a.shape)
    raw = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    return dims + _int(2, _DTYPES[a.dtype]) + _bytes(8, name) + _bytes(9, raw)


def _attribute(name: str, value: int | float | str | Sequence[int]) -> bytes:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, list, tuple)):
        raise ValueError(f"attribute {name!r}: unsupported value {value!r}")
    if isinstance(value, str):
        return _bytes(1, name) + _bytes(4, value) + _int(20, 3)
    if isinstance(value, float):
        return _bytes(1, name) + _key(2, _FIXED32) + struct.pack("<f", value) + _int(20, 1)
    if isinstance(value, int):
        return _bytes(1, name) + _int(3, value) + _int(20, 2)
    return _bytes(1, name) + b"".join(_int(8, v) for v in value) + _int(20, 7)


def _value_info(name: str, shape: Sequence[int | str]) -> bytes:
    dims = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in shape)
    tensor_type = _int(1, 1) + _bytes(2, dims)  # float32
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))


@dataclass(frozen=True)
class OnnxNode:
    """One operator: ``op_type`` (e.g. "Conv"), input and output names, attributes (int, float, str or ints)."""

    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attributes: dict[str, int | float | str | tuple[int, ...]] = field(default_factory=dict)

    def encode(self, name: str) -> bytes:
        return (b"".join(_bytes(1, i) for i in self.inputs) + b"".join(_bytes(2, o) for o in self.outputs)
                + _bytes(3, name) + _bytes(4, self.op_type)
                + b"".join(_bytes(5, _attribute(k, v)) for k, v in self.attributes.items()))


@dataclass
class OnnxGraph:
    """A graph being built: nodes in order, constant tensors (initializers), one float32 input and output."""

    nodes: list[OnnxNode] = field(default_factory=list)
    initializers: dict[str, np.ndarray] = field(default_factory=dict)

    def const(self, name: str, array: np.ndarray) -> str:
        """Add a constant tensor; returns its name."""
        if name in self.initializers:
            raise ValueError(f"initializer {name!r} defined twice")
        self.initializers[name] = np.asarray(array)
        return name

    def op(self, op_type: str, inputs: Sequence[str], output: str, **attributes) -> str:
        """Add a node with one output; returns the output's name."""
        attrs = {k: tuple(v) if isinstance(v, (list, tuple)) else v for k, v in attributes.items()}
        self.nodes.append(OnnxNode(op_type, tuple(inputs), (output,), attrs))
        return output


def model_bytes(graph: OnnxGraph, *, input_name: str, input_shape: Sequence[int | str], output_name: str,
                output_shape: Sequence[int | str], opset: int = 14, name: str = "graph") -> bytes:
    """Serialise ``graph`` as an ONNX ``ModelProto`` (default opset ``opset``), for
    ``onnxruntime.InferenceSession(model_bytes(...))``."""
    g = (b"".join(_bytes(1, n.encode(f"n{i}_{n.op_type}")) for i, n in enumerate(graph.nodes))
         + _bytes(2, name)
         + b"".join(_bytes(5, _tensor(k, v)) for k, v in graph.initializers.items())
         + _bytes(11, _value_info(input_name, input_shape))
         + _bytes(12, _value_info(output_name, output_shape)))
    opset_id = _bytes(1, "") + _int(2, opset)
    return _int(1, IR_VERSION) + _bytes(2, "listenwell") + _bytes(7, g) + _bytes(8, opset_id)
