"""Issue 20: cut-ins and backchannels found on one microphone against the truth, per overlap setting.

Usage: .venv/bin/python scripts/experiments/mono_events.py ../shared/data [--overlap-threshold 0.25]

For the fixtures (tests/data/dialogues: planted interruptions and backchannels) and the two plain
dialogues (no planted event: every flagged cut-in is a false alarm), mixed to one channel: the
report's timing rule on the overlap path's speakers (mapped to roles by DER) against the truth's
events (a match within 0.3 s of its start), and the same rule on the truth's own turns.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402

from analysis.schema import HELPER  # noqa: E402
from analysis.speakers.overlap_diarize import OverlapOptions  # noqa: E402
from analysis.speakers.turns import turns_from_activity  # noqa: E402
from analysis.timing.metrics import timing_metrics  # noqa: E402
from audio.decode import decode  # noqa: E402
from audio.vad import speech_intervals  # noqa: E402
from service.eval.der import diarization_error  # noqa: E402
from service.eval.diarization import COLLAR, _to_roles, _truth_regions  # noqa: E402
from service.mono_speakers import diarize_mono  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "data" / "dialogues"


def events(path: Path, opts: OverlapOptions) -> dict:
    truth = json.loads(path.with_name(path.name.split(".")[0] + ".json").read_text(encoding="utf-8"))
    d = decode(path)
    mono = np.clip(d.channels.sum(axis=0), -1, 1)
    act = diarize_mono(mono, d.sample_rate, speech=speech_intervals(mono, d.sample_rate), overlap=opts)
    ref = _truth_regions(truth)
    sc = diarization_error(ref, act.regions, collar=COLLAR)
    m = timing_metrics(turns_from_activity(_to_roles(act, dict(sc.mapping))), _to_roles(act, dict(sc.mapping)))
    out = {}
    for kind, found in (("interruption", m.interruptions), ("backchannel", m.backchannels)):
        planted = [e["start"] for e in truth.get("events", ()) if e["type"] == kind and e.get("speaker") == HELPER]
        starts = [e.start for e in found]
        out[kind] = {"planted": len(planted), "found": sum(any(abs(f - p) <= 0.3 for f in starts) for p in planted),
                     "false_alarms": sum(not any(abs(f - p) <= 0.3 for p in planted) for f in starts)}
    out["overlaps"] = len(m.overlaps)
    out["overlaps_measured"] = m.overlaps_measured
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--overlap-threshold", type=float, nargs="*", default=[None, 0.25])
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/mono-events-issue20.json"))
    args = ap.parse_args()
    files = sorted(FIXTURES.glob("*.stereo.flac")) + sorted((args.data / "dialogue").glob("*.stereo.flac"))
    result = {}
    for ov in args.overlap_threshold:
        opts = OverlapOptions(overlap_threshold=ov)
        result[f"overlap_threshold={ov}"] = per = {p.name.split(".")[0]: events(p, opts) for p in files}
        print(ov, json.dumps(per), flush=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
