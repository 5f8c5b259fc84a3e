"""Issue 20: mono speaker + timing time against transcription, one row per way of running the network.

Usage: .venv/bin/python scripts/experiments/segmentation_speed.py ../shared/data [--repeats 3] [--out FILE]

Same audio and steps as ``listenwell eval diarization DATA --speed-only`` (the two dialogues joined
to 10 minutes, one shared Silero pass counted under transcription), but each repeat times, one
after the other on the same machine: transcription; the MFCC path alone; the segmentation path
with both networks (segmentation, voice encoder) in NumPy (as before issue 20's speed work), in
onnxruntime with 1 thread and with 2 threads, each after the clustering diarizer or (concurrent)
beside it in a second thread. The MFCC path uses the shipped voice encoder
(onnxruntime, default threads). The fastest of each over the repeats is kept; ratios are to the
fastest transcription. Load averages are written before and after every repeat.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from analysis.speakers.diarize import diarize  # noqa: E402
from analysis.speakers.segmentation_model import SegmentationModel  # noqa: E402
from audio.onnx_models.segmentation import OnnxSegmenter  # noqa: E402
from audio.segmentation_weights import load_segmentation_weights  # noqa: E402
from audio.transcribe import TranscribeOptions, load_model  # noqa: E402
from audio.vad import speech_intervals  # noqa: E402
from service.bench.speakers import (_speaker_chain, interleaved_figures, load_average, load_bench_audio,  # noqa: E402
                                    timed_transcription)
from service.eval.nested import machine_description  # noqa: E402
import service.mono_speakers as mono_speakers  # noqa: E402
from analysis.speakers.voice_encoder import VoiceEncoder  # noqa: E402
from audio.onnx_models.voice import OnnxVoiceNetwork  # noqa: E402
from audio.voice_weights import load_voice_weights  # noqa: E402
from service.mono_speakers import diarize_mono  # noqa: E402
from service.voices import voice_embedder  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/segmentation-speed-issue20.json"))
    args = ap.parse_args()
    mono, _, sr = load_bench_audio(args.data / "dialogue", args.seconds)
    options = TranscribeOptions()
    load_model(options)
    weights = load_segmentation_weights()
    numpy_model = SegmentationModel(weights)
    vw = load_voice_weights()
    one = (OnnxSegmenter(weights, numpy_model.filters, threads=1).forward,
           VoiceEncoder(vw, network=OnnxVoiceNetwork(vw, threads=1)).embed_segments)
    two = (OnnxSegmenter(weights, numpy_model.filters, threads=2).forward,
           VoiceEncoder(vw, network=OnnxVoiceNetwork(vw, threads=2)).embed_segments)
    variants = {  # (segmentation forward, voice embedder, network beside the clustering diarizer)
        "numpy": (numpy_model.forward, VoiceEncoder(vw).embed_segments, False),
        "onnx_1_thread": one + (False,),
        "onnx_2_threads": two + (False,),
        "onnx_1_thread_concurrent": one + (True,),
        "onnx_2_threads_concurrent": two + (True,),
    }
    embedder = voice_embedder()

    def run_variant(name, x, speech):
        mono_speakers.voice_embedder = lambda: variants[name][1]
        try:
            return diarize_mono(x, sr, speech=speech, segment=variants[name][0], concurrent=variants[name][2])
        finally:
            mono_speakers.voice_embedder = voice_embedder
    warm = mono[: 20 * sr]
    for name in variants:
        run_variant(name, warm, speech_intervals(warm, sr))
    runs = []
    for r in range(args.repeats):
        row = {"load_before": load_average()}
        words, probs, row["transcription"] = timed_transcription(mono, options)
        t0 = time.perf_counter()
        speech = speech_intervals(mono, sr, speech_probs=probs)
        _speaker_chain(diarize(mono, sr, speech=speech, voice_embedder=embedder), words)
        row["mfcc_path"] = time.perf_counter() - t0
        order = list(variants) if r % 2 == 0 else list(variants)[::-1]
        for name in order:
            t0 = time.perf_counter()
            speech = speech_intervals(mono, sr, speech_probs=probs)
            act = run_variant(name, mono, speech)
            _speaker_chain(act, words)
            row[f"segmentation_{name}"] = time.perf_counter() - t0
        row["load_after"] = load_average()
        runs.append({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
        print(json.dumps(runs[-1]), flush=True)
    keys = [k for k in runs[0] if not k.startswith("load")]
    result = {
        "what": "issue 20: mono speaker + timing seconds (VAD shared, counted under transcription) per way of "
                "running the segmentation network; fastest of the interleaved repeats; ratio to transcription",
        "machine": machine_description(),
        "audio_seconds": round(mono.size / sr, 1),
        "repeats": runs,
        **interleaved_figures(runs, keys),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result["ratio_to_transcription"]))


if __name__ == "__main__":
    main()
