"""A speaker (voice) encoder in NumPy: the GE2E network of ``resemblyzer`` 0.1.4, forward pass only.

Each 1.6 s piece of speech becomes a 256-number "voiceprint" (L2-normalised, all
entries >= 0); two pieces of the same voice point in nearly the same direction
(cosine similarity near 1), two different voices less so. The network: a 40-band
mel *power* spectrogram (not log; 25 ms Hann window, 10 ms hop, 16 kHz, as
``librosa.feature.melspectrogram`` with ``n_fft=400``), a 3-layer LSTM (256 units;
PyTorch's gate order i, f, g, o), the top layer's last hidden state, a linear layer
256 -> 256, ReLU, L2 norm.

The weights are not read here (analysis does no file I/O): the caller passes the
arrays, e.g. from :func:`audio.voice_weights.load_voice_weights`.
"""

from __future__ import annotations

import functools
import logging
from typing import Callable, Mapping, Sequence

import numpy as np

from analysis.errors import ParameterError
from analysis.speakers.features import _hz_to_mel, _mel_to_hz

__all__ = ["VoiceEncoder", "mel_power", "mel_filterbank", "speech_windows", "window_labels", "pick_windows",
           "two_voice_split", "SAMPLE_RATE", "PARTIAL_FRAMES"]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s: the length the network was trained on
TARGET_DBFS = -30.0  # resemblyzer's volume normalisation
_KEYS = [f"lstm.{w}_l{i}" for i in range(3) for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")] + [
    "linear.weight", "linear.bias"]


@functools.lru_cache(maxsize=4)
def mel_filterbank(sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Slaney-scale, area-normalised triangular filters from 0 Hz to sr/2 (librosa's defaults).

    Returns
    -------
    np.ndarray, shape (n_mels, n_fft // 2 + 1), float32
    """
    freqs = np.linspace(0.0, sr / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0.0, np.minimum(lower, upper))
    w *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return w.astype(np.float32)


def mel_power(wav: np.ndarray) -> np.ndarray:
    """Mel power spectrogram of 16 kHz samples, one row per 10 ms (frames centred, reflect-padded).

    Returns
    -------
    np.ndarray, shape (1 + len(wav) // 160, 40), float32
    """
    from scipy.fft import rfft

    x = np.asarray(wav, dtype=np.float32)
    if x.size == 0:
        return np.zeros((0, N_MELS), dtype=np.float32)
    pad = N_FFT // 2
    xp = np.pad(x, pad, mode="reflect" if x.size > pad else "constant")
    n = 1 + (xp.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(xp, N_FFT)[::HOP][:n]
    win = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann
    spec = rfft(frames * win, axis=1)
    power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
    return power @ mel_filterbank().T


class VoiceEncoder:
    """The GE2E voice encoder's forward pass.

    Parameters
    ----------
    weights : mapping of str to np.ndarray
        ``lstm.weight_ih_l0`` ... ``lstm.bias_hh_l2``, ``linear.weight``, ``linear.bias``
        (PyTorch names and shapes).
    blas_threads : int or None
        BLAS threads for the forward pass (default 1; None: the library's default). The LSTM's
        matrices are small (batch x 256 by 256 x 1024, 480 steps): on a shared machine more
        threads made it 2-4 times slower (docs/evaluation/speakers-hard-sets.md, "Voiceprints").
    network : callable, optional
        Another implementation of the same network, ``(batch, frames, 40) -> (batch, 256)``
        (e.g. :class:`audio.onnx_models.voice.OnnxVoiceNetwork`), used by :meth:`forward` instead of
        the NumPy pass.
    """

    def __init__(self, weights: Mapping[str, np.ndarray], *, blas_threads: int | None = 1,
                 network: Callable[[np.ndarray], np.ndarray] | None = None):
        self.network = network
        if blas_threads is not None and blas_threads < 1:
            raise ParameterError(f"blas_threads={blas_threads} must be at least 1 (or None)")
        self.blas_threads = blas_threads
        missing = [k for k in _KEYS if k not in weights]
        if missing:
            raise ParameterError(f"voice-encoder weights lack {', '.join(missing)}")
        self.layers = []
        for i in range(3):
            w_ih = np.asarray(weights[f"lstm.weight_ih_l{i}"], dtype=np.float32)
            w_hh = np.asarray(weights[f"lstm.weight_hh_l{i}"], dtype=np.float32)
            b = np.asarray(weights[f"lstm.bias_ih_l{i}"], np.float32) + np.asarray(weights[f"lstm.bias_hh_l{i}"], np.float32)
            self.layers.append((np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), b))
        self.hidden = self.layers[0][1].shape[0]
        if self.layers[0][0].shape[0] != N_MELS or self.layers[0][1].shape[1] != 4 * self.hidden:
            raise ParameterError("voice-encoder weights have unexpected shapes")
        # sigmoid(v) = 0.5 + 0.5 tanh(v / 2): with the i, f, o columns halved (exact in floating point),
        # one tanh over all four gates gives every gate; then scale/shift the i, f, o parts
        H = self.hidden
        half = np.ones(4 * H, dtype=np.float32)
        half[:2 * H] = half[3 * H:] = 0.5
        self._scaled = [(w_ih * half, w_hh * half, b * half) for w_ih, w_hh, b in self.layers]
        self._gate_mul = half
        self._gate_add = np.where(half == 0.5, 0.5, 0.0).astype(np.float32)
        self.w_out = np.ascontiguousarray(np.asarray(weights["linear.weight"], dtype=np.float32).T)
        self.b_out = np.asarray(weights["linear.bias"], dtype=np.float32)

    def forward(self, mels: np.ndarray) -> np.ndarray:
        """Embeddings of a batch of mel spectrograms.

        Parameters
        ----------
        mels : np.ndarray, shape (batch, frames, 40)

        Returns
        -------
        np.ndarray, shape (batch, 256), float32, L2-normalised
        """
        x = np.asarray(mels, dtype=np.float32)
        if x.ndim != 3 or x.shape[2] != N_MELS:
            raise ParameterError(f"mels must have shape (batch, frames, {N_MELS}), got {x.shape}")
        if self.network is not None:
            return np.asarray(self.network(x), dtype=np.float32)
        if self.blas_threads is None:
            return self._forward(x)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.blas_threads):
            return self._forward(x)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        B, T, _ = x.shape
        H = self.hidden
        seq = np.ascontiguousarray(x.transpose(1, 0, 2))  # time-major: each step's rows are contiguous
        h = np.zeros((B, H), dtype=np.float32)
        g = np.empty((B, 4 * H), dtype=np.float32)
        tc = np.empty((B, H), dtype=np.float32)
        for li, (w_ih, w_hh, b) in enumerate(self._scaled):
            gx = (seq.reshape(T * B, -1) @ w_ih + b).reshape(T, B, 4 * H)
            h = np.zeros((B, H), dtype=np.float32)
            c = np.zeros((B, H), dtype=np.float32)
            out = None if li == len(self._scaled) - 1 else np.empty((T, B, H), dtype=np.float32)
            for t in range(T):
                np.matmul(h, w_hh, out=g)
                g += gx[t]
                np.tanh(g, out=g)
                g *= self._gate_mul
                g += self._gate_add  # i, f, o: sigmoid; g: tanh
                c *= g[:, H:2 * H]
                np.multiply(g[:, :H], g[:, 2 * H:3 * H], out=tc)
                c += tc
                np.tanh(c, out=tc)
                h = np.multiply(g[:, 3 * H:], tc, out=out[t] if out is not None else None)
            if out is not None:
                seq = out
        e = np.maximum(h @ self.w_out + self.b_out, 0.0)
        return e / (np.linalg.norm(e, axis=1, keepdims=True) + 1e-9)

    def embed_segments(self, wav: np.ndarray, sr: int, segments: Sequence[tuple[float, float]],
                       *, batch: int = 128) -> np.ndarray:
        """One embedding per (start, end) segment (s) of a recording.

        Each segment is cut out, brought to -30 dBFS (loudness is not identity), and cut or
        zero-padded to 1.6 s of mel frames. Segments should be about 1-2 s of speech.

        Returns
        -------
        np.ndarray, shape (len(segments), 256), float32
            All zeros for a silent (or empty) segment.
        """
        x = np.asarray(wav, dtype=np.float32)
        if sr != SAMPLE_RATE:
            from scipy.signal import resample_poly

            g = np.gcd(int(sr), SAMPLE_RATE)
            x = resample_poly(x, SAMPLE_RATE // g, int(sr) // g).astype(np.float32)
        mels = np.zeros((len(segments), PARTIAL_FRAMES, N_MELS), dtype=np.float32)
        silent = np.zeros(len(segments), dtype=bool)
        for k, (a, b) in enumerate(segments):
            seg = x[max(0, int(a * SAMPLE_RATE)): max(0, int(b * SAMPLE_RATE))]
            rms = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) if seg.size else 0.0
            if rms <= 1e-7:
                silent[k] = True
                continue
            seg = seg * np.float32(10 ** (TARGET_DBFS / 20) / rms)
            m = mel_power(seg)[:PARTIAL_FRAMES]
            mels[k, : m.shape[0]] = m
        out = np.zeros((len(segments), self.w_out.shape[1]), dtype=np.float32)
        for s in range(0, len(segments), batch):
            out[s: s + batch] = self.forward(mels[s: s + batch])
        out[silent] = 0.0
        return out


def speech_windows(speech: Sequence[tuple[float, float]], *, window: float = 1.6, step: float = 0.8,
                   min_len: float = 1.0, max_windows: int = 0) -> list[tuple[float, float]]:
    """Windows (s) of ``window`` seconds every ``step`` inside each speech interval.

    Intervals shorter than ``min_len`` are skipped; those between ``min_len`` and ``window``
    give one window of their own length. With ``max_windows`` > 0, at most that many,
    spread evenly over the recording.
    """
    out: list[tuple[float, float]] = []
    for a, b in speech:
        if b - a < min_len:
            continue
        if b - a <= window:
            out.append((float(a), float(b)))
            continue
        starts = list(np.arange(a, b - window + 1e-9, step))
        if starts[-1] + window < b - step / 2:
            starts.append(b - window)
        out.extend((float(s), float(s) + window) for s in starts)
    if max_windows > 0 and len(out) > max_windows:
        keep = np.unique(np.round(np.linspace(0, len(out) - 1, max_windows)).astype(int))
        out = [out[i] for i in keep]
    return out


def window_labels(frame_labels: np.ndarray, windows: Sequence[tuple[float, float]],
                  hop: float) -> tuple[np.ndarray, np.ndarray]:
    """Each window's majority frame label and how stable it is.

    Parameters
    ----------
    frame_labels : np.ndarray of int, shape (n,)
        One label per frame of ``hop`` seconds (e.g. the MFCC clusters of the diarizer).
    windows : sequence of (start, end)
        Seconds.
    hop : float
        Frame step (s).

    Returns
    -------
    labels : np.ndarray of int, shape (len(windows),)
    stability : np.ndarray of float, shape (len(windows),)
        Share of the window's frames that carry its label (1.0: no label change inside).
    """
    fl = np.asarray(frame_labels)
    labels = np.zeros(len(windows), dtype=int)
    stability = np.zeros(len(windows), dtype=float)
    for k, (a, b) in enumerate(windows):
        lo = min(max(0, int(round(a / hop))), max(0, fl.size - 1))
        seg = fl[lo: max(lo + 1, int(round(b / hop)))]
        if seg.size == 0:
            continue
        counts = np.bincount(seg)
        labels[k] = int(np.argmax(counts))
        stability[k] = float(counts.max() / seg.size)
    return labels, stability


def pick_windows(labels: np.ndarray, stability: np.ndarray, per_label: int) -> np.ndarray:
    """At most ``per_label`` windows of each label, spread over time, the most stable of each stretch.

    The windows (in time order) of one label are cut into ``per_label`` consecutive runs of
    (nearly) equal count; from each run the window with the highest ``stability`` is kept (on a
    tie, the one nearest the run's middle). A label with at most ``per_label`` windows keeps all.

    Parameters
    ----------
    labels : np.ndarray of int, shape (n,)
        Label of each window, windows in time order.
    stability : np.ndarray of float, shape (n,)
    per_label : int
        At least 1.

    Returns
    -------
    np.ndarray of int
        Indices of the kept windows, ascending.
    """
    if per_label < 1:
        raise ParameterError(f"per_label={per_label} must be at least 1")
    lab = np.asarray(labels)
    stab = np.asarray(stability, dtype=float)
    if lab.shape != stab.shape:
        raise ParameterError(f"labels {lab.shape} and stability {stab.shape} differ in shape")
    keep: list[int] = []
    for c in np.unique(lab):
        idx = np.flatnonzero(lab == c)
        if idx.size <= per_label:
            keep.extend(idx.tolist())
            continue
        for run in np.array_split(idx, per_label):
            mid = (run.size - 1) / 2
            best = max(range(run.size), key=lambda j: (stab[run[j]], -abs(j - mid)))
            keep.append(int(run[best]))
    return np.array(sorted(keep), dtype=int)


def two_voice_split(emb: np.ndarray, *, iterations: int = 10) -> tuple[np.ndarray, float]:
    """Split embeddings into two groups and say how alike the groups' voices are.

    Ward clustering of the L2-normalised embeddings into 2, refined by assigning each
    to the nearer centroid (cosine) a few times.

    Returns
    -------
    labels : np.ndarray of int, shape (n,)
    similarity : float
        Cosine similarity of the two groups' mean embeddings (1.0: one voice; with
        fewer than 4 embeddings, 1.0 and all labels 0).
    """
    from sklearn.cluster import AgglomerativeClustering

    X = np.asarray(emb, dtype=np.float64)
    n = X.shape[0]
    if n < 4:
        return np.zeros(n, dtype=int), 1.0
    X = X / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-9)
    lab = AgglomerativeClustering(n_clusters=2, linkage="ward").fit_predict(X)
    for _ in range(iterations):
        if np.bincount(lab, minlength=2).min() == 0:
            break
        C = np.stack([X[lab == c].mean(axis=0) for c in range(2)])
        C /= np.linalg.norm(C, axis=1, keepdims=True) + 1e-9
        new = np.argmax(X @ C.T, axis=1)
        if np.array_equal(new, lab) or np.bincount(new, minlength=2).min() == 0:
            break
        lab = new
    if np.bincount(lab, minlength=2).min() == 0:
        return np.zeros(n, dtype=int), 1.0
    C = np.stack([X[lab == c].mean(axis=0) for c in range(2)])
    C /= np.linalg.norm(C, axis=1, keepdims=True) + 1e-9
    return lab.astype(int), float(C[0] @ C[1])
