"""Benchmark of conversational practice: client response latency and stop-to-report time.

A simulated trainee (the committed Piper helper-voice replies, cycled) talks with a client whose
lines are every voiced scenario line in turn, until the session is ``--minutes`` long. The same
loop as ``listenwell practice --trainee-audio`` runs (:func:`audio.devices.turn_taking.run_file_conversation`:
end of speech, speculative tiny.en, the cue-model reading of each reply); then the report is built
from the replies' own transcripts. Prints the latency median and p90 and the stop-to-report time
(what is left after the trainee's last reply: its word-timed transcription + the analysis)::

    python -m service.bench.practice [--minutes 10] [--out benchmarks/results/practice-10min.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from analysis.cues.reply import classify_reply
from audio.decode import decode
from audio.devices.turn_taking import NextLine, TurnTakingOptions, make_transcriber, run_file_conversation
from service.bench.machine import cpu_model
from service.practice.run import finish_conversation
from service.practice.scenarios import get_scenario, load_scenarios

__all__ = ["main", "run"]

ROOT = Path(__file__).resolve().parents[2]


def run(minutes: float = 10.0, out_dir: Path | None = None) -> dict:
    """Run the simulated practice; returns the figures (seconds)."""
    import tempfile

    import soundfile as sf

    data = ROOT / "tests" / "data" / "practice"
    replies = [sf.read(data / f"reply{i}.flac", dtype="float32")[0] for i in (1, 2, 3)]
    clips = [(s, x) for s in load_scenarios() for x in s.all_lines]
    audio = [decode(x.audio).mono for _, x in clips]
    per_turn = np.mean([a.size / 16000 for a in audio]) + np.mean([r.size / 16000 for r in replies]) + 1.5
    n = int(np.ceil(minutes * 60 / per_turn)) + 1
    state = {"k": 0}

    def choose(text):
        if text is not None:
            classify_reply(text, clips[(state["k"] - 1) % len(clips)][1].text)  # the decision's cost
        k = state["k"]
        state["k"] += 1
        _, line = clips[k % len(clips)]
        return NextLine(f"line-{k}", line.text, audio[k % len(clips)], "after your reply",
                        ends_after_reply=k == n - 1)

    load_start = [round(x, 2) for x in os.getloadavg()]
    quick, full = make_transcriber()
    options = TurnTakingOptions()
    t0 = time.perf_counter()
    result = run_file_conversation([replies[i % 3] for i in range(n)], choose, quick, options,
                                   full_transcribe_fn=full, scenario_id="bench")
    loop_s = time.perf_counter() - t0
    scenario = get_scenario("relapse-shame")  # for the arc sentence only
    folder = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="lw-bench-practice-"))
    done = finish_conversation(result, scenario, folder)
    lat = np.asarray(result.latencies)
    after_last = result.last_reply_cost.get("transcript_wait_s", 0.0) + \
        result.last_reply_cost.get("full_transcript_s", 0.0)
    return {
        "benchmark": "practice",
        "session_s": round(result.session.duration, 1),
        "replies": len(result.reply_texts),
        "latency_median_s": round(float(np.median(lat)), 3),
        "latency_p90_s": round(float(np.percentile(lat, 90)), 3),
        "latency_max_s": round(float(lat.max()), 3),
        "latency_parts_median_s": {
            key: round(float(np.median([p[key] for p in result.processing])), 3)
            for key in ("endpoint_s", "transcript_wait_s", "choose_s")
        } if result.processing else {},
        "stop_to_report_s": round(options.silence_timeout_s + after_last + done["stop_to_report_s"], 3),
        "stop_to_report_parts_s": {"end_of_speech": options.silence_timeout_s,
                                   "last_reply_transcripts": round(after_last, 3),
                                   "analysis_and_report": round(done["stop_to_report_s"], 3)},
        "stop_to_all_files_s": round(options.silence_timeout_s + after_last + done["times"]["all_files_s"], 3),
        "loop_wall_s": round(loop_s, 1),
        "index": done["report"].index if done["report"] else None,
        "options": {"silence_timeout_s": options.silence_timeout_s, "speculate_after_s": options.speculate_after_s,
                    "model": "tiny.en"},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": cpu_model(),
                    "note": "shared with other jobs; see the load averages",
                    "load_average_start": load_start,
                    "load_average_end": [round(x, 2) for x in os.getloadavg()]},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--heard-gap", action="store_true",
                        help="measure the gap the trainee hears (live loop, idle and other core busy) and false "
                             "starts on paused replies (service.bench.heard_gap)")
    parser.add_argument("--turns", type=int, default=12, help="replies per heard-gap run")
    args = parser.parse_args(argv)
    if args.heard_gap:
        return _heard_gap_main(args)
    res = run(args.minutes)
    print(f"simulated practice: {res['session_s'] / 60:.1f} min, {res['replies']} replies")
    print(f"client response latency: median {res['latency_median_s']:.2f} s, p90 {res['latency_p90_s']:.2f} s "
          f"(target: median <= 1.0 s); median parts {res['latency_parts_median_s']}")
    print(f"stop to report: {res['stop_to_report_s']:.2f} s (target <= 5 s): {res['stop_to_report_parts_s']}; "
          f"all files (WAVs, report.html) {res['stop_to_all_files_s']:.2f} s")
    return _machine_and_out(res, args.out)


def _heard_gap_main(args) -> int:
    from service.bench.heard_gap import run_heard_gap

    res = run_heard_gap(args.turns)
    for key, r in res["runs"].items():
        print(f"{key:24s} heard gap median {r['median_s']:.2f} s, p90 {r['p90_s']:.2f} s "
              f"(n={len(r['gaps_s'])}, load {r['load_average_1min']})")
    for name, f in res["false_starts_on_paused_replies"].items():
        print(f"{name:24s} false starts on paused replies: {f['false_starts']} of {f['cases']}")
    return _machine_and_out(res, args.out)


def _machine_and_out(res: dict, out: Path | None) -> int:
    """Print the machine line and write the figures to ``out`` (when given)."""
    print(f"machine: {res['machine']['cpus']} cores, load average at start {res['machine']['load_average_start']}, "
          f"at end {res['machine']['load_average_end']}")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
