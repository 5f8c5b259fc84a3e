"""``listenwell eval prosody DATA_DIR``: rates, pauses, fillers and pitch against the voiced dialogues.

For each ``NAME.json`` (truth turns: speaker, start, end, text) with ``NAME.flac``
(and ``NAME.stereo.flac``, helper left, client right) in ``DATA_DIR/dialogue`` or
``DATA_DIR``: transcribe the mono mix, give the recognised words to the truth
turns, measure prosody per channel, and compare:

- words per minute per speaker (and per turn) with the truth text's words over
  the truth turn times;
- fillers found in the recognised words with those written in the truth text;
- the helper - client median pitch: the client voice is the helper's voice
  shifted up 4 semitones, so about -4 st (content differs, so not exactly);
- pauses inside turns by bin, with the truth's sentence breaks (Piper leaves
  0.25 s between sentences: each should show as a medium pause).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import numpy as np

from analysis.errors import NotFoundError
from analysis.prosody.analyze import prosody_by_speaker
from analysis.prosody.fillers import find_fillers
from analysis.prosody.rate import assign_words
from analysis.schema import CLIENT, HELPER, Turn
from audio.transcribe import TranscribeOptions, transcribe

__all__ = ["prosody", "evaluate_dialogue"]

_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


def _truth_wpm(turns, speaker=None) -> float:
    sel = [t for t in turns if speaker is None or t.speaker == speaker]
    secs = sum(t.duration for t in sel)
    return 60.0 * sum(len(t.text.split()) for t in sel) / secs if secs > 0 else float("nan")


def evaluate_dialogue(json_path: Path, transcribe_options=None) -> dict:
    """Measure one voiced dialogue and compare with its truth (see the module docstring)."""
    import soundfile as sf

    truth = json.loads(json_path.read_text())
    turns = [Turn(t["speaker"], t["text"], t["start"], t["end"], t["speaker"], index=i)
             for i, t in enumerate(truth["turns"])]
    mono, sr = sf.read(json_path.with_suffix(".flac"), dtype="float32")
    stereo_path = json_path.with_suffix(".stereo.flac")
    transcript = transcribe(mono, transcribe_options or TranscribeOptions())
    heard = assign_words(turns, transcript.words)
    if stereo_path.is_file():
        stereo, _ = sf.read(stereo_path, dtype="float32")
        result = prosody_by_speaker(stereo.T, sr, heard, channels={HELPER: 0, CLIENT: 1})
    else:
        result = prosody_by_speaker(mono, sr, heard)
    out: dict = {"name": json_path.stem, "duration_s": len(mono) / sr, "turns": len(turns),
                 "partial": result.partial, "notes": list(result.notes)}
    for spk in (HELPER, CLIENT):
        s = result.speaker(spk)
        want = _truth_wpm(turns, spk)
        truth_fillers = sum(len(find_fillers(t)) for t in turns if t.speaker == spk)
        breaks = sum(len(_SENTENCE_END.findall(t.text.strip())) - 1 for t in turns if t.speaker == spk
                     if _SENTENCE_END.findall(t.text.strip()))
        out[spk] = {
            "wpm_truth": want, "wpm": s.wpm, "wpm_error_pct": 100.0 * (s.wpm - want) / want,
            "articulation_wpm": s.articulation_wpm,
            "pitch_median_hz": s.pitch_median_hz, "pitch_sd_st": s.pitch_sd_st, "pitch_range_st": s.pitch_range_st,
            "monotone": s.monotone, "energy_db": s.energy_db,
            "pauses": s.pauses.to_dict(), "sentence_breaks_truth": max(0, breaks),
            "fillers_truth_text": truth_fillers, "fillers_found": len(s.fillers),
        }
    errs = []
    for got, t in zip(result.turns, turns):
        if len(t.text.split()) >= 8:
            want = _truth_wpm([t])
            errs.append(abs(got.wpm - want) / want)
    out["turn_wpm_abs_error_pct_median"] = 100.0 * float(np.median(errs)) if errs else float("nan")
    out["turns_within_10pct"] = float(np.mean(np.array(errs) < 0.10)) if errs else float("nan")
    out["helper_minus_client_st"] = result.helper_minus_client_st
    out["helper_minus_client_db"] = result.helper_minus_client_db
    out["rushed_after_disclosure"] = list(result.rushed_after_disclosure)
    return out


def _json_safe(x):
    if isinstance(x, float):
        return x if np.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


@click.command("prosody")
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the figures as JSON here.")
@click.option("--limit", type=int, default=0, help="Evaluate at most this many dialogues (0: all).")
def prosody(data_dir: Path, out: Path | None, limit: int) -> None:
    """Prosody against the voiced dialogues' truth (rates, fillers, pitch, pauses)."""
    folder = data_dir / "dialogue" if (data_dir / "dialogue").is_dir() else data_dir
    items = sorted(p for p in folder.glob("*.json") if p.with_suffix(".flac").is_file())
    if not items:
        raise NotFoundError(f"no NAME.json with NAME.flac in {folder}", path=str(folder))
    if limit:
        items = items[:limit]
    rows = []
    for path in items:
        click.echo(f"{path.stem}: transcribing and measuring...", err=True)
        rows.append(evaluate_dialogue(path))
    click.echo(f"{'dialogue':18s} {'speaker':7s} {'wpm':>6s} {'truth':>6s} {'err%':>6s} {'artic':>6s} "
               f"{'f0 Hz':>6s} {'sd st':>6s} {'dB':>6s} {'pauses b/m/l':>13s} {'breaks':>6s} {'fill':>9s}")
    for r in rows:
        for spk in ("helper", "client"):
            s = r[spk]
            p = s["pauses"]
            click.echo(
                f"{r['name']:18s} {spk:7s} {s['wpm']:6.1f} {s['wpm_truth']:6.1f} {s['wpm_error_pct']:+6.1f} "
                f"{s['articulation_wpm']:6.1f} {s['pitch_median_hz']:6.1f} {s['pitch_sd_st']:6.2f} "
                f"{s['energy_db']:6.1f} {p['brief']:4d}/{p['medium']:3d}/{p['long']:3d} "
                f"{s['sentence_breaks_truth']:6d} {s['fillers_found']:3d}/{s['fillers_truth_text']:3d}")
        click.echo(f"{'':18s} helper-client pitch {r['helper_minus_client_st']:+.2f} st (voice shift -4), "
                   f"level {r['helper_minus_client_db']:+.1f} dB; per-turn wpm error median "
                   f"{r['turn_wpm_abs_error_pct_median']:.1f}%, {100 * r['turns_within_10pct']:.0f}% of turns within 10%")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(_json_safe({"dialogues": rows}), indent=1, allow_nan=False) + "\n")
        click.echo(f"wrote {out}", err=True)
