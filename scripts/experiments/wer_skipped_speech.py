"""Word error on the one-microphone mixes of the voiced claims scripts, with and without the repair of
speech the decoder jumped over (``audio.batched._redo_unheard``).

    .venv/bin/python scripts/experiments/wer_skipped_speech.py [STEP]

Reads the bench's voicing cache (~/.cache/listenwell/claims, made by ``listenwell eval claims``), takes
every STEP-th file (default 3), mixes it as the bench does (sum of the channels) and writes
benchmarks/results/wer-skipped-speech.json.
"""
import glob, json, sys, time
from pathlib import Path
import numpy as np
import audio.batched as B
from audio.decode import decode
from audio.transcribe import TranscribeOptions, transcribe
from service.bench.wer import word_error_rate

cache = Path.home() / ".cache/listenwell/claims"
step = int(sys.argv[1]) if len(sys.argv) > 1 else 3
files = sorted(cache.glob("*.stereo.flac"))
seen, rows = set(), []
orig = B._redo_unheard
for f in files[::step]:
    meta = json.loads(f.with_name(f.name.replace(".stereo.flac", ".json")).read_text())
    turns = meta.get("turns") or meta.get("script", {}).get("turns")
    truth = " ".join(t["text"] for t in turns)
    d = decode(f)
    row = {"file": f.name}
    for name, fn in (("without", lambda run, clips, segs: (segs, 0)), ("with", orig)):
        B._redo_unheard = fn
        t0 = time.perf_counter()
        tr = transcribe(d.channels.sum(axis=0).clip(-1, 1) if d.channels.ndim == 2 and d.channels.shape[0] == 2 else d.mono, TranscribeOptions(device="cpu"))
        row[name] = {"wer": round(word_error_rate(truth, " ".join(s.text for s in tr.segments)).wer, 4),
                     "s": round(time.perf_counter() - t0, 2), "repaired": tr.info.get("repaired_windows")}
    rows.append(row)
    print(row, flush=True)
B._redo_unheard = orig
for name in ("without", "with"):
    print(name, "mean WER", round(float(np.mean([r[name]["wer"] for r in rows])), 4),
          "time", round(sum(r[name]["s"] for r in rows), 1))
print("files", len(rows), "changed", sum(r["with"]["wer"] != r["without"]["wer"] for r in rows))
Path("benchmarks/results/wer-skipped-speech.json").write_text(json.dumps(
    {"what": "tiny.en WER on one-microphone mixes of voiced claims scripts, skipped-speech repair off/on",
     "step": step, "machine": "shared 2-core CPU, load average 4-5", "files": rows}, indent=1))
