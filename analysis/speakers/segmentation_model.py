"""pyannote segmentation-3.0 (PyanNet) in NumPy, forward pass only.

The network labels every ~17 ms frame of a 10 s chunk of 16 kHz audio with one of seven
"powerset" classes: nobody, speaker A, B or C alone, or a pair of them (A+B, A+C, B+C)
speaking at once. The labels A, B, C are local to the chunk. Architecture (Bredin 2023,
"pyannote.audio 2.1 speaker diarization pipeline"; Plaquet & Bredin 2023, "Powerset
multi-class cross entropy loss for neural speaker diarization"):

1. SincNet: instance norm of the waveform; 80 parametrised sinc band-pass filters
   (251 taps, stride 10: 40 cosine + 40 sine filters from learnt low and band
   frequencies, Hamming-windowed), absolute value; max-pool 3; instance norm; leaky ReLU;
   then twice a 1-D convolution (5 taps, 60 channels), max-pool 3, instance norm, leaky ReLU.
2. A 4-layer bidirectional LSTM (128 units each way; PyTorch gate order i, f, g, o).
3. Two linear layers of 128 with leaky ReLU, a linear classifier to 7 classes, log-softmax.

The weights are passed in (analysis does no file I/O), e.g. from
:func:`audio.segmentation_weights.load_segmentation_weights`.
"""

from __future__ import annotations

from itertools import combinations
from typing import Mapping

import numpy as np

from analysis.errors import ParameterError

__all__ = ["SegmentationModel", "POWERSET", "SAMPLE_RATE", "CHUNK_SAMPLES", "num_frames", "frame_step",
           "powerset_to_speakers"]

SAMPLE_RATE = 16000
CHUNK_SAMPLES = 160000  # 10 s, the chunk length the model was trained on
MAX_SPEAKERS = 3
# the powerset classes in the model's output order: {}, {0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}
POWERSET: tuple[tuple[int, ...], ...] = tuple(c for k in range(3) for c in combinations(range(MAX_SPEAKERS), k))
_EPS = 1e-5
_SLOPE = 0.01  # leaky ReLU


def num_frames(n_samples: int) -> int:
    """Output frames for ``n_samples`` input samples (conv 251/10, pool 3, conv 5, pool 3, conv 5, pool 3)."""
    n = (n_samples - 251) // 10 + 1
    for k in (None, 5, 5):
        if k is not None:
            n = n - k + 1
        n //= 3
    return max(0, n)


def frame_step() -> tuple[float, float]:
    """(step, receptive-field length) of one output frame, in seconds: 270 and 991 samples."""
    return 270 / SAMPLE_RATE, 991 / SAMPLE_RATE


def powerset_to_speakers(classes: np.ndarray) -> np.ndarray:
    """Per-frame powerset classes (ints) to a (..., 3) 0/1 activity array of the chunk's local speakers."""
    table = np.zeros((len(POWERSET), MAX_SPEAKERS), dtype=np.float32)
    for i, members in enumerate(POWERSET):
        table[i, list(members)] = 1.0
    return table[np.asarray(classes)]


def _instance_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """x: (batch, time, channels); normalised over time per channel (biased variance), then affine."""
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return (x - mean) * (weight / np.sqrt(var + _EPS)) + bias


def _max_pool3(x: np.ndarray) -> np.ndarray:
    """Max over non-overlapping triples of frames: (batch, time, channels) -> (batch, time // 3, channels)."""
    n = x.shape[1] // 3
    return x[:, : 3 * n].reshape(x.shape[0], n, 3, x.shape[2]).max(axis=2)


def _leaky(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, _SLOPE * x)


def sinc_filters(low_hz: np.ndarray, band_hz: np.ndarray, window: np.ndarray, n_: np.ndarray,
                 *, sr: int = SAMPLE_RATE, min_low: float = 50.0, min_band: float = 50.0) -> np.ndarray:
    """The 80 SincNet band-pass filters (40 even, 40 odd), shape (80, 251), from their learnt parameters.

    ``low_hz``, ``band_hz``: (40, 1); ``window``: the left half of a 251-tap Hamming window (125,);
    ``n_``: 2 pi t / sr for t = -125 .. -1, shape (1, 125).
    """
    low = min_low + np.abs(low_hz.astype(np.float64))
    high = np.clip(low + min_band + np.abs(band_hz.astype(np.float64)), min_low, sr / 2)
    band = (high - low)[:, 0]
    n = n_.astype(np.float64)
    w = window.astype(np.float64)
    ft_low, ft_high = low @ n, high @ n
    even_left = (np.sin(ft_high) - np.sin(ft_low)) / (n / 2) * w
    even = np.concatenate([even_left, 2 * band[:, None], even_left[:, ::-1]], axis=1)
    odd_left = (np.cos(ft_low) - np.cos(ft_high)) / (n / 2) * w
    odd = np.concatenate([odd_left, np.zeros((band.size, 1)), -odd_left[:, ::-1]], axis=1)
    filters = np.concatenate([even, odd], axis=0) / np.concatenate([2 * band, 2 * band])[:, None]
    return filters.astype(np.float32)


class SegmentationModel:
    """segmentation-3.0's forward pass over a batch of 10 s chunks.

    Parameters
    ----------
    weights : mapping of str to np.ndarray
        The PyTorch state dict (``sincnet.*``, ``lstm.*``, ``linear.*``, ``classifier.*``).
    blas_threads : int or None
        BLAS threads for the forward pass (default 1; None: the library's default). On the shared
        2-core machine more threads made the LSTM steps 10-50 times slower at some batch sizes
        (OpenBLAS threads waiting on busy cores; docs/evaluation/history.md).
    """

    def __init__(self, weights: Mapping[str, np.ndarray], *, blas_threads: int | None = 1):
        if blas_threads is not None and blas_threads < 1:
            raise ParameterError(f"blas_threads={blas_threads} must be at least 1 (or None)")
        self.blas_threads = blas_threads
        try:
            p = "sincnet.conv1d.0.filterbank."
            self.filters = sinc_filters(weights[p + "low_hz_"], weights[p + "band_hz_"], weights[p + "window_"],
                                        weights[p + "n_"])
            f32 = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
            self.wav_norm = (f32["sincnet.wav_norm1d.weight"], f32["sincnet.wav_norm1d.bias"])
            self.norms = [(f32[f"sincnet.norm1d.{i}.weight"], f32[f"sincnet.norm1d.{i}.bias"]) for i in range(3)]
            self.convs = []
            for i in (1, 2):
                w = f32[f"sincnet.conv1d.{i}.weight"]  # (out, in, k)
                # im2col layout: rows (k, in) flattened, as a sliding window over (time, in) gives
                self.convs.append((np.ascontiguousarray(w.transpose(2, 1, 0).reshape(-1, w.shape[0])),
                                   f32[f"sincnet.conv1d.{i}.bias"], w.shape[2]))
            self.lstm = []
            layer = 0
            while f"lstm.weight_ih_l{layer}" in f32:
                dirs = []
                for sfx in ("", "_reverse"):
                    w_ih = f32[f"lstm.weight_ih_l{layer}{sfx}"].T
                    w_hh = f32[f"lstm.weight_hh_l{layer}{sfx}"].T
                    b = f32[f"lstm.bias_ih_l{layer}{sfx}"] + f32[f"lstm.bias_hh_l{layer}{sfx}"]
                    dirs.append((w_ih, w_hh, b))
                self.lstm.append(dirs)
                layer += 1
            self.linear = []
            i = 0
            while f"linear.{i}.weight" in f32:
                self.linear.append((np.ascontiguousarray(f32[f"linear.{i}.weight"].T), f32[f"linear.{i}.bias"]))
                i += 1
            self.classifier = (np.ascontiguousarray(f32["classifier.weight"].T), f32["classifier.bias"])
        except KeyError as e:
            raise ParameterError(f"segmentation weights lack {e.args[0]}") from e
        if not self.lstm or self.classifier[0].shape[1] != len(POWERSET):
            raise ParameterError("segmentation weights have unexpected shapes")
        H = self.lstm[0][0][1].shape[0]
        self.hidden = H
        # sigmoid(v) = 0.5 + 0.5 tanh(v / 2): halve the i, f, o columns and use one tanh for all gates
        half = np.ones(4 * H, dtype=np.float32)
        half[: 2 * H] = half[3 * H:] = 0.5
        self._gate_mul = half
        self._gate_add = np.where(half == 0.5, 0.5, 0.0).astype(np.float32)
        # contiguous stacks: a strided operand makes NumPy's batched matmul leave BLAS (about 100x slower)
        self._lstm_scaled = [
            tuple(np.ascontiguousarray(np.stack([w[j] * half for w in dirs]), dtype=np.float32) for j in range(3))
            for dirs in self.lstm
        ]

    # -- SincNet -------------------------------------------------------------------------------
    def features(self, chunks: np.ndarray) -> np.ndarray:
        """SincNet features of a batch of chunks: (batch, samples) -> (batch, frames, 60).

        Works in (batch, time, channels) layout throughout, so every step reads contiguous memory."""
        x = np.asarray(chunks, dtype=np.float32)
        mean = x.mean(axis=1, keepdims=True)
        std = np.sqrt(x.var(axis=1, keepdims=True) + _EPS)
        x = (x - mean) / std * self.wav_norm[0] + self.wav_norm[1]
        taps = self.filters.shape[1]
        n_out = (x.shape[1] - taps) // 10 + 1
        ft = np.ascontiguousarray(self.filters.T)
        out = np.empty((x.shape[0], n_out // 3, ft.shape[1]), dtype=np.float32)
        for b in range(x.shape[0]):
            frames = np.ascontiguousarray(np.lib.stride_tricks.sliding_window_view(x[b], taps)[::10][:n_out])
            y = frames @ ft
            np.abs(y, out=y)
            out[b] = _max_pool3(y[None])[0]
        h = _leaky(_instance_norm(out, *self.norms[0]))
        for (w, bias, k), norm in zip(self.convs, self.norms[1:]):
            cols = np.lib.stride_tricks.sliding_window_view(h, k, axis=1)  # (batch, time-k+1, ch, k)
            cols = cols.transpose(0, 1, 3, 2).reshape(h.shape[0], h.shape[1] - k + 1, -1)
            h = _leaky(_instance_norm(_max_pool3(cols @ w + bias), *norm))
        return np.ascontiguousarray(h)

    # -- LSTM ----------------------------------------------------------------------------------
    def _bilstm(self, seq: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
        """One bidirectional layer, both directions stepped together. seq: (time, batch, in) -> (time, batch, 2H)."""
        T, B, _ = seq.shape
        H = self.hidden
        gx = np.matmul(seq.reshape(1, T * B, -1), w_ih).reshape(2, T, B, 4 * H) + b[:, None, None, :]
        gx[1] = gx[1, ::-1].copy()  # the reverse direction reads time backwards
        out = np.empty((2, T, B, H), dtype=np.float32)
        h = np.zeros((2, B, H), dtype=np.float32)
        c = np.zeros((2, B, H), dtype=np.float32)
        g = np.empty((2, B, 4 * H), dtype=np.float32)
        tc = np.empty((2, B, H), dtype=np.float32)
        for t in range(T):
            np.matmul(h, w_hh, out=g)
            g += gx[:, t]
            np.tanh(g, out=g)
            g *= self._gate_mul
            g += self._gate_add
            c *= g[..., H: 2 * H]
            np.multiply(g[..., :H], g[..., 2 * H: 3 * H], out=tc)
            c += tc
            np.tanh(c, out=tc)
            h = np.multiply(g[..., 3 * H:], tc, out=out[:, t])
        return np.concatenate([out[0], out[1, ::-1]], axis=2)

    def forward(self, chunks: np.ndarray) -> np.ndarray:
        """Log-probabilities of the 7 powerset classes.

        Parameters
        ----------
        chunks : np.ndarray, shape (batch, samples)
            16 kHz audio, normally 10 s (160000 samples) per chunk.

        Returns
        -------
        np.ndarray, shape (batch, num_frames(samples), 7), float32
        """
        x = np.asarray(chunks, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] < 991:
            raise ParameterError(f"chunks must have shape (batch, samples >= 991), got {x.shape}")
        if self.blas_threads is None:
            return self._forward(x)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.blas_threads):
            return self._forward(x)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        feats = self.features(x)
        seq = np.ascontiguousarray(feats.transpose(1, 0, 2))  # time-major
        for w_ih, w_hh, b in self._lstm_scaled:
            seq = self._bilstm(seq, w_ih, w_hh, b)
        h = seq.transpose(1, 0, 2)
        for w, b in self.linear:
            h = _leaky(h @ w + b)
        logits = h @ self.classifier[0] + self.classifier[1]
        logits = logits - logits.max(axis=2, keepdims=True)
        return (logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))).astype(np.float32)
