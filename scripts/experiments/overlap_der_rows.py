"""Issue 20: DER of overlap-path variants on every data set ``listenwell eval diarization`` scores.

Usage: .venv/bin/python scripts/experiments/overlap_der_rows.py ../shared/data [--out FILE]

The clustering diarizer and the network run once per recording (cached in memory by the audio's
bytes); each variant of :class:`analysis.speakers.overlap_diarize.OverlapOptions` is then applied
to the cached outputs and scored by :func:`service.eval.diarization.evaluate` and ``summarise``
(fixtures, AMI excerpts, dialogues, planted cut-ins, hard sets), as ``diarize_mono`` would.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

import service.eval.diarization as ed  # noqa: E402
from analysis.speakers.diarize import diarize  # noqa: E402
from analysis.speakers.overlap_diarize import OverlapOptions, overlap_activity  # noqa: E402
from analysis.speakers.segmentation import segment_chunks  # noqa: E402
from audio.vad import speech_intervals  # noqa: E402
from service.mono_speakers import segmenter  # noqa: E402
from service.voices import voice_embedder  # noqa: E402

_cache: dict[str, tuple] = {}
_opts = [OverlapOptions()]


def cached_mono(mono: np.ndarray, sr: int, options=None):
    key = hashlib.sha1(np.ascontiguousarray(mono, dtype=np.float32).tobytes()).hexdigest() + str(sr)
    if key not in _cache:
        speech = speech_intervals(mono, sr)
        base = diarize(mono, sr, options, speech=speech, voice_embedder=voice_embedder())
        base = replace(base, info={**base.info, "path": "mfcc"})
        local = None
        if base.speakers:
            local = segment_chunks(mono, sr, segmenter(), only=[(a - 1.0, b + 1.0) for a, b in speech])
        _cache[key] = (base, local, speech)
    base, local, speech = _cache[key]
    return base if local is None else overlap_activity(base, local, _opts[0], speech=speech)


def cutin_counts(items) -> dict:
    out = {}
    for it in items:
        if it.group == "cutins":
            d = it.name.split("-cutins")[0]
            c = out.setdefault(d, [0, 0, 0])
            c[0] += it.extra["interruptions_found"]
            c[1] += it.extra["interruptions_planted"]
            c[2] += it.extra["interruption_false_alarms"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/overlap-der-issue20-rows.json"))
    ap.add_argument("--overlap", type=float, nargs="*", default=[])
    ap.add_argument("--threshold", type=float, nargs="*", default=[])
    args = ap.parse_args()
    ed.analyse_mono = cached_mono
    variants = {
        "current: threshold 0.5": OverlapOptions(overlap_threshold=None),  # the setting before issue 20
    }
    for ov in args.overlap:
        variants[f"threshold 0.5, overlap {ov}"] = OverlapOptions(overlap_threshold=ov)
    for th in args.threshold:
        variants[f"threshold {th}"] = OverlapOptions(threshold=th, overlap_threshold=None)
    rows = {}
    for name, opts in variants.items():
        _opts[0] = opts
        items = ed.evaluate(args.data, hard_sets=True)
        s = ed.summarise(items)
        keep = {k: s[k] for k in ("ami-2spk", "ami-other", "hard+ami-2spk", "hard/dev", "hard/test", "dialogue/mono",
                                  "fixtures/mono", "cutins") if k in s}
        per_ami = {it.name: round(100 * it.score.der, 1) for it in items if it.group == "ami-2spk"}
        rows[name] = {"options": asdict(opts), "der": keep, "ami_2spk_files": per_ami, "cutins": cutin_counts(items),
                      "fixture_interruptions": [(it.name, it.extra.get("interruptions_found"),
                                                 it.extra.get("interruptions_planted"),
                                                 it.extra.get("interruption_false_alarms"))
                                                for it in items if it.group == "fixtures" and it.mode == "mono"]}
        print(name, json.dumps(rows[name]), flush=True)
    args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
