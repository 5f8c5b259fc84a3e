"""Regenerate the bundled demo role-plays in samples/dialogues/ from their scripts (Piper, CC0 voice).

Usage: .venv/bin/python scripts/make_demo_samples.py [samples/dialogues]
Writes NAME.wav (16 kHz mono), NAME.stereo.wav (helper left, client right) and NAME.json (truth).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from audio.synth import synthesize_dialogue, write_dialogue

NAMES = ("listens-well", "jumps-to-fixes")


def main(folder: str = "samples/dialogues") -> None:
    out = Path(folder)
    for name in NAMES:
        script = json.loads((out / f"{name}.script.json").read_text(encoding="utf-8"))
        dialogue = synthesize_dialogue(script["lines"], name=name, seed=7)
        dialogue.truth["title"] = script["title"]
        dialogue.truth["situation"] = script["situation"]
        paths = write_dialogue(dialogue, out, name)
        print(f"{name}: {dialogue.duration:.1f} s -> {paths['mono']}")


if __name__ == "__main__":
    main(*sys.argv[1:])
