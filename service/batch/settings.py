"""Settings for a batch: per-file AnalysisSettings from the manifest, fingerprints, worker counts."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from analysis.errors import ParameterError
from audio.transcribe import TranscribeOptions
from service.batch.manifest import RecordingJob
from service.pipeline import AnalysisSettings

__all__ = [
    "WORKER_MEMORY",
    "build_settings",
    "usable_cores",
    "default_workers",
    "with_cpu_threads",
    "transcribe_options_of",
    "settings_for_job",
    "settings_dict",
    "setup_of",
]

# Peak memory of one worker, bytes: 1.45 GB measured (max RSS) for a 7-minute stereo file with tiny.en.
WORKER_MEMORY = 1_500_000_000
SETUP_FIELDS = ("setup", "speaker_setup")



def build_settings(setup: str, helper_channel: int | None, helper_speaker: str | None,
                   transcribe: Any) -> Any:
    """AnalysisSettings for the files a manifest says nothing about (the command line's choices).

    ``transcribe`` is an :class:`audio.transcribe.TranscribeOptions`.
    """
    return AnalysisSettings(setup=setup or "auto", helper_channel=helper_channel, helper_speaker=helper_speaker,
                            transcribe=transcribe)


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_workers(n_jobs: int, *, cores: int | None = None, available_memory: int | None = None) -> int:
    """Worker processes for this machine: one per two cores, as many as memory holds, no more than jobs.

    Two Whisper threads per worker measured faster than two single-thread
    workers on the 2-core development machine (README, "Batch analysis of a cohort").
    """
    cores = cores or usable_cores()
    if available_memory is None:
        import psutil

        available_memory = int(psutil.virtual_memory().available)
    by_memory = max(1, available_memory // WORKER_MEMORY)
    return max(1, min(cores // 2, by_memory, max(1, n_jobs)))


def _transcribe_field(settings: Any) -> str | None:
    for f in dataclasses.fields(settings):
        if isinstance(getattr(settings, f.name), TranscribeOptions):
            return f.name
    return None


def with_cpu_threads(settings: Any, threads: int) -> Any:
    """``settings`` with its TranscribeOptions' ``cpu_threads`` set (when it has one)."""
    name = _transcribe_field(settings)
    if name is None:
        return settings
    opts = dataclasses.replace(getattr(settings, name), cpu_threads=threads)
    return dataclasses.replace(settings, **{name: opts})


def transcribe_options_of(settings: Any) -> Any:
    """The TranscribeOptions inside ``settings`` (None when it has none)."""
    name = _transcribe_field(settings)
    return getattr(settings, name) if name else None


def settings_for_job(base: Any, job: RecordingJob) -> Any:
    """The base AnalysisSettings with the manifest's set-up and helper for this file."""
    names = {f.name for f in dataclasses.fields(base)}
    changes: dict[str, Any] = {}
    if job.setup:
        setup_field = next((n for n in SETUP_FIELDS if n in names), None)
        if setup_field is None:
            raise ParameterError("this ListenWell's AnalysisSettings has no speaker set-up field")
        changes[setup_field] = job.setup
    if job.helper_channel is not None and "helper_channel" in names:
        changes["helper_channel"] = job.helper_channel
    if job.helper_speaker is not None and "helper_speaker" in names:
        changes["helper_speaker"] = job.helper_speaker
    return dataclasses.replace(base, **changes) if changes else base


def settings_dict(settings: Any) -> dict[str, Any]:
    """JSON-able settings for fingerprints; thread counts are left out (they do not change results)."""
    if hasattr(settings, "to_dict"):
        data = settings.to_dict()
    else:
        data = dataclasses.asdict(settings)
    data = json.loads(json.dumps(data, default=str))
    for value in data.values():
        if isinstance(value, dict):
            value.pop("cpu_threads", None)
    data.pop("cpu_threads", None)
    return data


def setup_of(settings: Any) -> str:
    for name in SETUP_FIELDS:
        if hasattr(settings, name):
            return str(getattr(settings, name))
    return ""
