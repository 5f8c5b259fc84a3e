"""A recording played as a microphone, in real time, and a player with no loudspeaker.

``listenwell practice SCENARIO --trainee-audio FILE --as-live`` runs the live conversation loop
with the file as the microphone from the first moment, on the session's own clock: what the file
says while the client speaks talks over her. :class:`FileMicrophone` has the constructor and
``start/stop/close/active`` of ``sounddevice.InputStream`` and calls the recorder's callback
block by block at the pace of a sound card (each block when its last sample would have been
captured); :class:`SilentPlayer` stands in for the loudspeaker (the client's lines still land on
the session's client channel where they started).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

__all__ = ["FileMicrophone", "SilentPlayer", "array_source"]

Source = Callable[[int, int], np.ndarray]


def array_source(audio: np.ndarray) -> Source:
    """``source(first_frame, n)``: the samples of ``audio`` there, silence after its end."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)

    def source(first: int, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        part = audio[first: first + n]
        out[: part.size] = part
        return out
    return source


class FileMicrophone:
    """An input stream whose samples come from ``source(first_frame, n)`` at real-time pace."""

    def __init__(self, *, device=None, channels: int = 1, samplerate: int = 16000, dtype: str = "int16",
                 blocksize: int = 0, callback=None, source: Source, block: int = 320):
        self.channels, self.samplerate, self.dtype = channels, int(samplerate), dtype
        self.block = blocksize or block
        self.callback = callback
        self.source = source
        self.active = False
        self.frames = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="file-microphone")

    def _run(self) -> None:
        t0 = time.monotonic()
        while not self._stop.is_set():
            due = t0 + (self.frames + self.block) / self.samplerate  # the block's last sample is "captured"
            delay = due - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                break
            x = np.asarray(self.source(self.frames, self.block), dtype=np.float32)
            x = np.repeat(x[:, None], self.channels, axis=1)
            if self.dtype == "int16":
                x = np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)
            self.callback(x, self.block, None, _NoStatus())
            self.frames += self.block
        self.active = False

    def start(self) -> None:
        self.active = True
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def close(self) -> None:
        pass


class _NoStatus:
    input_overflow = False

    def __bool__(self) -> bool:
        return False


class SilentPlayer:
    """A loudspeaker that plays nothing, with zero output latency; counts starts and stops."""

    def __init__(self, on_start: Callable[[np.ndarray], None] | None = None):
        self.on_start = on_start
        self.started = 0
        self.stops = 0

    def start(self, audio: np.ndarray, sample_rate: int) -> float:
        self.started += 1
        if self.on_start is not None:
            self.on_start(audio)
        return 0.0

    def stop(self) -> None:
        self.stops += 1
