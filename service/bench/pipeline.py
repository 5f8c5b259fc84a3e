"""Time the whole analysis pipeline, stage by stage, on a 10-minute two-speaker recording.

Usage::

    .venv/bin/python -m service.bench.pipeline ../shared/data/dialogue [--minutes 10] [--setup stereo|mono]
        [--model tiny.en] [--json benchmarks/results/pipeline.json]

The recording is built from the dialogue folder's voiced AnnoMI sessions
(``*.stereo.flac``, helper left, client right), joined end to end and cut to
``--minutes``. Prints wall-clock and CPU seconds per stage (CPU time is less
disturbed by other processes on a shared machine) and the real-time factor.
Target: the whole pipeline under 40 s for 10 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from analysis.errors import NotFoundError
from audio.decode import decode, decode_array
from audio.transcribe import TranscribeOptions, load_model
from service.bench.memory import peak_rss_mb
from service.pipeline import AnalysisSettings, analyze_audio

__all__ = ["build_recording", "run_benchmark", "main"]

TARGET_S = 40.0


def build_recording(data_dir: str | Path, minutes: float, setup: str):
    """Concatenate the dialogue folder's stereo sessions into one ``minutes``-long DecodedAudio."""
    files = sorted(Path(data_dir).glob("*.stereo.flac"))
    if not files:
        raise NotFoundError(f"no *.stereo.flac files in {data_dir}")
    need = int(minutes * 60 * 16000)
    parts, have = [], 0
    while have < need:
        for f in files:
            ch = decode(f).channels
            parts.append(ch)
            have += ch.shape[1]
            if have >= need:
                break
    stereo = np.concatenate(parts, axis=1)[:, :need]
    samples = stereo if setup == "stereo" else stereo.mean(axis=0)
    return decode_array(samples, 16000, source=f"{len(files)} dialogue file(s), {minutes:g} min, {setup}")


class _StageClock:
    """Wall and CPU time per stage from the pipeline's progress(stage, fraction) calls."""

    def __init__(self):
        self.current: str | None = None
        self.t0 = self.c0 = 0.0
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def __call__(self, stage: str, fraction: float) -> None:
        if stage != self.current:
            self._close()
            self.current, self.t0, self.c0 = stage, time.perf_counter(), time.process_time()
        if fraction >= 1.0:
            self._close()

    def _close(self) -> None:
        if self.current is not None:
            self.wall[self.current] = self.wall.get(self.current, 0.0) + time.perf_counter() - self.t0
            self.cpu[self.current] = self.cpu.get(self.current, 0.0) + time.process_time() - self.c0
            self.current = None


def run_benchmark(data_dir: str | Path, minutes: float = 10.0, setup: str = "stereo",
                  model: str | None = None) -> dict[str, Any]:
    """Build the recording, load the model once, then time one full pipeline run."""
    t0 = time.perf_counter()
    decoded = build_recording(data_dir, minutes, setup)
    build_s = time.perf_counter() - t0
    options = TranscribeOptions(model=model) if model else TranscribeOptions()
    t0 = time.perf_counter()
    load_model(options)
    load_s = time.perf_counter() - t0
    settings = AnalysisSettings(setup=setup, transcribe=options, helper_channel=0 if setup == "stereo" else None)
    clock = _StageClock()
    w0, c0 = time.perf_counter(), time.process_time()
    report = analyze_audio(decoded, settings, progress=clock)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {
        "audio_s": round(decoded.duration, 1),
        "setup": setup,
        "model": options.model,
        "build_recording_s": round(build_s, 2),
        "model_load_s": round(load_s, 2),
        "stages_wall_s": {k: round(v, 2) for k, v in clock.wall.items()},
        "stages_cpu_s": {k: round(v, 2) for k, v in clock.cpu.items()},
        "total_wall_s": round(wall, 2),
        "total_cpu_s": round(cpu, 2),
        "realtime_factor": round(decoded.duration / wall, 1) if wall > 0 else None,
        "target_s": TARGET_S,
        "met": wall < TARGET_S,
        "index": report.index,
        "turns": len(report.turns),
        "notes": list(report.notes),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "machine": platform.platform(),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description="Time the analysis pipeline per stage.")
    ap.add_argument("data_dir", help="folder with *.stereo.flac two-speaker recordings (../shared/data/dialogue)")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--setup", choices=["stereo", "mono"], default="stereo")
    ap.add_argument("--model", default=None, help="Whisper model (default: the shipped tiny.en)")
    ap.add_argument("--json", dest="json_out", default=None)
    args = ap.parse_args(argv)
    res = run_benchmark(args.data_dir, args.minutes, args.setup, args.model)
    print(f"{res['audio_s']:.0f} s of {res['setup']} audio, model {res['model']}, "
          f"load average {res['load_average']} on {res['cpus']} CPUs")
    print(f"model load (once per process): {res['model_load_s']:.2f} s")
    print(f"{'stage':<12}{'wall s':>9}{'cpu s':>9}")
    for stage, wall in res["stages_wall_s"].items():
        print(f"{stage:<12}{wall:>9.2f}{res['stages_cpu_s'].get(stage, 0.0):>9.2f}")
    print(f"{'total':<12}{res['total_wall_s']:>9.2f}{res['total_cpu_s']:>9.2f}   "
          f"({res['realtime_factor']}x real time; target < {TARGET_S:.0f} s: {'met' if res['met'] else 'MISSED'})")
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return res


if __name__ == "__main__":
    main(sys.argv[1:])
