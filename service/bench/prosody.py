"""Benchmark: prosody time against transcription time on a 10-minute two-speaker recording.

    .venv/bin/python -m service.bench.prosody ../shared/data/dialogue --out benchmarks/results/prosody-cpu.json

Builds the recording from the voiced AnnoMI dialogues (``annomi119-high`` then
``annomi131-low``, cut at ``--minutes``) with their truth turns, then times in
one process, side by side: ListenWell's prosody (mono mix and per channel),
transcription with the default ``TranscribeOptions``, ``librosa.yin`` and
``librosa.pyin`` at their defaults. The numba compile cost of librosa's pitch
trackers is measured separately in fresh processes with an empty cache (cold)
and again with that cache filled (warm). Also reports pitch agreement with
pyin on the same speech and, with ``--shift-lines``, a known answer: Piper
lines and the same lines shifted up 4 semitones.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.prosody.analyze import ProsodyOptions, prosody_by_speaker
from analysis.prosody.pitch import frame_features, pitch_stats
from analysis.schema import Turn
from audio.transcribe import TranscribeOptions, load_model, transcribe
from service.synth.voice import synthesize_line

logger = logging.getLogger(__name__)

NAMES = ("annomi119-high", "annomi131-low")
SR = 16000
_COLD_SNIPPET = """
import time, numpy as np
t0 = time.perf_counter()
y = (0.1 * np.sin(2 * np.pi * 150 * np.arange(16000) / 16000)).astype(np.float32)
{body}
print(time.perf_counter() - t0)
"""
_BODIES = {
    "librosa.pyin": "import librosa; librosa.pyin(y, fmin=65, fmax=400, sr=16000)",
    "librosa.yin": "import librosa; librosa.yin(y, fmin=65, fmax=400, sr=16000)",
    "listenwell prosody": (
        "from analysis.prosody.analyze import prosody_by_speaker\n"
        "from analysis.schema import Turn\n"
        "prosody_by_speaker(y, 16000, [Turn('helper', 'hi there', 0.0, 1.0, 'helper')])\n"
        "import sys; assert 'numba' not in sys.modules, 'numba was imported'"
    ),
}


def build_recording(folder: Path, minutes: float):
    """Mono (n,), stereo (2, n) and truth turns of the first ``minutes`` of the two dialogues."""
    import soundfile as sf

    monos, stereos, turns, offset = [], [], [], 0.0
    limit = minutes * 60.0
    for name in NAMES:
        if offset >= limit:
            break
        mono, sr = sf.read(folder / f"{name}.flac", dtype="float32")
        stereo, _ = sf.read(folder / f"{name}.stereo.flac", dtype="float32")
        if sr != SR:
            raise SystemExit(f"{name}: expected {SR} Hz, got {sr}")
        keep = int(min(len(mono), (limit - offset) * SR))
        monos.append(mono[:keep])
        stereos.append(stereo[:keep].T)
        for t in json.loads((folder / f"{name}.json").read_text())["turns"]:
            if t["end"] + offset <= offset + keep / SR:
                turns.append(Turn(t["speaker"], t["text"], t["start"] + offset, t["end"] + offset,
                                  t["speaker"], index=len(turns)))
        offset += keep / SR
    return np.concatenate(monos), np.concatenate(stereos, axis=1), turns


def numba_cold_warm() -> dict[str, dict[str, float]]:
    """First-call seconds in a fresh process: empty numba cache (cold), then the same cache (warm)."""
    out: dict[str, dict[str, float]] = {}
    root = Path(__file__).resolve().parents[2]
    for label, body in _BODIES.items():
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(root))
            code = _COLD_SNIPPET.format(body=body)
            runs = []
            for _ in range(2):
                r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
                runs.append(float(r.stdout.strip().splitlines()[-1]))
        out[label] = {"cold_s": runs[0], "warm_s": runs[1], "compile_s": runs[0] - runs[1]}
        logger.info("%s first call: cold %.1f s, warm %.1f s", label, runs[0], runs[1])
    return out


def _timed(fn, repeat: int = 1):
    best, value = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def _frame_mask(n: int, hop_s: float, turns, speaker: str) -> np.ndarray:
    t = np.arange(n) * hop_s
    m = np.zeros(n, dtype=bool)
    for tr in turns:
        if tr.speaker == speaker:
            m |= (t >= tr.start) & (t <= tr.end)
    return m


def pitch_agreement(result, pyin_f0: np.ndarray, pyin_hop_s: float, mono: np.ndarray, turns) -> dict:
    """Per-speaker median pitch (ours vs pyin) and frame agreement on speech."""
    ff = frame_features(mono, SR)
    out: dict = {}
    for spk in ("helper", "client"):
        mp = _frame_mask(len(pyin_f0), pyin_hop_s, turns, spk)
        mine = result.speaker(spk)
        out[spk] = {"median_hz_ours": mine.pitch_median_hz, "median_hz_pyin": float(np.nanmedian(pyin_f0[mp])),
                    "sd_st_ours": mine.pitch_sd_st,
                    "sd_st_pyin": float(np.nanstd(12 * np.log2(pyin_f0[mp] / np.nanmedian(pyin_f0[mp]))))}
    h, c = out["helper"], out["client"]
    out["helper_minus_client_st_ours"] = float(12 * np.log2(h["median_hz_ours"] / c["median_hz_ours"]))
    out["helper_minus_client_st_pyin"] = float(12 * np.log2(h["median_hz_pyin"] / c["median_hz_pyin"]))
    # Frame agreement: our frames sampled at pyin's frame centres.
    idx = np.minimum(np.round(np.arange(len(pyin_f0)) * pyin_hop_s / ff.hop_s).astype(int), len(ff.f0_hz) - 1)
    ours = ff.f0_hz[idx]
    vp, vo = np.isfinite(pyin_f0), np.isfinite(ours)
    both = vp & vo
    cents = 1200 * np.abs(np.log2(ours[both] / pyin_f0[both]))
    out["frames"] = {
        "voicing_agreement": float(np.mean(vp == vo)),
        "pyin_voiced_fraction": float(vp.mean()), "ours_voiced_fraction": float(vo.mean()),
        "within_50_cents": float(np.mean(cents < 50)), "gross_errors_over_20pct": float(np.mean(cents > 316)),
    }
    return out


def shift_known_answer(n_lines: int) -> dict:
    """Piper lines vs the same audio shifted +4 st: the median difference each method reads."""
    import librosa

    lines = [
        "I have been feeling really scared about going back to work. Everyone will be watching me.",
        "It sounds like going back feels frightening, and you worry about being judged.",
        "Thanks for coming in today. What has been on your mind this week?",
        "My sister keeps telling me to just get over it, but it is not that simple.",
        "You have a lot going on, and you are still showing up. That takes courage.",
        "So part of you wants things to change, and part of you is worried about what that means.",
    ][:n_lines]
    diffs: dict[str, list[float]] = {"ours": [], "librosa.yin": [], "librosa.pyin": []}
    for line in lines:
        h, sr = synthesize_line(line, "helper")
        c = librosa.effects.pitch_shift(h, sr=sr, n_steps=4.0, res_type="soxr_hq").astype(np.float32)
        med = {
            "ours": lambda y: pitch_stats(frame_features(y, sr).f0_hz)[0],
            "librosa.yin": lambda y: float(np.median(librosa.yin(y, fmin=65, fmax=400, sr=sr))),
            "librosa.pyin": lambda y: _nanmedian(librosa.pyin(y, fmin=65, fmax=400, sr=sr)[0]),
        }
        for k, f in med.items():
            diffs[k].append(float(12 * np.log2(f(c) / f(h))))
    out = {}
    for k, v in diffs.items():
        a = np.array(v)
        ok = np.isfinite(a)
        out[k] = {"diffs_st": [float(x) if np.isfinite(x) else None for x in a],
                  "mean_abs_error_st": float(np.mean(np.abs(a[ok] - 4.0))) if ok.any() else None,
                  "failed_lines": int((~ok).sum())}
    return out


def _nanmedian(f0: np.ndarray) -> float:
    """Median of the voiced values; NaN when nothing is voiced (pyin can call a whole line unvoiced)."""
    f0 = f0[np.isfinite(f0)]
    return float(np.median(f0)) if len(f0) else float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path, help="folder with annomi119-high.* and annomi131-low.* (../shared/data/dialogue)")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--repeat", type=int, default=3, help="best of N for the prosody timings")
    ap.add_argument("--skip-pyin", action="store_true", help="skip the slow plain-pyin run")
    ap.add_argument("--skip-cold", action="store_true", help="skip the numba cold/warm subprocesses")
    ap.add_argument("--shift-lines", type=int, default=5, help="Piper lines for the +4 st known answer (0: skip)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = args.data_dir / "dialogue" if (args.data_dir / "dialogue").is_dir() else args.data_dir
    if not (folder / f"{NAMES[0]}.flac").is_file():
        raise SystemExit(f"no {NAMES[0]}.flac in {folder}")

    res: dict = {"machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                             "platform": platform.platform()}}
    if not args.skip_cold:
        res["numba_first_call"] = numba_cold_warm()

    mono, stereo, turns = build_recording(folder, args.minutes)
    dur = len(mono) / SR
    res["audio_s"], res["turns"] = dur, len(turns)
    logger.info("recording: %.1f s, %d turns", dur, len(turns))
    import librosa

    # Warm every method on 1 s so the timings below exclude one-time compiles and loads.
    y1 = mono[: SR]
    librosa.yin(y1, fmin=65, fmax=400, sr=SR)
    librosa.pyin(y1, fmin=65, fmax=400, sr=SR)
    prosody_by_speaker(y1, SR, turns[:1])
    opts = TranscribeOptions()
    t_load, _ = _timed(lambda: load_model(opts))

    times: dict[str, float] = {}
    times["prosody_mono"], result = _timed(lambda: prosody_by_speaker(mono, SR, turns), args.repeat)
    times["prosody_channels"], _ = _timed(
        lambda: prosody_by_speaker(stereo, SR, turns, channels={"helper": 0, "client": 1}), args.repeat)
    times["librosa_yin_default"], _ = _timed(lambda: librosa.yin(mono, fmin=65, fmax=400, sr=SR))
    logger.info("prosody mono %.2f s, per channel %.2f s, librosa.yin %.2f s",
                times["prosody_mono"], times["prosody_channels"], times["librosa_yin_default"])
    times["transcription"], transcript = _timed(lambda: transcribe(mono, opts))
    logger.info("transcription %.1f s (%d words)", times["transcription"], len(transcript.words))
    pyin_f0 = None
    if not args.skip_pyin:
        times["librosa_pyin_default"], (pyin_f0, _, _) = _timed(lambda: librosa.pyin(mono, fmin=65, fmax=400, sr=SR))
        logger.info("librosa.pyin %.1f s", times["librosa_pyin_default"])
    res["times_s"] = times
    res["model_load_s"] = t_load
    res["ratio_to_transcription"] = {k: v / times["transcription"] for k, v in times.items()}
    res["transcribe_options"] = {"model": opts.model, "device": opts.device, "compute_type": opts.compute_type,
                                 "batched": opts.batched, "beam_size": opts.beam_size}
    res["prosody_options"] = ProsodyOptions().to_dict()
    if pyin_f0 is not None:
        res["pitch_vs_pyin"] = pitch_agreement(result, pyin_f0, 512 / SR, mono, turns)
    if args.shift_lines > 0:
        try:
            res["shift_known_answer"] = shift_known_answer(args.shift_lines)
        except Exception as e:  # Piper is a test extra
            logger.warning("shift known answer skipped: %s", e)

    _print(res)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(res, indent=1) + "\n")
        logger.info("wrote %s", args.out)
    return 0


def _print(res: dict) -> None:
    t, r = res["times_s"], res["ratio_to_transcription"]
    print(f"\n{res['audio_s'] / 60:.1f} min two-speaker recording, {res['turns']} turns "
          f"({res['machine']['cpu_count']} CPUs, shared: timings are noisy, ratios are side by side)")
    print(f"{'method':34s} {'seconds':>9s} {'x transcription':>16s}")
    for k in t:
        print(f"{k:34s} {t[k]:9.2f} {r[k]:15.1%}")
    if "numba_first_call" in res:
        print("\nfirst call in a fresh process (numba cache empty = cold, filled = warm):")
        for k, v in res["numba_first_call"].items():
            print(f"  {k:22s} cold {v['cold_s']:6.1f} s  warm {v['warm_s']:6.1f} s  compile {v['compile_s']:6.1f} s")
    if "pitch_vs_pyin" in res:
        p = res["pitch_vs_pyin"]
        for spk in ("helper", "client"):
            print(f"  {spk}: median {p[spk]['median_hz_ours']:.1f} Hz (pyin {p[spk]['median_hz_pyin']:.1f}), "
                  f"sd {p[spk]['sd_st_ours']:.2f} st (pyin {p[spk]['sd_st_pyin']:.2f})")
        print(f"  helper - client: {p['helper_minus_client_st_ours']:.2f} st (pyin {p['helper_minus_client_st_pyin']:.2f})")
        print("  frames: " + ", ".join(f"{k} {v:.3f}" for k, v in p["frames"].items()))
    if "shift_known_answer" in res:
        print("+4 st known answer (Piper line vs the same audio shifted), mean abs error:")
        for k, v in res["shift_known_answer"].items():
            mae = "n/a" if v["mean_abs_error_st"] is None else f"{v['mean_abs_error_st']:.2f} st"
            diffs = ", ".join("none" if d is None else f"{d:.2f}" for d in v["diffs_st"])
            print(f"  {k:14s} {mae}  ({diffs}; lines with no voiced frame: {v['failed_lines']})")


if __name__ == "__main__":
    sys.exit(main())
