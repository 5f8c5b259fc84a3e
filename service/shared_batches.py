"""A batched forward pass that a second thread can help with: parts of each call go to whichever thread is free.

:func:`service.mono_speakers.diarize_mono` runs the segmentation network in a second thread beside
the clustering diarizer; the network is the longer of the two, so when the diarizer is done its
thread :meth:`SharedBatches.help` s with the chunks not yet started. Each part is run on its own and
the parts are put back in order, so the result is the same as one call's (onnxruntime's outputs do
not depend on how the batch is cut: ``tests/service/test_shared_batches.py``).
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from analysis.errors import ParameterError

__all__ = ["SharedBatches"]

Forward = Callable[[np.ndarray], np.ndarray]


class _Call:
    """One call's input, its parts' outputs as they come, and how many parts are still running or waiting."""

    def __init__(self, x: np.ndarray, n_parts: int):
        self.x = x
        self.out: list[np.ndarray | None] = [None] * n_parts
        self.left = n_parts
        self.error: BaseException | None = None


class SharedBatches:
    """``forward`` over ``part`` rows at a time; :meth:`help` lets another thread take waiting parts.

    Parameters
    ----------
    forward : callable
        ``(batch, ...) -> (batch, ...)``, safe to call from two threads at once (an onnxruntime
        session is).
    part : int
        Rows per call of ``forward``.
    """

    def __init__(self, forward: Forward, *, part: int = 4):
        if part < 1:
            raise ParameterError(f"part={part} must be at least 1")
        self._forward, self._part = forward, part
        self._cond = threading.Condition()
        self._waiting: list[tuple[_Call, int]] = []
        self._closed = False

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``forward(x)``, run part by part by this thread and any helper."""
        n = max(1, -(-len(x) // self._part))
        call = _Call(x, n)
        with self._cond:
            self._waiting.extend((call, i) for i in range(n))
            self._cond.notify_all()
        while self._run_next():
            pass
        with self._cond:
            self._cond.wait_for(lambda: call.left == 0)
        if call.error is not None:
            raise call.error
        return call.out[0] if n == 1 else np.concatenate(call.out)

    def close(self) -> None:
        """No more calls will come: :meth:`help` returns once the parts it runs are done."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def help(self) -> None:
        """Run waiting parts until :meth:`close` is called and none is left (from a thread that is free)."""
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._waiting or self._closed)
                if not self._waiting:
                    return
            self._run_next()

    def _run_next(self) -> bool:
        with self._cond:
            if not self._waiting:
                return False
            call, i = self._waiting.pop(0)
        a = i * self._part
        try:
            out = self._forward(call.x[a: a + self._part])
        except BaseException as e:  # raised again in the calling thread
            out = None
            call.error = e
        with self._cond:
            call.out[i] = out
            call.left -= 1
            self._cond.notify_all()
        return True
