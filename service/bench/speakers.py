"""Speed of speaker + timing analysis next to transcription, on the same audio in one run.

Used by ``listenwell eval diarization DATA_DIR --speed``. The audio is the two
synthesised counselling dialogues of ``DATA_DIR/dialogue`` joined and cut to
``seconds`` (10 minutes by default), mono and stereo.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import NotFoundError
from analysis.speakers.activity import activity_from_channels
from analysis.speakers.diarize import diarize
from analysis.speakers.roles import assign_roles
from analysis.speakers.turns import build_turns
from analysis.timing.metrics import timing_metrics
from audio.decode import decode
from audio.transcribe import TranscribeOptions, load_model, transcribe
from audio.vad import speech_intervals, speech_probabilities
from service.mono_speakers import diarize_mono
from service.voices import voice_embedder

__all__ = ["bench_speakers", "load_bench_audio", "timed_transcription", "load_average", "interleaved_figures"]

logger = logging.getLogger(__name__)


def load_bench_audio(dialogue_dir: Path, seconds: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(mono (n,), stereo (2, n), sample rate) of the dialogues joined and cut to ``seconds``."""
    monos, stereos = [], []
    for stereo_path in sorted(Path(dialogue_dir).glob("*.stereo.flac")):
        d = decode(stereo_path)
        if d.n_channels != 2:
            continue
        stereos.append(d.channels)
        monos.append(np.clip(d.channels.sum(axis=0), -1, 1))
    if not stereos:
        raise NotFoundError(f"no stereo dialogues (*.stereo.flac) in {dialogue_dir}")
    sr = 16000
    n = int(seconds * sr)
    mono = np.concatenate(monos)
    stereo = np.concatenate(stereos, axis=1)
    reps = int(np.ceil(n / mono.size))
    mono = np.tile(mono, reps)[:n].astype(np.float32)
    stereo = np.tile(stereo, (1, reps))[:, :n].astype(np.float32)
    return mono, stereo, sr


def timed_transcription(mono: np.ndarray, options: TranscribeOptions) -> tuple[list, np.ndarray, float]:
    """The pipeline's one Silero pass and the transcription that reads it: (words, speech probabilities, seconds).

    The pass is counted under transcription, as in :func:`bench_speakers` (it replaces the VAD faster-whisper
    would run inside transcription); speaker analysis reuses the probabilities.
    """
    t0 = time.perf_counter()
    probs = speech_probabilities(mono, workers=1)
    words = transcribe(mono, options, speech_probs=probs).words
    return words, probs, time.perf_counter() - t0


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages, rounded: written beside every timed repeat on a shared machine."""
    return [round(x, 2) for x in os.getloadavg()]


def interleaved_figures(runs: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    """Fastest seconds of each of ``keys`` over interleaved repeats, and its ratio to the fastest transcription.

    Every run holds a ``"transcription"`` time and one time per key; ``per_repeat_ratio`` keeps each
    repeat's own ratios (the spread the load caused).
    """
    keys = [k for k in keys if k != "transcription"]
    best = {k: min(run[k] for run in runs) for k in ["transcription", *keys]}
    return {
        "fastest_seconds": best,
        "ratio_to_transcription": {k: round(best[k] / best["transcription"], 4) for k in keys},
        "per_repeat_ratio": [{k: round(run[k] / run["transcription"], 4) for k in keys} for run in runs],
    }


def _speaker_chain(activity, words):
    turns, _ = assign_roles(build_turns(words, activity))
    return timing_metrics(turns, activity)


def bench_speakers(dialogue_dir: Path, *, seconds: float = 600.0, options=None, repeats: int = 2) -> dict[str, Any]:
    """Time transcription and the speaker/timing stages on the same audio.

    Each is run ``repeats`` times, interleaved, and the fastest run of each is
    kept (the machine is shared). Returns seconds and the ratios (speaker
    analysis / transcription). The model is loaded before timing starts.

    Mono, as the pipeline runs it: one Silero VAD pass whose probabilities both
    transcription and diarization use, counted under transcription (it replaces
    the VAD faster-whisper ran inside transcription); speaker analysis turns
    them into intervals, diarizes and times turns. ``ratio_mono_own_vad`` adds
    that VAD pass to speaker analysis too (how it was when diarization ran its own).
    """
    mono, stereo, sr = load_bench_audio(dialogue_dir, seconds)
    options = options or TranscribeOptions()
    load_model(options)
    # warm up imports and caches on 20 s, as the model is loaded before timing
    warm = mono[: 20 * sr]
    embedder = voice_embedder()  # None when switched off or not installed; weights load here, untimed
    _speaker_chain(diarize_mono(warm, sr, speech=speech_intervals(warm, sr)), ())  # loads the segmentation weights
    activity_from_channels(stereo[:, : 20 * sr], sr)

    runs = []
    for _ in range(max(1, repeats)):  # interleaved, so both see the same machine load
        t0 = time.perf_counter()
        probs = speech_probabilities(mono, workers=1)  # the shared pass (pipeline: service.pipeline_stages)
        t_vad = time.perf_counter() - t0
        transcript = transcribe(mono, options, speech_probs=probs)
        t_tr = time.perf_counter() - t0
        words = transcript.words
        t0 = time.perf_counter()
        speech = speech_intervals(mono, sr, speech_probs=probs)
        act = diarize_mono(mono, sr, speech=speech)  # the pipeline's mono path: segmentation when installed
        t_dia = time.perf_counter() - t0
        m_mono = _speaker_chain(act, words)
        t_mono = time.perf_counter() - t0
        t0 = time.perf_counter()
        _speaker_chain(diarize(mono, sr, speech=speech_intervals(mono, sr, speech_probs=probs),
                               voice_embedder=embedder), words)  # the MFCC path alone, for comparison
        t_mfcc = time.perf_counter() - t0
        t0 = time.perf_counter()
        m_st = _speaker_chain(activity_from_channels(stereo, sr), words)
        t_st = time.perf_counter() - t0
        runs.append((t_tr, t_mono, t_vad, t_dia, t_st, t_mfcc))
        logger.info("transcription %.1f s, speakers mono %.2f s, stereo %.2f s", t_tr, t_mono, t_st)
    t_tr, t_mono, t_vad, t_dia, t_st, t_mfcc = (min(r[i] for r in runs) for i in range(6))
    return {
        "audio_seconds": round(mono.size / sr, 1),
        "transcribe_seconds": round(t_tr, 2),
        "transcribe_options": {"model": str(options.model), "batched": options.batched,
                               "device": transcript.info.get("device")},
        "speakers_mono_seconds": round(t_mono, 3),
        "shared_vad_seconds": round(t_vad, 3),
        "mono_parts_seconds": {"diarize_incl_intervals": round(t_dia, 3),
                               "turns_roles_timing": round(t_mono - t_dia, 3)},
        "mono_path": act.info.get("path"),
        "speakers_mono_mfcc_seconds": round(t_mfcc, 3),
        "ratio_mono_mfcc": round(t_mfcc / t_tr, 4) if t_tr > 0 else None,
        "speakers_stereo_seconds": round(t_st, 3),
        "ratio_mono": round(t_mono / t_tr, 4) if t_tr > 0 else None,
        "ratio_mono_own_vad": round((t_mono + t_vad) / t_tr, 4) if t_tr > 0 else None,
        "ratio_stereo": round(t_st / t_tr, 4) if t_tr > 0 else None,
        "repeats": len(runs),
        "runs": [[round(x, 3) for x in r] for r in runs],
        "n_words": len(words),
        "mono_interruptions": len(m_mono.interruptions),
        "stereo_interruptions": len(m_st.interruptions),
    }
