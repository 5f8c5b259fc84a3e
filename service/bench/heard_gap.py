"""The gap the trainee hears, measured from the session recording, and false starts on paused replies.

``python -m service.bench.practice --heard-gap [--turns 12] [--out benchmarks/results/practice-heard-gap.json]``

* **Heard gap** (terminal loop): the live loop (:func:`audio.devices.practice.run_conversation`) runs in
  real time with a simulated trainee on a :class:`audio.devices.file_mic.FileMicrophone` who says a
  Piper reply 0.6 s after each client line. From the session it records, for every line that
  answers a reply: the last voiced frame of the trainee's channel before the line → the first voiced
  frame of the client's channel in it (20 ms frames above the channel's voice threshold,
  :func:`heard_gaps`). Median and 90th percentile, for each set-up (``timer``: today's 0.5 s silence
  timer and 30 s Whisper window; ``cues``: the end-of-turn cues and the fitted window), on an idle
  machine and with the other core kept busy by a spinning process, in one run.
* **False starts**: the same replies with a pause put inside the sentence (0.3, 0.45 and 0.6 s at a
  third and two thirds of the words); a false start is a turn that the loop ends in the pause.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from analysis.cues.reply import classify_reply
from audio.decode import decode
from audio.devices.endpoint import EndpointOptions
from audio.devices.file_mic import FileMicrophone, SilentPlayer
from audio.devices.practice import PracticeOptions, run_conversation
from audio.devices.practice_session import PracticeSession
from audio.devices.record import Recorder
from audio.devices.turn_taking import NextLine, ReplyListener, TurnTakingOptions, make_transcriber, split_replies

__all__ = ["SETUPS", "false_starts", "gaps_in_channels", "heard_gaps", "paused_replies", "run_heard_gap"]

ROOT = Path(__file__).resolve().parents[2]
SR = 16000
SETUPS = {
    "timer": {"options": TurnTakingOptions(turn_end_cues=False, speculate_after_s=0.1), "short_window": False},
    "cues": {"options": TurnTakingOptions(turn_end_cues=True, speculate_after_s=0.08), "short_window": True},
}


def _voiced(x: np.ndarray, frame: int, threshold_db: float = -45.0, margin_db: float = 12.0) -> np.ndarray:
    n = x.size // frame
    levels = 10 * np.log10(np.mean(np.asarray(x[: n * frame], np.float64).reshape(n, frame) ** 2, axis=1) + 1e-12)
    return levels > max(threshold_db, float(np.percentile(levels, 10)) + margin_db)


def heard_gaps(session: PracticeSession, frame_s: float = 0.02) -> list[float]:
    """For each client line after the first: its first voiced frame on the client channel minus the
    trainee's last voiced frame before it (s). Lines the trainee talked into are left out."""
    windows = [(line.placed_at, line.audio_end or line.end) for line in session.lines[1:]]
    return gaps_in_channels(session.helper, session.client, session.sample_rate, windows, frame_s)


def gaps_in_channels(helper_audio: np.ndarray, client_audio: np.ndarray, sample_rate: int,
                     windows: list[tuple[float, float]], frame_s: float = 0.02) -> list[float]:
    """:func:`heard_gaps` on two channels, each client answer looked for in its ``(from, to)`` window (s)."""
    frame = int(frame_s * sample_rate)
    helper, client = _voiced(helper_audio, frame), _voiced(client_audio, frame)
    gaps = []
    for w0, w1 in windows:
        a = int(w0 / frame_s)
        b = int(w1 / frame_s) + 1
        on = np.flatnonzero(client[a:b])
        if on.size == 0:
            continue
        first = a + int(on[0])
        before = np.flatnonzero(helper[:first])
        if before.size == 0 or helper[first]:
            continue
        gaps.append(round((first - (before[-1] + 1)) * frame_s, 3))
    return gaps


class _CyclingChooser:
    """Every voiced scenario line in turn; each reply is read by the cue model (the decision's cost)."""

    def __init__(self, n: int):
        from service.practice.scenarios import load_scenarios

        lines = [x for s in load_scenarios() for x in s.all_lines if x.audio is not None]
        self.lines = [(x.text, decode(x.audio).mono) for x in lines]
        self.n, self.k = n, 0
        self._read: dict[str, Any] = {}

    def prepare(self, text: str) -> None:
        self._read[text] = classify_reply(text, self.lines[(self.k - 1) % len(self.lines)][0])

    def __call__(self, text):
        if text is not None and self._read.pop(text, None) is None:
            classify_reply(text, self.lines[(self.k - 1) % len(self.lines)][0])
        self._read.clear()
        text_k, audio = self.lines[self.k % len(self.lines)]
        self.k += 1
        return NextLine(f"line-{self.k}", text_k, audio, "after your reply", ends_after_reply=self.k == self.n)


class _ReactiveTrainee:
    """Says reply k ``delay_s`` after client line k ends (a trainee who waits for her turn)."""

    def __init__(self, replies: list[np.ndarray], delay_s: float = 0.6):
        self.replies, self.delay = replies, delay_s
        self.placed: list[tuple[int, np.ndarray]] = []

    def on_event(self, kind: str, payload) -> None:
        if kind == "line" and payload.index < len(self.replies):
            self.placed.append((int(round((payload.end + self.delay) * SR)), self.replies[payload.index]))

    def source(self, first: int, n: int) -> np.ndarray:
        out = (1e-4 * np.random.default_rng(first).standard_normal(n)).astype(np.float32)
        for s0, clip in list(self.placed):
            a, b = max(first, s0), min(first + n, s0 + clip.size)
            if a < b:
                out[a - first: b - first] += clip[a - s0: b - s0]
        return out


def _live_run(setup: dict, transcribers, replies: list[np.ndarray]) -> dict[str, Any]:
    options: TurnTakingOptions = setup["options"]
    chooser = _CyclingChooser(len(replies))
    trainee = _ReactiveTrainee(replies)

    def make(sink):
        return Recorder(None, sink=sink, samplerate=SR,
                        stream_factory=functools.partial(FileMicrophone, source=trainee.source))

    quick, full = transcribers
    load0 = os.getloadavg()[0]
    result = run_conversation(chooser, quick, make, SilentPlayer(), turn_options=options,
                              options=PracticeOptions(endpoint=options.endpoint, echo_cancel=False),
                              full_transcribe=full, on_event=trainee.on_event,
                              prepare=chooser.prepare if options.turn_end_cues else None)
    gaps = heard_gaps(result.session)
    return {"gaps_s": gaps, "median_s": round(float(np.median(gaps)), 3),
            "p90_s": round(float(np.percentile(gaps, 90)), 3),
            "loop_latency_median_s": round(float(np.median(result.latencies)), 3),
            "turn_end": [p.get("turn_end") for p in result.processing],
            "transcript_wait_median_s": round(float(np.median([p["transcript_wait_s"] for p in result.processing])), 3),
            "load_average_1min": [round(load0, 2), round(os.getloadavg()[0], 2)]}


def paused_replies(replies: list[np.ndarray], word_times: list[list[tuple[float, float]]],
                   pauses_s=(0.3, 0.45, 0.6)) -> list[tuple[np.ndarray, float]]:
    """Each reply with a pause put between two words (at a third and two thirds of its words), cut at
    the quietest 10 ms near the boundary. Returns ``(clip, where the pause starts in it, s)``."""
    out = []
    for clip, words in zip(replies, word_times):
        if len(words) < 4:
            continue
        for frac in (1 / 3, 2 / 3):
            i = max(1, min(len(words) - 2, int(round(len(words) * frac)) - 1))
            t = 0.5 * (words[i][1] + words[i + 1][0])
            lo, hi = int((t - 0.06) * SR), int((t + 0.06) * SR)
            seg = clip[lo:hi]
            k = np.argmin([np.mean(seg[j:j + 160] ** 2) for j in range(0, max(1, seg.size - 160), 40)])
            cut = lo + int(k) * 40 + 80
            for p in pauses_s:
                quiet = (1e-4 * np.random.default_rng(cut).standard_normal(int(p * SR))).astype(np.float32)
                out.append((np.concatenate([clip[:cut], quiet, clip[cut:]]), cut / SR))
    return out


def false_starts(setup: dict, quick, cases: list[tuple[np.ndarray, float]]) -> dict[str, Any]:
    """How many paused replies the listener ends inside the pause (virtual clock, measured passes)."""
    options: TurnTakingOptions = setup["options"]
    bad = 0
    for clip, _ in cases:
        heard = np.concatenate([np.zeros(int(0.6 * SR), np.float32), clip, np.zeros(SR, np.float32)])
        listener = ReplyListener(quick, options, SR)
        block = int(options.block_s * SR)
        for i in range(0, heard.size, block):
            if listener.feed(heard[i:i + block]):
                break
        true_end = 0.6 + clip.size / SR - 0.15
        bad += listener.det.speech_end is not None and listener.det.speech_end < true_end - 0.2
    return {"false_starts": int(bad), "cases": len(cases)}


def _spinner() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def practice_replies() -> list[np.ndarray]:
    """The bundled practice replies, one clip each: the fixing and reflective sets split at their gaps,
    then reply1-3 (16 kHz)."""
    import soundfile as sf

    data = ROOT / "tests" / "data" / "practice"
    clips: list[np.ndarray] = []
    for name in ("fixing", "reflective"):
        x, sr = sf.read(data / f"{name}-replies.flac", dtype="float32")
        clips += split_replies(x, sr)
    clips += [sf.read(data / f"reply{i}.flac", dtype="float32")[0] for i in (1, 2, 3)]
    return clips


def run_heard_gap(turns: int = 12) -> dict[str, Any]:
    """Both set-ups, idle and with the other core busy, interleaved; then the false starts."""
    import platform

    from service.bench.machine import cpu_model

    clips = practice_replies()
    replies = [clips[i % len(clips)] for i in range(turns)]
    load_start = [round(x, 2) for x in os.getloadavg()]
    transcribers = {name: make_transcriber(short_window=s["short_window"]) for name, s in SETUPS.items()}
    runs: dict[str, dict[str, Any]] = {}
    for load in ("idle", "other_core_busy"):
        spin = _spinner() if load == "other_core_busy" else None
        try:
            time.sleep(1.0 if spin else 0.0)
            for name, setup in SETUPS.items():
                runs[f"{name}/{load}"] = _live_run(setup, transcribers[name], replies)
        finally:
            if spin is not None:
                spin.terminate()
                spin.wait()
    full = transcribers["timer"][1]
    word_times = [[(w.start, w.end) for w in full(c).words] for c in clips]
    cases = paused_replies(clips, word_times)
    starts = {name: false_starts(setup, transcribers[name][0], cases) for name, setup in SETUPS.items()}
    return {
        "benchmark": "practice-heard-gap",
        "measured": "last voiced frame of the trainee's channel -> first voiced frame of the client's answer, "
                    "from the session recording (20 ms frames); live loop in real time, simulated trainee",
        "turns_per_run": turns,
        "runs": runs,
        "false_starts_on_paused_replies": starts,
        "setups": {name: {"turn_end_cues": s["options"].turn_end_cues, "silence_timeout_s": s["options"].silence_timeout_s,
                          "quick_s": s["options"].quick_s, "hold_s": s["options"].hold_s,
                          "speculate_after_s": s["options"].speculate_after_s, "short_window": s["short_window"]}
                   for name, s in SETUPS.items()},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": cpu_model(),
                    "note": "shared with other jobs; other_core_busy adds one spinning process",
                    "load_average_start": load_start, "load_average_end": [round(x, 2) for x in os.getloadavg()]},
        "endpoint_defaults": {"threshold_db": EndpointOptions().threshold_db},
    }
