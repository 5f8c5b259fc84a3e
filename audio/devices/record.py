"""Record from a microphone with sounddevice, without losing audio.

The PortAudio callback only copies each block into a queue and notes its level;
a writer thread (:class:`audio.devices.blockwriter.BlockWriter`) writes the WAV. Input
overflows reported by PortAudio and blocks dropped because the writer fell
behind are counted and reported in :class:`RecordingResult`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from analysis.errors import NoInputDeviceError, ParameterError, RecordingError
from audio.devices.blockwriter import (
    BlockQueue,
    BlockWriter,
    block_level_db,
    block_peak,
)
from audio.devices.sound import load_sounddevice, wrap_portaudio_error

__all__ = [
    "InputDevice",
    "RecordingStatus",
    "RecordingResult",
    "Recorder",
    "list_input_devices",
    "choose_input_device",
    "pick_samplerate",
    "record",
]

logger = logging.getLogger(__name__)

PREFERRED_RATE = 16000


@dataclass(frozen=True)
class InputDevice:
    """One input device as PortAudio lists it."""

    index: int
    name: str
    channels: int
    default_samplerate: float
    hostapi: str = ""
    is_default: bool = False

    @property
    def label(self) -> str:
        return f"#{self.index} '{self.name}'"


@dataclass(frozen=True)
class RecordingStatus:
    """A progress snapshot for a live meter: elapsed seconds, level in dBFS."""

    elapsed: float
    level_db: float
    peak: float
    overflows: int
    dropped_blocks: int


@dataclass(frozen=True)
class RecordingResult:
    """What was recorded and how cleanly."""

    path: Path | None
    frames: int
    sample_rate: int
    channels: int
    device: str
    overflows: int
    dropped_blocks: int
    filled_frames: int

    @property
    def duration(self) -> float:
        return self.frames / float(self.sample_rate)

    @property
    def lossless(self) -> bool:
        return self.overflows == 0 and self.dropped_blocks == 0

    def to_dict(self) -> dict[str, Any]:
        return {"path": None if self.path is None else str(self.path), "frames": self.frames,
                "sample_rate": self.sample_rate, "channels": self.channels, "device": self.device,
                "duration": self.duration, "overflows": self.overflows,
                "dropped_blocks": self.dropped_blocks, "filled_frames": self.filled_frames}


def list_input_devices(sd=None) -> list[InputDevice]:
    """Every device with at least one input channel (empty list when there is none)."""
    sd = sd or load_sounddevice()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except Exception as e:  # PortAudioError: no usable host API
        raise wrap_portaudio_error(e, "(any)") from e
    out = []
    for d in devices:
        if int(d["max_input_channels"]) <= 0:
            continue
        api = hostapis[d["hostapi"]]["name"] if 0 <= d["hostapi"] < len(hostapis) else ""
        out.append(InputDevice(int(d["index"]), str(d["name"]), int(d["max_input_channels"]),
                               float(d["default_samplerate"]), api, int(d["index"]) == default_in))
    return out


def choose_input_device(spec: int | str | None = None, sd=None) -> InputDevice:
    """The device to record from: default (``None``), an index, or part of a name."""
    devices = list_input_devices(sd)
    if not devices:
        raise NoInputDeviceError(
            "no input device found: plug in a microphone (or enable it in the system sound settings), "
            "then run 'listenwell devices'"
        )
    if spec is None or spec == "":
        default = [d for d in devices if d.is_default]
        return default[0] if default else devices[0]
    if isinstance(spec, int) or str(spec).isdigit():
        for d in devices:
            if d.index == int(spec):
                return d
        raise NoInputDeviceError(f"no input device #{spec}; inputs are: "
                                 + ", ".join(d.label for d in devices))
    matches = [d for d in devices if str(spec).lower() in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NoInputDeviceError(f"no input device named like {spec!r}; inputs are: "
                                 + ", ".join(d.label for d in devices))
    raise ParameterError(f"--device {spec!r} matches several devices: "
                         + ", ".join(d.label for d in matches) + "; give the number instead")


def pick_samplerate(device: InputDevice, channels: int = 1, preferred: int = PREFERRED_RATE, sd=None) -> int:
    """16 kHz when the device takes it, else its default rate (decoding resamples later)."""
    sd = sd or load_sounddevice()
    for rate in (preferred, int(device.default_samplerate)):
        try:
            sd.check_input_settings(device=device.index, channels=channels, samplerate=rate, dtype="int16")
            return rate
        except Exception as e:  # PortAudioError or ValueError: try the next rate
            logger.debug("rate %d refused by %s: %s", rate, device.label, e)
    raise RecordingError(f"{device.label} accepts neither {preferred} Hz nor its default "
                         f"{device.default_samplerate:g} Hz with {channels} channel(s)")


class Recorder:
    """Capture from an input device into a WAV file (and optionally a sink).

    Use :meth:`start`, then :meth:`wait` (until a stop event, ``duration`` or the
    writer's ``max_frames``), then :meth:`stop`; or :func:`record` for all three.
    ``stream_factory`` replaces ``sounddevice.InputStream`` in tests.
    """

    def __init__(self, path: str | Path | None, *, device: int | str | None = None, channels: int = 1,
                 samplerate: int | None = None, duration: float | None = None, blocksize: int = 0,
                 dtype: str = "int16",
                 sink: Callable[[np.ndarray], None] | None = None, max_queue_blocks: int = 4096,
                 stream_factory: Callable[..., Any] | None = None, sd=None):
        if duration is not None and duration <= 0:
            raise ParameterError(f"duration={duration} must be positive (seconds)")
        if channels < 1:
            raise ParameterError(f"channels={channels} must be at least 1")
        if stream_factory is None:
            sd = sd or load_sounddevice()
            self.device = choose_input_device(device, sd)
            if channels > self.device.channels:
                raise ParameterError(f"channels={channels}: {self.device.label} has {self.device.channels}")
            self.samplerate = int(samplerate or pick_samplerate(self.device, channels, sd=sd))
            stream_factory = sd.InputStream
        else:
            self.device = InputDevice(-1 if device is None else int(device), "test stream", channels,
                                      float(samplerate or PREFERRED_RATE))
            self.samplerate = int(samplerate or PREFERRED_RATE)
        self._factory = stream_factory
        self.dtype = dtype
        self.channels = channels
        self.blocksize = blocksize
        self.queue = BlockQueue(max_queue_blocks)
        max_frames = None if duration is None else int(round(duration * self.samplerate))
        self.writer = BlockWriter(self.queue, path, self.samplerate, channels, max_frames=max_frames, sink=sink)
        self.overflows = 0
        self.captured = 0  # frames the callback has seen
        self._level_db = -120.0
        self._peak = 0.0
        self._stream = None
        self._closed = False
        self._t0 = 0.0

    def callback(self, indata, frames, time_info, status) -> None:
        """The PortAudio callback: copy, count, measure; never block."""
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        if self._closed:
            return
        self.queue.put(indata)
        self.captured += frames
        self._level_db = block_level_db(indata)
        self._peak = block_peak(indata)

    def start(self) -> None:
        self.writer.start()
        try:
            self._stream = self._factory(device=None if self.device.index < 0 else self.device.index,
                                         channels=self.channels, samplerate=self.samplerate,
                                         dtype=self.dtype, blocksize=self.blocksize, callback=self.callback)
            self._stream.start()
        except Exception as e:
            self._closed = True
            self.queue.close()
            self.writer.join()
            if isinstance(e, RecordingError):
                raise
            raise wrap_portaudio_error(e, self.device.label) from e
        self._t0 = time.monotonic()
        logger.info("recording from %s at %d Hz", self.device.label, self.samplerate)

    def status(self) -> RecordingStatus:
        return RecordingStatus(self.writer.frames / self.samplerate, self._level_db, self._peak,
                               self.overflows, self.queue.dropped_blocks)

    def wait(self, stop: threading.Event | None = None, on_status: Callable[[RecordingStatus], None] | None = None,
             interval: float = 0.1) -> None:
        """Block until ``stop`` is set, the duration is reached, or the stream ends."""
        while not self.writer.full.is_set():
            if stop is not None and stop.is_set():
                break
            if self._stream is not None and not getattr(self._stream, "active", True):
                break
            if self.writer.error is not None:
                break
            if on_status is not None:
                on_status(self.status())
            self.writer.full.wait(interval)
        if on_status is not None:
            on_status(self.status())

    def stop(self) -> RecordingResult:
        """Stop the stream, flush every queued block, close the file."""
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception as e:  # closing a dead device must not lose the file
                logger.warning("closing the input stream: %s", e)
        self._closed = True
        self.queue.close()
        self.writer.join()
        if self.writer.error is not None:
            raise RecordingError(f"writing the recording failed: {self.writer.error}") from self.writer.error
        w = self.writer.result()
        if self.overflows or self.queue.dropped_blocks:
            logger.warning("recording had %d input overflow(s) and %d dropped block(s)",
                           self.overflows, self.queue.dropped_blocks)
        return RecordingResult(w.path, w.frames, w.sample_rate, w.channels, self.device.label,
                               self.overflows, self.queue.dropped_blocks, w.filled_frames)


def record(path: str | Path, *, device: int | str | None = None, duration: float | None = None,
           stop: threading.Event | None = None, on_status: Callable[[RecordingStatus], None] | None = None,
           channels: int = 1, samplerate: int | None = None) -> RecordingResult:
    """Record to ``path`` until ``stop`` is set or ``duration`` seconds are written."""
    if duration is None and stop is None:
        raise ParameterError("record() needs a duration or a stop event")
    rec = Recorder(path, device=device, duration=duration, channels=channels, samplerate=samplerate)
    rec.start()
    try:
        rec.wait(stop, on_status)
    finally:
        result = rec.stop()
    return result
