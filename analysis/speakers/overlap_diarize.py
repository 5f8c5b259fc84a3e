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
2. With ``link="frames"`` (the default), where one voice speaks alone it is the voice the clustering
   diarizer heard there; the network's match decides only where it hears two at once (and where
   the diarizer heard nobody). ``link="base"`` keeps the network's own speaker changes.
3. Each voice's frames are averaged over the chunks that see them (when chunks overlap) and
   thresholded at one half; runs become regions, which may overlap between the two voices.

The diarizer's count, notes and unsure flag are kept; ``info["path"] = "segmentation"`` says
which path ran (the clustering diarizer alone writes ``"mfcc"``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

from analysis.errors import ParameterError
from analysis.schema import SpeechRegion
from analysis.speakers.activity import SpeakerActivity, regions_from_intervals
from analysis.speakers.diarize import MIXED_NOTE
from analysis.speakers.energy_vad import mask_to_intervals
from analysis.speakers.segmentation import LocalSegmentation

__all__ = ["OverlapOptions", "link_local_speakers", "overlap_activity", "OVERLAP_NOTE", "MIXED_NOTE", "OVERLAPS_MEASURED"]

logger = logging.getLogger(__name__)

LINKS = ("frames", "base")
# Cut-ins, overlaps and backchannels on one microphone count as measured (TimingMetrics.overlaps_measured)
# once planted cut-ins are found with precision and recall >= 0.8 on held-out dialogues. With overlap_threshold
# 0.25 (chosen leaving one dialogue out): held out precision 1.00 / 1.00, recall 0.83 (10/12) / 0.80 (8/10),
# pooled 0.82 (18/22, 95 % 0.61-0.93); docs/evaluation/README.md, "Planted cut-ins". Before: recall 0.70.
OVERLAPS_MEASURED = True
OVERLAP_NOTE = "one channel: overlapping speech found by the segmentation model (pyannote segmentation-3.0)"


@dataclass(frozen=True)
class OverlapOptions:
    """Settings of the overlap-aware path.

    ``hop``: output grid (s); ``min_local``: a local speaker with less speech in a chunk (s) is
    matched but never forces a split; ``link``: "frames" (one voice alone: the diarizer's voice) or
    "base" (the network's local speakers, matched by shared speech); ``min_region``: shorter
    regions are dropped (s); ``fill_gap``: shorter pauses inside one voice are filled (s);
    ``speech_pad``: how far (s) outside a given VAD's speech the network's speech is kept
    (negative: the VAD is not used); ``threshold``: a local speaker speaks in a frame where its
    probability reaches this; ``overlap_threshold``: a local speaker who speaks goes on while its
    probability stays at or above this and another local speaker speaks (None: ``threshold`` alone;
    :meth:`analysis.speakers.segmentation.LocalSegmentation.binary`).
    """

    hop: float = 0.01
    min_local: float = 0.3
    link: str = "frames"
    min_region: float = 0.1
    fill_gap: float = 0.5
    speech_pad: float = 1.0
    threshold: float = 0.5
    overlap_threshold: float | None = 0.25  # chosen on planted cut-ins, one dialogue held out (history.md)

    def __post_init__(self):
        if self.link not in LINKS:
            raise ParameterError(f"link={self.link!r} must be one of {LINKS}")
        if self.hop <= 0:
            raise ParameterError(f"hop={self.hop} must be positive")
        if not 0 < self.threshold < 1 or (self.overlap_threshold is not None and not 0 < self.overlap_threshold < 1):
            raise ParameterError(f"threshold={self.threshold} and overlap_threshold={self.overlap_threshold} "
                                 "must be in (0, 1)")


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


def link_local_speakers(local: LocalSegmentation, base: SpeakerActivity,
                        options: OverlapOptions | None = None) -> np.ndarray:
    """Which of ``base``'s speakers each chunk's local speaker is.

    Returns
    -------
    np.ndarray, shape (C, 3), int: the voice of each chunk's local speaker, -1 where it never speaks.
    """
    opts = options or OverlapOptions()
    k = len(base.speakers)
    C = local.n_chunks
    mapping = np.full((C, local.activity.shape[2]), -1, dtype=int)
    if k == 0:
        return mapping
    n = int(np.ceil(local.duration / opts.hop)) + 1
    bgrid = _grid(base.regions, base.speakers, n, opts.hop).astype(np.float32)
    f_step = float(local.frame_times[1] - local.frame_times[0]) if local.frame_times.size > 1 else 0.017
    min_frames = opts.min_local / f_step
    binary = local.binary(opts.threshold, opts.overlap_threshold)
    for c in range(C):
        act = binary[c]
        solo = act * (act.sum(axis=1, keepdims=True) == 1)
        idx = np.clip((local.times(c) / opts.hop).astype(int), 0, n - 1)
        bl = bgrid[idx]
        only = bl * (bl.sum(axis=1, keepdims=True) == 1)
        score = solo.T @ only  # (3, k) frames a local speaker talks alone while base says one voice
        mapping[c] = _assign(score, act.sum(axis=0), min_frames)
    return mapping


def overlap_activity(base: SpeakerActivity, local: LocalSegmentation, options: OverlapOptions | None = None,
                     *, speech: Sequence[tuple[float, float]] | None = None) -> SpeakerActivity:
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
    mapping = link_local_speakers(local, base, opts)
    C, F, L = local.activity.shape
    binary = local.binary(opts.threshold, opts.overlap_threshold)
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
    info = {**base.info, "link": opts.link, "path": "segmentation", "overlaps_measured": OVERLAPS_MEASURED,
            "overlap_seconds": round(float(both.sum()) * opts.hop, 2)}
    return SpeakerActivity(tuple(regions), speakers, "diarization", base.duration, base.n_speakers_detected, notes,
                           info, uncertain_count=base.uncertain_count)
