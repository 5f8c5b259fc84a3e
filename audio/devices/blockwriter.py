"""Lossless hand-off of audio blocks from a sound-card callback to a writer thread.

The PortAudio callback must never block: it copies each block into a
:class:`BlockQueue` (non-blocking put). A writer thread takes blocks off the queue
and writes them with ``soundfile``. If the writer falls so far behind that the
queue is full, the block is dropped and counted, and the writer later fills the
same number of frames with silence so the file's timeline stays true.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["BlockQueue", "BlockWriter", "WriterResult", "block_level_db", "block_peak"]

logger = logging.getLogger(__name__)

_STOP = object()


def block_level_db(block: np.ndarray) -> float:
    """RMS level of a block in dBFS (float samples in [-1, 1]; -120 for silence)."""
    if block.size == 0:
        return -120.0
    x = block.astype(np.float64, copy=False)
    if np.issubdtype(block.dtype, np.integer):
        x = x / float(np.iinfo(block.dtype).max + 1)
    rms = float(np.sqrt(np.mean(x * x)))
    return max(-120.0, 20.0 * np.log10(rms + 1e-12))


def block_peak(block: np.ndarray) -> float:
    """Peak absolute sample of a block, as a fraction of full scale."""
    if block.size == 0:
        return 0.0
    peak = float(np.max(np.abs(block.astype(np.float64, copy=False))))
    if np.issubdtype(block.dtype, np.integer):
        peak /= float(np.iinfo(block.dtype).max + 1)
    return peak


class BlockQueue:
    """A bounded queue of ``(gap_frames, block)``; ``put`` never blocks.

    ``gap_frames`` is the number of frames dropped just before ``block`` because
    the queue was full; the consumer writes that many frames of silence first.
    """

    def __init__(self, max_blocks: int = 4096):
        self._q: queue.Queue = queue.Queue(maxsize=max_blocks)
        self._pending_gap = 0
        self.dropped_blocks = 0
        self.dropped_frames = 0

    def put(self, block: np.ndarray) -> bool:
        """Queue a copy of ``block`` (frames x channels); False if it had to be dropped."""
        try:
            self._q.put_nowait((self._pending_gap, np.array(block, copy=True)))
        except queue.Full:
            self._pending_gap += len(block)
            self.dropped_blocks += 1
            self.dropped_frames += len(block)
            return False
        self._pending_gap = 0
        return True

    def __len__(self) -> int:
        return self._q.qsize()

    def close(self) -> None:
        """Tell the consumer no more blocks will come (blocks until there is room)."""
        gap, self._pending_gap = self._pending_gap, 0
        self._q.put((gap, _STOP))

    def get(self, timeout: float | None = None):
        """The next ``(gap_frames, block)``; ``block`` is None once closed."""
        gap, block = self._q.get(timeout=timeout)
        return gap, (None if block is _STOP else block)


@dataclass(frozen=True)
class WriterResult:
    """What the writer wrote: frames (incl. silence filled for drops), seconds."""

    path: Path | None
    frames: int
    sample_rate: int
    channels: int
    filled_frames: int

    @property
    def duration(self) -> float:
        return self.frames / float(self.sample_rate)


class BlockWriter(threading.Thread):
    """Writer thread: drains a :class:`BlockQueue` into a sound file and/or a sink.

    Parameters
    ----------
    blocks : BlockQueue
        Where the callback puts blocks.
    path : Path or None
        WAV (or any soundfile format by suffix) to write; None writes no file.
    sample_rate, channels : int
        Of the incoming blocks.
    max_frames : int or None
        Stop after exactly this many frames (a block that crosses it is cut).
    sink : callable or None
        Also called with each written block as float32 (frames x channels), e.g.
        to keep the audio in memory or watch for the end of speech.
    """

    def __init__(
        self,
        blocks: BlockQueue,
        path: str | Path | None,
        sample_rate: int,
        channels: int = 1,
        *,
        max_frames: int | None = None,
        subtype: str = "PCM_16",
        sink: Callable[[np.ndarray], None] | None = None,
    ):
        super().__init__(name="listenwell-writer", daemon=True)
        self.blocks = blocks
        self.path = None if path is None else Path(path)
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.max_frames = max_frames
        self.subtype = subtype
        self.sink = sink
        self.frames = 0
        self.filled_frames = 0
        self.error: BaseException | None = None
        self.full = threading.Event()  # set once max_frames are written

    def _emit(self, fh, data: np.ndarray) -> bool:
        """Write ``data``; returns False once ``max_frames`` is reached."""
        if self.max_frames is not None:
            room = self.max_frames - self.frames
            if room <= 0:
                return False
            data = data[:room]
        if data.size:
            if fh is not None:
                fh.write(data)  # as captured: int16 blocks go to PCM_16 bit for bit
            if self.sink is not None:
                self.sink(self._to_float(data))
            self.frames += len(data)
        if self.max_frames is not None and self.frames >= self.max_frames:
            self.full.set()
            return False
        return True

    def _to_float(self, block: np.ndarray) -> np.ndarray:
        b = np.asarray(block)
        if b.ndim == 1:
            b = b[:, None]
        if np.issubdtype(b.dtype, np.integer):
            b = b.astype(np.float32) / float(np.iinfo(b.dtype).max + 1)
        return b.astype(np.float32, copy=False)

    def run(self) -> None:
        fh = None
        try:
            if self.path is not None:
                import soundfile as sf

                self.path.parent.mkdir(parents=True, exist_ok=True)
                fh = sf.SoundFile(self.path, "w", samplerate=self.sample_rate,
                                  channels=self.channels, subtype=self.subtype)
            accepting = True
            while True:
                gap, block = self.blocks.get()
                if gap and accepting:
                    self.filled_frames += gap
                    accepting = self._emit(fh, np.zeros((gap, self.channels), dtype=np.float32))
                if block is None:
                    break
                if accepting:
                    accepting = self._emit(fh, block if block.ndim == 2 else block[:, None])
        except BaseException as e:  # reported by result(); the recording thread must not die silently
            self.error = e
            logger.error("writer failed: %s", e)
            self._drain()
        finally:
            if fh is not None:
                fh.close()

    def _drain(self) -> None:
        while True:
            try:
                if self.blocks.get(timeout=1.0)[1] is None:
                    return
            except queue.Empty:
                return

    def result(self) -> WriterResult:
        return WriterResult(self.path, self.frames, self.sample_rate, self.channels, self.filled_frames)
