#!/usr/bin/env python
"""Synthesise the speaker/timing test fixtures (tests/data/dialogues/) with known answers.

Usage: .venv/bin/python scripts/make_fixtures.py [--out tests/data/dialogues] [--mono]

Each dialogue is written as NAME.stereo.flac (helper left, client right) and
NAME.json (truth: every turn's speaker, start, end, text, and the planted
events). The mono version is the sum of the two channels (``--mono`` also writes
NAME.flac). Piper's voice has some randomness, so a rerun gives slightly
different timings; the truth file always matches its audio.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.synth.voice import synthesize_dialogue, write_dialogue  # noqa: E402

H, C = "helper", "client"

SCRIPTS = {
    # two helper interruptions, one backchannel, one long pause
    "interruptions": [
        (H, "Hi, thanks for coming in today. How have things been since we last met?", 0.5, None, None),
        (C, "Honestly, it has been a rough couple of weeks. I went back to my old neighbourhood "
            "and ran into some people I used to use with, and I felt really shaky afterwards.", 0.6, None, None),
        (H, "Mm-hmm.", None, None, 3.0),
        (H, "Have you thought about just avoiding that area completely?", 0.35, None, None),
        (C, "I have, but my sister still lives there, and I do not want to stop seeing her because of this.",
         0.5, 2.4, None),
        (H, "Well, you could always invite her to come to you instead.", -0.6, None, None),
        (C, "I guess.", 1.5, None, None),
        (H, "So it sounds like seeing her matters a lot, and being there brings up old feelings.", 0.8, None, None),
        (C, "Yes, that is exactly it. I feel torn between wanting to be close to her and wanting to stay safe.",
         0.4, 2.8, None),
        (H, "You should talk to your sponsor about it.", -0.7, None, None),
        (C, "Maybe I will.", 0.5, None, None),
    ],
    # patient listening: backchannels, a long pause after a disclosure, an overlap at a turn end
    "good_listener": [
        (H, "What would you like to talk about today?", 0.5, None, None),
        (C, "I keep thinking about the night I relapsed last year. I was alone, I had just lost my job, "
            "and nobody knew how bad it had got.", 0.5, None, None),
        (H, "Mm-hmm.", None, None, 2.4),
        (H, "Yeah.", None, None, 5.0),
        (H, "That sounds like a really lonely time.", 1.8, None, None),
        (C, "It was. I did not want anyone to see me like that.", 0.4, None, None),
        (H, "You wanted to protect people from seeing you struggle.", -0.15, None, None),
        (C, "Right, and I think I still do that now, even with my group. I tell them everything is fine.",
         0.5, None, None),
        (H, "Mm-hmm.", None, None, 1.6),
        (H, "What would it be like to let them see a little of it?", 0.7, None, None),
    ],
    # the client cuts in on a long helper monologue; quick exchanges; one backchannel
    "client_cuts_in": [
        (H, "Before we start, I want to tell you about a few things that helped me when I was in "
            "early recovery, because I think they could help you too.", 0.5, 5.2, None),
        (C, "Sorry, can I just say something first?", -0.7, None, None),
        (H, "Of course, go ahead.", 0.3, None, None),
        (C, "I got my ninety day chip yesterday, and I did not tell anyone at home yet.", 0.25, None, None),
        (H, "Right.", None, None, 1.2),
        (H, "Congratulations, that is a big step.", 0.2, None, None),
        (C, "Thanks. It did not feel real until I held it in my hand.", 0.6, None, None),
        (H, "How did it feel when you held it?", 0.5, None, None),
    ],
    # one voice only
    "one_speaker": [
        (H, "This is a recording with only one person speaking.", 0.5, None, None),
        (H, "There is nobody else here, so there are no turns to take.", 0.8, None, None),
        (H, "A diarizer should report one speaker and not split this voice in two.", 1.2, None, None),
    ],
}


def script_lines(rows) -> list[dict]:
    out = []
    for speaker, text, gap, cut_after, offset in rows:
        d = {"speaker": speaker, "text": text}
        if gap is not None:
            d["gap"] = gap
        if cut_after is not None:
            d["cut_after"] = cut_after
        if offset is not None:
            d["offset"] = offset
        out.append(d)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "tests" / "data" / "dialogues"))
    ap.add_argument("--mono", action="store_true", help="also write the mono mix (NAME.flac)")
    ap.add_argument("--only", nargs="*", help="names to make (default: all)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for i, (name, rows) in enumerate(SCRIPTS.items()):
        if args.only and name not in args.only:
            continue
        d = synthesize_dialogue(script_lines(rows), name=name, seed=i, noise_db=-72.0)
        write_dialogue(d, args.out, name, fmt="flac", mono=args.mono)
        kinds = [e["type"] for e in d.truth["events"]]
        logging.info("%s: %.1f s, events %s", name, d.duration,
                     {k: kinds.count(k) for k in sorted(set(kinds))})
    return 0


if __name__ == "__main__":
    sys.exit(main())
