"""Helpers for the speaker/timing tests: load the committed synthetic dialogues."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from analysis.schema import CLIENT, HELPER, SpeechRegion, Word

DIALOGUES = Path(__file__).resolve().parent / "data" / "dialogues"
NAMES = ("interruptions", "good_listener", "client_cuts_in", "one_speaker")


def load(name: str) -> tuple[np.ndarray, int, dict]:
    """(stereo (2, n) float32, sample rate, truth dict)."""
    x, sr = sf.read(DIALOGUES / f"{name}.stereo.flac", dtype="float32", always_2d=True)
    truth = json.loads((DIALOGUES / f"{name}.json").read_text(encoding="utf-8"))
    return np.ascontiguousarray(x.T), sr, truth


def mono(stereo: np.ndarray) -> np.ndarray:
    return np.clip(stereo.sum(axis=0), -1.0, 1.0)


def truth_regions(truth: dict) -> list[SpeechRegion]:
    return [SpeechRegion(t["start"], t["end"], t["speaker"]) for t in truth["turns"]]


def truth_words(truth: dict, labels: dict[str, str] | None = None) -> list[Word]:
    """Each turn's spoken words spread evenly over it, labelled like a per-channel transcript."""
    labels = labels or {HELPER: HELPER, CLIENT: CLIENT}
    out = []
    for t in truth["turns"]:
        ws = t["text_spoken"].split()
        d = (t["end"] - t["start"]) / len(ws)
        out += [Word(round(t["start"] + i * d, 3), round(t["start"] + (i + 1) * d - 0.01, 3), w,
                     speaker=labels[t["speaker"]]) for i, w in enumerate(ws)]
    return out


def events(truth: dict, kind: str, speaker: str | None = HELPER) -> list[dict]:
    return [e for e in truth["events"] if e["type"] == kind and (speaker is None or e.get("speaker") == speaker)]


def truth_latencies(truth: dict) -> list[float]:
    """Client floor end -> next helper floor start, from the truth turns (overlays skipped)."""
    floor = [t for t in truth["turns"] if not t["overlay"]]
    return [round(b["start"] - a["end"], 3) for a, b in zip(floor, floor[1:])
            if a["speaker"] == CLIENT and b["speaker"] == HELPER]
