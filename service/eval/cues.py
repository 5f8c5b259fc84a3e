"""Evaluation of the text-cue stage on AnnoMI (nested grouped CV) and EPITOME.

Every AnnoMI figure comes from nested cross-validation grouped by transcript
(:mod:`service.eval.nested`): for each outer fold the behaviour model is trained on the other
transcripts only, and the held-out transcripts are run once through
:func:`analysis.cues.detect.detect_cues` with that fold's model; the per-class calibration is fitted
on inner folds of the training transcripts. Every macro-F1 and AUC has a bootstrap 95 % interval
(transcripts resampled). Nothing from AnnoMI or EPITOME is written except the figures.
"""

from __future__ import annotations

import csv
import logging
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import service.eval.metrics as M
from analysis.cues.detect import detect_cues
from analysis.cues.model import default_model
from analysis.cues.types import BEHAVIOURS, CueOptions, CueResult
from analysis.schema import CLIENT, HELPER, Turn
from service.eval.annomi import AnnoMISession, expert_view, resolve_dirs
from service.eval.nested import run_nested

__all__ = ["REFERENCE", "evaluate_annomi", "evaluate_epitome", "evaluate_cues"]

log = logging.getLogger(__name__)

# AnnoMI README (all 133 transcripts): per-transcript means, high vs low quality.
REFERENCE = {
    "reflection_to_question": (1.42, 0.17), "pct_complex_reflections": (46.6, 37.9), "pct_open_questions": (60.1, 58.8),
    "input_share": (12.5, 48.6), "advice_share": (2.0, 22.6), "helper_word_share": (53.9, 61.5),
}
_PERCENT = {"input_share", "advice_share", "helper_word_share"}


def _gold_pred(sessions: list[AnnoMISession], results: dict[str, CueResult]) -> dict[str, list]:
    rows: dict[str, list] = {k: [] for k in ("g_b", "p_b", "g_q", "p_q", "g_r", "p_r", "g_adv", "p_adv",
                                             "g_talk", "p_talk")}
    for s in sessions:
        res = results[s.transcript_id]
        codes = {b.turn_index: b for b in res.behaviours}
        advice = {c.turn_index for c in res.cues if c.kind == "advice"}
        talk = {c.turn_index: c.kind for c in res.cues if c.kind in ("change_talk", "sustain_talk")}
        for i, (t, lab) in enumerate(zip(s.turns, s.labels)):
            if t.role == HELPER and lab.behaviour and i in codes:
                b = codes[i]
                rows["g_b"].append(lab.behaviour)
                rows["p_b"].append(b.behaviour)
                rows["g_q"].append(f"{lab.question}" if lab.behaviour == "question" else "")
                rows["p_q"].append(b.subtype if b.behaviour == "question" else "")
                rows["g_r"].append(f"{lab.reflection}" if lab.behaviour == "reflection" else "")
                rows["p_r"].append(b.subtype if b.behaviour == "reflection" else "")
                rows["g_adv"].append(lab.behaviour == "input" and lab.input == "advice")
                rows["p_adv"].append(i in advice)
            elif t.role == CLIENT and lab.talk:
                rows["g_talk"].append(lab.talk)
                rows["p_talk"].append(talk.get(i, "neutral_talk").replace("_talk", ""))
    return rows


def _cue_table(rows: dict[str, list]) -> dict[str, Any]:
    per_cue = {
        "open_question": M.prf([g == "open" for g in rows["g_q"]], [p == "open" for p in rows["p_q"]]),
        "closed_question": M.prf([g == "closed" for g in rows["g_q"]], [p == "closed" for p in rows["p_q"]]),
        "simple_reflection": M.prf([g == "simple" for g in rows["g_r"]], [p == "simple" for p in rows["p_r"]]),
        "complex_reflection": M.prf([g == "complex" for g in rows["g_r"]], [p == "complex" for p in rows["p_r"]]),
        "advice": M.prf(rows["g_adv"], rows["p_adv"]),
        "change_talk": M.prf([g == "change" for g in rows["g_talk"]], [p == "change" for p in rows["p_talk"]]),
        "sustain_talk": M.prf([g == "sustain" for g in rows["g_talk"]], [p == "sustain" for p in rows["p_talk"]]),
    }
    return {
        "macro_f1": M.macro_f1(rows["g_b"], rows["p_b"], BEHAVIOURS),
        "accuracy": round(float(np.mean([g == p for g, p in zip(rows["g_b"], rows["p_b"])])), 4),
        "per_class": M.per_class(rows["g_b"], rows["p_b"], BEHAVIOURS),
        "confusion": {"classes": list(BEHAVIOURS), "rows_gold_cols_pred": M.confusion(rows["g_b"], rows["p_b"], BEHAVIOURS)},
        "client_talk_macro_f1": M.macro_f1(rows["g_talk"], rows["p_talk"], ("change", "neutral", "sustain")),
        "per_cue": per_cue,
        "n_helper_utterances": len(rows["g_b"]),
        "n_client_utterances": len(rows["g_talk"]),
    }


def _describe(values: list[float]) -> dict[str, float] | None:
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    q = statistics.quantiles(v, n=4) if len(v) >= 2 else [v[0]] * 3
    return {"n": len(v), "mean": round(statistics.fmean(v), 2), "min": round(v[0], 2), "q1": round(q[0], 2),
            "median": round(q[1], 2), "q3": round(q[2], 2), "max": round(v[-1], 2)}


_LR_FEATURES = ("reflection_share", "question_share", "input_share", "advice_share", "helper_word_share", "reflection_to_question")


def _summary_lr_auc(sessions: list[AnnoMISession], summ: dict[str, dict]) -> float | None:
    """AUC of a logistic regression over the predicted MITI shares, out of fold (stratified 5-fold)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.array([[summ[s.transcript_id][k] or 0.0 for k in _LR_FEATURES] for s in sessions])
    y = np.array([s.quality == "high" for s in sessions])
    if y.sum() < 5 or (~y).sum() < 5:
        return None
    scores = np.zeros(len(y))
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        m = make_pipeline(StandardScaler(), LogisticRegression(C=1.0)).fit(x[tr], y[tr])
        scores[te] = m.decision_function(x[te])
    return M.auc(list(scores[y]), list(scores[~y]))


def _session_level(sessions: list[AnnoMISession], results: dict[str, CueResult], n_boot: int = 2000) -> dict[str, Any]:
    """Session-level figures from out-of-fold cues. The index uses the shipped weights, which were chosen
    on all of annomi-dev (in-sample constants); the nested index figure is ``listenwell eval index``."""
    out: dict[str, Any] = {}
    try:
        from analysis.scoring.score import score_session
    except ImportError:  # the scoring stage is optional here
        score_session = None  # type: ignore[assignment]
    if score_session is not None:
        idx = {s.transcript_id: score_session(s.turns, results[s.transcript_id]).index for s in sessions}
        hi = [idx[s.transcript_id] for s in sessions if s.quality == "high" and idx[s.transcript_id] is not None]
        lo = [idx[s.transcript_id] for s in sessions if s.quality == "low" and idx[s.transcript_id] is not None]
        b = M.bootstrap_auc(hi, lo, n_boot=n_boot)
        out["index_auc"] = b["value"]
        out["index_auc_ci95"] = b["ci"]
        out["index_auc_note"] = ("out-of-fold cues, but the index weights are the shipped constants chosen on all "
                                 "annomi-dev (in-sample); nested figure: listenwell eval index")
        out["index_distribution"] = {"high": _describe(hi), "low": _describe(lo)}
        out["index_per_session"] = [{"transcript_id": s.transcript_id, "quality": s.quality,
                                     "index": idx[s.transcript_id]} for s in sessions]
        ex = {s.transcript_id: score_session(s.turns, expert_view(s.labels)).index for s in sessions}
        b = M.bootstrap_auc(
            [v for s in sessions if s.quality == "high" and (v := ex[s.transcript_id]) is not None],
            [v for s in sessions if s.quality == "low" and (v := ex[s.transcript_id]) is not None], n_boot=n_boot)
        out["index_auc_expert_labels"], out["index_auc_expert_labels_ci95"] = b["value"], b["ci"]
    summ = {s.transcript_id: results[s.transcript_id].summary.to_dict() for s in sessions}
    out["summary_lr_auc"] = _summary_lr_auc(sessions, summ)
    miti = {}
    for key, (ref_hi, ref_lo) in REFERENCE.items():
        scale = 100.0 if key in _PERCENT else 1.0
        vals = {q: [summ[s.transcript_id][key] * scale for s in sessions if s.quality == q
                    and summ[s.transcript_id][key] is not None] for q in ("high", "low")}
        miti[key] = {"predicted_high_mean": round(statistics.fmean(vals["high"]), 2) if vals["high"] else None,
                     "predicted_low_mean": round(statistics.fmean(vals["low"]), 2) if vals["low"] else None,
                     "reference_high_mean": ref_hi, "reference_low_mean": ref_lo,
                     "auc_high_vs_low": M.auc(vals["high"], vals["low"])}
    out["miti_by_quality"] = miti
    return out


def _behaviour_block(sessions: list[AnnoMISession], results: dict[str, CueResult], n_boot: int) -> dict[str, Any]:
    """4-class figures with bootstrap intervals (sessions resampled)."""
    per_gold, per_pred = [], []
    for s in sessions:
        r = _gold_pred([s], results)
        per_gold.append(r["g_b"])
        per_pred.append(r["p_b"])
    conf = M.session_confusions(per_gold, per_pred, BEHAVIOURS)
    boot = M.bootstrap_macro_f1(conf, n_boot=n_boot)
    return {"macro_f1_ci95": boot["ci"],
            "per_class_f1_ci95": dict(zip(BEHAVIOURS, boot["per_class_ci"])), "_conf": conf}


def evaluate_annomi(annomi_dir: Path, folds: int = 5, progress: Callable[[str], None] | None = None,
                    model_kwargs: dict[str, Any] | None = None, limit: int | None = None, inner: int = 3,
                    n_boot: int = 2000, use_cache: bool = True) -> dict[str, Any]:
    """Nested grouped CV of the cue stage on AnnoMI: 4-class macro-F1, per-cue P/R/F1, session AUC.

    Outer folds score; the per-class calibration (class biases) is fitted on inner out-of-fold
    predictions of the outer training transcripts only (:mod:`service.eval.nested`). Every macro-F1
    and AUC carries a bootstrap 95 % interval over transcripts. ``limit`` keeps a balanced subset of
    that many transcripts (quick runs and tests).
    """
    sessions, run = run_nested(annomi_dir, folds, inner, limit, progress, model_kwargs, use_cache=use_cache)
    model_results: dict[str, CueResult] = {}
    cal_results: dict[str, CueResult] = {}
    per_fold = []
    for f in run.folds:
        model_results.update(f.test)
        cal_results.update(f.test_calibrated)
        test = [s for s in sessions if s.transcript_id in set(f.test_ids)]
        per_fold.append({
            "fold": f.fold, "train_ids": f.train_ids, "test_ids": f.test_ids,
            "inner_folds": [{"train_ids": a, "test_ids": b} for a, b in f.inner_folds],
            "class_bias": f.class_bias,
            "macro_f1": _cue_table(_gold_pred(test, f.test))["macro_f1"],
            "macro_f1_calibrated": _cue_table(_gold_pred(test, f.test_calibrated))["macro_f1"],
        })
    times = [t for f in run.folds for t in f.seconds_per_session]
    rule_results: dict[str, CueResult] = {}
    rule_times: list[float] = []
    for s in sessions:  # rules fit nothing: every transcript is out of sample
        t1 = time.perf_counter()
        rule_results[s.transcript_id] = detect_cues(s.turns, CueOptions(use_model=False))
        rule_times.append(time.perf_counter() - t1)
    blocks = {}
    for name, res in (("model", model_results), ("model_calibrated", cal_results), ("rules", rule_results)):
        b = _behaviour_block(sessions, res, n_boot)
        conf = b.pop("_conf")
        blocks[name] = (_cue_table(_gold_pred(sessions, res)) | b | _session_level(sessions, res, n_boot), conf)
    diff = M.bootstrap_macro_f1_difference(blocks["model_calibrated"][1], blocks["model"][1], n_boot=n_boot)
    return {
        "nested": True,
        "what": "nested grouped cross-validation: the cue model is trained on the outer training transcripts "
                "only and scores each outer test fold once; class calibration is fitted on inner out-of-fold "
                "predictions of the training transcripts",
        "n_transcripts": len(sessions),
        "n_high": sum(s.quality == "high" for s in sessions),
        "n_low": sum(s.quality == "low" for s in sessions),
        "folds": run.n_outer, "inner_folds": run.n_inner,
        "bootstrap": {"resamples": n_boot, "unit": "session (transcript)", "level": 0.95},
        "per_fold": per_fold,
        "model": blocks["model"][0],
        "model_calibrated": blocks["model_calibrated"][0],
        "calibrated_minus_model_macro_f1": diff["value"], "calibrated_minus_model_ci95": diff["ci"],
        "calibration_beats_model": bool(diff["ci"][0] > 0),
        "rules": blocks["rules"][0],
        "seconds_per_session": {"median": round(statistics.median(times), 4), "max": round(max(times), 4),
                                "rules_median": round(statistics.median(rule_times), 4),
                                "rules_max": round(max(rule_times), 4)},
        "nested_run_seconds": run.seconds,
    }


def _read_epitome(path: Path) -> list[tuple[str, str, str, int]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [(r["rp_id"], r["seeker_post"], r["response_post"], int(r["level"])) for r in csv.DictReader(f)]


def _epitome_scores(res: CueResult) -> dict[str, float]:
    kinds = {c.kind for c in res.cues if c.role == HELPER}
    probs = res.behaviours[0].probabilities if res.behaviours else {}
    qlab = {c.label for c in res.cues if c.kind == "question"}
    return {
        "validation": float("validation" in kinds or "affirmation" in kinds),
        "reflection": float(probs.get("reflection", float("reflection" in kinds))),
        "question": float(probs.get("question", float("question" in kinds))),
        "open_question": float("open" in qlab),
        "empathic": float(bool(kinds & {"validation", "reflection"})),
    }


def evaluate_epitome(empathy_dir: Path, limit: int | None = None) -> dict[str, Any]:
    """How the cues track EPITOME's three empathy levels (0, 1, 2): Spearman and AUC level 2 vs 0."""
    files = {"emotional_reactions": "emotional-reactions-reddit.csv",
             "interpretations": "interpretations-reddit.csv", "explorations": "explorations-reddit.csv"}
    model = default_model()
    cache: dict[str, dict[str, float]] = {}
    out: dict[str, Any] = {"model": "shipped (trained on AnnoMI only)" if model else "rules"}
    for name, fname in files.items():
        path = empathy_dir / fname
        if not path.is_file():
            continue
        rows = _read_epitome(path)[:limit]
        for rp, seeker, response, _ in rows:
            if rp not in cache:
                turns = [Turn(CLIENT, seeker, role=CLIENT, index=0), Turn(HELPER, response, role=HELPER, index=1)]
                cache[rp] = _epitome_scores(detect_cues(turns, model=model))
        levels = [lv for *_, lv in rows]
        res = {}
        for cue in ("validation", "reflection", "question", "open_question", "empathic"):
            x = [cache[rp][cue] for rp, *_ in rows]
            res[cue] = {"spearman": M.spearman(x, levels),
                        "auc_2_vs_0": M.auc([a for a, lv in zip(x, levels) if lv == 2],
                                            [a for a, lv in zip(x, levels) if lv == 0])}
        out[name] = {"n": len(rows), "levels": {str(k): levels.count(k) for k in (0, 1, 2)}, "cues": res}
    return out


def evaluate_cues(data_dir: str | Path, folds: int = 5, epitome_limit: int | None = None,
                  progress: Callable[[str], None] | None = None, limit: int | None = None,
                  inner: int = 3, n_boot: int = 2000, use_cache: bool = True) -> dict[str, Any]:
    """The whole cue evaluation (AnnoMI nested grouped CV, then EPITOME) as one JSON-ready dict."""
    annomi_dir, empathy_dir = resolve_dirs(data_dir)
    out: dict[str, Any] = {"data_dir": str(Path(data_dir)),
                           "annomi": evaluate_annomi(annomi_dir, folds, progress, limit=limit, inner=inner,
                                                     n_boot=n_boot, use_cache=use_cache)}
    if empathy_dir is not None:
        out["epitome"] = evaluate_epitome(empathy_dir, epitome_limit)
    return out
