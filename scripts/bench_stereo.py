"""Stereo transcription: the mono mix vs each channel (whole, or its packed speech as the pipeline does).

Usage: .venv/bin/python scripts/bench_stereo.py FILE.stereo.(wav|flac) [...] [--wer]

Per file, in one process with the model loaded once: wall and CPU seconds (fastest of two
interleaved repeats) for the mix, the two whole channels and the two packed channels
(speaker activity included). With ``--wer`` (needs ``NAME.json`` truth beside the file,
helper on channel 0): word error rate per role of the words the pipeline would give
each role, mix (words given to speakers by activity) vs per-channel packed.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from analysis.speakers.activity import activity_from_channels
from analysis.speakers.channels import (
    drop_bleed_words,
    drop_unsure_vocalisations,
    merge_channel_transcripts,
    pack_speech,
    unpack_transcript,
)
from analysis.speakers.turns import build_turns
from audio.decode import decode
from audio.transcribe import TranscribeOptions, load_model, transcribe

OPTS = TranscribeOptions()
ROLE = {"ch0": "helper", "ch1": "client"}


def _norm(s: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", s.lower()).split())


def packed_words(d, act):
    parts = []
    for i in range(2):
        p = pack_speech(d.channels[i], d.sample_rate, [(r.start, r.end) for r in act.regions if r.speaker == f"ch{i}"])
        parts.append(unpack_transcript(transcribe(p.audio, OPTS, channel=i), p))
    words, _ = drop_bleed_words(list(merge_channel_transcripts(parts, ["ch0", "ch1"]).words), act)
    return drop_unsure_vocalisations(words)[0]


def main(paths: list[str], wer: bool) -> None:
    load_model(OPTS)
    for path in paths:
        d = decode(path)
        res: dict[str, list[float]] = {"mix": [], "channels": [], "packed": []}
        cpu: dict[str, list[float]] = {"mix": [], "channels": [], "packed": []}
        for _ in range(2):
            t, c0 = time.perf_counter(), time.process_time()
            mix = transcribe(d.mono, OPTS)
            res["mix"].append(time.perf_counter() - t)
            cpu["mix"].append(time.process_time() - c0)
            t, c0 = time.perf_counter(), time.process_time()
            for i in range(2):
                transcribe(d.channels[i], OPTS, channel=i)
            res["channels"].append(time.perf_counter() - t)
            cpu["channels"].append(time.process_time() - c0)
            t, c0 = time.perf_counter(), time.process_time()
            act = activity_from_channels(d.channels, d.sample_rate)
            words = packed_words(d, act)
            res["packed"].append(time.perf_counter() - t)
            cpu["packed"].append(time.process_time() - c0)
        m, c, p = (min(res[k]) for k in ("mix", "channels", "packed"))
        line = (f"{Path(path).name}: {d.duration:.0f} s audio; mix {m:.1f} s, whole channels {c:.1f} s "
                f"({c / m:.2f}x), packed channels {p:.1f} s ({p / m:.2f}x) wall; CPU s "
                + ", ".join(f"{k} {min(v):.1f}" for k, v in cpu.items()))
        truth_path = Path(re.sub(r"(\.stereo)?\.(wav|flac)$", ".json", str(path)))
        if wer and truth_path.is_file():
            import jiwer

            truth = json.loads(truth_path.read_text())
            ref = {r: _norm(" ".join(t.get("text_spoken", t["text"]) for t in truth["turns"] if t["speaker"] == r))
                   for r in ("helper", "client")}
            hyp = {}
            for name, ws in (("mix", list(mix.words)), ("per-channel", words)):
                turns = build_turns(ws, act)
                hyp[name] = {r: _norm(" ".join(t.text for t in turns if ROLE.get(t.speaker) == r)) for r in ref}
            line += "; WER " + ", ".join(f"{r} mix {jiwer.wer(ref[r], hyp['mix'][r]):.3f} per-channel "
                                         f"{jiwer.wer(ref[r], hyp['per-channel'][r]):.3f}" for r in ref)
        print(line, flush=True)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--wer"]
    if not args:
        sys.exit(__doc__)
    main(args, "--wer" in sys.argv)
