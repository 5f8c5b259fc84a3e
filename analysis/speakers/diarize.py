"""Mono diarization on CPU: who speaks when in a one-channel recording of (usually) two people.

Method (chosen by measured DER, see the README, "Who spoke when"):

1. Speech regions: given by the caller (``speech``, e.g. the Silero VAD in
   :mod:`audio.vad`), else from the transcript's words, else an energy VAD.
2. Frame features: log-mel cepstra (MFCC 1-19, no energy term) every 10 ms.
3. Windows of ``window`` s every ``step`` s inside speech; each summarised by the
   mean and standard deviation of its frames; standardised.
4. Agglomerative (Ward) clustering into 2; the split is kept only when the
   clusters' mean features are far enough apart (``min_separation``, in frame
   standard deviations), the smaller is not tiny, and there is enough speech to
   tell voices apart (``min_two_speech`` s), else one speaker is reported with a
   note. Between ``min_separation`` and ``sure_separation`` one voice and two
   similar voices cannot be told apart: two speakers are reported with
   ``uncertain_count`` set and a note that asks for the speaking order or a
   stereo recording (never one speaker silently). A third voice is reported in
   ``notes`` (not split). When the user said how many people speak (``num_speakers``),
   there is no decision: with 2, the best split is kept however small the second voice.
5. Resegmentation: a diagonal Gaussian mixture per speaker on frame features,
   log-likelihoods smoothed over ``smooth`` s, each speech frame relabelled.

Overlapping speech cannot be separated from one channel: it is attributed to one
speaker (a note says so).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

import numpy as np

import analysis.speakers.diarize_steps as steps
from analysis.errors import ParameterError
from analysis.schema import SpeechRegion, Transcript
from analysis.speakers.activity import SpeakerActivity, regions_from_intervals
from analysis.speakers.diarize_options import DiarizeOptions
from analysis.speakers.energy_vad import (
    bridge_intervals,
    frame_levels,
    intervals_to_mask,
    mask_to_intervals,
    speech_mask,
)
from analysis.speakers.campp import CamppEncoder
from analysis.speakers.features import cepstra
from analysis.speakers.voice_encoder import (
    pick_windows,
    speech_windows,
    two_voice_split,
    window_labels,
)

VoiceEmbedder = Callable[[np.ndarray, int, Sequence[tuple[float, float]]], np.ndarray]

__all__ = ["DiarizeOptions", "diarize", "speech_from_words", "UNSURE_NOTE", "MIXED_NOTE", "VoiceEmbedder",
           "encoder_name"]

MIXED_NOTE = "one channel: overlapping speech is given to one speaker"
UNSURE_NOTE = ("not sure whether one or two people speak ({why}); if two people speak, say whether the "
               "helper speaks first or second, or record in stereo (one microphone each)")

logger = logging.getLogger(__name__)


def speech_from_words(transcript: Transcript, *, bridge: float = 0.5, pad: float = 0.05) -> list[tuple[float, float]]:
    """Speech intervals (s) from a transcript's word times, joining gaps under ``bridge``."""
    spans = [(w.start, w.end) for w in transcript.words if w.end > w.start]
    return bridge_intervals(spans, bridge=bridge, min_speech=0.0, pad=pad, duration=transcript.duration or None)


def _energy_speech(mono: np.ndarray, sr: int, opts: DiarizeOptions) -> list[tuple[float, float]]:
    v = opts.vad
    lv = frame_levels(mono, sr, frame=v.frame, hop=v.hop)
    return mask_to_intervals(speech_mask(lv, v), v.hop)


def encoder_name(embedder: VoiceEmbedder | None) -> str | None:
    """"campp" for :meth:`CamppEncoder.embed_segments`, None without an embedder, else "ge2e"."""
    if embedder is None:
        return None
    return "campp" if isinstance(getattr(embedder, "__self__", None), CamppEncoder) else "ge2e"


def _voice_windows(speech: Sequence[tuple[float, float]], mfcc_frames: np.ndarray,
                   opts: DiarizeOptions, per_cluster: int) -> list[tuple[float, float]]:
    """The speech windows to embed: all of them, or (``per_cluster`` > 0) a bounded sample per MFCC cluster."""
    wins = speech_windows(speech, window=opts.voice_window, step=opts.voice_step,
                          min_len=min(1.0, opts.voice_window),
                          max_windows=0 if per_cluster > 0 else opts.voice_max_windows)
    if per_cluster > 0 and wins:
        wl, stability = window_labels(mfcc_frames, wins, opts.hop)
        wins = [wins[i] for i in pick_windows(wl, stability, per_cluster)]
    return wins


def _voice_split(x: np.ndarray, sr: int, speech: Sequence[tuple[float, float]], mfcc_frames: np.ndarray,
                 embedder: VoiceEmbedder, opts: DiarizeOptions) -> tuple[float, float, np.ndarray] | None:
    """Voiceprints of speech windows split in two: (similarity, smaller share, frame labels), or None.

    Frames between the embedded windows take the label of the nearest one."""
    wins = _voice_windows(speech, mfcc_frames, opts, opts.voice_rule(encoder_name(embedder)).per_cluster)
    if len(wins) < 6:
        return None
    emb = np.asarray(embedder(x, sr, wins), dtype=np.float64)
    if emb.shape[0] != len(wins) or not np.all(np.isfinite(emb)):
        logger.warning("voice embedder gave %s for %d windows; MFCC decision used", emb.shape, len(wins))
        return None
    lab, sim = two_voice_split(emb)
    share = float(np.bincount(lab, minlength=2).min() / len(lab))
    fwins = [(int(round(a / opts.hop)), max(int(round(a / opts.hop)) + 1, int(round(b / opts.hop)))) for a, b in wins]
    return sim, share, steps.frame_labels(mfcc_frames.size, fwins, lab)


def _two_clusters(feats: np.ndarray, core: np.ndarray, wins: list[tuple[int, int]], n: int,
                  opts: DiarizeOptions) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Windows clustered in two: (window embeddings, frame labels, separation, smaller cluster's share)."""
    emb = steps.embed_map(feats, core, wins, opts) if opts.embedding == "map" else steps.embed(feats, core, wins)
    lab2 = steps.cluster(emb, 2, opts.cluster, opts.seed)
    fl2 = steps.frame_labels(n, wins, lab2)
    share = float(min(np.mean(lab2 == 0), np.mean(lab2 == 1)))
    return emb, fl2, steps.separation(feats, core, fl2, 2), share


def diarize(
    mono: np.ndarray,
    sr: int,
    options: DiarizeOptions | None = None,
    transcript: Transcript | None = None,
    *,
    speech: Sequence[tuple[float, float]] | None = None,
    voice_embedder: VoiceEmbedder | None = None,
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
    voice_embedder : callable, optional
        ``(samples, sr, [(start, end), ...]) -> array (n, d)`` of L2-normalised voiceprints, e.g.
        :meth:`analysis.speakers.voice_encoder.VoiceEncoder.embed_segments`. When given, it decides
        one voice or two (options ``voice_*`` for GE2E, ``campp`` for
        :meth:`analysis.speakers.campp.CamppEncoder.embed_segments`); else the MFCC cluster
        separation decides. Voiceprint groups that are clearly two voices (similarity under the rule's
        ``labels_below``) also start the resegmentation, also when the user said two people speak.

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
    notes: list[str] = [MIXED_NOTE]
    if speech is None:
        if transcript is not None and transcript.words:
            speech = speech_from_words(transcript)
            info_src = "words"
        else:
            speech = _energy_speech(x, sr, opts)
            info_src = "energy"
    else:
        info_src = "given"
    unbridged = [(float(a), float(b)) for a, b in speech]  # voiceprint windows stay inside one stretch of speech
    speech = bridge_intervals(list(speech), bridge=opts.bridge, min_speech=opts.min_speech, duration=duration)
    info: dict[str, Any] = {"speech_source": info_src}
    if not speech:
        return SpeakerActivity((), (), "diarization", duration, 0, tuple(notes + ["no speech found"]), info)
    n = int(np.ceil(x.size / max(1, int(round(opts.hop * sr)))))
    mask = intervals_to_mask(speech, n, opts.hop)
    feats = cepstra(x, sr, hop=opts.hop, only=mask)
    levels = frame_levels(x, sr, frame=0.025, hop=opts.hop)[:n]
    core = mask & (levels > (np.percentile(levels[mask], 99) - opts.core_db if mask.any() else 0.0))
    wins = steps.windows(mask, opts)
    k, n_detected = 1, 1
    unsure = ""
    labels = np.zeros(n, dtype=int)
    speech_s = float(mask.sum()) * opts.hop
    info["speech_seconds"] = round(speech_s, 2)
    voice_fl: np.ndarray | None = None
    given = opts.num_speakers
    encoder = encoder_name(voice_embedder)
    rule = opts.voice_rule(encoder) if encoder else None
    if encoder:
        info["voice_encoder"] = encoder
    if given == 2 and len(wins) >= 2:  # the user said two people speak: split, no decision to make
        emb, fl2, sep2, share = _two_clusters(feats, core, wins, n, opts)
        info.update(separation=round(sep2, 3), minor_share=round(share, 4), speakers_given=2)
        voice = _voice_split(x, sr, unbridged, fl2, voice_embedder, opts) if rule and rule.labels_below > 0 else None
        if voice is not None and voice[1] >= opts.voice_min_share and voice[0] < rule.labels_below:
            # the voiceprint groups, when clearly two voices, start resegmentation
            info.update(voice_similarity=round(voice[0], 3), voice_minor_share=round(voice[1], 4))
            fl2 = voice_fl = voice[2]
        labels = fl2
        k = n_detected = 2
    elif given == 2:
        notes.append(f"two speakers were set, but {speech_s:.1f} s of speech is too little to split into two voices")
    elif given == 1:
        info["speakers_given"] = 1
    elif opts.max_speakers >= 2 and len(wins) >= 6 and speech_s >= opts.min_two_speech:
        emb, fl2, sep2, share = _two_clusters(feats, core, wins, n, opts)
        info.update(separation=round(sep2, 3), minor_share=round(share, 4))
        two = sep2 >= opts.min_separation and share >= opts.min_share
        if two and sep2 < opts.sure_separation:
            unsure = f"the two voices found are close, separation {sep2:.2f}"
        voice = _voice_split(x, sr, unbridged, fl2, voice_embedder, opts) if voice_embedder is not None and two else None
        if voice is not None:  # the MFCC clusters look like two voices: the voiceprints confirm or overrule
            sim, vshare, voice_fl = voice
            info.update(voice_similarity=round(sim, 3), voice_minor_share=round(vshare, 4))
            two = sim < rule.two_below and vshare >= opts.voice_min_share
            unsure = ""
            if two and sim >= rule.sure_below:
                unsure = f"the two voices found are alike, voiceprint similarity {sim:.2f}"
            elif not two and sim < rule.one_above:
                unsure = f"the voices found differ only a little, voiceprint similarity {sim:.2f}"
            if two and sim < rule.labels_below:  # only groups that are clearly two voices
                fl2 = voice_fl
            if not two:
                voice_fl = None
        if two:
            k = n_detected = 2
            labels = fl2
            if len(wins) >= 12:
                lab3 = steps.cluster(emb, 3, opts.cluster, opts.seed)
                sep3 = steps.separation(feats, core, steps.frame_labels(n, wins, lab3), 3)
                info["separation3"] = round(sep3, 3)
                if sep3 >= max(opts.third_speaker_separation, opts.third_speaker_ratio * sep2) and np.bincount(lab3).min() / len(lab3) >= 0.1:
                    n_detected = 3
                    notes.append("more than two speakers: a third voice seems present; "
                                 "its speech is given to the nearest of the two main speakers")
        else:
            notes.append("only one speaker found")
    elif opts.max_speakers >= 2:
        notes.append(f"only one speaker found: {speech_s:.1f} s of speech is too little to tell voices apart "
                     f"(at least {opts.min_two_speech:g} s needed); set the speaker set-up if two people speak")
        if speech_s >= opts.min_unsure_speech:
            unsure = f"only {speech_s:.0f} s of speech"
    if k == 2 and opts.resegment:
        min_run = max(1, int(round(opts.min_turn / opts.hop)))
        for _ in range(opts.resegment_passes):
            labels = steps.resegment(feats, mask, core, labels, 2, opts)
        labels = steps.remove_short_runs(labels, mask, min_run)
        shares = np.bincount(labels[mask], minlength=2) / max(1, mask.sum())
        if shares.min() < opts.min_share and voice_fl is not None:
            # the voiceprints say two voices: keep their split rather than merge the quieter voice away
            labels = steps.remove_short_runs(voice_fl.copy(), mask, min_run)
            shares = np.bincount(labels[mask], minlength=2) / max(1, mask.sum())
            info["voice_split_kept"] = True
        if shares.min() < opts.min_share and given == 2:
            if shares.min() == 0.0:  # resegmentation merged the second voice away: keep the clusters' split
                labels = steps.remove_short_runs(fl2.copy(), mask, min_run)
                info["cluster_split_kept"] = True
        elif shares.min() < opts.min_share:
            labels[:] = int(np.argmax(shares))
            k = n_detected = 1
            notes = [x for x in notes if not x.startswith("more than two speakers")]  # one voice left, not three
            notes.append("only one speaker found")
            unsure = f"a second voice was found in only {100 * shares.min():.0f} % of the speech"
    if k == 2 and opts.snap_changes > 0:
        mask, labels = steps.snap_changes(levels, mask, labels, opts)
    mask = steps.trim_edges(levels, mask, opts)
    # order speakers by first speech
    first = {c: (np.flatnonzero(mask & (labels == c))[:1].tolist() or [n])[0] for c in range(k)}
    rank = {c: i for i, c in enumerate(sorted(range(k), key=lambda c: first[c]))}
    regions: list[SpeechRegion] = []
    for c in range(k):
        iv = mask_to_intervals(mask & (labels == c), opts.hop)
        regions.extend(regions_from_intervals(iv, f"spk{rank[c]}"))
    regions.sort(key=lambda r: (r.start, r.speaker))
    speakers = tuple(f"spk{i}" for i in range(k) if any(r.speaker == f"spk{i}" for r in regions))
    if unsure:
        notes.append(UNSURE_NOTE.format(why=unsure))
    return SpeakerActivity(tuple(regions), speakers, "diarization", duration, n_detected, tuple(notes), info,
                           uncertain_count=bool(unsure))
