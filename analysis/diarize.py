"""Mono diarization on CPU: who speaks when in a one-channel recording of (usually) two people.

Method (chosen by measured DER, see docs/readme/speakers.md):

1. Speech regions: given by the caller (``speech``, e.g. the Silero VAD in
   :mod:`audio.vad`), else from the transcript's words, else an energy VAD.
2. Frame features: log-mel cepstra (MFCC 1-19, no energy term) every 10 ms.
3. Windows of ``window`` s every ``step`` s inside speech; each summarised by the
   mean and standard deviation of its frames; standardised.
4. Agglomerative (Ward) clustering into 2; the split is kept only when the
   clusters are well separated (silhouette) and the smaller is not tiny, else
   one speaker is reported. A third voice is reported in ``notes`` (not split).
5. Resegmentation: a diagonal Gaussian mixture per speaker on frame features,
   log-likelihoods smoothed over ``smooth`` s, each speech frame relabelled.

Overlapping speech cannot be separated from one channel: it is attributed to one
speaker (a note says so).
"""

from __future__ import annotations

import logging
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
    min_silhouette: float = 0.08  # below this, the two clusters are one voice
    min_share: float = 0.04  # a "speaker" with less speech time than this share is merged
    third_speaker_gain: float = 0.05  # silhouette gain that signals a third voice
    resegment: bool = True
    gmm_components: int = 8
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


def _embed(feats: np.ndarray, wins: list[tuple[int, int]]) -> np.ndarray:
    emb = np.stack([np.concatenate([feats[a:b].mean(axis=0), feats[a:b].std(axis=0)]) for a, b in wins])
    mu, sd = emb.mean(axis=0), emb.std(axis=0) + 1e-6
    return (emb - mu) / sd


def _cluster(emb: np.ndarray, k: int) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(emb)


def _silhouette(emb: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import silhouette_score

    if len(set(labels.tolist())) < 2 or len(labels) < 4:
        return -1.0
    n = len(labels)
    if n > 2000:
        idx = np.random.default_rng(0).choice(n, 2000, replace=False)
        return float(silhouette_score(emb[idx], labels[idx]))
    return float(silhouette_score(emb, labels))


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


def _resegment(feats: np.ndarray, mask: np.ndarray, labels: np.ndarray, k: int, opts: DiarizeOptions) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d
    from sklearn.mixture import GaussianMixture

    speech_idx = np.flatnonzero(mask)
    X = feats[speech_idx]
    ll = np.zeros((k, X.shape[0]))
    for c in range(k):
        Xc = X[labels[speech_idx] == c]
        n_comp = max(1, min(opts.gmm_components, Xc.shape[0] // 50))
        if Xc.shape[0] < 20:
            return labels
        g = GaussianMixture(n_components=n_comp, covariance_type="diag", random_state=opts.seed,
                            max_iter=50, reg_covar=1e-3).fit(Xc)
        ll[c] = g.score_samples(X)
    span = max(1, int(round(opts.smooth / opts.hop)))
    # smooth along time within speech (frames are contiguous enough after bridging)
    ll = uniform_filter1d(ll, size=span, axis=1, mode="nearest")
    out = labels.copy()
    out[speech_idx] = np.argmax(ll, axis=0)
    return out


def _remove_short_runs(labels: np.ndarray, mask: np.ndarray, min_len: int) -> np.ndarray:
    out = labels.copy()
    for a, b in mask_to_intervals(mask, 1.0):
        a, b = int(a), int(b)
        seg = out[a:b]
        changed = True
        while changed:
            changed = False
            runs = mask_to_intervals(np.r_[True, seg[1:] != seg[:-1]], 1.0)
            bounds = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]]).tolist() + [len(seg)]
            lens = np.diff(bounds)
            if len(lens) <= 1:
                break
            i = int(np.argmin(lens))
            if lens[i] >= min_len:
                break
            s0, s1 = bounds[i], bounds[i + 1]
            left = seg[s0 - 1] if s0 > 0 else None
            right = seg[s1] if s1 < len(seg) else None
            seg[s0:s1] = left if left is not None else right
            changed = True
            del runs
        out[a:b] = seg
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
    feats = cepstra(x, sr, hop=opts.hop)
    n = feats.shape[0]
    mask = intervals_to_mask(speech, n, opts.hop)
    wins = _windows(mask, opts)
    k, n_detected = 1, 1
    labels = np.zeros(n, dtype=int)
    if opts.max_speakers >= 2 and len(wins) >= 6:
        emb = _embed(feats, wins)
        lab2 = _cluster(emb, 2)
        sil2 = _silhouette(emb, lab2)
        share = min(np.mean(lab2 == 0), np.mean(lab2 == 1))
        info.update(silhouette=round(sil2, 4), minor_share=round(float(share), 4))
        if sil2 >= opts.min_silhouette and share >= opts.min_share:
            k = n_detected = 2
            labels = _frame_labels(n, wins, lab2)
            if len(wins) >= 12:
                lab3 = _cluster(emb, 3)
                sil3 = _silhouette(emb, lab3)
                info["silhouette3"] = round(sil3, 4)
                if sil3 > sil2 + opts.third_speaker_gain and np.bincount(lab3).min() / len(lab3) >= 0.1:
                    n_detected = 3
                    notes.append("more than two speakers: a third voice seems present; "
                                 "its speech is given to the nearest of the two main speakers")
        else:
            notes.append("only one speaker found")
    elif opts.max_speakers >= 2:
        notes.append("only one speaker found (too little speech to compare voices)")
    if k == 2 and opts.resegment:
        for _ in range(2):
            labels = _resegment(feats, mask, labels, 2, opts)
        labels = _remove_short_runs(labels, mask, max(1, int(round(opts.min_turn / opts.hop))))
        shares = np.bincount(labels[mask], minlength=2) / max(1, mask.sum())
        if shares.min() < opts.min_share:
            labels[:] = int(np.argmax(shares))
            k = n_detected = 1
            notes.append("only one speaker found")
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
