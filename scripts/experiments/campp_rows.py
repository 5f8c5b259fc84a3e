"""Issue 20, CAM++ voiceprints: per-recording rows for choosing the CAM++ rule by leaving one set out.

Usage: .venv/bin/python scripts/experiments/campp_rows.py ../shared/data [--out FILE]

Every recording ``listenwell eval diarization`` scores (fixtures, AMI excerpts, counselling
dialogues, planted cut-ins, hard sets) and every one-vs-two decision (those, plus single voices) is
diarized as :func:`service.mono_speakers.diarize_mono` does, under four settings; Silero's speech and
the segmentation network's output are computed once per recording (cached by the audio's bytes):

- ``ge2e``: the shipped path before CAM++ (GE2E voiceprints, its thresholds);
- ``campp-two-voice``: CAM++, two voices whenever the MFCC clusters say two, resegmentation started
  from the voiceprint groups;
- ``campp-two-mfcc``: the same, resegmentation started from the MFCC clusters;
- ``campp-one``: CAM++, always one voice when voiceprints are consulted.

The voiceprint similarity of a recording does not depend on the thresholds, so the result of any
rule (``two_below``, ``labels_below``) is one of the three CAM++ rows: ``campp_cv.py`` reads them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

import service.eval.diarization as ed  # noqa: E402
import service.mono_speakers as ms  # noqa: E402
from analysis.speakers.diarize_options import CAMPP_RULE, DiarizeOptions  # noqa: E402
from analysis.speakers.segmentation import segment_chunks  # noqa: E402
from audio.vad import speech_intervals  # noqa: E402

_speech: dict[str, list] = {}
_local: dict[str, object] = {}
_setting: dict[str, object] = {}

SETTINGS = {
    "ge2e": ("ge2e", DiarizeOptions()),
    "campp-two-voice": ("campp", DiarizeOptions(campp=replace(CAMPP_RULE, two_below=1.0, sure_below=1.0, one_above=1.0,
                                                              labels_below=1.0))),
    "campp-two-mfcc": ("campp", DiarizeOptions(campp=replace(CAMPP_RULE, two_below=1.0, sure_below=1.0, one_above=1.0,
                                                             labels_below=0.0))),
    "campp-one": ("campp", DiarizeOptions(campp=replace(CAMPP_RULE, two_below=-1.0, sure_below=-1.0, one_above=-1.0))),
}


def _key(mono: np.ndarray, sr: int) -> str:
    return hashlib.sha1(np.ascontiguousarray(mono, dtype=np.float32).tobytes()).hexdigest() + str(sr)


def cached_mono(mono: np.ndarray, sr: int, options=None):
    key = _key(mono, sr)
    if key not in _speech:
        _speech[key] = speech_intervals(mono, sr)
    speech = _speech[key]

    def segment_once(x, rate, seg, step, only):
        if key not in _local:
            _local[key] = segment_chunks(x, rate, seg, step=step, only=only)
        return _local[key]

    ms.segment_chunks = segment_once
    return ms.diarize_mono(mono, sr, _setting["options"], speech=speech, concurrent=False)


def _row(item: ed.EvalItem) -> dict:
    s = item.score
    return {"group": item.group, "name": item.name, "mode": item.mode, "n_ref": item.n_ref, "n_hyp": item.n_hyp,
            "reference": s.reference, "missed": s.missed, "false_alarm": s.false_alarm, "confusion": s.confusion,
            "split": item.extra.get("split"), "unsure": bool(item.extra.get("unsure", False)),
            "info": {k: v for k, v in item.extra.get("info", {}).items() if isinstance(v, (int, float, str, bool))},
            **{k: item.extra[k] for k in ("interruptions_found", "interruptions_planted", "interruption_false_alarms")
               if k in item.extra}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/campp-issue20-rows.json"))
    ap.add_argument("--settings", nargs="*", default=list(SETTINGS))
    args = ap.parse_args()
    ed.analyse_mono = cached_mono
    import os

    out = {}
    for name in args.settings:
        encoder, opts = SETTINGS[name]
        os.environ["LISTENWELL_VOICE_ENCODER"] = encoder
        _setting["options"] = opts
        t0 = time.perf_counter()
        items = ed.evaluate(args.data, hard_sets=True)
        decisions = ed.one_vs_two(items, args.data)
        out[name] = {"items": [_row(it) for it in items],
                     "decisions": [d.to_dict() for d in decisions], "summary": ed.summarise(items),
                     "seconds": round(time.perf_counter() - t0, 1)}
        print(name, json.dumps(out[name]["summary"]), f"{out[name]['seconds']} s", flush=True)
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
