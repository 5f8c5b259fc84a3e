"""The voice encoder for mono diarization, built at the edge (weights are read here, not in analysis).

:func:`voice_embedder` gives :meth:`analysis.speakers.voice_encoder.VoiceEncoder.embed_segments`
when it is switched on with the environment variable ``LISTENWELL_VOICEPRINTS=1`` and the
optional weights are installed (``pip install --no-deps resemblyzer==0.1.4``), else ``None``.
It is off by default (docs/evaluation/speakers-hard-sets.md, "Voiceprints": it gets more single
voices right than the MFCC statistics, with thin margins; a bounded sample of at most 64 windows,
``DiarizeOptions.voice_per_cluster``, keeps its added cost near 2 % of transcription time). With ``None`` the diarizer decides one voice
or two from MFCC statistics (and says when it is unsure).
"""

from __future__ import annotations

import logging
import os
import threading

from analysis.errors import ModelUnavailableError
from analysis.speakers.diarize import VoiceEmbedder
from analysis.speakers.voice_encoder import VoiceEncoder

__all__ = ["voice_embedder", "voiceprints_enabled", "ENV_SWITCH"]

logger = logging.getLogger(__name__)

ENV_SWITCH = "LISTENWELL_VOICEPRINTS"
_lock = threading.Lock()
_encoder: VoiceEncoder | None = None
_missing_logged = False


def voiceprints_enabled() -> bool:
    """True when ``LISTENWELL_VOICEPRINTS`` is 1/on/yes/true (off by default)."""
    return os.environ.get(ENV_SWITCH, "0").strip().lower() in {"1", "on", "yes", "true"}


def voice_embedder() -> VoiceEmbedder | None:
    """The shared voice encoder's ``embed_segments``, or None (switched off or weights not installed)."""
    global _encoder, _missing_logged
    if not voiceprints_enabled():
        return None
    with _lock:
        if _encoder is None:
            from audio.voice_weights import load_voice_weights

            try:
                _encoder = VoiceEncoder(load_voice_weights())
            except (ModelUnavailableError, ValueError) as e:
                if not _missing_logged:
                    logger.info("voiceprints not used: %s", e)
                    _missing_logged = True
                return None
    return _encoder.embed_segments
