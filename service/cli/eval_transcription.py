"""``listenwell eval transcription DATA_DIR``: WER and filler recall of the core on reference audio."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from analysis.errors import ParameterError
from audio.transcribe import transcribe
from service.bench.data import list_items, load_item_audio
from service.bench.wer import count_fillers, word_error_rate
from service.cli.transcribe import build_options, transcribe_options

__all__ = ["transcription"]


@click.command("transcription")
@click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path))
@transcribe_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also write JSON here.")
def transcription(data_dir, model, device, compute_type, beam_size, max_duration, out):
    """Transcribe JFK and the counselling dialogues under DATA_DIR; print WER against their text."""
    if not data_dir.is_dir():
        raise ParameterError(f"DATA_DIR {data_dir} is not a folder")
    opts = build_options(model, device, compute_type, beam_size)
    rows = []
    for item in list_items(data_dir, long=False):
        audio = load_item_audio(item)
        t0 = time.perf_counter()
        t = transcribe(audio, opts)
        seconds = time.perf_counter() - t0
        w = word_error_rate(item.reference, t.text)
        rows.append({"item": item.name, "audio_s": round(len(audio) / 16000, 1), "seconds": round(seconds, 2),
                     **w.to_dict(), "fillers": count_fillers(t.text), "reference_fillers": count_fillers(item.reference),
                     "repaired_windows": t.info.get("repaired_windows", 0)})
    click.echo(f"{'item':16s} {'audio s':>8s} {'x RT':>6s} {'WER %':>6s} {'sub':>4s} {'del':>4s} {'ins':>4s} {'fillers':>8s}")
    for r in rows:
        click.echo(f"{r['item']:16s} {r['audio_s']:8.1f} {r['audio_s'] / r['seconds']:6.1f} {100 * r['wer']:6.1f} "
                   f"{r['substitutions']:4d} {r['deletions']:4d} {r['insertions']:4d} "
                   f"{r['fillers']:>3d}/{r['reference_fillers']:<4d}")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"options": opts.__dict__, "results": rows}, indent=2, default=str) + "\n")
        click.echo(f"wrote {out}")
