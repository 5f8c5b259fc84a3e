"""Issue 20, CAM++ voiceprints: mono speaker + timing time against transcription, per voice encoder, interleaved.

Usage: .venv/bin/python scripts/experiments/campp_speed.py ../shared/data [--repeats 3] [--out FILE]

Same audio and steps as ``listenwell eval diarization DATA --speed-only`` (the two dialogues joined
to 10 minutes, one shared Silero pass counted under transcription); each repeat times, one after the
other: transcription, then the shipped mono path (``diarize_mono``: segmentation network in a second
thread beside the clustering diarizer) with CAM++ voiceprints (32 windows per MFCC cluster, shipped),
with CAM++ at 16 windows per cluster, and with GE2E (as before), in alternating order. The fastest of
each over the repeats is kept; ratios are to the fastest transcription. Load averages are written
before and after every repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import service.mono_speakers as mono_speakers  # noqa: E402
from analysis.speakers.diarize_options import CAMPP_RULE, DiarizeOptions  # noqa: E402
from audio.transcribe import TranscribeOptions, load_model  # noqa: E402
from audio.vad import speech_intervals  # noqa: E402
from service.bench.speakers import (_speaker_chain, interleaved_figures, load_average, load_bench_audio,  # noqa: E402
                                    timed_transcription)
from service.eval.nested import machine_description  # noqa: E402
from service.mono_speakers import diarize_mono  # noqa: E402
from service.voices import voice_embedder  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/campp-speed-issue20.json"))
    args = ap.parse_args()
    mono, _, sr = load_bench_audio(args.data / "dialogue", args.seconds)
    options = TranscribeOptions()
    load_model(options)
    os.environ["LISTENWELL_VOICE_ENCODER"] = "campp"
    campp = voice_embedder()
    os.environ["LISTENWELL_VOICE_ENCODER"] = "ge2e"
    ge2e = voice_embedder()
    del os.environ["LISTENWELL_VOICE_ENCODER"]
    variants = {  # (voice embedder, diarizer options)
        "campp_32": (campp, DiarizeOptions()),
        "campp_16": (campp, DiarizeOptions(campp=replace(CAMPP_RULE, per_cluster=16))),
        "ge2e": (ge2e, DiarizeOptions()),
    }

    def run_variant(name, x, speech):
        mono_speakers.voice_embedder = lambda: variants[name][0]
        try:
            return diarize_mono(x, sr, variants[name][1], speech=speech)
        finally:
            mono_speakers.voice_embedder = voice_embedder
    warm = mono[: 20 * sr]
    for name in variants:
        run_variant(name, warm, speech_intervals(warm, sr))
    runs = []
    for r in range(args.repeats):
        row = {"load_before": load_average()}
        words, probs, row["transcription"] = timed_transcription(mono, options)
        order = list(variants) if r % 2 == 0 else list(variants)[::-1]
        for name in order:
            t0 = time.perf_counter()
            speech = speech_intervals(mono, sr, speech_probs=probs)
            act = run_variant(name, mono, speech)
            _speaker_chain(act, words)
            row[name] = time.perf_counter() - t0
            row[name + "_encoder"] = act.info.get("voice_encoder")
        row["load_after"] = load_average()
        runs.append({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
        print(json.dumps(runs[-1]), flush=True)
    result = {
        "what": "issue 20: mono speaker + timing seconds (VAD shared, counted under transcription) per voice "
                "encoder on the shipped overlap-aware path; fastest of the interleaved repeats; ratio to transcription",
        "machine": machine_description(),
        "audio_seconds": round(mono.size / sr, 1),
        "repeats": runs,
        **interleaved_figures(runs, list(variants)),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result["ratio_to_transcription"]))


if __name__ == "__main__":
    main()
