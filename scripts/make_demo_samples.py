"""Regenerate the bundled demo role-plays in samples/dialogues/ from their scripts (Piper, CC0 voice).

Usage: .venv/bin/python scripts/make_demo_samples.py [samples/dialogues]
Writes NAME.wav (16 kHz mono), NAME.stereo.wav (helper left, client right) and NAME.json (truth).
Each script may set "length_scale" per speaker (Piper's speed: above 1 is slower).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import service.synth.voice as synth

NAMES = ("listens-well", "jumps-to-fixes")


def main(folder: str = "samples/dialogues") -> None:
    out = Path(folder)
    plain = synth.synthesize_line
    for name in NAMES:
        script = json.loads((out / f"{name}.script.json").read_text(encoding="utf-8"))
        scale = script.get("length_scale", {})

        def paced(text, speaker, **kw):
            return plain(text, speaker, length_scale=float(scale.get(speaker, 1.0)), **kw)

        synth.synthesize_line = paced  # synthesize_dialogue has no per-speaker pace option
        try:
            dialogue = synth.synthesize_dialogue(script["lines"], name=name, seed=7)
        finally:
            synth.synthesize_line = plain
        dialogue.truth.update(title=script["title"], situation=script["situation"], length_scale=scale)
        paths = synth.write_dialogue(dialogue, out, name)
        print(f"{name}: {dialogue.duration:.1f} s -> {paths['mono']}")


if __name__ == "__main__":
    main(*sys.argv[1:])
