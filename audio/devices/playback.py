"""Play a clip through the default (or a chosen) output device, without blocking.

Practice plays the client's lines while the microphone keeps recording, so
playback runs in its own PortAudio output stream fed by a callback.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

import numpy as np

from analysis.errors import RecordingError
from audio.devices.sound import load_sounddevice, wrap_portaudio_error

__all__ = ["Player", "play"]

logger = logging.getLogger(__name__)

FALLBACK_RATE = 48000


class Player:
    """Plays one clip at a time; :meth:`start` returns the output latency (s)."""

    def __init__(self, device: int | str | None = None, *, sd=None,
                 stream_factory: Callable[..., Any] | None = None):
        self.device = device
        if stream_factory is None:
            stream_factory = (sd or load_sounddevice()).OutputStream
        self._factory = stream_factory
        self._stream = None
        self._done = threading.Event()
        self._done.set()
        self._pos = 0
        self._audio = np.zeros(0, dtype=np.float32)

    def _callback(self, outdata, frames, time_info, status) -> None:
        chunk = self._audio[self._pos:self._pos + frames]
        outdata[:len(chunk), 0] = chunk
        outdata[len(chunk):, 0] = 0.0
        if outdata.shape[1] > 1:
            outdata[:, 1:] = outdata[:, :1]
        self._pos += frames
        if self._pos >= self._audio.size:
            self._done.set()

    def start(self, audio: np.ndarray, sample_rate: int) -> float:
        """Start playing ``audio`` (mono float32); returns the stream's output latency (s)."""
        self.stop()
        audio = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        try:
            self._open(audio, int(sample_rate))
        except Exception as e:
            if "sample rate" not in str(e).lower() or int(sample_rate) == FALLBACK_RATE:
                self._done.set()
                if isinstance(e, RecordingError):
                    raise
                label = f"(output {self.device if self.device is not None else 'default'})"
                raise wrap_portaudio_error(e, label) from e
            import soxr  # the device refuses 16 kHz: play at 48 kHz instead

            logger.info("output refuses %d Hz; resampling to %d Hz", sample_rate, FALLBACK_RATE)
            return self.start(soxr.resample(audio, int(sample_rate), FALLBACK_RATE), FALLBACK_RATE)
        latency = getattr(self._stream, "latency", 0.0)
        return float(latency if np.isscalar(latency) else latency[-1])

    def _open(self, audio: np.ndarray, sample_rate: int) -> None:
        self._audio = audio
        self._pos = 0
        self._done.clear()
        self._stream = self._factory(device=self.device, channels=1, samplerate=sample_rate,
                                     dtype="float32", callback=self._callback)
        self._stream.start()

    @property
    def playing(self) -> bool:
        return not self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the clip has been handed to the device; True if it finished."""
        return self._done.wait(timeout)

    def stop(self) -> None:
        """Stop playing now (the client yields the floor) and free the stream."""
        self._done.set()
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception as e:  # a vanished device must not stop the practice
                logger.warning("closing the output stream: %s", e)
            self._stream = None


def play(audio: np.ndarray, sample_rate: int, device: int | str | None = None) -> None:
    """Play a clip and wait until it is done."""
    player = Player(device)
    player.start(audio, sample_rate)
    player.wait(audio.size / sample_rate + 5.0)
    player.stop()
