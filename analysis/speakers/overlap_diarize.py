"""Overlap-aware mono diarization: the segmentation network's local speakers linked into the recording's voices.

The clustering diarizer (:func:`analysis.speakers.diarize.diarize`) decides how many people speak
(one or two, flagged when unsure) and gives every moment of speech to one of them. The segmentation
network (:mod:`analysis.speakers.segmentation`) sees, inside each 10 s chunk, where each local
speaker talks, both at once where they overlap, with sharper speaker changes. This module joins
them:

1. Each chunk's local speakers are matched to the diarizer's speakers by the speech they share
   (frames where one local speaker talks alone); two local speakers of one chunk never become the
   same person when two people speak (the more active two get different voices; a third local
   speaker goes to the voice it shares most with).
2. Optionally (``link="voice"``), voiceprints of each local speaker's longest stretch alone refine
   that match: constrained two-means on the voiceprints, started from the matched voices.
3. Each voice's frames are averaged over the chunks that see them (when chunks overlap) and
   thresholded at one half; runs become regions, which may overlap between the two voices.

The diarizer's count, notes and unsure flag are kept; ``info["path"] = "segmentation"`` says
which path ran (the clustering diarizer alone writes ``"mfcc"``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

import numpy as np

from analysis.errors import ParameterError
from analysis.schema import SpeechRegion
from analysis.speakers.activity import SpeakerActivity, regions_from_intervals
from analysis.speakers.energy_vad import mask_to_intervals
from analysis.speakers.segmentation import LocalSegmentation

__all__ = ["OverlapOptions", "link_local_speakers", "overlap_activity", "OVERLAP_NOTE", "MIXED_NOTE", "OVERLAPS_MEASURED"]

logger = logging.getLogger(__name__)

LINKS = ("frames", "base", "voice")
# Cut-ins, overlaps and backchannels on one microphone count as measured (TimingMetrics.overlaps_measured)
# only once planted cut-ins are found with precision and recall >= 0.8 on held-out dialogues. Measured:
# precision 1.00, recall 0.70 (7 of 10, annomi131; docs/evaluation/README.md, "Planted cut-ins"), so not yet.
OVERLAPS_MEASURED = False
VoiceEmbedder = Callable[[np.ndarray, int, Sequence[tuple[float, float]]], np.ndarray]
OVERLAP_NOTE = "one channel: overlapping speech found by the segmentation model (pyannote segmentation-3.0)"
MIXED_NOTE = "one channel: overlapping speech is given to one speaker"


@dataclass(frozen=True)
class OverlapOptions:
    """Settings of the overlap-aware path.

    ``hop``: output grid (s); ``min_local``: a local speaker with less speech in a chunk (s) is
    matched but never forces a split; ``link``: "base" (match by shared speech only) or "voice"
    (then refine with voiceprints); ``voice_min``: seconds alone a local speaker needs to be
    voiceprinted; ``voice_iterations``: constrained two-means rounds; ``min_region``: shorter
    regions are dropped (s); ``fill_gap``: shorter pauses inside one voice are filled (s);
    ``speech_pad``: how far (s) outside a given VAD's speech the network's speech is kept
    (negative: the VAD is not used); ``threshold``: a local speaker speaks in a frame where its
    probability reaches this.
    """

    hop: float = 0.01
    min_local: float = 0.3
    link: str = "frames"
    voice_min: float = 1.0
    voice_window: float = 1.6
    voice_iterations: int = 5
    min_region: float = 0.1
    fill_gap: float = 0.5
    speech_pad: float = 1.0
    threshold: float = 0.5

    def __post_init__(self):
        if self.link not in LINKS:
            raise ParameterError(f"link={self.link!r} must be one of {LINKS}")
        if self.hop <= 0:
            raise ParameterError(f"hop={self.hop} must be positive")


def _grid(regions: Sequence[SpeechRegion], speakers: Sequence[str], n: int, hop: float) -> np.ndarray:
    g = np.zeros((n, len(speakers)), dtype=bool)
    idx = {s: i for i, s in enumerate(speakers)}
    for r in regions:
        if r.speaker in idx:
            a, b = max(0, int(round(r.start / hop))), min(n, int(round(r.end / hop)))
            g[a:b, idx[r.speaker]] = True
    return g


def _assign(score: np.ndarray, active: np.ndarray, min_frames: float) -> np.ndarray:
    """Local speakers (rows of ``score`` (3, k)) to voices: the two most active distinct when k >= 2."""
    n_local, k = score.shape
    out = np.full(n_local, -1, dtype=int)
    live = [l for l in np.argsort(-active) if active[l] > 0]
    if not live:
        return out
    if k >= 2 and len(live) >= 2 and active[live[1]] >= min_frames:
        a, b = live[0], live[1]
        if score[a, 0] + score[b, 1] >= score[a, 1] + score[b, 0]:
            out[a], out[b] = 0, 1
        else:
            out[a], out[b] = 1, 0
        rest = live[2:]
    else:
        rest = live
    for l in rest:
        out[l] = int(np.argmax(score[l]))
    return out


def _longest_run(mask: np.ndarray) -> tuple[int, int]:
    best, start, cur = (0, 0), None, 0
    for i, v in enumerate(np.append(mask, False)):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    return best


def _base_identity(voices: np.ndarray, local: LocalSegmentation, base: SpeakerActivity, hop: float) -> np.ndarray:
    """Where one voice speaks alone, it is the voice the clustering diarizer heard there (when it heard one)."""
    n = int(np.ceil(local.duration / hop)) + 1
    bgrid = _grid(base.regions, base.speakers, n, hop)
    out = voices.copy()
    for c in range(local.n_chunks):
        idx = np.clip((local.times(c) / hop).astype(int), 0, n - 1)
        bl = bgrid[idx]
        one_base = bl.sum(axis=1) == 1
        one_seg = voices[c].sum(axis=1) == 1
        take = one_base & one_seg
        out[c, take] = bl[take].astype(np.float32)
    return out


def link_local_speakers(local: LocalSegmentation, base: SpeakerActivity, options: OverlapOptions | None = None,
                        *, mono: np.ndarray | None = None, sr: int = 16000,
                        voice_embedder: VoiceEmbedder | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Which of ``base``'s speakers each chunk's local speaker is.

    Returns
    -------
    (mapping (C, 3) int, -1 for a local speaker that never speaks), info dict.
    """
    opts = options or OverlapOptions()
    k = len(base.speakers)
    C = local.n_chunks
    mapping = np.full((C, local.activity.shape[2]), -1, dtype=int)
    info: dict[str, Any] = {"link": "base"}
    if k == 0:
        return mapping, info
    n = int(np.ceil(local.duration / opts.hop)) + 1
    bgrid = _grid(base.regions, base.speakers, n, opts.hop).astype(np.float32)
    f_step = float(local.frame_times[1] - local.frame_times[0]) if local.frame_times.size > 1 else 0.017
    min_frames = opts.min_local / f_step
    binary = local.binary(opts.threshold)
    alone = []
    for c in range(C):
        act = binary[c]
        solo = act * (act.sum(axis=1, keepdims=True) == 1)
        idx = np.clip((local.times(c) / opts.hop).astype(int), 0, n - 1)
        bl = bgrid[idx]
        only = bl * (bl.sum(axis=1, keepdims=True) == 1)
        score = solo.T @ only  # (3, k) frames a local speaker talks alone while base says one voice
        mapping[c] = _assign(score, act.sum(axis=0), min_frames)
        alone.append(solo)
    if k < 2 or opts.link != "voice" or voice_embedder is None or mono is None:
        return mapping, info
    # voiceprints of each local speaker's longest stretch alone
    items, wins = [], []
    for c in range(C):
        for l in range(local.activity.shape[2]):
            a, b = _longest_run(alone[c][:, l] > 0)
            if (b - a) * f_step < opts.voice_min:
                continue
            t0, t1 = local.times(c)[a] - f_step / 2, local.times(c)[b - 1] + f_step / 2
            mid, half = (t0 + t1) / 2, min(opts.voice_window, t1 - t0) / 2
            items.append((c, l))
            wins.append((max(0.0, mid - half), min(local.duration, mid + half)))
    info["voice_items"] = len(items)
    if len(items) < 4:
        return mapping, info
    emb = np.asarray(voice_embedder(mono, sr, wins), dtype=np.float64)
    ok = np.isfinite(emb).all(axis=1) & (np.linalg.norm(emb, axis=1) > 0)
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
    lab = np.array([mapping[c, l] for c, l in items])
    if not all(np.any((lab == g) & ok) for g in range(2)):
        return mapping, info
    voice_map = mapping.copy()
    by_chunk: dict[int, list[int]] = {}
    for i, (c, _l) in enumerate(items):
        if ok[i]:
            by_chunk.setdefault(c, []).append(i)
    for _ in range(opts.voice_iterations):
        cent = np.stack([emb[(lab == g) & ok].mean(axis=0) for g in range(2)])
        cent /= np.maximum(np.linalg.norm(cent, axis=1, keepdims=True), 1e-9)
        new = lab.copy()
        for c, ii in by_chunk.items():
            sims = np.full((local.activity.shape[2], 2), -np.inf)
            active = np.zeros(local.activity.shape[2])
            for i in ii:
                sims[items[i][1]] = emb[i] @ cent.T
                active[items[i][1]] = 1.0 + (alone[c][:, items[i][1]].sum())  # rank by speech alone
            got = _assign(np.where(np.isfinite(sims), sims, 0.0), active, 0.0)
            for i in ii:
                new[i] = got[items[i][1]]
        if np.array_equal(new, lab) or not all(np.any((new == g) & ok) for g in range(2)):
            break
        lab = new
    for i, (c, l) in enumerate(items):
        if ok[i]:
            voice_map[c, l] = lab[i]
    info.update(link="voice", voice_changed=int((voice_map != mapping).sum()))
    return voice_map, info


def overlap_activity(base: SpeakerActivity, local: LocalSegmentation, options: OverlapOptions | None = None,
                     *, speech: Sequence[tuple[float, float]] | None = None, mono: np.ndarray | None = None,
                     sr: int = 16000, voice_embedder: VoiceEmbedder | None = None) -> SpeakerActivity:
    """The overlap-aware speaker activity of a mono recording.

    Parameters
    ----------
    base : SpeakerActivity
        The clustering diarizer's result on the same recording (its count, labels and notes).
    local : LocalSegmentation
        :func:`analysis.speakers.segmentation.segment_chunks` on the same recording.
    speech : sequence of (start, end), optional
        A VAD's speech intervals (s): speech the network hears outside them (widened by
        ``speech_pad``) is dropped (far-off talk in a room that the VAD rightly ignored).
    mono, sr, voice_embedder
        Only for ``OverlapOptions(link="voice")``.

    Returns
    -------
    SpeakerActivity
        ``source="diarization"``, the same speakers as ``base`` (regions of the two may overlap),
        ``info["path"] = "segmentation"`` and ``info["overlap_seconds"]``.
    """
    opts = options or OverlapOptions()
    if base.source != "diarization":
        raise ParameterError(f"base.source={base.source!r}: the overlap path refines mono diarization only")
    k = len(base.speakers)
    if k == 0 or local.n_chunks == 0:
        return replace(base, info={**base.info, "path": "segmentation"})
    mapping, link_info = link_local_speakers(local, base, opts, mono=mono, sr=sr, voice_embedder=voice_embedder)
    C, F, L = local.activity.shape
    binary = local.binary(opts.threshold)
    voices = np.zeros((C, F, k), dtype=np.float32)
    for c in range(C):
        for l in range(L):
            if mapping[c, l] >= 0:
                voices[c, :, mapping[c, l]] = np.maximum(voices[c, :, mapping[c, l]], binary[c, :, l])
    if opts.link == "frames" and k >= 2:
        voices = _base_identity(voices, local, base, opts.hop)
    mean, covered = local.to_grid(voices, opts.hop)
    active = (mean >= 0.5) & covered[:, None]
    if speech is not None and opts.speech_pad >= 0:
        gate = np.zeros(active.shape[0], dtype=bool)
        pad = opts.speech_pad
        for a, b in speech:
            gate[max(0, int((a - pad) / opts.hop)): max(0, int(np.ceil((b + pad) / opts.hop)))] = True
        active &= gate[:, None]
    regions: list[SpeechRegion] = []
    fill = int(round(opts.fill_gap / opts.hop))
    for g, spk in enumerate(base.speakers):
        m = active[:, g].copy()
        iv = mask_to_intervals(m, opts.hop)
        merged: list[list[float]] = []
        for a, b in iv:
            if merged and a - merged[-1][1] <= fill * opts.hop + 1e-9:
                merged[-1][1] = b
            else:
                merged.append([a, b])
        iv = [(a, min(b, local.duration)) for a, b in merged if b - a >= opts.min_region]
        regions.extend(regions_from_intervals(iv, spk))
    first = {s: min((r.start for r in regions if r.speaker == s), default=np.inf) for s in base.speakers}
    order = sorted(base.speakers, key=lambda s: first[s])
    if k > 1 and list(order) != list(base.speakers):  # spk0 speaks first, as the diarizer's labels promise
        rename = dict(zip(order, base.speakers))
        regions = [SpeechRegion(r.start, r.end, rename[r.speaker]) for r in regions]
    regions.sort(key=lambda r: (r.start, r.speaker))
    both = active.sum(axis=1) >= 2
    notes = tuple(OVERLAP_NOTE if x == MIXED_NOTE else x for x in base.notes)
    speakers = tuple(s for s in base.speakers if any(r.speaker == s for r in regions))
    info = {**base.info, **link_info, "link": opts.link, "path": "segmentation", "overlaps_measured": OVERLAPS_MEASURED,
            "overlap_seconds": round(float(both.sum()) * opts.hop, 2)}
    return SpeakerActivity(tuple(regions), speakers, "diarization", base.duration, base.n_speakers_detected, notes,
                           info, uncertain_count=base.uncertain_count)
