"""Build the hard development sets for mono diarization into a folder.

Usage::

    python scripts/make_speaker_sets.py OUT_DIR [--ami ../shared/data/ami-excerpts] [--only NAME ...]

Writes NAME.wav (16 kHz mono), NAME.rttm (reference) and sets.json (group, split,
number of voices) per clip: similar voices (female and male pairs a few semitones
apart, espeak-ng variants and the Piper voice), telephone band, short clips,
room echo with laptop noise, single-voice clips, and the AMI stretches where two
women talk. The clip list and the generators live in service/eval/speaker_sets.py;
``listenwell eval diarization`` builds the same sets into its cache when missing.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.eval.speaker_sets import build_sets  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="folder to write the sets into")
    ap.add_argument("--ami", type=Path, default=None, help="the ami-excerpts folder (for the two-women stretches)")
    ap.add_argument("--only", nargs="*", default=None, help="build only these clip names")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    manifest = build_sets(args.out, args.ami, names=set(args.only) if args.only else None)
    for m in manifest:
        print(f"{m['name']:<20} {m['group']:<10} {m['split']:<5} voices {m['n_ref']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
