"""Whether the speaker networks (segmentation, voice encoder) run in onnxruntime, and on how many threads.

``LISTENWELL_SEGMENTATION_RUNTIME=numpy`` runs both in their NumPy passes (default: onnxruntime,
installed with faster-whisper); ``LISTENWELL_SEGMENTATION_THREADS`` sets onnxruntime's threads
(default :data:`DEFAULT_THREADS`: one thread, while :func:`service.mono_speakers.diarize_mono` runs the
segmentation network beside the clustering diarizer, was the steadiest on the shared 2-core machine;
docs/evaluation/history.md, issue 20). :func:`switched_on` reads the on-by-default switches of the
speaker path (``LISTENWELL_SEGMENTATION``, ``LISTENWELL_VOICEPRINTS``) the same way.
"""

from __future__ import annotations

import logging
import os

__all__ = ["switched_on", "onnx_wanted", "onnx_threads", "RUNTIME_SWITCH", "THREADS_SWITCH", "DEFAULT_THREADS"]

logger = logging.getLogger(__name__)

RUNTIME_SWITCH = "LISTENWELL_SEGMENTATION_RUNTIME"  # "onnx" (default) or "numpy"
THREADS_SWITCH = "LISTENWELL_SEGMENTATION_THREADS"
DEFAULT_THREADS = 1  # measured side by side with 2 (docs/evaluation/history.md, issue 20)


def switched_on(name: str) -> bool:
    """False only when the environment variable ``name`` is 0/off/no/false (on when unset)."""
    return os.environ.get(name, "1").strip().lower() not in {"0", "off", "no", "false"}


def onnx_wanted() -> bool:
    """False when ``LISTENWELL_SEGMENTATION_RUNTIME`` is "numpy"."""
    return os.environ.get(RUNTIME_SWITCH, "onnx").strip().lower() != "numpy"


def onnx_threads() -> int:
    """``LISTENWELL_SEGMENTATION_THREADS`` (at least 1), else :data:`DEFAULT_THREADS` capped at the usable cores."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    default = max(1, min(DEFAULT_THREADS, cores))
    raw = os.environ.get(THREADS_SWITCH, "").strip()
    try:
        return max(1, int(raw)) if raw else default
    except ValueError:
        logger.warning("%s=%r is not a number; %d threads used", THREADS_SWITCH, raw, default)
        return default
