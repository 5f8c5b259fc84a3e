#!/usr/bin/env python
"""Experiment (not shipped): issue 24's cue-model rows on AnnoMI-dev, on the nested run's outer folds.

Each row is a variant of the cue model (:mod:`cue_variants`) trained, for each outer fold of the
nested run (``service.eval.nested.outer_splits``: same seed, same transcripts), on the outer training
transcripts only, and run once through ``detect_cues`` on the outer test transcripts. No variant has
a knob fitted on any figure (embedding weight and history length were fixed before the first run;
the rows added later are marked in :mod:`cue_variants`), so the outer folds alone give honest figures; the inner folds of the nested run are needed only
where something is fitted on predicted cues (class calibration, the index variants of
``listenwell eval index``).

Figures per row: 4-class macro-F1 and input F1 with bootstrap intervals (transcripts resampled),
index session AUC with the current method (sub-score weights from the experts' labels of the
training transcripts, as ``listenwell eval index``'s ``current``), and the paired bootstrap
difference of each from the baseline (the shipped model class, same folds).

    nice -n 10 .venv/bin/python scripts/experiments/cue_rows.py run baseline ../shared/data/annomi-dev
    nice -n 10 .venv/bin/python scripts/experiments/cue_rows.py run minilm ../shared/data/annomi-dev
    .venv/bin/python scripts/experiments/cue_rows.py report ../shared/data/annomi-dev \
        --out benchmarks/results/cues-issue24-rows.json

``speed ENCODER`` times the encoder (one thread) on the first 20 transcripts: each turn alone, and
every turn of a session in batches of 32 sorted by length. ``run`` keeps each fold's test cues in ``~/.cache/listenwell/issue24/`` (or ``$LISTENWELL_CACHE``)
and resumes from there. ``--folds``/``--limit`` give quick runs.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import service.eval.metrics as M
from analysis.cues.detect import detect_cues
from analysis.cues.types import BEHAVIOURS
from cue_variants import VARIANTS, make_model
from service.eval.annomi import AnnoMISession, expert_view, load_annomi
from service.eval.cues import _gold_pred
from service.eval.index import _index, derive_weights, session_record
from service.eval.nested import machine_description, outer_splits, subset

ROWS = ("baseline", *VARIANTS)


def _cache(name: str, folds: int, limit: int | None) -> Path:
    base = Path(os.environ.get("LISTENWELL_CACHE", Path.home() / ".cache" / "listenwell")) / "issue24"
    return base / f"{name}-f{folds}-l{limit or 'all'}.pkl"


def run_variant(name: str, sessions: list[AnnoMISession], folds: int, limit: int | None) -> dict[str, Any]:
    """Train ``name`` on each outer training set and code its test fold; cached per fold."""
    path = _cache(name, folds, limit)
    done: dict[str, Any] = pickle.loads(path.read_bytes()) if path.is_file() else {"folds": {}}
    for k, (tr, te) in enumerate(outer_splits(sessions, folds)):
        if k in done["folds"]:
            continue
        t0 = time.perf_counter()
        model = make_model(name).fit([(sessions[i].turns, sessions[i].labels) for i in tr])
        fit_s = time.perf_counter() - t0
        res, times = {}, []
        for i in te:
            t1 = time.perf_counter()
            res[sessions[i].transcript_id] = detect_cues(sessions[i].turns, model=model)
            times.append((time.perf_counter() - t1, sum(t.role == "helper" for t in sessions[i].turns)))
        done["folds"][k] = {"train_ids": [sessions[i].transcript_id for i in tr],
                            "test_ids": [sessions[i].transcript_id for i in te], "test": res,
                            "fit_seconds": round(fit_s, 1), "detect_seconds": times}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(done))
        print(f"{name}: fold {k + 1} done (fit {fit_s:.0f} s)", flush=True)
    return done


def _confusions(sessions: list[AnnoMISession], results: dict[str, Any]) -> np.ndarray:
    g, p = [], []
    for s in sessions:
        r = _gold_pred([s], results)
        g.append(r["g_b"])
        p.append(r["p_b"])
    return M.session_confusions(g, p, BEHAVIOURS)


def index_scores(sessions: list[AnnoMISession], run: dict[str, Any]) -> dict[str, float | None]:
    """The current index method per outer fold: weights from the experts' labels of the training fold."""
    by_id = {s.transcript_id: s for s in sessions}
    expert = {s.transcript_id: session_record(s, expert_view(s.labels)) for s in sessions}
    out = {}
    for f in run["folds"].values():
        w = derive_weights([expert[t] for t in f["train_ids"]])
        for t in f["test_ids"]:
            out[t] = _index(session_record(by_id[t], f["test"][t])["sub"], w)
    return out


def row_figures(sessions: list[AnnoMISession], run: dict[str, Any], base: dict[str, Any] | None,
                n_boot: int) -> dict[str, Any]:
    """Macro-F1, input F1 and index AUC with intervals, and paired differences from ``base``."""
    results = {t: r for f in run["folds"].values() for t, r in f["test"].items()}
    conf = _confusions(sessions, results)
    b = M.bootstrap_macro_f1(conf, n_boot=n_boot)
    per_class = M.f1_from_confusion(conf.sum(0))
    j = BEHAVIOURS.index("input")
    idx = index_scores(sessions, run)
    y = [s.quality == "high" for s in sessions]
    ids = [s.transcript_id for s in sessions]
    a = M.bootstrap_auc([idx[t] for t, h in zip(ids, y) if h], [idx[t] for t, h in zip(ids, y) if not h],
                        n_boot=n_boot)
    per_fold = []
    for k, f in sorted(run["folds"].items()):
        test = [s for s in sessions if s.transcript_id in set(f["test_ids"])]
        per_fold.append(round(float(M.f1_from_confusion(_confusions(test, f["test"]).sum(0)).mean()), 4))
    per_utt = [sec / max(1, n) for f in run["folds"].values() for sec, n in f["detect_seconds"]]
    out = {"macro_f1": b["value"], "macro_f1_ci95": b["ci"],
           "per_class_f1": {c: round(float(v), 4) for c, v in zip(BEHAVIOURS, per_class)},
           "per_class_f1_ci95": dict(zip(BEHAVIOURS, b["per_class_ci"])),
           "input_f1": round(float(per_class[j]), 4), "input_f1_ci95": b["per_class_ci"][j],
           "index_auc": a["value"], "index_auc_ci95": a["ci"], "per_fold_macro_f1": per_fold,
           "confusion_rows_gold_cols_pred": conf.sum(0).tolist(),
           "fit_seconds_per_fold": [f["fit_seconds"] for f in run["folds"].values()],
           "detect_seconds_per_helper_utterance_median": round(float(np.median(per_utt)), 5)}
    if base is not None:
        bres = {t: r for f in base["folds"].values() for t, r in f["test"].items()}
        bconf = _confusions(sessions, bres)
        d = M.bootstrap_macro_f1_difference(conf, bconf, n_boot=n_boot)
        bidx = index_scores(sessions, base)
        da = M.bootstrap_auc_difference([idx[t] for t in ids], [bidx[t] for t in ids], y, n_boot=n_boot)
        out |= {"minus_baseline_macro_f1": d["value"], "minus_baseline_macro_f1_ci95": d["ci"],
                "minus_baseline_input_f1": d["per_class_value"][j],
                "minus_baseline_input_f1_ci95": d["per_class_ci"][j],
                "minus_baseline_index_auc": da["value"], "minus_baseline_index_auc_ci95": da["ci"],
                "beats_baseline_macro_f1": bool(d["ci"][0] > 0)}
    return out


def report(sessions: list[AnnoMISession], folds: int, limit: int | None, rows: list[str], n_boot: int) -> dict:
    runs = {r: pickle.loads(_cache(r, folds, limit).read_bytes()) for r in rows if _cache(r, folds, limit).is_file()}
    for r in [r for r, run in runs.items() if len(run["folds"]) < folds]:
        print(f"{r}: only {len(runs.pop(r)['folds'])} of {folds} folds run, left out", file=sys.stderr)
    base = runs.get("baseline")
    return {"what": "issue 24 cue-model rows: each variant trained on each outer training fold of the nested "
                    "run and scored once on its outer test fold; paired bootstrap over transcripts against "
                    "the baseline (the shipped model class) on the same folds",
            "n_transcripts": len(sessions), "outer_folds": folds, "limit": limit,
            "bootstrap": {"resamples": n_boot, "unit": "session (transcript)", "level": 0.95},
            "fold_test_ids": [f["test_ids"] for _, f in sorted(next(iter(runs.values()))["folds"].items())],
            "rows": {r: row_figures(sessions, run, None if r == "baseline" else base, n_boot)
                     for r, run in runs.items()},
            "machine": machine_description()}


def speed(sessions: list[AnnoMISession], name: str, n: int = 20) -> dict[str, Any]:
    """Median seconds per utterance of a frozen encoder: one at a time, and a session's turns in batches."""
    from text_encoders import encoder

    enc = encoder(name)
    enc.encode(["warm up"])
    single, batched = [], []
    for s in sessions[:n]:
        texts = sorted((t.text for t in s.turns if t.text.strip()), key=len)
        t0 = time.perf_counter()
        for i in range(0, len(texts), 32):
            enc.encode(texts[i:i + 32])
        batched.append((time.perf_counter() - t0) / len(texts))
        for t in texts[::max(1, len(texts) // 10)]:  # a spread of lengths
            t1 = time.perf_counter()
            enc.encode([t])
            single.append(time.perf_counter() - t1)
    return {"encoder": name, "transcripts": min(n, len(sessions)),
            "median_seconds_per_utterance_alone": round(float(np.median(single)), 5),
            "median_seconds_per_utterance_in_session_batches": round(float(np.median(batched)), 5),
            "machine": machine_description()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["run", "report", "speed"])
    ap.add_argument("variant", nargs="?", default=None, help=f"for run: one of {', '.join(ROWS)}")
    ap.add_argument("annomi_dir")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--boot", type=int, default=2000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    sessions = subset(load_annomi(args.annomi_dir), args.limit)
    if args.what == "speed":
        res = speed(sessions, args.variant or "minilm")
        print(json.dumps(res, indent=1))
        if args.out:
            Path(args.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
        return 0
    if args.what == "run":
        if args.variant not in ROWS:
            ap.error(f"variant must be one of {ROWS}")
        run_variant(args.variant, sessions, args.folds, args.limit)
        return 0
    res = report(sessions, args.folds, args.limit, list(ROWS), args.boot)
    for r, v in res["rows"].items():
        diff = ("" if "minus_baseline_macro_f1" not in v else
                f"  d {v['minus_baseline_macro_f1']:+.3f} {v['minus_baseline_macro_f1_ci95']}"
                f"  d_input {v['minus_baseline_input_f1']:+.3f} {v['minus_baseline_input_f1_ci95']}"
                f"  d_auc {v['minus_baseline_index_auc']:+.3f} {v['minus_baseline_index_auc_ci95']}")
        print(f"{r:<16} F1 {v['macro_f1']:.3f} {v['macro_f1_ci95']}  input {v['input_f1']:.3f} "
              f"{v['input_f1_ci95']}  AUC {v['index_auc']:.3f} {v['index_auc_ci95']}{diff}")
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
