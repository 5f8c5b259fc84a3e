"""A recording as a microphone: its samples reach the recorder in order, at the pace of a sound card."""

from __future__ import annotations

import functools
import time

import numpy as np

from audio.devices.file_mic import FileMicrophone, SilentPlayer, array_source
from audio.devices.record import Recorder

SR = 16000


def test_file_microphone_delivers_the_file_in_real_time():
    audio = (0.1 * np.sin(np.arange(SR) * 0.05)).astype(np.float32)  # 1 s
    got = []
    rec = Recorder(None, sink=got.append, samplerate=SR,
                   stream_factory=functools.partial(FileMicrophone, source=array_source(audio)))
    t0 = time.monotonic()
    rec.start()
    while rec.writer.frames < int(0.6 * SR):
        time.sleep(0.005)
    elapsed = time.monotonic() - t0
    rec.stop()
    x = np.concatenate([b.reshape(-1) for b in got])
    assert elapsed >= 0.58  # not faster than real time
    n = min(x.size, audio.size)
    assert np.allclose(x[:n], audio[:n], atol=1 / 16384)  # int16 on the way, in order
    if x.size > audio.size:
        assert not np.any(x[audio.size:])  # silence after the end


def test_silent_player_counts():
    p = SilentPlayer()
    assert p.start(np.zeros(10, np.float32), SR) == 0.0
    p.stop()
    assert (p.started, p.stops) == (1, 1)
