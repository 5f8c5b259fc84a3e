"""Steps of mono diarization (see :mod:`analysis.speakers.diarize`): windows, embeddings,
clustering, GMM resegmentation and the clean-up of speaker changes. Frame arrays
are indexed every ``opts.hop`` seconds."""

from __future__ import annotations

import warnings

import numpy as np

from analysis.speakers.diarize_options import DiarizeOptions
from analysis.speakers.energy_vad import mask_to_intervals

__all__ = ['windows', 'embed_map', 'embed', 'cluster', 'separation', 'frame_labels', 'resegment', 'quiet_threshold', 'trim_edges', 'snap_changes', 'remove_short_runs']


def windows(mask: np.ndarray, opts: DiarizeOptions) -> list[tuple[int, int]]:
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


def embed_map(feats: np.ndarray, mask: np.ndarray, wins: list[tuple[int, int]], opts: DiarizeOptions) -> np.ndarray:
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


def embed(feats: np.ndarray, core: np.ndarray, wins: list[tuple[int, int]]) -> np.ndarray:
    rows = []
    for a, b in wins:
        f = feats[a:b][core[a:b]]
        f = f if f.shape[0] >= 10 else feats[a:b]
        rows.append(np.concatenate([f.mean(axis=0), f.std(axis=0)]))
    emb = np.stack(rows)
    mu, sd = emb.mean(axis=0), emb.std(axis=0) + 1e-6
    return (emb - mu) / sd


def cluster(emb: np.ndarray, k: int, method: str = "ward", seed: int = 0) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering, SpectralClustering

    if method == "spectral" and emb.shape[0] > 2 * k + 2:
        x = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-9)
        aff = np.clip((x @ x.T + 1.0) / 2.0, 0.0, 1.0)
        return SpectralClustering(n_clusters=k, affinity="precomputed", random_state=seed).fit_predict(aff)
    if method == "average":
        return AgglomerativeClustering(n_clusters=k, linkage="average", metric="cosine").fit_predict(emb)
    return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(emb)


def separation(feats: np.ndarray, mask: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Smallest distance between two clusters' mean frame features, in units of the frame std."""
    X, L = feats[mask], labels[mask]
    sd = X.std(axis=0) + 1e-6
    means = [X[L == c].mean(axis=0) / sd for c in range(k) if np.any(L == c)]
    if len(means) < k:
        return 0.0
    return float(min(np.linalg.norm(means[i] - means[j]) for i in range(k) for j in range(i + 1, k)))


def frame_labels(n: int, wins: list[tuple[int, int]], wlab: np.ndarray) -> np.ndarray:
    """Each frame takes the label of the window whose centre is nearest."""
    centres = np.array([(a + b) / 2 for a, b in wins])
    order = np.argsort(centres)
    centres, wlab = centres[order], wlab[order]
    idx = np.searchsorted(centres, np.arange(n))
    lo = np.clip(idx - 1, 0, len(centres) - 1)
    hi = np.clip(idx, 0, len(centres) - 1)
    pick = np.where(np.abs(np.arange(n) - centres[lo]) <= np.abs(centres[hi] - np.arange(n)), lo, hi)
    return wlab[pick]


def resegment(feats: np.ndarray, mask: np.ndarray, core: np.ndarray, labels: np.ndarray, k: int,
               opts: DiarizeOptions) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d
    from sklearn.mixture import GaussianMixture

    speech_idx = np.flatnonzero(mask)
    X = feats[speech_idx]
    ll = np.zeros((k, X.shape[0]))
    is_core = core[speech_idx]
    sizes = [int(np.sum((labels[speech_idx] == c) & is_core)) for c in range(k)]
    if min(sizes) < 20:
        return labels
    for c in range(k):
        Xc = X[(labels[speech_idx] == c) & is_core]
        n_comp = max(1, min(opts.gmm_components, (min(sizes) if opts.reseg_equal_components else Xc.shape[0]) // 50))
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


def quiet_threshold(levels: np.ndarray, mask: np.ndarray, opts: DiarizeOptions) -> float:
    """Level (dB) below which a frame is a pause: well under speech and near the noise floor."""
    return float(min(np.percentile(levels[mask], 99) - opts.vad.top_db, np.percentile(levels, 10) + 6.0))


def trim_edges(levels: np.ndarray, mask: np.ndarray, opts: DiarizeOptions) -> np.ndarray:
    """Drop quiet frames (VAD padding) at the edges of each speech run, up to ``trim_edges`` s."""
    if not mask.any() or opts.trim_edges <= 0:
        return mask
    quiet = levels < quiet_threshold(levels, mask, opts)
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


def snap_changes(levels: np.ndarray, mask: np.ndarray, labels: np.ndarray, opts: DiarizeOptions):
    """Move each speaker change to the quiet stretch near it and leave that pause unlabelled.

    Clustering decides who speaks at a resolution of a few hundred ms; a change
    between speakers usually sits in a pause, and the pause belongs to nobody.
    Without this, response latencies measured on mono audio would all be zero.
    """
    mask, labels = mask.copy(), labels.copy()
    if not mask.any():
        return mask, labels
    thr = quiet_threshold(levels, mask, opts)
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


def remove_short_runs(labels: np.ndarray, mask: np.ndarray, min_len: int) -> np.ndarray:
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
