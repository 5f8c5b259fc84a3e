"""Batch throughput benchmark: cohort audio hours analysed per wall-clock hour, 1 vs 2 workers.

Runs the real ``listenwell batch`` code (``service.batch.cohort.run_batch``) over every
audio file under a folder, into a fresh temporary output each time, once per
worker set-up; set-ups alternate (1, 2, 1, 2, ...) so that load from other
users of a shared machine falls on both alike. Wall time includes starting the
worker processes and loading the model, as a user sees it.

    python -m service.bench.batch ../shared/data/dialogue --workers 1,2 --repeat 1 \
        --json benchmarks/results/batch-cpu.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from audio.transcribe import TranscribeOptions
from service.batch.cohort import run_batch, usable_cores
from service.batch.manifest import discover
from service.batch.settings import build_settings

__all__ = ["run_benchmark", "main"]

logger = logging.getLogger(__name__)


def _one_run(data: Path, workers: int, cpu_threads: int, device: str, model: str) -> dict:
    """One batch over ``data`` into a fresh temporary folder; figures of that run."""
    settings = build_settings("auto", None, None, TranscribeOptions(model=model, device=device))
    with tempfile.TemporaryDirectory(prefix="listenwell-bench-batch-") as tmp:
        t0 = time.perf_counter()
        outcome = run_batch(data, Path(tmp) / "out", settings, workers=workers, cpu_threads=cpu_threads,
                            show_progress=False)
        wall = time.perf_counter() - t0
    audio_s = sum(float(r["duration_s"] or 0) for r in outcome.rows if r.get("duration_s") not in (None, ""))
    busy_s = sum(float(r["analysis_s"] or 0) for r in outcome.rows if r.get("analysis_s") not in (None, ""))
    threads = cpu_threads or max(1, usable_cores() // workers)
    return {
        "workers": workers,
        "cpu_threads_per_worker": threads,
        "files": len(outcome.rows),
        "done": outcome.done,
        "failed": outcome.failed,
        "audio_seconds": round(audio_s, 2),
        "wall_seconds": round(wall, 2),
        "analysis_seconds_sum": round(busy_s, 2),
        "overhead_seconds": round(wall - busy_s / workers, 2),
        "audio_hours_per_wall_hour": round(audio_s / wall, 2) if wall > 0 else None,
    }


def run_benchmark(data: Path, worker_counts: list[int], repeat: int = 1, cpu_threads: int = 0,
                  device: str = "cpu", model: str = "tiny.en") -> dict:
    """Alternate the worker set-ups ``repeat`` times; the median run of each set-up is its figure."""
    runs: dict[int, list[dict]] = {w: [] for w in worker_counts}
    for r in range(repeat):
        for w in worker_counts:
            result = _one_run(data, w, cpu_threads, device, model)
            logger.info("run %d, %d worker(s): %s audio h / wall h (%.0f s audio in %.1f s)", r + 1, w,
                        result["audio_hours_per_wall_hour"], result["audio_seconds"], result["wall_seconds"])
            runs[w].append(result)
    summary = {}
    for w, rs in runs.items():
        rates = [x["audio_hours_per_wall_hour"] for x in rs]
        median = statistics.median(rates)
        summary[str(w)] = {**min(rs, key=lambda x: abs(x["audio_hours_per_wall_hour"] - median)),
                           "median_audio_hours_per_wall_hour": median, "all": rates}
    import psutil

    base = summary[str(worker_counts[0])]["median_audio_hours_per_wall_hour"]
    return {
        "benchmark": "batch throughput",
        "data": str(data),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
            "platform": platform.platform(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "device": device,
        "model": model,
        "repeat": repeat,
        "results": summary,
        "speedup_vs_first": {k: round(v["median_audio_hours_per_wall_hour"] / base, 2) for k, v in summary.items()},
        "note": "wall time includes worker start-up and model loading; set-ups alternate so shared-machine "
                "load falls on both alike",
    }


def _cohort(data: Path, limit: int, tmp: Path) -> Path:
    """``data`` itself, or a folder of links to its first ``limit`` audio files."""
    if limit <= 0:
        return data

    files, _ = discover(data)
    cohort = tmp / "cohort"
    for rel in files[:limit]:
        target = cohort / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to((data / rel).resolve())
    return cohort


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="folder of audio files (searched recursively)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cpu-threads", type=int, default=0, help="threads per worker (0: cores / workers)")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N audio files (sorted)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("service", "faster_whisper", "audio", "analysis"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logger.setLevel(logging.INFO)
    if not args.data.is_dir():
        parser.error(f"{args.data} is not a folder")
    counts = [int(x) for x in args.workers.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="listenwell-bench-cohort-") as tmp:
        data = _cohort(args.data, args.limit, Path(tmp))
        result = run_benchmark(data, counts, args.repeat, args.cpu_threads, args.device, args.model)
    result["data"] = str(args.data)
    result["limit"] = args.limit
    print(f"{'workers':>8} {'threads':>8} {'audio s':>9} {'wall s':>8} {'busy s':>8} {'start-up s':>11} "
          f"{'audio h / wall h':>17} {'speed-up':>9}")
    for k, v in result["results"].items():
        print(f"{k:>8} {v['cpu_threads_per_worker']:>8} {v['audio_seconds']:>9.0f} {v['wall_seconds']:>8.1f} "
              f"{v['analysis_seconds_sum']:>8.1f} {v['overhead_seconds']:>11.1f} "
              f"{v['median_audio_hours_per_wall_hour']:>17.1f} {result['speedup_vs_first'][k]:>9.2f}")
    print("busy s: sum of per-file analysis time in the workers; start-up s: wall - busy / workers "
          "(process start, imports, model load, writing)")
    print(f"machine: {result['machine']['cpu_count']} cores, load average at end "
          f"{result['machine']['load_average_at_end']} (shared with other users while measured)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
