"""Test doubles for the sound card: an input stream fed by a simulated trainee, a silent player.

``FakeInputStream`` has the constructor and ``start/stop/close/active`` of
``sounddevice.InputStream`` and calls the real recorder callback from its own
thread, block by block, faster than real time. What it "hears" comes from a
``source(first_frame, n) -> float32 array``.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import numpy as np

SR = 16000


class FakeInputStream:
    def __init__(self, *, device=None, channels=1, samplerate=SR, dtype="int16", blocksize=0, callback=None,
                 source: Callable[[int, int], np.ndarray] | None = None, speed: float = 8.0,
                 overflow_blocks: frozenset = frozenset(), block: int = 320, max_frames: int | None = None,
                 lockstep: bool = True):
        self.channels, self.samplerate, self.dtype = channels, samplerate, dtype
        self.block = blocksize or block
        self.callback = callback
        self.source = source or (lambda f, n: np.zeros(n, dtype=np.float32))
        self.speed = speed
        self.overflow_blocks = overflow_blocks
        self.max_frames = max_frames
        # lockstep: never run more than one block ahead of the recorder's writer, so a
        # simulated trainee reacting to the practice loop is never too late (a faster
        # than real-time stand-in for the sound card's steady pace)
        self._consumer = getattr(getattr(callback, "__self__", None), "writer", None) if lockstep else None
        self.active = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.frames = 0

    def _run(self) -> None:
        k = 0
        period = self.block / self.samplerate / self.speed
        next_t = time.monotonic()
        while not self._stop.is_set():
            if self.max_frames is not None and self.frames >= self.max_frames:
                break
            if self._consumer is not None:
                deadline = time.monotonic() + 2.0
                while self._consumer.frames < self.frames and time.monotonic() < deadline \
                        and not self._stop.is_set() and not self._consumer.full.is_set():
                    time.sleep(0.0005)
            x = np.asarray(self.source(self.frames, self.block), dtype=np.float32)
            x = np.repeat(x[:, None], self.channels, axis=1)
            if self.dtype == "int16":
                x = np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)
            status = _Status(k in self.overflow_blocks)
            self.callback(x, self.block, None, status)
            self.frames += self.block
            k += 1
            next_t += period
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self.active = False

    def start(self) -> None:
        self.active = True
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def close(self) -> None:
        pass


class _Status:
    def __init__(self, overflow: bool):
        self.input_overflow = overflow

    def __bool__(self) -> bool:
        return self.input_overflow


class FakePlayer:
    """Plays nothing; reports zero output latency; records what it was asked to play."""

    def __init__(self, latency: float = 0.0, on_start: Callable[[np.ndarray], None] | None = None):
        self.latency = latency
        self.on_start = on_start
        self.started: list[int] = []
        self.stops = 0

    def start(self, audio: np.ndarray, sample_rate: int) -> float:
        self.started.append(audio.size)
        if self.on_start is not None:
            self.on_start(audio)
        return self.latency

    def stop(self) -> None:
        self.stops += 1


class SimulatedTrainee:
    """Speaks a known clip a known time after each client line ends (or inside it).

    ``plan[k] = (delay_s, clip)``: the reply to line k starts ``delay_s`` after the
    line's end; with ``interrupt_at[k] = t`` it starts ``t`` s after the line's start
    instead (talking over the client). Use :meth:`on_event` as ``run_practice``'s
    ``on_event`` and :meth:`source` as the fake stream's source.
    """

    def __init__(self, plan: dict[int, tuple[float, np.ndarray]], interrupt_at: dict[int, float] | None = None,
                 noise_db: float = -70.0, seed: int = 0, echo: tuple[float, np.ndarray] | None = None):
        self.plan = plan
        self.echo = echo  # (delay s, room impulse response): loudspeakers, not headphones
        self._echo_clip: np.ndarray | None = None
        self.interrupt_at = interrupt_at or {}
        self.noise = 10 ** (noise_db / 20)
        self.rng = np.random.default_rng(seed)
        self.placed: list[tuple[int, np.ndarray]] = []  # (start frame, clip)
        self.lock = threading.Lock()
        self.events: list[tuple[str, object]] = []
        self.produced = 0  # frames the stream has already asked for
        self.late: list[int] = []  # clips placed where the stream had already been (invalid simulation)

    def on_event(self, kind: str, payload) -> None:
        self.events.append((kind, payload))
        if kind == "line" and self._echo_clip is not None:
            self._place(int(round((payload.placed_at + self.echo[0]) * SR)), self._echo_clip)
            self._echo_clip = None
        if kind != "line" or payload.index not in self.plan:
            return
        delay, clip = self.plan[payload.index]
        if payload.index in self.interrupt_at:
            t = payload.start + self.interrupt_at[payload.index]
        else:
            t = payload.end + delay
        self._place(int(round(t * SR)), clip)

    def playing(self, audio: np.ndarray) -> None:
        """FakePlayer's ``on_start``: what the room will send back to the mic (computed before
        the line's start time is known, so placing it later is instant)."""
        if self.echo is not None:
            from scipy.signal import fftconvolve

            self._echo_clip = fftconvolve(audio, self.echo[1]).astype(np.float32)

    def _place(self, s0: int, clip: np.ndarray) -> None:
        with self.lock:
            if s0 < self.produced:
                self.late.append(s0)
            self.placed.append((s0, clip))

    def source(self, first: int, n: int) -> np.ndarray:
        out = (self.noise * self.rng.standard_normal(n)).astype(np.float32)
        with self.lock:
            self.produced = max(self.produced, first + n)
            for s0, clip in self.placed:
                a, b = max(first, s0), min(first + n, s0 + clip.size)
                if a < b:
                    out[a - first:b - first] += clip[a - s0:b - s0]
        return out
