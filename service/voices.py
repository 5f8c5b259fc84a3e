"""The voice encoder for mono diarization, built at the edge (weights are read here, not in analysis).

:func:`voice_embedder` gives :meth:`analysis.speakers.voice_encoder.VoiceEncoder.embed_segments`
when the weights are installed (``pip install --no-deps resemblyzer==0.1.4``, which
``scripts/setup.sh`` does) and it is not switched off with ``LISTENWELL_VOICEPRINTS=0``; else
``None``. It is on by default since the bounded sample (at most 64 windows,
``DiarizeOptions.voice_per_cluster``) brought speaker analysis to about 5 % of transcription time:
on the hard sets it gets 7 more single voices and one more two-person file right than the MFCC
statistics (docs/evaluation/speakers-hard-sets.md, "Voiceprints"). With ``None`` the
diarizer decides one voice or two from MFCC statistics (and says when it is unsure).

The network runs in onnxruntime (:class:`audio.onnx_models.voice.OnnxVoiceNetwork`, the same embeddings
within 1e-5) unless ``LISTENWELL_SEGMENTATION_RUNTIME=numpy`` asks for the NumPy passes, or
onnxruntime cannot load it; it uses ``LISTENWELL_SEGMENTATION_THREADS`` threads, as the
segmentation network does (:mod:`service.mono_speakers`).
"""

from __future__ import annotations

import logging
import os
import threading

from analysis.errors import ModelUnavailableError
from analysis.speakers.diarize import VoiceEmbedder
from analysis.speakers.voice_encoder import VoiceEncoder
from audio.onnx_models.voice import OnnxVoiceNetwork
from audio.voice_weights import load_voice_weights
from service.onnx_settings import onnx_threads, onnx_wanted

__all__ = ["voice_embedder", "voiceprints_enabled", "ENV_SWITCH"]

logger = logging.getLogger(__name__)

ENV_SWITCH = "LISTENWELL_VOICEPRINTS"
_lock = threading.Lock()
_encoder: VoiceEncoder | None = None
_missing_logged = False


def voiceprints_enabled() -> bool:
    """False only when ``LISTENWELL_VOICEPRINTS`` is 0/off/no/false (on by default)."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in {"0", "off", "no", "false"}


def voice_embedder() -> VoiceEmbedder | None:
    """The shared voice encoder's ``embed_segments``, or None (switched off or weights not installed)."""
    global _encoder, _missing_logged
    if not voiceprints_enabled():
        return None
    with _lock:
        if _encoder is None:
            try:
                weights = load_voice_weights()
                _encoder = VoiceEncoder(weights)
            except (ModelUnavailableError, ValueError) as e:
                if not _missing_logged:
                    logger.info("voiceprints not used: %s", e)
                    _missing_logged = True
                return None
            if onnx_wanted():
                try:
                    _encoder = VoiceEncoder(weights, network=OnnxVoiceNetwork(weights, threads=onnx_threads()))
                except ModelUnavailableError as e:
                    logger.warning("voiceprints computed in NumPy (slower): %s", e)
    return _encoder.embed_segments
