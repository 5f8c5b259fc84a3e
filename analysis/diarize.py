"""Mono diarization on CPU: who speaks when in a one-channel recording of (usually) two people.

Method (chosen by measured DER, see docs/readme/speakers.md):

1. Speech regions: given by the caller (``speech``, e.g. the Silero VAD in
   :mod:`audio.vad`), else from the transcript's words, else an energy VAD.
2. Frame features: log-mel cepstra (MFCC 1-19, no energy term) every 10 ms.
3. Windows of ``window`` s every ``step`` s inside speech; each summarised by the
   mean and standard deviation of its frames; standardised.
4. Agglomerative (Ward) clustering into 2; the split is kept only when the
   clusters' mean features are far enough apart (``min_separation``, in frame
   standard deviations) and the smaller is not tiny, else
   one speaker is reported. A third voice is reported in ``notes`` (not split).
5. Resegmentation: a diagonal Gaussian mixture per speaker on frame features,
   log-likelihoods smoothed over ``smooth`` s, each speech frame relabelled.

Overlapping speech cannot be separated from one channel: it is attributed to one
speaker (a note says so).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from analysis.activity import VadOptions, bridge_intervals, frame_levels, intervals_to_mask, mask_to_intervals, speech_mask
from analysis.errors import ParameterError
from analysis.features import cepstra
from analysis.schema import SpeechRegion, Transcript
from analysis.speakers import SpeakerActivity, regions_from_intervals

__all__ = ["DiarizeOptions", "diarize", "speech_from_words"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiarizeOptions:
    """Mono diarization settings (seconds unless stated)."""

    max_speakers: int = 2
    hop: float = 0.01
    window: float = 1.5
    step: float = 0.5
    bridge: float = 0.5  # join speech across shorter pauses before clustering
    min_speech: float = 0.2
    min_separation: float = 0.95  # cluster means closer than this (in frame std units) are one voice
    third_speaker_separation: float = 1.6  # every pair of three clusters this far apart (and
    third_speaker_ratio: float = 0.9  # at least this fraction of the 2-cluster separation): a third voice
    min_share: float = 0.04  # a "speaker" with less speech time than this share is merged
    resegment: bool = True
    resegment_passes: int = 2
    trim_edges: float = 0.15  # cut up to this much quiet VAD padding off each speech edge
    snap_changes: float = 0.4  # look this far for the pause at a speaker change (0: off)
    max_train_frames: int = 6000  # frames per speaker to fit its resegmentation GMM
    core_db: float = 30.0  # only frames within this of the loudest describe a voice
    embedding: str = "stats"  # "stats": mean+std of cepstra; "map": GMM mean supervectors
    ubm_components: int = 16
    cluster: str = "ward"  # "ward", "spectral" (cosine affinity) or "average" (cosine)
    map_relevance: float = 8.0
    embed_dims: int = 20
    gmm_components: int = 4
    smooth: float = 0.6  # median-smoothing span of frame decisions
    min_turn: float = 0.3  # label runs shorter than this take their neighbour's label
    vad: VadOptions = VadOptions(top_db=40.0, bridge=0.5)
    seed: int = 0

    def __post_init__(self):
        if self.max_speakers < 1:
            raise ParameterError(f"max_speakers={self.max_speakers} must be at least 1")
        if self.window <= 0 or self.step <= 0 or self.hop <= 0:
            raise ParameterError("window, step and hop must be positive")


def speech_from_words(transcript: Transcript, *, bridge: float = 0.5, pad: float = 0.05) -> list[tuple[float, float]]:
    """Speech intervals (s) from a transcript's word times, joining gaps under ``bridge``."""
    spans = [(w.start, w.end) for w in transcript.words if w.end > w.start]
    return bridge_intervals(spans, bridge=bridge, min_speech=0.0, pad=pad, duration=transcript.duration or None)


def _energy_speech(mono: np.ndarray, sr: int, opts: DiarizeOptions) -> list[tuple[float, float]]:
    v = opts.vad
    lv = frame_levels(mono, sr, frame=v.frame, hop=v.hop)
    return mask_to_intervals(speech_mask(lv, v), v.hop)


def _windows(mask: np.ndarray, opts: DiarizeOptions) -> list[tuple[int, int]]:
    """Frame index windows inside speech runs."""
    w = max(1, int(round(opts.window / opts.hop)))
    s = max(1, int(round(opts.step / opts.hop)))
    out = []
    for a, b in mask_to_intervals(mask, 1.0):
        a, b = int(a), int(b)
        if b - a <= w:
            out.append((a, b))
            continue
        starts = list(range(a, b - w + 1, s))
        if starts[-1] + w < b:
            starts.append(b - w)
        out.extend((i, i + w) for i in starts)
    return out


def _embed_map(feats: np.ndarray, mask: np.ndarray, wins: list[tuple[int, int]], opts: "DiarizeOptions") -> np.ndarray:
    """MAP-adapted mean supervectors of a per-file background GMM, PCA-reduced, length-normed."""
    from sklearn.mixture import GaussianMixture

    X = feats[mask]
    rng = np.random.default_rng(opts.seed)
    train = X if X.shape[0] <= 20000 else X[rng.choice(X.shape[0], 20000, replace=False)]
    C = max(2, min(opts.ubm_components, train.shape[0] // 40))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ubm = GaussianMixture(n_components=C, covariance_type="diag", random_state=opts.seed,
                              max_iter=30, reg_covar=1e-3).fit(train)
    mu, sd, w = ubm.means_, np.sqrt(ubm.covariances_), ubm.weights_
    sv = []
    for a, b in wins:
        seg = feats[a:b][mask[a:b]]
        if seg.shape[0] == 0:
            seg = feats[a:b]
        g = ubm.predict_proba(seg)
        n = g.sum(axis=0)
        f = g.T @ seg
        m = (f + opts.map_relevance * mu) / (n[:, None] + opts.map_relevance)
        sv.append((((m - mu) / sd) * np.sqrt(w)[:, None]).ravel())
    S = np.asarray(sv)
    S = S - S.mean(axis=0)
    u, s_, vt = np.linalg.svd(S, full_matrices=False)
    d = min(opts.embed_dims, S.shape[1], S.shape[0])
    E = S @ vt[:d].T
    return E / (np.linalg.norm(E, axis=1, keepdims=True) + 1e-9)


def _embed(feats: np.ndarray, core: np.ndarray, wins: list[tuple[int, int]]) -> np.ndarray:
    rows = []
    for a, b in wins:
        f = feats[a:b][core[a:b]]
        f = f if f.shape[0] >= 10 else feats[a:b]
        rows.append(np.concatenate([f.mean(axis=0), f.std(axis=0)]))
    emb = np.stack(rows)
    mu, sd = emb.mean(axis=0), emb.std(axis=0) + 1e-6
    return (emb - mu) / sd


def _cluster(emb: np.ndarray, k: int, method: str = "ward", seed: int = 0) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering, SpectralClustering

    if method == "spectral" and emb.shape[0] > 2 * k + 2:
        x = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-9)
        aff = np.clip((x @ x.T + 1.0) / 2.0, 0.0, 1.0)
        return SpectralClustering(n_clusters=k, affinity="precomputed", random_state=seed).fit_predict(aff)
    if method == "average":
        return AgglomerativeClustering(n_clusters=k, linkage="average", metric="cosine").fit_predict(emb)
    return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(emb)


def _separation(feats: np.ndarray, mask: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Smallest distance between two clusters' mean frame features, in units of the frame std."""
    X, L = feats[mask], labels[mask]
    sd = X.std(axis=0) + 1e-6
    means = [X[L == c].mean(axis=0) / sd for c in range(k) if np.any(L == c)]
    if len(means) < k:
        return 0.0
    return float(min(np.linalg.norm(means[i] - means[j]) for i in range(k) for j in range(i + 1, k)))


def _frame_labels(n: int, wins: list[tuple[int, int]], wlab: np.ndarray) -> np.ndarray:
    """Each frame takes the label of the window whose centre is nearest."""
    centres = np.array([(a + b) / 2 for a, b in wins])
    order = np.argsort(centres)
    centres, wlab = centres[order], wlab[order]
    idx = np.searchsorted(centres, np.arange(n))
    lo = np.clip(idx - 1, 0, len(centres) - 1)
    hi = np.clip(idx, 0, len(centres) - 1)
    pick = np.where(np.abs(np.arange(n) - centres[lo]) <= np.abs(centres[hi] - np.arange(n)), lo, hi)
    return wlab[pick]


def _resegment(feats: np.ndarray, mask: np.ndarray, core: np.ndarray, labels: np.ndarray, k: int,
               opts: DiarizeOptions) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d
    from sklearn.mixture import GaussianMixture

    speech_idx = np.flatnonzero(mask)
    X = feats[speech_idx]
    ll = np.zeros((k, X.shape[0]))
    is_core = core[speech_idx]
    for c in range(k):
        Xc = X[(labels[speech_idx] == c) & is_core]
        n_comp = max(1, min(opts.gmm_components, Xc.shape[0] // 50))
        if Xc.shape[0] < 20:
            return labels
        if Xc.shape[0] > opts.max_train_frames:  # a subsample trains as well, much faster
            Xc = Xc[np.random.default_rng(opts.seed + c).choice(Xc.shape[0], opts.max_train_frames, replace=False)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a GMM that stops early is still usable here
            g = GaussianMixture(n_components=n_comp, covariance_type="diag", random_state=opts.seed,
                                max_iter=50, reg_covar=1e-3, init_params="random_from_data").fit(Xc)
        ll[c] = g.score_samples(X)
    ll[:, ~is_core] = ll[:, is_core].mean(axis=1, keepdims=True) if is_core.any() else 0.0
    span = max(1, int(round(opts.smooth / opts.hop)))
    # smooth along time within speech (frames are contiguous enough after bridging)
    ll = uniform_filter1d(ll, size=span, axis=1, mode="nearest")
    out = labels.copy()
    out[speech_idx] = np.argmax(ll, axis=0)
    return out


def _quiet_threshold(levels: np.ndarray, mask: np.ndarray, opts: DiarizeOptions) -> float:
    """Level (dB) below which a frame is a pause: well under speech and near the noise floor."""
    return float(min(np.percentile(levels[mask], 99) - opts.vad.top_db, np.percentile(levels, 10) + 6.0))


def _trim_edges(levels: np.ndarray, mask: np.ndarray, opts: DiarizeOptions) -> np.ndarray:
    """Drop quiet frames (VAD padding) at the edges of each speech run, up to ``trim_edges`` s."""
    if not mask.any() or opts.trim_edges <= 0:
        return mask
    quiet = levels < _quiet_threshold(levels, mask, opts)
    limit = int(round(opts.trim_edges / opts.hop))
    out = mask.copy()
    for a, b in mask_to_intervals(mask, 1.0):
        a, b = int(a), int(b)
        i = a
        while i < min(b, a + limit) and quiet[i]:
            i += 1
        j = b
        while j > max(i, b - limit) and quiet[j - 1]:
            j -= 1
        if j - i > 0:
            out[a:i] = False
            out[j:b] = False
    return out


def _snap_changes(levels: np.ndarray, mask: np.ndarray, labels: np.ndarray, opts: DiarizeOptions):
    """Move each speaker change to the quiet stretch near it and leave that pause unlabelled.

    Clustering decides who speaks at a resolution of a few hundred ms; a change
    between speakers usually sits in a pause, and the pause belongs to nobody.
    Without this, response latencies measured on mono audio would all be zero.
    """
    mask, labels = mask.copy(), labels.copy()
    if not mask.any():
        return mask, labels
    thr = _quiet_threshold(levels, mask, opts)
    quiet = levels < thr
    reach = max(1, int(round(opts.snap_changes / opts.hop)))
    changes = np.flatnonzero(mask[1:] & mask[:-1] & (labels[1:] != labels[:-1])) + 1
    for c in changes:
        lo, hi = max(0, c - reach), min(len(mask), c + reach)
        q = quiet[lo:hi]
        if not q.any():
            continue
        runs = mask_to_intervals(q, 1.0)
        a, b = max(runs, key=lambda r: (r[1] - r[0], -abs((r[0] + r[1]) / 2 + lo - c)))
        a, b = int(a) + lo, int(b) + lo
        if b - a < max(1, int(round(0.1 / opts.hop))):  # no real pause here
            continue
        left, right = labels[c - 1], labels[c]
        labels[lo:a] = np.where(mask[lo:a], left, labels[lo:a])
        labels[b:hi] = np.where(mask[b:hi], right, labels[b:hi])
        mask[a:b] = False
    return mask, labels


def _remove_short_runs(labels: np.ndarray, mask: np.ndarray, min_len: int) -> np.ndarray:
    """Within each speech run, give label runs shorter than ``min_len`` frames their neighbour's label."""
    out = labels.copy()
    for a, b in mask_to_intervals(mask, 1.0):
        seg = out[int(a):int(b)]
        while True:
            bounds = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]]).tolist() + [len(seg)]
            lens = np.diff(bounds)
            if len(lens) <= 1:
                break
            i = int(np.argmin(lens))
            if lens[i] >= min_len:
                break
            s0, s1 = bounds[i], bounds[i + 1]
            seg[s0:s1] = seg[s0 - 1] if s0 > 0 else seg[s1]
    return out


def diarize(
    mono: np.ndarray,
    sr: int,
    options: DiarizeOptions | None = None,
    transcript: Transcript | None = None,
    *,
    speech: Sequence[tuple[float, float]] | None = None,
) -> SpeakerActivity:
    """Diarize a mono recording into (at most ``max_speakers``) speakers.

    Parameters
    ----------
    mono : np.ndarray, shape (n,)
        Float samples.
    sr : int
        Sample rate (Hz).
    options : DiarizeOptions, optional
    transcript : Transcript, optional
        When ``speech`` is not given, its words mark where speech is.
    speech : sequence of (start, end), optional
        Speech intervals in seconds from a VAD (best: :func:`audio.vad.speech_intervals`).

    Returns
    -------
    SpeakerActivity
        ``source="diarization"``, speakers ``spk0``, ``spk1`` (``spk0`` speaks first).
    """
    opts = options or DiarizeOptions()
    x = np.asarray(mono, dtype=np.float32)
    if x.ndim != 1:
        raise ParameterError(f"mono must be one-dimensional, got shape {x.shape}")
    if sr <= 0:
        raise ParameterError(f"sr={sr} must be positive")
    duration = x.size / sr
    notes: list[str] = ["one channel: overlapping speech is given to one speaker"]
    if speech is None:
        if transcript is not None and transcript.words:
            speech = speech_from_words(transcript)
            info_src = "words"
        else:
            speech = _energy_speech(x, sr, opts)
            info_src = "energy"
    else:
        info_src = "given"
    speech = bridge_intervals(list(speech), bridge=opts.bridge, min_speech=opts.min_speech, duration=duration)
    info: dict[str, Any] = {"speech_source": info_src}
    if not speech:
        return SpeakerActivity((), (), "diarization", duration, 0, tuple(notes + ["no speech found"]), info)
    n = int(np.ceil(x.size / max(1, int(round(opts.hop * sr)))))
    mask = intervals_to_mask(speech, n, opts.hop)
    feats = cepstra(x, sr, hop=opts.hop, only=mask)
    levels = frame_levels(x, sr, frame=0.025, hop=opts.hop)[:n]
    core = mask & (levels > (np.percentile(levels[mask], 99) - opts.core_db if mask.any() else 0.0))
    wins = _windows(mask, opts)
    k, n_detected = 1, 1
    labels = np.zeros(n, dtype=int)
    if opts.max_speakers >= 2 and len(wins) >= 6:
        emb = _embed_map(feats, core, wins, opts) if opts.embedding == "map" else _embed(feats, core, wins)
        lab2 = _cluster(emb, 2, opts.cluster, opts.seed)
        fl2 = _frame_labels(n, wins, lab2)
        sep2 = _separation(feats, core, fl2, 2)
        share = min(np.mean(lab2 == 0), np.mean(lab2 == 1))
        info.update(separation=round(sep2, 3), minor_share=round(float(share), 4))
        if sep2 >= opts.min_separation and share >= opts.min_share:
            k = n_detected = 2
            labels = fl2
            if len(wins) >= 12:
                lab3 = _cluster(emb, 3, opts.cluster, opts.seed)
                sep3 = _separation(feats, core, _frame_labels(n, wins, lab3), 3)
                info["separation3"] = round(sep3, 3)
                if sep3 >= max(opts.third_speaker_separation, opts.third_speaker_ratio * sep2) and np.bincount(lab3).min() / len(lab3) >= 0.1:
                    n_detected = 3
                    notes.append("more than two speakers: a third voice seems present; "
                                 "its speech is given to the nearest of the two main speakers")
        else:
            notes.append("only one speaker found")
    elif opts.max_speakers >= 2:
        notes.append("only one speaker found (too little speech to compare voices)")
    if k == 2 and opts.resegment:
        for _ in range(opts.resegment_passes):
            labels = _resegment(feats, mask, core, labels, 2, opts)
        labels = _remove_short_runs(labels, mask, max(1, int(round(opts.min_turn / opts.hop))))
        shares = np.bincount(labels[mask], minlength=2) / max(1, mask.sum())
        if shares.min() < opts.min_share:
            labels[:] = int(np.argmax(shares))
            k = n_detected = 1
            notes.append("only one speaker found")
    if k == 2 and opts.snap_changes > 0:
        mask, labels = _snap_changes(levels, mask, labels, opts)
    mask = _trim_edges(levels, mask, opts)
    # order speakers by first speech
    first = {c: (np.flatnonzero(mask & (labels == c))[:1].tolist() or [n])[0] for c in range(k)}
    rank = {c: i for i, c in enumerate(sorted(range(k), key=lambda c: first[c]))}
    regions: list[SpeechRegion] = []
    for c in range(k):
        iv = mask_to_intervals(mask & (labels == c), opts.hop)
        regions.extend(regions_from_intervals(iv, f"spk{rank[c]}"))
    regions.sort(key=lambda r: (r.start, r.speaker))
    speakers = tuple(f"spk{i}" for i in range(k) if any(r.speaker == f"spk{i}" for r in regions))
    return SpeakerActivity(tuple(regions), speakers, "diarization", duration, n_detected, tuple(notes), info)
