"""The CAM++ speaker encoder run by onnxruntime: the NumPy forward pass as one graph.

Same network as :class:`analysis.speakers.campp.CamppEncoder` (batch norms folded the same way;
Conv, Relu, Add, Mul, Concat, ReduceMean, Sigmoid, Sqrt, MatMul), built from the same weights and
serialised by :mod:`audio.onnx_models.proto`. One simplification: the masking layers' context is
the segment mean plus the mean of its 100-frame stretch; for segments up to
:data:`MAX_FRAMES` fbank frames (2 s; 100 frames after the stride-2 layer) that stretch is the
whole segment, so the graph takes twice the mean and refuses longer input (the encoder then runs its
NumPy pass). Voiceprints match the NumPy pass's within 1e-4 (``tests/audio/test_campp_onnx.py``).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from analysis.errors import ParameterError
from analysis.speakers.campp import BLOCKS, EMBEDDING_SIZE, fold_batchnorm
from analysis.speakers.fbank import N_BINS
from audio.onnx_models.proto import OnnxGraph, model_bytes
from audio.onnx_models.session import cpu_session

__all__ = ["OnnxCamppNetwork", "campp_graph", "MAX_FRAMES"]

MAX_FRAMES = 200  # fbank frames; at most 100 after the stride-2 TDNN layer: one context stretch


def campp_graph(weights: Mapping[str, np.ndarray]) -> bytes:
    """The ONNX model: input ``feats`` (batch, frames, 80) float32, output ``embedding`` (batch, 192), not normalised."""
    w = weights
    f32 = lambda k: np.asarray(w[k], dtype=np.float32)  # noqa: E731
    g = OnnxGraph()
    n = [0]

    def name(s: str) -> str:
        n[0] += 1
        return f"{s}_{n[0]}"

    def conv_bn(x: str, conv: str, bn: str, stride: tuple[int, ...], relu: bool = True) -> str:
        scale, shift = fold_batchnorm(w, bn)
        k = f32(conv)
        k = k * scale.reshape((-1,) + (1,) * (k.ndim - 1))
        pads = [d // 2 for d in k.shape[2:]] * 2
        y = g.op("Conv", [x, g.const(name("w"), k), g.const(name("b"), shift)], name("conv"),
                 strides=list(stride), pads=pads)
        return g.op("Relu", [y], name("relu")) if relu else y

    def affine_relu(x: str, bn: str, dims: int) -> str:  # batch norm then ReLU on (B, C, T...) input
        scale, shift = fold_batchnorm(w, bn)
        shape = (-1,) + (1,) * dims
        y = g.op("Mul", [x, g.const(name("s"), scale.reshape(shape))], name("bn_mul"))
        y = g.op("Add", [y, g.const(name("t"), shift.reshape(shape))], name("bn_add"))
        return g.op("Relu", [y], name("relu"))

    def conv1x1(x: str, weight: np.ndarray, bias: np.ndarray | None = None) -> str:
        ins = [x, g.const(name("w"), weight)] + ([g.const(name("b"), bias)] if bias is not None else [])
        return g.op("Conv", ins, name("conv1x1"))

    try:
        x = g.op("Transpose", ["feats"], "feats_ft", perm=[0, 2, 1])
        x = g.op("Unsqueeze", [x, g.const("axis1", np.array([1], dtype=np.int64))], "image")
        x = conv_bn(x, "head.conv1.weight", "head.bn1", (1, 1))
        for stage in (1, 2):
            for i, stride in ((0, 2), (1, 1)):
                p = f"head.layer{stage}.{i}"
                y = conv_bn(x, p + ".conv1.weight", p + ".bn1", (stride, 1))
                y = conv_bn(y, p + ".conv2.weight", p + ".bn2", (1, 1), relu=False)
                short = conv_bn(x, p + ".shortcut.0.weight", p + ".shortcut.1", (stride, 1), relu=False) \
                    if p + ".shortcut.0.weight" in w else x
                x = g.op("Relu", [g.op("Add", [y, short], name("res"))], name("relu"))
        x = conv_bn(x, "head.conv2.weight", "head.bn2", (2, 1))  # (B, 32, 10, T)
        x = g.op("Reshape", [x, g.const("to_frames", np.array([0, 320, -1], dtype=np.int64))], "frames")
        scale, shift = fold_batchnorm(w, "xvector.tdnn.nonlinear.batchnorm")
        x = g.op("Conv", [x, g.const("tdnn_w", f32("xvector.tdnn.linear.weight") * scale[:, None, None]),
                          g.const("tdnn_b", shift)], "tdnn", strides=[2], pads=[2, 2])
        x = g.op("Relu", [x], "tdnn_relu")
        for bi, (n_layers, dilation) in enumerate(BLOCKS, start=1):
            for li in range(1, n_layers + 1):
                p = f"xvector.block{bi}.tdnnd{li}"
                h = affine_relu(x, p + ".nonlinear1.batchnorm", 1)
                s2, b2 = fold_batchnorm(w, p + ".nonlinear2.batchnorm")
                h = g.op("Relu", [conv1x1(h, f32(p + ".linear1.weight") * s2[:, None, None], b2)], name("relu"))
                y = g.op("Conv", [h, g.const(name("w"), f32(p + ".cam_layer.linear_local.weight"))], name("local"),
                         dilations=[dilation], pads=[dilation, dilation])
                ctx = g.op("ReduceMean", [h], name("mean"), axes=[2], keepdims=1)
                ctx = g.op("Add", [ctx, ctx], name("context"))  # segment mean + its (only) 100-frame stretch
                gate = g.op("Relu", [conv1x1(ctx, f32(p + ".cam_layer.linear1.weight"),
                                             f32(p + ".cam_layer.linear1.bias"))], name("relu"))
                gate = g.op("Sigmoid", [conv1x1(gate, f32(p + ".cam_layer.linear2.weight"),
                                                f32(p + ".cam_layer.linear2.bias"))], name("gate"))
                y = g.op("Mul", [y, gate], name("masked"))
                x = g.op("Concat", [x, y], name("dense"), axis=1)
            t = f"xvector.transit{bi}"
            x = conv1x1(affine_relu(x, t + ".nonlinear.batchnorm", 1), f32(t + ".linear.weight"))
        x = affine_relu(x, "xvector.out_nonlinear.batchnorm", 1)
        mean = g.op("ReduceMean", [x], "stat_mean", axes=[2], keepdims=1)
        dev = g.op("Sub", [x, mean], "stat_dev")
        ss = g.op("ReduceSum", [g.op("Mul", [dev, dev], "stat_sq"), g.const("axis2", np.array([2], dtype=np.int64))],
                  "stat_ss", keepdims=0)
        frames = g.op("Gather", [g.op("Shape", [x], "stat_shape"), g.const("dim2", np.array(2, dtype=np.int64))],
                      "stat_t", axis=0)
        frames = g.op("Cast", [frames], "stat_tf", to=1)
        dof = g.op("Sub", [frames, g.const("one", np.array(1.0, dtype=np.float32))], "stat_dof")
        std = g.op("Sqrt", [g.op("Div", [ss, dof], "stat_var")], "stat_std")
        mean = g.op("Squeeze", [mean, g.const("axis2b", np.array([2], dtype=np.int64))], "stat_mean2")
        x = g.op("Concat", [mean, std], "stats", axis=1)
        s, b = fold_batchnorm(w, "xvector.dense.nonlinear.batchnorm", affine=False)
        x = g.op("MatMul", [x, g.const("dense_w", np.ascontiguousarray(f32("xvector.dense.linear.weight")[:, :, 0].T
                                                                        * s[None, :]))], "dense_mm")
        x = g.op("Add", [x, g.const("dense_b", b)], "embedding")
    except KeyError as e:
        raise ParameterError(f"CAM++ weights lack {e.args[0]}") from e
    return model_bytes(g, input_name="feats", input_shape=("batch", "frames", N_BINS), output_name=x,
                       output_shape=("batch", EMBEDDING_SIZE), name="campp-speaker-encoder")


class OnnxCamppNetwork:
    """CAM++ in an onnxruntime session: ``(batch, frames <= MAX_FRAMES, 80) -> (batch, 192)``.

    Raises ModelUnavailableError when onnxruntime is missing or cannot load the graph.
    """

    max_frames = MAX_FRAMES

    def __init__(self, weights: Mapping[str, np.ndarray], *, threads: int = 1):
        self.threads = threads
        self._session = cpu_session(campp_graph(weights), threads=threads)

    def __call__(self, feats: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(feats, dtype=np.float32)
        if x.ndim != 3 or not 2 <= x.shape[1] <= MAX_FRAMES:
            raise ParameterError(f"feats must have shape (batch, 2..{MAX_FRAMES}, 80), got {x.shape}")
        return self._session.run(None, {"feats": x})[0]
