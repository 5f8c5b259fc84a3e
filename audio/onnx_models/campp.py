"""The CAM++ speaker encoder run by onnxruntime: the NumPy forward pass as one graph.

Same network as :class:`analysis.speakers.campp.CamppEncoder`, built from that encoder's folded
parameters (Conv, Relu, Add, Mul, Concat, ReduceMean, Sigmoid, Sqrt, MatMul; the batch norms folded
once, in the encoder) and serialised by :mod:`audio.onnx_models.proto`; ``audio`` imports nothing
from ``analysis`` but its errors, so the encoder is passed in. One simplification: the masking layers' context is
the segment mean plus the mean of its 100-frame stretch; for segments up to
:data:`MAX_FRAMES` fbank frames (2 s; 100 frames after the stride-2 layer) that stretch is the
whole segment, so the graph takes twice the mean and refuses longer input (the encoder then runs its
NumPy pass). Voiceprints match the NumPy pass's within 1e-4 (``tests/audio/test_campp_onnx.py``).
Every convolution is 2-D (the frames as a (B, C, 1, T) image after the front end), which
onnxruntime runs in its blocked (NCHWc) layout: 7 % less time than 1-D convolutions, voiceprints
within 1e-5 of theirs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.errors import ParameterError
from audio.onnx_models.proto import OnnxGraph, model_bytes
from audio.onnx_models.session import cpu_session

__all__ = ["OnnxCamppNetwork", "campp_graph", "MAX_FRAMES"]

MAX_FRAMES = 200  # fbank frames; at most 100 after the stride-2 TDNN layer: one context stretch
N_BINS = 80


def campp_graph(model: Any) -> bytes:
    """The ONNX model of a :class:`analysis.speakers.campp.CamppEncoder`'s folded parameters.

    Input ``feats`` (batch, frames, 80) float32, output ``embedding`` (batch, 192), not normalised.
    The batch norms are folded as in the NumPy pass (one folding, read from the encoder's attributes).
    """
    g = OnnxGraph()
    n = [0]

    def name(s: str) -> str:
        n[0] += 1
        return f"{s}_{n[0]}"

    def conv(x: str, w: np.ndarray, b: np.ndarray | None, relu: bool, **attrs) -> str:  # 2-D: (O, C, kh, kw)
        ins = [x, g.const(name("w"), np.asarray(w, dtype=np.float32))]
        if b is not None:
            ins.append(g.const(name("b"), np.asarray(b, dtype=np.float32)))
        y = g.op("Conv", ins, name("conv"), **attrs)
        return g.op("Relu", [y], name("relu")) if relu else y

    def conv2d(x: str, wb: tuple, stride: int, relu: bool = True) -> str:  # "same" padding, stride on frequency
        w, b = wb
        pf, pt = w.shape[2] // 2, w.shape[3] // 2
        return conv(x, w, b, relu, strides=[stride, 1], pads=[pf, pt, pf, pt])

    def affine_relu(x: str, sb: tuple) -> str:  # a folded batch norm, then ReLU, on (B, C, 1, T)
        scale, shift = (np.asarray(v, dtype=np.float32).reshape(-1, 1, 1) for v in sb)
        y = g.op("Mul", [x, g.const(name("s"), scale)], name("bn_mul"))
        y = g.op("Add", [y, g.const(name("t"), shift)], name("bn_add"))
        return g.op("Relu", [y], name("relu"))

    def pointwise(x: str, w_in_out: np.ndarray, b: np.ndarray | None = None, relu: bool = False) -> str:
        return conv(x, np.ascontiguousarray(np.asarray(w_in_out).T)[:, :, None, None], b, relu)

    def conv_time(x: str, w: np.ndarray, b: np.ndarray | None, relu: bool, *, stride: int = 1,
                  dilation: int = 1) -> str:  # a 1-D convolution (O, C, k) along time, "same" padding
        p = dilation * (w.shape[2] // 2)
        return conv(x, np.asarray(w)[:, :, None, :], b, relu, strides=[1, stride], dilations=[1, dilation],
                    pads=[0, p, 0, p])

    try:
        x = g.op("Transpose", ["feats"], "feats_ft", perm=[0, 2, 1])
        x = g.op("Unsqueeze", [x, g.const("axis1", np.array([1], dtype=np.int64))], "image")
        x = conv2d(x, model.head_in, 1)
        for stride, first, second, short in model.res:
            y = conv2d(conv2d(x, first, stride), second, 1, relu=False)
            s = conv2d(x, short, stride, relu=False) if short is not None else x
            x = g.op("Relu", [g.op("Add", [y, s], name("res"))], name("relu"))
        x = conv2d(x, model.head_out, 2)  # (B, 32, 10, T)
        # frames as a (B, 320, 1, T) image: onnxruntime runs 2-D convolutions in its blocked layout
        x = g.op("Reshape", [x, g.const("to_frames", np.array([0, 320, 1, -1], dtype=np.int64))], "frames")
        w, b = model.tdnn
        x = conv_time(x, w, b, True, stride=2)
        for layers, transit_bn, transit_w in model.blocks:
            for L in layers:
                c_in = L["linear1"].shape[0]
                h = affine_relu(x, (L["bn1"][0][:c_in], L["bn1"][1][:c_in]))
                h = pointwise(h, L["linear1"], L["bias1"], relu=True)
                y = conv_time(h, L["local"], None, False, dilation=L["dilation"])
                ctx = g.op("ReduceMean", [h], name("mean"), axes=[3], keepdims=1)
                ctx = g.op("Add", [ctx, ctx], name("context"))  # segment mean + its (only) 100-frame stretch
                gate = pointwise(ctx, L["gate1"][0], L["gate1"][1], relu=True)
                gate = g.op("Sigmoid", [pointwise(gate, L["gate2"][0], L["gate2"][1])], name("gate"))
                y = g.op("Mul", [y, gate], name("masked"))
                x = g.op("Concat", [x, y], name("dense"), axis=1)
            x = pointwise(affine_relu(x, transit_bn), transit_w)
        x = affine_relu(x, model.out_bn)
        mean = g.op("ReduceMean", [x], "stat_mean", axes=[3], keepdims=1)
        dev = g.op("Sub", [x, mean], "stat_dev")
        ss = g.op("ReduceSum", [g.op("Mul", [dev, dev], "stat_sq"), g.const("axes23", np.array([2, 3], dtype=np.int64))],
                  "stat_ss", keepdims=0)
        frames = g.op("Gather", [g.op("Shape", [x], "stat_shape"), g.const("dim3", np.array(3, dtype=np.int64))],
                      "stat_t", axis=0)
        frames = g.op("Cast", [frames], "stat_tf", to=1)
        dof = g.op("Sub", [frames, g.const("one", np.array(1.0, dtype=np.float32))], "stat_dof")
        std = g.op("Sqrt", [g.op("Div", [ss, dof], "stat_var")], "stat_std")
        mean = g.op("Squeeze", [mean, g.const("axes23b", np.array([2, 3], dtype=np.int64))], "stat_mean2")
        x = g.op("Concat", [mean, std], "stats", axis=1)
        w, b = model.dense
        x = g.op("MatMul", [x, g.const("dense_w", np.ascontiguousarray(w, dtype=np.float32))], "dense_mm")
        x = g.op("Add", [x, g.const("dense_b", np.asarray(b, dtype=np.float32))], "embedding")
    except (AttributeError, KeyError, IndexError, ValueError) as e:
        raise ParameterError(f"not a CAM++ encoder's parameters: {e}") from e
    return model_bytes(g, input_name="feats", input_shape=("batch", "frames", N_BINS), output_name=x,
                       output_shape=("batch", int(model.dense[0].shape[1])), name="campp-speaker-encoder")


class OnnxCamppNetwork:
    """CAM++ in an onnxruntime session: ``(batch, frames <= MAX_FRAMES, 80) -> (batch, 192)``, built from a
    :class:`analysis.speakers.campp.CamppEncoder` (its folded parameters).

    Raises ModelUnavailableError when onnxruntime is missing or cannot load the graph.
    """

    max_frames = MAX_FRAMES

    def __init__(self, model: Any, *, threads: int = 1):
        self.threads = threads
        self._session = cpu_session(campp_graph(model), threads=threads)

    def __call__(self, feats: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(feats, dtype=np.float32)
        if x.ndim != 3 or not 2 <= x.shape[1] <= MAX_FRAMES:
            raise ParameterError(f"feats must have shape (batch, 2..{MAX_FRAMES}, 80), got {x.shape}")
        return self._session.run(None, {"feats": x})[0]
