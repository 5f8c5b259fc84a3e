"""Issue 20, speed margin: mono speaker + timing time of two code trees against transcription, interleaved in one run.

Usage: .venv/bin/python scripts/experiments/speaker_speed_ab.py ../shared/data --tree old=/tmp/old --tree new=.
       [--repeats 3] [--out FILE]

Each ``--tree NAME=PATH`` is a checkout of ListenWell (e.g. ``git archive COMMIT | tar -x -C /tmp/old``);
one worker process per tree imports that tree's code (first on ``sys.path``) and waits. The audio
and steps are those of ``campp_speed.py`` and ``listenwell eval diarization DATA --speed-only``: the
two dialogues joined to 10 minutes, one Silero pass counted under transcription (run here, with
this checkout's code). Each repeat times transcription, then each tree's ``diarize_mono`` + turns,
roles and timing (speech intervals from the shared pass included), one tree after the other in
alternating order, only one process working at a time. A worker also returns its speaker regions,
so the run says whether the trees' outputs are identical, and the CPU time its process used (all
threads; less sensitive to other jobs than the wall time). The fastest of each over the repeats is
kept; ratios are to the fastest transcription. Load averages are written before and after every
repeat.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]


def _worker(root: str, data: str, seconds: float, conn) -> None:
    """One tree's speaker + timing stage, run on each request; answers (seconds, regions' digest, info)."""
    sys.path.insert(0, root)
    from audio.vad import speech_intervals, speech_probabilities
    from service.bench.speakers import _speaker_chain, load_bench_audio
    from service.mono_speakers import diarize_mono

    mono, _, sr = load_bench_audio(Path(data) / "dialogue", seconds)
    probs = speech_probabilities(mono, workers=1)
    warm = mono[: 20 * sr]
    _speaker_chain(diarize_mono(warm, sr, speech=speech_intervals(warm, sr)), ())
    conn.send("ready")
    words = ()
    while True:
        msg = conn.recv()
        if msg is None:
            return
        if msg[0] == "words":
            words = msg[1]
            continue
        t0, c0 = time.perf_counter(), time.process_time()
        act = diarize_mono(mono, sr, speech=speech_intervals(mono, sr, speech_probs=probs))
        _speaker_chain(act, words)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        regions = [(round(r.start, 4), round(r.end, 4), r.speaker) for r in act.regions]
        conn.send((dt, hashlib.sha1(json.dumps(regions).encode()).hexdigest()[:12],
                   {"cpu_seconds": round(cpu, 3), "path": act.info.get("path"),
                    "voice_encoder": act.info.get("voice_encoder"), "regions": len(regions)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--tree", action="append", required=True, help="NAME=PATH of a ListenWell checkout")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/speaker-speed-issue20-margin.json"))
    ap.add_argument("--note", default="", help="what the trees are (e.g. their commits), kept in the output")
    args = ap.parse_args()
    trees = dict(t.split("=", 1) for t in args.tree)
    sys.path.insert(0, str(HERE))
    from audio.transcribe import TranscribeOptions, load_model
    from service.bench.speakers import interleaved_figures, load_average, load_bench_audio, timed_transcription
    from service.eval.nested import machine_description

    ctx = mp.get_context("spawn")
    workers = {}
    for name, root in trees.items():
        here, there = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(str(Path(root).resolve()), str(args.data.resolve()), args.seconds,
                                                 there), daemon=True)
        proc.start()
        workers[name] = (proc, here)
    for proc, conn in workers.values():
        assert conn.recv() == "ready"
    mono, _, sr = load_bench_audio(args.data / "dialogue", args.seconds)
    options = TranscribeOptions()
    load_model(options)
    runs, digests = [], {}
    for r in range(args.repeats):
        row = {"load_before": load_average()}
        words, _, row["transcription"] = timed_transcription(mono, options)
        order = list(trees) if r % 2 == 0 else list(trees)[::-1]
        for name in order:
            conn = workers[name][1]
            if r == 0:
                conn.send(("words", list(words)))
            conn.send(("run",))
            row[name], digest, info = conn.recv()
            digests.setdefault(name, set()).add(digest)
            row[name + "_info"] = info
        row["load_after"] = load_average()
        runs.append({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
        print(json.dumps(runs[-1]), flush=True)
    for proc, conn in workers.values():
        conn.send(None)
        proc.join(10)
    result = {
        "what": "issue 20, speed margin: mono speaker + timing seconds (segmentation path, CAM++ voiceprints; VAD "
                "shared, counted under transcription) of each code tree, interleaved in one run; fastest of the "
                "repeats; ratio to transcription",
        "trees": trees,
        "note": args.note,
        "machine": machine_description(),
        "audio_seconds": round(mono.size / sr, 1),
        "repeats": runs,
        **interleaved_figures(runs, list(trees)),
        "regions_digest": {k: sorted(v) for k, v in digests.items()},
        "same_regions": len({d for v in digests.values() for d in v}) == 1,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"ratio": result["ratio_to_transcription"], "same_regions": result["same_regions"]}))


if __name__ == "__main__":
    main()
