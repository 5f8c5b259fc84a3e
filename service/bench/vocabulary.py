"""Does the vocabulary hint make Whisper write the field's terms, without hurting other speech?

``python -m service.bench.vocabulary [--dialogues tests/data/dialogues]`` voices helper lines that
use IOP, MAT and "treatment plan" with Piper, transcribes them with and without
``TranscribeOptions.hotwords``, and counts the terms found (``analysis.cues.jargon.jargon_uses``);
then compares word error on the bundled voiced dialogues (truth: their JSON turns) with and without.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from analysis.cues.jargon import jargon_uses
from audio.decode import decode
from audio.transcribe import VOCABULARY_HINT, TranscribeOptions, transcribe
from service.bench.wer import word_error_rate
from service.synth.voice import synthesize_line

# (as written, as spoken to Piper so the voice says the letters, the terms expected)
LINES = (
    ("Have you thought about joining the IOP next week?", "Have you thought about joining the eye oh pee next week?",
     {"IOP"}),
    ("Some people find MAT really helps with the cravings.", "Some people find M.A.T. really helps with the cravings.",
     {"MAT"}),
    ("Let's look at your treatment plan together.", "Let's look at your treatment plan together.", {"treatment plan"}),
    ("I think the IOP would suit you, and MAT for the cravings.",
     "I think the eye oh pee would suit you, and M.A.T. for the cravings.", {"IOP", "MAT"}),
    ("Naloxone is free at the pharmacy.", "Naloxone is free at the pharmacy.", {"naloxone"}),
)
#: each line in both voices (the client voice is the helper's shifted up 4 semitones) at two paces
VOICINGS = (("helper", 1.0), ("helper", 0.85), ("client", 1.0), ("client", 0.85))


def _text(audio: np.ndarray, options: TranscribeOptions) -> str:
    return " ".join(s.text.strip() for s in transcribe(audio, options).segments).strip()


def run(dialogues: Path, files: int = 4) -> dict:
    base = TranscribeOptions(device="cpu")
    configs = {"without hint": base, "with hint": replace(base, hotwords=VOCABULARY_HINT)}
    out: dict = {"hint": VOCABULARY_HINT, "lines": [], "dialogues": []}
    for written, spoken, want in LINES:
        for voice, pace in VOICINGS:
            audio, _ = synthesize_line(spoken, voice, length_scale=pace)
            row = {"line": written, "voice": voice, "length_scale": pace, "expected": sorted(want)}
            for name, opt in configs.items():
                heard = _text(audio, opt)
                found = {u.term for u in jargon_uses(heard)}
                row[name] = {"heard": heard, "found": sorted(found & want),
                             "wer": round(word_error_rate(written, heard).wer, 3)}
            out["lines"].append(row)
    for path in sorted(dialogues.glob("*.json"))[:files]:
        flac = path.with_suffix(".stereo.flac")
        if not flac.is_file():
            continue
        truth = " ".join(t["text"] for t in json.loads(path.read_text())["turns"])
        audio = decode(flac).mono
        row = {"file": path.name}
        for name, opt in configs.items():
            row[name] = round(word_error_rate(truth, _text(audio, opt)).wer, 4)
        out["dialogues"].append(row)
    for name in configs:
        out[f"terms found, {name}"] = sum(len(r[name]["found"]) for r in out["lines"])
        out[f"dialogue mean WER, {name}"] = round(float(np.mean([r[name] for r in out["dialogues"]])), 4) \
            if out["dialogues"] else None
    out["terms expected"] = sum(len(r["expected"]) for r in out["lines"])
    for name in configs:
        out[f"line mean WER, {name}"] = round(float(np.mean([r[name]["wer"] for r in out["lines"]])), 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dialogues", default="tests/data/dialogues", type=Path)
    ap.add_argument("--files", default=4, type=int)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    res = run(a.dialogues, a.files)
    text = json.dumps(res, indent=1)
    if a.out:
        Path(a.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
