"""A growable (channels, samples) float32 buffer, so decoding holds the audio about once.

Collecting FFmpeg's small frames in a list and concatenating them at the end
needs twice the audio's size at the peak (230 MB per hour of 16 kHz mono
float32, so 460 MB); filling an array sized from the container's header
needs it once.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SampleBuffer"]


class SampleBuffer:
    """Append (channels, n) blocks; :meth:`array` returns (channels, total) C-contiguous float32."""

    def __init__(self, n_channels: int, capacity: int):
        self._buf = np.empty((n_channels, max(1, int(capacity))), dtype=np.float32)
        self.total = 0

    def append(self, block: np.ndarray) -> None:
        n = block.shape[-1]
        if self.total + n > self._buf.shape[1]:
            grown = np.empty((self._buf.shape[0], int(1.5 * (self.total + n)) + 1), dtype=np.float32)
            grown[:, : self.total] = self._buf[:, : self.total]
            self._buf = grown
        self._buf[:, self.total : self.total + n] = block
        self.total += n

    def array(self) -> np.ndarray:
        """The samples so far, compacted in place (the spare capacity is not copied)."""
        n_ch, cap = self._buf.shape
        if self.total == cap or n_ch == 1:
            return self._buf[:, : self.total]
        flat = self._buf.reshape(-1)
        for ch in range(1, n_ch):  # move each row down to a stride of ``total``
            flat[ch * self.total : (ch + 1) * self.total] = flat[ch * cap : ch * cap + self.total]
        return flat[: n_ch * self.total].reshape(n_ch, self.total)
