"""Evaluate speaker activity (who spoke when) and its timing against reference data.

Data sets (each optional; missing ones are skipped):

- ``DATA_DIR/ami-excerpts``: 30 s AMI meeting excerpts, RTTM references + UEM (mono).
- ``DATA_DIR/dialogue``: synthesised counselling dialogues, ``NAME.json`` turn
  truth, ``NAME.flac`` (mono) and ``NAME.stereo.flac`` (helper left, client right).
- the committed fixtures ``tests/data/dialogues`` (``NAME.stereo.flac`` + truth;
  mono = the sum of the channels), with planted interruptions.
- the dialogues of ``DATA_DIR/dialogue`` re-timed with planted helper cut-ins, one channel
  (:mod:`service.eval.cutins`; group ``cutins``).
- the hard sets of :mod:`service.eval.speaker_sets` (similar voices, telephone
  band, short clips, room echo + noise, single voices, AMI two-women stretches),
  built into a cache folder when missing. Groups ``similar-f``, ``similar-m``,
  ``phone``, ``short``, ``noisy``, ``ami-f``, ``one-voice``; each item carries its
  ``split`` (dev: tuned on; test: only reported).

Mono files are diarized (:func:`analysis.speakers.diarize.diarize` with Silero speech
regions); stereo files use per-channel activity.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from analysis.schema import CLIENT, HELPER, SpeechRegion
from analysis.speakers.activity import SpeakerActivity, activity_from_channels
from analysis.speakers.diarize import DiarizeOptions
from analysis.speakers.turns import turns_from_activity
from analysis.timing.metrics import TimingOptions, timing_metrics
from audio.decode import decode
from audio.vad import speech_intervals
from service.eval.der import DiarizationScore, diarization_error, parse_rttm, parse_uem
from service.eval.cutins import ensure_cutins
from service.eval.speaker_sets import default_cache_dir, ensure_sets
from service.mono_speakers import diarize_mono

__all__ = ["EvalItem", "Decision", "evaluate", "eval_hard_sets", "HARD_GROUPS", "POOLED_GROUPS", "one_vs_two", "TWO_SPEAKER_AMI", "FIXTURE_DIR", "ONE_VOICE_FILES",
           "analyse_mono", "analyse_stereo"]

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = ROOT / "tests" / "data" / "dialogues"
TWO_SPEAKER_AMI = ("dev00", "dev01", "trn03")
# committed recordings with one voice per channel (faster-whisper's test files)
ONE_VOICE_FILES = (ROOT / "tests" / "data" / "jfk.flac", ROOT / "tests" / "data" / "stereo_diarization.wav")
COLLAR = 0.25
HARD_GROUPS = ("similar-f", "similar-m", "phone", "short", "noisy", "listener", "ami-f")
POOLED_GROUPS = HARD_GROUPS + ("ami-2spk",)  # the issue-15 target: DER <= 15 % pooled over these


@dataclass
class EvalItem:
    """One scored recording."""

    group: str
    name: str
    mode: str
    score: DiarizationScore
    n_ref: int
    n_hyp: int
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "name": self.name, "mode": self.mode, "der": self.score.der,
                "score": self.score.to_dict(), "n_ref_speakers": self.n_ref,
                "n_hyp_speakers": self.n_hyp, "seconds": round(self.seconds, 3), **self.extra}


@dataclass
class Decision:
    """The one-vs-two speaker decision on one mono recording (or one channel)."""

    group: str
    name: str
    n_ref: int
    n_hyp: int
    notes: tuple[str, ...] = ()
    unsure: bool = False  # the diarizer said it was not sure (and asked for the order or stereo)
    info: dict[str, Any] = field(default_factory=dict)  # the diarizer's measurements (separation, voiceprint similarity)

    @property
    def correct(self) -> bool:
        """One speaker found where there is one; two or more where there are two or more."""
        return (self.n_ref <= 1) == (self.n_hyp <= 1)

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "name": self.name, "n_ref_speakers": self.n_ref,
                "n_hyp_speakers": self.n_hyp, "correct": self.correct, "unsure": self.unsure,
                "notes": list(self.notes), "info": self.info}


def analyse_mono(mono: np.ndarray, sr: int, options: DiarizeOptions | None = None) -> SpeakerActivity:
    """Silero speech regions + diarization: the pipeline's mono path (:func:`service.mono_speakers.diarize_mono`:
    overlap-aware segmentation when installed, voiceprints when installed, else MFCC clusters)."""
    return diarize_mono(mono, sr, options, speech=speech_intervals(mono, sr))


def analyse_stereo(channels: np.ndarray, sr: int) -> SpeakerActivity:
    return activity_from_channels(channels, sr, speakers=[HELPER, CLIENT][: channels.shape[0]])


def _load(path: Path):
    d = decode(path)
    return d.channels, d.sample_rate


def _truth_regions(truth: dict) -> list[SpeechRegion]:
    return [SpeechRegion(float(t["start"]), float(t["end"]), str(t["speaker"])) for t in truth["turns"]]


def _to_roles(activity: SpeakerActivity, mapping: dict[str, str]) -> SpeakerActivity:
    regs = tuple(SpeechRegion(r.start, r.end, mapping.get(r.speaker, r.speaker)) for r in activity.regions)
    return SpeakerActivity(regs, tuple(mapping.get(s, s) for s in activity.speakers), "reference",
                           activity.duration, activity.n_speakers_detected, activity.notes)


def _timing_errors(ref: list[SpeechRegion], hyp: SpeakerActivity, mapping: dict[str, str],
                   duration: float, truth: dict | None) -> dict[str, Any]:
    """Speaker-attributed timing errors, after mapping hypothesis speakers to roles."""
    ref_act = SpeakerActivity(tuple(ref), tuple(sorted({r.speaker for r in ref})), "reference", duration)
    hyp_act = _to_roles(hyp, mapping)
    opts = TimingOptions()
    mr = timing_metrics(turns_from_activity(ref_act), ref_act, opts)
    mh = timing_metrics(turns_from_activity(hyp_act), hyp_act, opts)
    # boundary error: each reference turn edge vs the nearest edge of the same speaker
    errs = []
    for r in ref:
        cands = [h for h in hyp_act.regions if h.speaker == r.speaker]
        for edge in ("start", "end"):
            t = getattr(r, edge)
            if cands:
                errs.append(min(abs(getattr(h, edge) - t) for h in cands))
    out: dict[str, Any] = {
        "boundary_error_median": round(float(np.median(errs)), 3) if errs else None,
        "boundary_within_0_25": round(float(np.mean(np.array(errs) <= 0.25)), 3) if errs else None,
        "talk_share_ref": mr.talk_share_helper, "talk_share_hyp": mh.talk_share_helper,
        "latency_median_ref": mr.latency.median, "latency_median_hyp": mh.latency.median,
    }
    if truth is not None and "events" in truth:
        planted = [e for e in truth["events"] if e["type"] == "interruption" and e.get("speaker") == HELPER]
        found = [e.start for e in mh.interruptions]
        hits = sum(1 for p in planted if any(abs(f - p["start"]) <= 0.3 for f in found))
        false = sum(1 for f in found if not any(abs(f - p["start"]) <= 0.3 for p in planted))
        out.update(interruptions_planted=len(planted), interruptions_found=hits,
                   interruption_false_alarms=false)
    return out


def _score(group, name, mode, ref, act, seconds, uem=None, truth=None, duration=0.0) -> EvalItem:
    sc = diarization_error(ref, act.regions, uem=uem, collar=COLLAR)
    extra: dict[str, Any] = {"notes": list(act.notes), "unsure": act.uncertain_count, "info": dict(act.info)}
    if truth is not None:
        mapping = {h: r for h, r in sc.mapping.items()}
        extra.update(_timing_errors(ref, act, mapping, duration, truth))
    return EvalItem(group, name, mode, sc, len({r.speaker for r in ref}),
                    act.n_speakers_detected, seconds, extra)


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def eval_ami(folder: Path, options: DiarizeOptions | None = None) -> list[EvalItem]:
    refs: dict[str, list[SpeechRegion]] = {}
    uems: dict[str, tuple[float, float]] = {}
    for f in sorted(folder.glob("*.rttm")):
        refs.update(parse_rttm(f.read_text(encoding="utf-8")))
    for f in sorted(folder.glob("*.uem")):
        uems.update(parse_uem(f.read_text(encoding="utf-8")))
    items = []
    for name in sorted(refs):
        wav = folder / f"{name}.wav"
        if not wav.is_file():
            continue
        ch, sr = _load(wav)
        act, sec = _timed(analyse_mono, ch.mean(axis=0), sr, options)
        group = "ami-2spk" if name in TWO_SPEAKER_AMI else "ami-other"
        items.append(_score(group, name, "mono", refs[name], act, sec, uem=uems.get(name)))
    return items


def eval_dialogues(folder: Path, group: str, options: DiarizeOptions | None = None) -> list[EvalItem]:
    items = []
    for jf in sorted(folder.glob("*.json")):
        truth = json.loads(jf.read_text(encoding="utf-8"))
        if "turns" not in truth:
            continue
        name = jf.stem
        ref = _truth_regions(truth)
        stereo_path = next((p for p in (folder / f"{name}.stereo.flac", folder / f"{name}.stereo.wav") if p.is_file()), None)
        mono_path = next((p for p in (folder / f"{name}.flac", folder / f"{name}.wav") if p.is_file()), None)
        stereo = None
        if stereo_path is not None:
            stereo, sr = _load(stereo_path)
            act, sec = _timed(analyse_stereo, stereo, sr)
            items.append(_score(group, name, "stereo", ref, act, sec, truth=truth, duration=stereo.shape[1] / sr))
        if mono_path is not None:
            ch, sr = _load(mono_path)
            mono = ch.mean(axis=0)
        elif stereo is not None:
            mono = np.clip(stereo.sum(axis=0), -1, 1)
        else:
            continue
        act, sec = _timed(analyse_mono, mono, sr, options)
        items.append(_score(group, name, "mono", ref, act, sec, truth=truth, duration=mono.size / sr))
    return items


def eval_hard_sets(folder: Path, manifest: list[dict[str, Any]],
                   options: DiarizeOptions | None = None) -> list[EvalItem]:
    """Diarize every clip of a built hard-sets folder (see :mod:`service.eval.speaker_sets`)."""
    items = []
    for m in manifest:
        wav, rttm = folder / f"{m['name']}.wav", folder / f"{m['name']}.rttm"
        if not wav.is_file() or not rttm.is_file():
            logger.warning("hard set clip %s is missing; skipped", m["name"])
            continue
        ref = parse_rttm(rttm.read_text(encoding="utf-8")).get(m["name"], [])
        ch, sr = _load(wav)
        act, sec = _timed(analyse_mono, ch.mean(axis=0), sr, options)
        it = _score(m["group"], m["name"], "mono", ref, act, sec)
        it.n_ref = int(m["n_ref"])
        it.extra["split"] = m["split"]
        items.append(it)
    return items


def evaluate(data_dir: Path | None, *, fixtures: Path | None = FIXTURE_DIR,
             options: DiarizeOptions | None = None, hard_sets: Path | bool | None = None,
             cutins: bool = True) -> list[EvalItem]:
    """Score every available data set (see the module docstring).

    ``hard_sets``: a folder for the hard sets (built there when missing), ``True``
    for the default cache folder, ``None``/``False`` to skip them. ``cutins``: also the
    dialogues with planted cut-ins (:mod:`service.eval.cutins`, group ``cutins``, mono only).
    """
    items: list[EvalItem] = []
    if fixtures is not None and fixtures.is_dir():
        items += eval_dialogues(fixtures, "fixtures", options)
    if data_dir is not None:
        if (data_dir / "ami-excerpts").is_dir():
            items += eval_ami(data_dir / "ami-excerpts", options)
        if (data_dir / "dialogue").is_dir():
            items += eval_dialogues(data_dir / "dialogue", "dialogue", options)
            if cutins:
                folder = ensure_cutins(data_dir / "dialogue", default_cache_dir().parent)
                items += [it for it in eval_dialogues(folder, "cutins", options) if it.mode == "mono"]
    if hard_sets:
        ami = data_dir / "ami-excerpts" if data_dir is not None and (data_dir / "ami-excerpts").is_dir() else None
        folder, manifest = ensure_sets(None if hard_sets is True else Path(hard_sets), ami)
        items += eval_hard_sets(folder, manifest, options)
    return items


def _channel_decisions(path: Path, group: str, name: str) -> list[Decision]:
    """Diarize each channel of ``path`` alone (one voice each); silent channels are skipped."""
    ch, sr = _load(path)
    out = []
    for i, x in enumerate(ch):
        if float(np.max(np.abs(x), initial=0.0)) < 1e-3:
            continue
        act = analyse_mono(x, sr)
        label = name if ch.shape[0] == 1 else f"{name}/ch{i}"
        out.append(Decision(group, label, 1, act.n_speakers_detected, act.notes, act.uncertain_count, dict(act.info)))
    return out


def one_vs_two(items: list[EvalItem], data_dir: Path | None, *, fixtures: Path | None = FIXTURE_DIR) -> list[Decision]:
    """One-vs-two decisions: every mono item of ``items``, plus single voices.

    Single voices: ``tests/data/jfk.flac`` (mixed to mono) and each channel of
    ``stereo_diarization.wav``, of the fixtures and of ``DATA_DIR/dialogue``
    (each channel carries one speaker).
    """
    out = [Decision(it.group, it.name, it.n_ref, it.n_hyp, tuple(it.extra.get("notes", ())),
                    bool(it.extra.get("unsure", False)), dict(it.extra.get("info", {})))
           for it in items if it.mode == "mono"]
    if fixtures is not None:
        jfk, stereo = ONE_VOICE_FILES
        if jfk.is_file():
            ch, sr = _load(jfk)
            act = analyse_mono(ch.mean(axis=0), sr)
            out.append(Decision("one-voice", jfk.stem, 1, act.n_speakers_detected, act.notes, act.uncertain_count,
                                dict(act.info)))
        if stereo.is_file():
            out += _channel_decisions(stereo, "one-voice", stereo.stem)
        if fixtures.is_dir():
            for p in sorted(fixtures.glob("*.stereo.flac")):
                out += _channel_decisions(p, "fix-chan", p.name.split(".")[0])
    if data_dir is not None and (data_dir / "dialogue").is_dir():
        for p in sorted((data_dir / "dialogue").glob("*.stereo.flac")):
            out += _channel_decisions(p, "dlg-chan", p.name.split(".")[0])
    return out


def summarise(items: list[EvalItem]) -> dict[str, Any]:
    """DER per group (and mode), pooled over time, in percent.

    Also ``hard+ami-2spk`` (pooled over :data:`POOLED_GROUPS`, the issue-15 target)
    and ``hard/dev``, ``hard/test`` (the hard sets' two halves).
    """
    groups: dict[str, DiarizationScore] = {}
    for it in items:
        keys = [it.group, f"{it.group}/{it.mode}", "overall"]
        if it.group in POOLED_GROUPS:
            keys.append("hard+ami-2spk")
        if it.group in HARD_GROUPS:
            keys.append(f"hard/{it.extra.get('split', 'test')}")
        for key in keys:
            groups[key] = groups[key] + it.score if key in groups else it.score
    return {k: round(100 * v.der, 2) for k, v in sorted(groups.items())}
