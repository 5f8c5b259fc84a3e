"""Issue 20: planted cut-ins on one microphone, per variant of the overlap path, with per-cut-in reasons.

Usage: .venv/bin/python scripts/experiments/cutin_rows.py ../shared/data [--out FILE]

The network and the clustering diarizer run once per planted-cut-in recording (cached in memory);
each variant of :class:`analysis.speakers.overlap_diarize.OverlapOptions` is then scored exactly as
``listenwell eval diarization`` scores the ``cutins`` group (the report's interruption rule,
speakers mapped to roles by DER, a cut-in found within 0.3 s of its planted start). Prints per
dialogue: found/planted, false alarms, and for each missed cut-in why the rule did not fire.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from analysis.schema import CLIENT, HELPER  # noqa: E402
from analysis.speakers.diarize import diarize  # noqa: E402
from analysis.speakers.overlap_diarize import OverlapOptions, overlap_activity  # noqa: E402
from analysis.speakers.segmentation import segment_chunks  # noqa: E402
from analysis.speakers.turns import turns_from_activity  # noqa: E402
from analysis.timing.metrics import TimingOptions, timing_metrics  # noqa: E402
from audio.decode import decode  # noqa: E402
from audio.vad import speech_intervals  # noqa: E402
from service.eval.cutin_cv import CutinCount, leave_one_dialogue_out, pooled  # noqa: E402
from service.eval.cutins import ensure_cutins  # noqa: E402
from service.eval.der import diarization_error  # noqa: E402
from service.eval.diarization import COLLAR, _to_roles, _truth_regions  # noqa: E402
from service.eval.speaker_sets import default_cache_dir  # noqa: E402
from service.mono_speakers import segmenter  # noqa: E402
from service.voices import voice_embedder  # noqa: E402


def prepare(data: Path) -> list[dict]:
    folder = ensure_cutins(data / "dialogue", default_cache_dir().parent)
    seg = segmenter()
    out = []
    for jf in sorted(folder.glob("*.json")):
        truth = json.loads(jf.read_text(encoding="utf-8"))
        d = decode(jf.with_suffix(".flac"))
        mono = d.channels.mean(axis=0)
        speech = speech_intervals(mono, d.sample_rate)
        base = diarize(mono, d.sample_rate, speech=speech, voice_embedder=voice_embedder())
        base = replace(base, info={**base.info, "path": "mfcc"})
        only = [(a - 1.0, b + 1.0) for a, b in speech]
        local = segment_chunks(mono, d.sample_rate, seg, only=only)
        out.append({"name": jf.stem, "dialogue": truth["source"].split(".")[0], "truth": truth, "base": base,
                    "local": local, "speech": speech, "duration": mono.size / d.sample_rate})
    return out


def why_missed(p: dict, H, C, opts: TimingOptions) -> str:
    """The interruption rule's first failing condition for a planted cut-in (roles already mapped)."""
    s = p["start"]
    near = [h for h in H if abs(h[0] - s) <= 0.6]
    if not near:
        return "no helper region starts within 0.6 s"
    a, b = min(near, key=lambda h: abs(h[0] - s))
    host = next(((ca, cb) for ca, cb in C if ca < a < cb), None)
    if host is None:
        return f"helper start {a - s:+.2f} s not inside a client region (no overlap heard)"
    ca, cb = host
    if abs(a - s) > 0.3:
        return f"helper start off by {a - s:+.2f} s"
    if not a < cb - opts.guard:
        return f"helper start in the client's last {cb - a:.2f} s (client end {cb - p['end']:+.2f} s)"
    if cb - a > opts.yield_within:
        return f"client goes on {cb - a:.2f} s after the helper starts (client end {cb - p['end']:+.2f} s)"
    if b <= cb:
        return "helper region ends inside the client's"
    return "backchannel or other"


def score(item: dict, opts: OverlapOptions) -> dict:
    act = overlap_activity(item["base"], item["local"], opts, speech=item["speech"])
    ref = _truth_regions(item["truth"])
    sc = diarization_error(ref, act.regions, collar=COLLAR)
    hyp = _to_roles(act, dict(sc.mapping))
    tm = TimingOptions()
    m = timing_metrics(turns_from_activity(hyp), hyp, tm)
    planted = [e for e in item["truth"]["events"] if e["type"] == "interruption" and e.get("speaker") == HELPER]
    found = [e.start for e in m.interruptions]
    hits = [p for p in planted if any(abs(f - p["start"]) <= 0.3 for f in found)]
    false = [f for f in found if not any(abs(f - p["start"]) <= 0.3 for p in planted)]
    H = sorted((r.start, r.end) for r in hyp.regions if r.speaker == HELPER)
    C = sorted((r.start, r.end) for r in hyp.regions if r.speaker == CLIENT)
    from analysis.timing.metrics import _merge_spans
    Ct = _merge_spans(C, tm.turn_pause)
    missed = [(round(p["start"], 2), why_missed(p, H, Ct, tm)) for p in planted if p not in hits]
    return {"planted": len(planted), "found": len(hits), "false": len(false), "der": round(sc.der, 4),
            "missed": missed, "false_at": [round(f, 2) for f in false]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/cutins-issue20-rows.json"))
    ap.add_argument("--der-rows", type=Path, help="overlap_der_rows.py's JSON: restrict the choice by DER")
    ap.add_argument("--max-dev-rise", type=float, default=1.0, help="points of DER on the hard sets' dev half")
    ap.add_argument("--verbose", action="store_true", help="print every missed cut-in and false alarm")
    args = ap.parse_args()
    items = prepare(args.data)
    variants = {"current: threshold 0.5": OverlapOptions(overlap_threshold=None)}  # the setting before issue 20
    for ov in (0.4, 0.35, 0.3, 0.25, 0.2):  # nearest the current setting first: ties go to it
        variants[f"threshold 0.5, overlap {ov}"] = OverlapOptions(overlap_threshold=ov)
    for th in (0.45, 0.4, 0.35, 0.3, 0.55):
        variants[f"threshold {th}"] = OverlapOptions(threshold=th, overlap_threshold=None)
    rows = {}
    for name, opts in variants.items():
        per = {it["name"]: score(it, opts) for it in items}
        rows[name] = per
        tot = {k: sum(v[k] for v in per.values()) for k in ("planted", "found", "false")}
        print(f"{name}: {tot}", {k: (v['found'], v['planted'], v['false'], v['der']) for k, v in per.items()})
        for k, v in per.items() if args.verbose else ():
            for m in v["missed"]:
                print("   miss", k, m)
            if v["false_at"]:
                print("   false", k, v["false_at"])
    counts = {n: {} for n in rows}
    for n, per in rows.items():
        for it in items:
            c = CutinCount(per[it["name"]]["found"], per[it["name"]]["planted"], per[it["name"]]["false"])
            counts[n][it["dialogue"]] = counts[n].get(it["dialogue"], CutinCount(0, 0, 0)) + c
    allowed = list(rows)
    if args.der_rows is not None:  # settings whose DER on the hard sets' dev half rises by at most max_dev_rise
        der = json.loads(args.der_rows.read_text(encoding="utf-8"))
        ref = der["current: threshold 0.5"]["der"]["hard/dev"]
        allowed = [n for n in rows if n in der and der[n]["der"]["hard/dev"] <= ref + args.max_dev_rise]
    cv = {}
    for label, names in (("all settings", list(rows)), ("settings within the DER limit", allowed)):
        folds = leave_one_dialogue_out({n: counts[n] for n in names}, order=names)
        cv[label] = {"candidates": names,
                     "folds": [{"held_out": f.dialogue, "chosen": f.chosen, "chosen_on": f.chosen_on.to_dict(),
                                "held_out_counts": f.held_out.to_dict()} for f in folds],
                     "pooled_held_out": pooled(folds).to_dict()}
        print(label, json.dumps(cv[label]))
    rows = {"rows": rows, "per_dialogue": {n: {d: c.to_dict() for d, c in v.items()} for n, v in counts.items()},
            "cross_validation": cv}
    args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
