"""The callback -> queue -> writer path with synthetic blocks, and the typed device errors."""

from __future__ import annotations

import functools
import threading
import time

import numpy as np
import pytest
import soundfile as sf
from tests.practice_fakes import FakeInputStream

from analysis.errors import (
    DeviceBusyError,
    ListenWellError,
    NoInputDeviceError,
    ParameterError,
    RecordingError,
)
from audio.devices.blockwriter import (
    BlockQueue,
    BlockWriter,
    block_level_db,
    block_peak,
)
from audio.devices.record import Recorder, choose_input_device, list_input_devices
from audio.devices.sound import wrap_portaudio_error

SR = 16000


def _ramp_source(first: int, n: int) -> np.ndarray:
    """A deterministic signal whose every sample says where it is (period 1000 frames)."""
    idx = np.arange(first, first + n)
    return ((idx % 1000) - 500).astype(np.float32) / 1024.0


def _blocks(rng, n_blocks: int, size: int) -> list[np.ndarray]:
    return [rng.integers(-20000, 20000, size=(size, 1)).astype(np.int16) for _ in range(n_blocks)]


def test_writer_keeps_every_int16_sample_bit_exact(tmp_path, rng):
    blocks = _blocks(rng, 7, 333)
    q = BlockQueue()
    w = BlockWriter(q, tmp_path / "out.wav", SR)
    w.start()
    for b in blocks:
        assert q.put(b)
    q.close()
    w.join(5)
    data, sr = sf.read(tmp_path / "out.wav", dtype="int16")
    assert sr == SR and w.result().frames == 7 * 333
    np.testing.assert_array_equal(data, np.concatenate(blocks)[:, 0])


def test_writer_stops_mid_block_at_exactly_max_frames(tmp_path, rng):
    blocks = _blocks(rng, 5, 1000)
    q = BlockQueue()
    seen = []
    w = BlockWriter(q, tmp_path / "cut.wav", SR, max_frames=2500, sink=seen.append)
    w.start()
    for b in blocks:
        q.put(b)
    assert w.full.wait(5)
    q.close()
    w.join(5)
    data, _ = sf.read(tmp_path / "cut.wav", dtype="int16")
    assert data.shape == (2500,)
    np.testing.assert_array_equal(data, np.concatenate(blocks)[:2500, 0])
    # the sink got the same frames, as float32 in [-1, 1)
    sink = np.concatenate(seen)[:, 0]
    np.testing.assert_allclose(sink, data / 32768.0, atol=1e-7)


def test_full_queue_drops_are_counted_and_filled_with_silence(tmp_path):
    q = BlockQueue(max_blocks=2)
    ones = [np.full((100, 1), k + 1, dtype=np.int16) for k in range(6)]
    accepted = [q.put(b) for b in ones[:5]]  # no writer yet: blocks 3..5 find the queue full
    assert accepted == [True, True, False, False, False]
    assert (q.dropped_blocks, q.dropped_frames) == (3, 300)
    w = BlockWriter(q, tmp_path / "gap.wav", SR)
    w.start()
    deadline = time.monotonic() + 5
    while len(q) and time.monotonic() < deadline:  # let the writer drain the queue
        time.sleep(0.005)
    assert q.put(ones[5])  # the next accepted block carries the 300-frame gap
    q.close()
    w.join(5)
    data, _ = sf.read(tmp_path / "gap.wav", dtype="int16")
    expected = np.concatenate([np.full(100, 1), np.full(100, 2), np.zeros(300), np.full(100, 6)])
    np.testing.assert_array_equal(data, expected)
    assert w.result().filled_frames == 300


def test_levels_of_known_signals():
    assert block_level_db(np.zeros((160, 1), dtype=np.float32)) == -120.0
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / SR)).astype(np.float32)
    assert block_level_db(tone) == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.01)
    assert block_peak(np.array([[-16384], [100]], dtype=np.int16)) == pytest.approx(0.5)


def _recorder(path, **kw):
    src = kw.pop("source", _ramp_source)
    fake = functools.partial(FakeInputStream, source=src, speed=kw.pop("speed", 50.0),
                             overflow_blocks=kw.pop("overflow_blocks", frozenset()))
    return Recorder(path, stream_factory=fake, samplerate=SR, **kw)


def test_recorder_duration_writes_exactly_the_source(tmp_path):
    rec = _recorder(tmp_path / "r.wav", duration=0.55)
    rec.start()
    rec.wait()
    res = rec.stop()
    data, _ = sf.read(tmp_path / "r.wav", dtype="int16")
    assert res.frames == 8800 and data.shape == (8800,) and res.lossless
    expected = np.round(_ramp_source(0, 8800) * 32768).astype(np.int16)
    np.testing.assert_array_equal(data, expected)


def test_recorder_counts_overflows_and_keeps_the_timeline(tmp_path):
    statuses = []
    rec = _recorder(tmp_path / "o.wav", duration=0.4, overflow_blocks=frozenset({2, 5}))
    rec.start()
    rec.wait(on_status=statuses.append, interval=0.01)
    res = rec.stop()
    assert res.overflows == 2 and not res.lossless
    assert statuses and statuses[-1].overflows == 2
    assert sf.info(tmp_path / "o.wav").frames == 6400


def test_recorder_stop_event_loses_nothing(tmp_path):
    stop = threading.Event()
    rec = _recorder(tmp_path / "s.wav", speed=5.0)
    rec.start()
    threading.Timer(0.15, stop.set).start()
    rec.wait(stop)
    res = rec.stop()
    data, _ = sf.read(tmp_path / "s.wav", dtype="int16")
    assert res.frames == rec.captured == data.size > 0
    np.testing.assert_array_equal(data, np.round(_ramp_source(0, data.size) * 32768).astype(np.int16))


def test_recorder_start_failure_is_typed_and_does_not_hang(tmp_path):
    def busy(**kw):
        raise OSError("Error opening InputStream: Device unavailable [PaErrorCode -9985]")

    rec = Recorder(tmp_path / "b.wav", stream_factory=busy, samplerate=SR)
    with pytest.raises(DeviceBusyError) as e:
        rec.start()
    assert e.value.exit_code == 53 and "busy" in e.value.message
    assert not rec.writer.is_alive()


@pytest.mark.parametrize("message, kind", [
    ("Error opening InputStream: Device unavailable [PaErrorCode -9985]", DeviceBusyError),
    ("Error querying device -1", NoInputDeviceError),
    ("Invalid sample rate [PaErrorCode -9997]", RecordingError),
])
def test_portaudio_errors_map_to_typed_errors(message, kind):
    err = wrap_portaudio_error(Exception(message), "#3 'USB mic'")
    assert type(err) is kind and isinstance(err, ListenWellError)
    assert "#3 'USB mic'" in err.message


class _FakeSd:
    """Just enough of the sounddevice module for device listing."""

    def __init__(self, devices, default_in=-1):
        self._devices = devices
        self.default = type("D", (), {"device": [default_in, -1]})()

    def query_devices(self):
        return [dict(d, index=i) for i, d in enumerate(self._devices)]

    def query_hostapis(self):
        return ({"name": "ALSA"},)


def _dev(name, ins):
    return {"name": name, "max_input_channels": ins, "hostapi": 0, "default_samplerate": 48000.0}


def test_device_choice_by_default_index_and_name():
    sd = _FakeSd([_dev("HDMI out", 0), _dev("Built-in Mic", 2), _dev("USB Headset Mic", 1)], default_in=1)
    assert [d.index for d in list_input_devices(sd)] == [1, 2]
    assert choose_input_device(None, sd).name == "Built-in Mic"
    assert choose_input_device("2", sd).name == "USB Headset Mic"
    assert choose_input_device("usb", sd).index == 2
    with pytest.raises(ParameterError, match="several devices"):
        choose_input_device("mic", sd)
    with pytest.raises(NoInputDeviceError, match="no input device #0"):
        choose_input_device(0, sd)


def test_no_input_device_is_a_clear_error():
    with pytest.raises(NoInputDeviceError) as e:
        choose_input_device(None, _FakeSd([_dev("HDMI out", 0)]))
    assert e.value.exit_code == 52 and "plug in a microphone" in e.value.message


class _FakeOutput:
    """An output stream that only takes 48 kHz and drains its callback at once."""

    opened: list[int] = []

    def __init__(self, *, device, channels, samplerate, dtype, callback):
        if samplerate != 48000:
            raise OSError("Error opening OutputStream: Invalid sample rate [PaErrorCode -9997]")
        _FakeOutput.opened.append(samplerate)
        self.callback, self.latency, self.played = callback, 0.012, []

    def start(self):
        buf = np.zeros((480, 2), dtype=np.float32)
        for _ in range(200):
            self.callback(buf, 480, None, None)
            self.played.append(buf[:, 0].copy())

    def stop(self):
        pass

    def close(self):
        pass


def test_player_falls_back_to_48k_and_plays_every_sample():
    from audio.devices.playback import Player

    player = Player(stream_factory=_FakeOutput)
    tone = (0.3 * np.sin(2 * np.pi * 300 * np.arange(SR) / SR)).astype(np.float32)
    assert player.start(tone, SR) == pytest.approx(0.012)
    assert player.wait(1.0) and not player.playing
    played = np.concatenate(player._stream.played)
    assert _FakeOutput.opened[-1] == 48000
    # one second at 48 kHz, then silence; the level is that of the tone
    assert np.all(played[48000 + 64:] == 0.0)
    assert block_level_db(played[:48000]) == pytest.approx(block_level_db(tone), abs=0.1)
    player.stop()


def test_enter_stops_the_recording_and_q_quits(tmp_path):
    import os

    from service.cli.capture import KeyListener, _meter

    r, w = os.pipe()
    with os.fdopen(r) as rd, os.fdopen(w, "w") as wr:
        keys = KeyListener(rd).start()
        rec = _recorder(tmp_path / "k.wav", speed=5.0)
        rec.start()
        threading.Timer(0.2, lambda: (wr.write("\n"), wr.flush())).start()
        rec.wait(keys.enter)
        res = rec.stop()
        assert keys.enter.is_set() and not keys.quit.is_set()
        assert 0 < res.frames < 3 * SR  # stopped by Enter (0.2 s wall at 5x), not by running on
        wr.write("q\n")
        wr.flush()
        assert keys.quit.wait(2)
    status = rec.status()
    line = _meter(type(status)(elapsed=72.44, level_db=-30.0, peak=0.1, overflows=0, dropped_blocks=0))
    assert "01:12.4" in line and "#" * 15 + "-" * 15 in line and "-30.0 dBFS" in line
    line = _meter(type(status)(elapsed=1.0, level_db=-90.0, peak=0.0, overflows=2, dropped_blocks=1))
    assert "-" * 30 in line and "overflows: 3" in line
