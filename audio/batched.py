"""Batched decoding over planned 30 s windows, with re-decoding of windows the prompt cut short and of
speech the decoder skipped.

Used by :func:`audio.transcribe.transcribe` when ``options.batched`` is on.
"""

from __future__ import annotations

import bisect
import logging

import numpy as np

from audio.clips import WINDOW_SECONDS, Clip, plan_clips, short_clips, unheard_speech
from audio.vad import speech_timestamps

__all__ = ["decode_batched", "speech_regions"]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000


def speech_regions(audio: np.ndarray, options, speech_probs: np.ndarray | None = None) -> list[tuple[float, float]]:
    """Speech regions (s) by Silero VAD: faster-whisper's ``get_speech_timestamps``.

    ``speech_probs``: Silero's window probabilities for ``audio``
    (:func:`audio.vad.speech_probabilities`), already computed; the same
    post-processing then gives the same regions without running the model again.
    """
    if speech_probs is not None:
        spans = speech_timestamps(speech_probs, audio.shape[0], max_speech_s=WINDOW_SECONDS,
                                  min_silence_ms=options.vad_min_silence_ms)
        return [(a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in spans]
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(max_speech_duration_s=WINDOW_SECONDS, min_silence_duration_ms=options.vad_min_silence_ms)
    return [(t["start"] / SAMPLE_RATE, t["end"] / SAMPLE_RATE) for t in get_speech_timestamps(audio, vad)]


def decode_batched(model, audio: np.ndarray, options, kwargs: dict, on_time=None, speech_probs=None):
    """Decode planned windows in batches; re-decode windows the prompt cut short and speech the decoder skipped.

    ``on_time(seconds)`` is called with the end of each decoded segment (seconds
    into ``audio``) as batches finish. Returns (faster-whisper segments in time
    order, number of windows repaired). ``speech_probs``: see :func:`speech_regions`.
    """
    from faster_whisper import BatchedInferencePipeline

    clips = plan_clips(speech_regions(audio, options, speech_probs))
    if not clips:
        return [], 0
    pipeline = BatchedInferencePipeline(model)

    def run(windows, report=None, **extra):
        stamps = [{"start": c.start, "end": c.end} for c in windows]
        segs, _ = pipeline.transcribe(audio, clip_timestamps=stamps, batch_size=options.batch_size,
                                      **{**kwargs, **extra})
        out = []
        for seg in segs:
            out.append(seg)
            if report:
                report(float(seg.end))
        return out

    segments = run(clips, on_time)
    if not (options.repair_truncated and options.word_timestamps):
        return segments, 0
    segments, repaired = _redo_short(run, clips, segments, options)
    segments, heard = _redo_unheard(run, clips, segments)
    return segments, repaired + heard


# a segment found in skipped speech is kept only when the decoder thought it speech and was not lost
SKIPPED_NO_SPEECH_MAX = 0.6
SKIPPED_LOGPROB_MIN = -1.0
# a window with unheard speech is decoded again in windows of at most this many seconds
SKIPPED_WINDOW = 10.0
# a window's new reading replaces the old when it holds this many times its words (both repairs)
MORE_WORDS = 1.2


def _in_time_order(segments):
    return sorted(segments, key=lambda s: s.words[0].start if s.words else s.start)


def _replace_windows(clips, segments, found, windows):
    """For each window index in ``windows``, the segments of ``found`` in it replace the old ones when
    they hold :data:`MORE_WORDS` times the words. Returns (segments in time order, windows replaced)."""
    starts_of = [c.start for c in clips]

    def window_of(seg) -> int:
        # the window holding the segment's middle word (edge words can stray past a boundary)
        mid = seg.words[len(seg.words) // 2].start if seg.words else seg.start
        return max(0, bisect.bisect_right(starts_of, mid + 0.05) - 1)

    def words(segs) -> int:
        return sum(len(s.words or ()) for s in segs)

    replaced = 0
    for k in windows:
        old = [s for s in segments if window_of(s) == k]
        new = [s for s in found if window_of(s) == k]
        if words(new) > MORE_WORDS * words(old):
            segments = [s for s in segments if window_of(s) != k] + new
            replaced += 1
    return _in_time_order(segments), replaced


def _redo_unheard(run, clips, segments):
    """Decode again, in short windows, each window where speech went unheard (a stretch of it no word covers:
    :func:`audio.clips.unheard_speech`), and keep the new reading when it holds more words.

    Returns (segments in time order, number of windows replaced).
    """
    gaps = unheard_speech([r for c in clips for r in c.speech],
                          [(w.start, w.end) for s in segments for w in (s.words or ())])
    hit = [k for k, c in enumerate(clips) if any(a < c.end and b > c.start for a, b in gaps)]
    if not hit:
        return segments, 0
    found = run([p for k in hit for p in plan_clips(_pieces(clips[k].speech, SKIPPED_WINDOW), SKIPPED_WINDOW)])
    found = [s for s in found if s.words and s.no_speech_prob <= SKIPPED_NO_SPEECH_MAX
             and s.avg_logprob >= SKIPPED_LOGPROB_MIN]
    segments, replaced = _replace_windows(clips, segments, found, hit)
    if replaced:
        logger.info("re-decoded %d window(s) in short pieces: speech had gone unheard", replaced)
    return segments, replaced


def _pieces(speech, longest: float) -> list[tuple[float, float]]:
    """The speech regions, each longer than ``longest`` cut into equal parts no longer than it."""
    out = []
    for a, b in speech:
        n = max(1, int(-(-(b - a) // longest)))
        step = (b - a) / n
        out.extend((a + i * step, a + (i + 1) * step) for i in range(n))
    return out


def _redo_short(run, clips, segments, options):
    """Re-decode, without the prompt, the windows the prompt cut short (:func:`audio.clips.short_clips`)."""
    if not options.initial_prompt:
        return segments, 0
    starts = [w.start for s in segments for w in (s.words or ())]
    suspect = short_clips(clips, starts)
    if not suspect:
        return segments, 0
    again = run([clips[k] for k in suspect], initial_prompt=None)
    segments, repaired = _replace_windows(clips, segments, again, suspect)
    if repaired:
        logger.info("re-decoded %d window(s) without the prompt: it had cut them short", repaired)
    return segments, repaired
