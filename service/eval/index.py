"""Nested cross-validated check of the listening-quality index on AnnoMI (high vs low quality).

``listenwell eval index DATA_DIR`` (or ``python -m service.eval.index DATA_DIR``) scores every
AnnoMI transcript from its text, in the outer test fold of a nested cross-validation
(:mod:`service.eval.nested`): the cue model that codes it never saw it, and everything the index
fits (sub-score weights, targets) is fitted on the outer training transcripts only, from the
experts' labels or from the *inner out-of-fold* predicted cues of those transcripts.

Several index variants are compared on the same folds, each with a bootstrap 95 % interval
(sessions resampled) and a paired bootstrap interval of its difference from the current method.
Nothing from AnnoMI is written except the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import service.eval.metrics as M
from analysis.cues.view import cue_view
from analysis.scoring.score import WEIGHTS, score_session
from analysis.scoring.util import ramp
from service.eval.annomi import expert_view, resolve_dirs
from service.eval.nested import run_nested
from service.eval.soft_cues import (fit_reflection_calibration, gate_reflections, sample_reflections,
                                    unsure_reflections)

__all__ = ["auc", "derive_weights", "session_record", "VARIANTS", "CURRENT",
           "evaluate_index", "format_index", "main"]

# Sub-scores AnnoMI can inform (text only) and the share of the index they get;
# stay_with and voice cannot be measured on AnnoMI and keep fixed weights.
TEXT_SUBS = ("reflect_validate", "hold_back", "make_space", "explore")
FIXED = {"stay_with": 0.08, "voice": 0.06}
#: the variant that is the current (shipped) method, fitted inside the training folds
CURRENT = "current"

# The ramps of analysis/scoring (parts.py, audio.py) in the parts' own units: (zero_at, full_at).
# Variants that re-fit targets replace these; a test checks they reproduce the shipped points.
ANCHORS: dict[tuple[str, str], tuple[float, float]] = {
    ("reflect_validate", "reflection_to_question"): (0.0, 2.0),
    ("reflect_validate", "reflections_and_validations_per_turn"): (0.0, 40.0),
    ("reflect_validate", "complex_reflections"): (20.0, 50.0),
    ("explore", "open_questions"): (25.0, 70.0),
    ("explore", "closed_question_runs"): (4.0, 0.0),
    ("hold_back", "advice"): (25.0, 3.0),
    ("hold_back", "information_and_advice"): (50.0, 12.0),
    ("hold_back", "solution_before_exploration"): (3.0, 0.0),
    ("hold_back", "minimising"): (3.0, 0.0),
    ("make_space", "helper_talk_share"): (75.0, 45.0),
}


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties count half."""
    v = M.auc(pos, neg)
    return float("nan") if v is None else v


# ------------------------------------------------------------------ session records


def session_record(session, cues: Any) -> dict[str, Any]:
    """What the variants need from one scored session: sub-scores, raw part values, confidences
    (and the session and its cue view, for variants that re-score a changed view)."""
    view = cue_view(cues)
    res = score_session(session.turns, view)
    parts = {}
    points = {}
    for name, sub in res.subscores.items():
        for p in sub.parts:
            parts[(name, p.name)] = p.value
            points[(name, p.name)] = (p.points, p.weight)
    return {"transcript_id": session.transcript_id, "quality": session.quality,
            "sub": {k: v.score for k, v in res.subscores.items()},
            "conf": {k: v.confidence for k, v in res.subscores.items()},
            "parts": parts, "points": points, "index": res.index, "session": session, "view": view}


def _subs_with_anchors(rec: dict[str, Any], anchors: dict[tuple[str, str], tuple[float, float]] | None
                       ) -> dict[str, float | None]:
    """Sub-scores recomputed with other part targets (parts without a ramp keep their points)."""
    if anchors is None:
        return dict(rec["sub"])
    acc: dict[str, list[tuple[float, float]]] = {}
    for key, (pts, w) in rec["points"].items():
        if pts is None:
            continue
        if key in anchors and key in ANCHORS and rec["parts"][key] is not None \
                and abs((ramp(rec["parts"][key], *ANCHORS[key]) or 0) - pts) < 0.11:
            pts = ramp(rec["parts"][key], *anchors[key])
        acc.setdefault(key[0], []).append((pts, w))
    out = {}
    for name, v in rec["sub"].items():
        have = acc.get(name)
        tot = sum(w for _, w in have or ())
        out[name] = None if v is None or not have or tot <= 0 else sum(p * w for p, w in have) / tot
    return out


def _index(subs: dict[str, float | None], weights: dict[str, float]) -> float | None:
    have = [(v, weights[k]) for k, v in subs.items() if v is not None and weights.get(k, 0) > 0]
    total = sum(w for _, w in have)
    return None if not have or total <= 0 else sum(v * w for v, w in have) / total


def derive_weights(rows: Sequence[dict[str, Any]], key: str = "sub") -> dict[str, float]:
    """Sub-score weights from training sessions: each text sub-score gets max(0, AUC - 0.5), scaled to 0.86.

    The AUC is that of the sub-score alone (high vs low quality) on ``rows`` (``row[key][name]``).
    """
    raw = {}
    for name in TEXT_SUBS:
        hi = [r[key][name] for r in rows if r["quality"] == "high" and r[key][name] is not None]
        lo = [r[key][name] for r in rows if r["quality"] == "low" and r[key][name] is not None]
        raw[name] = max(0.0, auc(hi, lo) - 0.5) if hi and lo else 0.0
    if not any(raw.values()):  # no sub-score separates the training sessions: fall back to equal weights
        raw = {k: 1.0 for k in TEXT_SUBS}
    total = sum(raw.values())
    share = 1.0 - sum(FIXED.values())
    out = {k: round(share * v / total, 3) for k, v in raw.items()}
    out.update(FIXED)
    return out


def derive_anchors(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], tuple[float, float]]:
    """Part targets from training sessions: 0 points at the low-quality median, 100 at the high-quality one."""
    out = dict(ANCHORS)
    for key in ANCHORS:
        hi = [r["parts"][key] for r in rows if r["quality"] == "high" and r["parts"].get(key) is not None]
        lo = [r["parts"][key] for r in rows if r["quality"] == "low" and r["parts"].get(key) is not None]
        if len(hi) >= 3 and len(lo) >= 3:
            m_hi, m_lo = statistics.median(hi), statistics.median(lo)
            if abs(m_hi - m_lo) > 1e-6:
                out[key] = (m_lo, m_hi)
    return out


def _shrink(subs: dict[str, float | None], conf: dict[str, float | None]) -> dict[str, float | None]:
    """Each sub-score pulled towards 50 (neutral) by its confidence: 50 + (s - 50) * confidence."""
    return {k: None if v is None else 50.0 + (v - 50.0) * (conf.get(k) or 0.0) for k, v in subs.items()}


# ------------------------------------------------------------------ variants
# A variant: (which cues score the test fold, fit(training data) -> params, score(params, record)).
# ``train`` offers per training session: "expert" records and "inner" records (out-of-fold
# predicted cues from the inner folds), raw and class-calibrated.

Fit = Callable[[dict[str, list[dict[str, Any]]]], dict[str, Any]]
Score = Callable[[dict[str, Any], dict[str, Any]], float | None]

_EQUAL = {k: round(0.86 / len(TEXT_SUBS), 4) for k in TEXT_SUBS} | FIXED


def _w_expert(train):
    return {"weights": derive_weights(train["expert"])}


def _w_inner(train):
    return {"weights": derive_weights(train["inner"])}


def _w_inner_cal(train):
    return {"weights": derive_weights(train["inner_calibrated"])}


def _targets_inner(train):
    anchors = derive_anchors(train["inner"])
    rows = [{**r, "sub": _subs_with_anchors(r, anchors)} for r in train["inner"]]
    return {"weights": derive_weights(rows), "anchors": anchors}


def _plain(params, rec):
    return _index(_subs_with_anchors(rec, params.get("anchors")), params["weights"])


def _shrunk(params, rec):
    return _index(_shrink(_subs_with_anchors(rec, params.get("anchors")), rec["conf"]), params["weights"])


# Issue 24, part 2: the reflections the classifier is unsure of must not lift a poor session's index.
GATE = 0.5  # "more likely than not", fixed before any run
GATE_GRID = (0.4, 0.5, 0.6, 0.7, 0.8)
DRAWS = 32


def _subs(rec: dict[str, Any], view) -> dict[str, float | None]:
    return {k: v.score for k, v in score_session(rec["session"].turns, view).subscores.items()}


def _gated(params, rec):
    return _index(_subs(rec, gate_reflections(rec["view"], params["gate"])), params["weights"])


def _fit_gate(train):
    """Weights from the experts' labels; the gate that ranks the training sessions' inner cues best."""
    w = derive_weights(train["expert"])
    best = None
    for g in GATE_GRID:
        hi = [_gated({"gate": g, "weights": w}, r) for r in train["inner"] if r["quality"] == "high"]
        lo = [_gated({"gate": g, "weights": w}, r) for r in train["inner"] if r["quality"] == "low"]
        a = auc([v for v in hi if v is not None], [v for v in lo if v is not None])
        a = -1.0 if a != a else a  # no AUC (a class missing): never preferred
        if best is None or a > best[0] + 1e-9:
            best = (a, g)
    return {"weights": w, "gate": best[1], "inner_auc": round(best[0], 4)}


def _soft(params, rec):
    keep = params.get("calibration") or (lambda p: p)
    vals = [_index(_subs(rec, v), params["weights"])
            for v in sample_reflections(rec["view"], keep, DRAWS, key=rec["transcript_id"])]
    vals = [v for v in vals if v is not None]
    return float(np.mean(vals)) if vals else None


def _fit_calibration(train):
    """Weights from the experts' labels; P(expert reflection | P(reflection)) from the inner cues."""
    probs, gold = [], []
    for r in train["inner"]:
        labels = r["session"].labels
        for i, p in unsure_reflections(r["view"]).items():
            probs.append(p)
            gold.append(labels[i].behaviour == "reflection")
    return {"weights": derive_weights(train["expert"]), "calibration": fit_reflection_calibration(probs, gold)}


VARIANTS: dict[str, dict[str, Any]] = {
    "shipped_constants": {"cues": "test", "fit": lambda train: {"weights": dict(WEIGHTS)}, "score": _plain,
                          "note": "shipped WEIGHTS, chosen on all annomi-dev expert labels (in-sample constants)"},
    CURRENT: {"cues": "test", "fit": _w_expert, "score": _plain,
              "note": "current method: weights from the experts' labels of the training folds"},
    "a_weights_from_predicted": {"cues": "test", "fit": _w_inner, "score": _plain,
                                 "note": "(a) weights from inner out-of-fold predicted cues"},
    "a_targets_and_weights_from_predicted": {"cues": "test", "fit": _targets_inner, "score": _plain,
                                             "note": "(a) part targets and weights from inner out-of-fold predicted cues"},
    "b_equal_weights": {"cues": "test", "fit": lambda train: {"weights": dict(_EQUAL)}, "score": _plain,
                        "note": "(b) no fitted knob: equal weights on the four text sub-scores"},
    "c_shrink": {"cues": "test", "fit": _w_expert, "score": _shrunk,
                 "note": "(c) current + each sub-score shrunk to 50 by its confidence"},
    "c_shrink_equal_weights": {"cues": "test", "fit": lambda train: {"weights": dict(_EQUAL)}, "score": _shrunk,
                               "note": "(b)+(c) equal weights, shrunk by confidence"},
    "d_calibrated": {"cues": "test_calibrated", "fit": _w_expert, "score": _plain,
                     "note": "(d) current on class-calibrated soft cues (biases fit on inner folds)"},
    "d_calibrated_weights_from_predicted": {"cues": "test_calibrated", "fit": _w_inner_cal, "score": _plain,
                                            "note": "(a)+(d) calibrated cues, weights from inner calibrated cues"},
    "e_gate_0.5": {"cues": "test", "fit": lambda train: _w_expert(train) | {"gate": GATE}, "score": _gated,
                   "note": "current, but a reflection whose classifier probability is under 0.5 does not count"},
    "e_gate_fitted": {"cues": "test", "fit": _fit_gate, "score": _gated,
                      "note": "current, reflections under a probability gate chosen on inner out-of-fold cues "
                              f"(from {GATE_GRID}) do not count"},
    "e_soft": {"cues": "test", "fit": _w_expert, "score": _soft,
               "note": f"current, each classifier reflection counted with its probability (mean index over "
                       f"{DRAWS} draws: soft counts)"},
    "e_soft_calibrated": {"cues": "test", "fit": _fit_calibration, "score": _soft,
                          "note": "soft counts with P(the experts coded a reflection | classifier probability), "
                                  "isotonic, fitted on inner out-of-fold cues"},
    "expert_labels": {"cues": "expert", "fit": _w_expert, "score": _plain,
                      "note": "upper bound: the experts' own labels through the current method"},
}


def _describe(values: Sequence[float]) -> dict[str, float] | None:
    v = sorted(values)
    if not v:
        return None
    q = statistics.quantiles(v, n=4) if len(v) >= 2 else [v[0]] * 3
    return {"n": len(v), "mean": round(statistics.fmean(v), 1), "min": round(v[0], 1), "q1": round(q[0], 1),
            "median": round(q[1], 1), "q3": round(q[2], 1), "max": round(v[-1], 1)}


def _confidence_table(test_pred: dict[str, dict], expert: dict[str, dict]) -> dict[str, Any]:
    """|predicted - expert| text sub-score by confidence bin (how far a number can be trusted)."""
    bins = [(0.0, 0.4), (0.4, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 1.01)]
    rows = []
    for lo, hi in bins:
        errs = [abs(p["sub"][k] - expert[t]["sub"][k]) for t, p in test_pred.items()
                for k in ("reflect_validate", "hold_back", "explore")
                if p["sub"][k] is not None and expert[t]["sub"][k] is not None
                and lo <= (p["conf"][k] or 0.0) < hi]
        rows.append({"confidence": [lo, min(hi, 1.0)], "n": len(errs),
                     "median_abs_error": round(statistics.median(errs), 1) if errs else None,
                     "share_off_by_20_or_more": round(float(np.mean([e >= 20 for e in errs])), 3) if errs else None})
    per_threshold = {}
    for th in (0.4, 0.5, 0.6):
        entry = {}
        for q in ("high", "low"):
            recs = [(p, expert[t]) for t, p in test_pred.items() if p["quality"] == q
                    and p["sub"]["reflect_validate"] is not None and expert[t]["sub"]["reflect_validate"] is not None]
            below = [abs(p["sub"]["reflect_validate"] - e["sub"]["reflect_validate"]) for p, e in recs
                     if (p["conf"]["reflect_validate"] or 0.0) < th]
            above = [abs(p["sub"]["reflect_validate"] - e["sub"]["reflect_validate"]) for p, e in recs
                     if (p["conf"]["reflect_validate"] or 0.0) >= th]
            entry[q] = {"sessions": len(recs), "below": len(below),
                        "median_abs_error_below": round(statistics.median(below), 1) if below else None,
                        "median_abs_error_above": round(statistics.median(above), 1) if above else None}
        per_threshold[str(th)] = entry
    return {"bins": rows, "reflect_validate_by_threshold": per_threshold}


def evaluate_index(data_dir: str | Path, folds: int = 5, inner: int = 3, limit: int | None = None,
                   progress: Callable[[str], None] | None = None, n_boot: int = 2000,
                   use_cache: bool = True) -> dict[str, Any]:
    """Nested-CV AUC (high vs low) of every index variant, with bootstrap intervals.

    Parameters
    ----------
    data_dir : path
        The shared data folder or the AnnoMI folder.
    folds, inner : int
        Outer and inner folds (:func:`service.eval.nested.run_nested`).
    limit : int, optional
        Balanced subset of transcripts (quick runs).
    """
    annomi_dir, _ = resolve_dirs(data_dir)
    sessions, run = run_nested(annomi_dir, folds, inner, limit, progress, use_cache=use_cache)
    by_id = {s.transcript_id: s for s in sessions}
    expert = {s.transcript_id: session_record(s, expert_view(s.labels)) for s in sessions}
    scores: dict[str, dict[str, float | None]] = {name: {} for name in VARIANTS}
    params_per_fold: dict[str, list] = {name: [] for name in VARIANTS}
    per_fold: list[dict[str, Any]] = []
    test_pred: dict[str, dict] = {}
    for f in run.folds:
        train = {"expert": [expert[t] for t in f.train_ids],
                 "inner": [session_record(by_id[t], f.inner[t]) for t in f.train_ids],
                 "inner_calibrated": [session_record(by_id[t], f.inner_calibrated[t]) for t in f.train_ids]}
        test = {"test": {t: session_record(by_id[t], f.test[t]) for t in f.test_ids},
                "test_calibrated": {t: session_record(by_id[t], f.test_calibrated[t]) for t in f.test_ids},
                "expert": {t: expert[t] for t in f.test_ids}}
        test_pred.update(test["test"])
        fold_auc = {}
        for name, v in VARIANTS.items():
            params = v["fit"](train)
            params_per_fold[name].append({k: ({"/".join(a): b for a, b in p.items()} if k == "anchors"
                                              else p.to_dict() if hasattr(p, "to_dict") else p)
                                          for k, p in params.items()})
            for t, rec in test[v["cues"]].items():
                scores[name][t] = v["score"](params, rec)
            hi = [scores[name][t] for t in f.test_ids if by_id[t].quality == "high" and scores[name][t] is not None]
            lo = [scores[name][t] for t in f.test_ids if by_id[t].quality == "low" and scores[name][t] is not None]
            fold_auc[name] = M.auc(hi, lo)
        per_fold.append({"fold": f.fold, "train_ids": f.train_ids, "test_ids": f.test_ids,
                         "n_test_high": sum(by_id[t].quality == "high" for t in f.test_ids),
                         "n_test_low": sum(by_id[t].quality == "low" for t in f.test_ids), "auc": fold_auc})
    ids = [s.transcript_id for s in sessions]
    y = [by_id[t].quality == "high" for t in ids]
    out_var: dict[str, Any] = {}
    for name, v in VARIANTS.items():
        sc = scores[name]
        hi = [sc[t] for t in ids if by_id[t].quality == "high" and sc[t] is not None]
        lo = [sc[t] for t in ids if by_id[t].quality == "low" and sc[t] is not None]
        res = M.bootstrap_auc(hi, lo, n_boot=n_boot)
        entry = {"note": v["note"], "auc": res["value"], "auc_ci95": res["ci"],
                 "per_fold_auc": [pf["auc"][name] for pf in per_fold],
                 "distribution": {"high": _describe(hi), "low": _describe(lo)},
                 "fitted_per_fold": params_per_fold[name]}
        if name != CURRENT and all(sc[t] is not None and scores[CURRENT][t] is not None for t in ids):
            d = M.bootstrap_auc_difference([sc[t] for t in ids], [scores[CURRENT][t] for t in ids], y, n_boot=n_boot)
            entry["minus_current"] = d["value"]
            entry["minus_current_ci95"] = d["ci"]
            entry["beats_current"] = bool(d["ci"][0] is not None and d["ci"][0] > 0)
        out_var[name] = entry
    # the "reflect and validate" gap the held-out check found: predicted minus experts', low-quality sessions
    gap = {q: [test_pred[t]["sub"]["reflect_validate"] - expert[t]["sub"]["reflect_validate"] for t in ids
               if by_id[t].quality == q and test_pred[t]["sub"]["reflect_validate"] is not None
               and expert[t]["sub"]["reflect_validate"] is not None] for q in ("high", "low")}
    return {
        "nested": True,
        "what": "nested grouped cross-validation: cue model, weights and targets fit on the outer training "
                "transcripts only (inner out-of-fold cues for the fits); each outer test fold scored once",
        "n_sessions": len(ids), "n_high": sum(y), "n_low": len(y) - sum(y),
        "outer_folds": run.n_outer, "inner_folds": run.n_inner, "bootstrap": {"resamples": n_boot,
                                                                              "unit": "session (transcript)",
                                                                              "stratified_by_quality": True},
        "current": CURRENT,
        "variants": out_var,
        "per_fold": per_fold,
        "reflect_validate_predicted_minus_expert": {q: _describe(v) for q, v in gap.items()},
        "confidence_vs_error": _confidence_table(test_pred, expert),
        "sessions": [{"transcript_id": t, "quality": by_id[t].quality,
                      **{name: None if scores[name][t] is None else round(scores[name][t], 1)
                         for name in (CURRENT, "expert_labels")},
                      "reflect_validate_predicted": test_pred[t]["sub"]["reflect_validate"],
                      "reflect_validate_expert": expert[t]["sub"]["reflect_validate"],
                      "confidence": test_pred[t]["conf"]["reflect_validate"]} for t in ids],
        "nested_run_seconds": run.seconds,
    }


def _f(v: Any, nd: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{nd}f}"


def _ci(c: Sequence[float | None]) -> str:
    return "" if not c or c[0] is None else f"[{c[0]:.3f}, {c[1]:.3f}]"


def format_index(res: dict[str, Any]) -> str:
    """Plain-text table of :func:`evaluate_index` figures."""
    lines = [f"AnnoMI: {res['n_sessions']} transcripts ({res['n_high']} high, {res['n_low']} low); NESTED grouped CV, "
             f"{res['outer_folds']} outer x {res['inner_folds']} inner folds; 95 % intervals: bootstrap over sessions",
             "",
             f"{'index variant':<40}{'AUC':>7}  {'95 % interval':<17}{'minus current':>14}  {'95 % interval':<17}"
             f"{'per outer fold'}"]
    for name, v in res["variants"].items():
        tag = " (in-sample weights)" if name == "shipped_constants" else ""
        diff = "" if "minus_current" not in v else f"{v['minus_current']:+.3f}"
        folds = " ".join(_f(a, 2) for a in v["per_fold_auc"])
        lines.append(f"{(name + tag)[:40]:<40}{_f(v['auc']):>7}  {_ci(v['auc_ci95']):<17}{diff:>14}  "
                     f"{_ci(v.get('minus_current_ci95')):<17}{folds}")
    beats = [n for n, v in res["variants"].items() if v.get("beats_current") and n != "expert_labels"]
    lines.append("variants whose paired interval of the difference lies above 0 (beat the current method): "
                 + (", ".join(beats) if beats else "none"))
    g = res["reflect_validate_predicted_minus_expert"]
    if g.get("low"):
        lines.append(f"reflect & validate, predicted minus experts' (test folds): low-quality median "
                     f"{g['low']['median']:+.1f} (q3 {g['low']['q3']:+.1f}); high-quality median "
                     f"{g['high']['median']:+.1f}" if g.get("high") else "")
    lines += ["", "text sub-score error against the experts' labels, by confidence (test folds):",
              f"{'confidence':<14}{'n':>5}{'median |error|':>16}{'off by >= 20':>14}"]
    for b in res["confidence_vs_error"]["bins"]:
        lines.append(f"{b['confidence'][0]:.1f}-{b['confidence'][1]:.1f}{'':<7}{b['n']:>5}"
                     f"{_f(b['median_abs_error'], 1):>16}{_f(b['share_off_by_20_or_more'], 2):>14}")
    lines += ["", "reflect & validate below a confidence threshold (would show 'not enough to judge'):"]
    for th, e in res["confidence_vs_error"]["reflect_validate_by_threshold"].items():
        lines.append(f"  < {th}: " + "; ".join(
            f"{q} {e[q]['below']}/{e[q]['sessions']} sessions, median |error| {_f(e[q]['median_abs_error_below'], 1)}"
            f" below vs {_f(e[q]['median_abs_error_above'], 1)} above" for q in ("high", "low")))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", help="shared data folder or folder with AnnoMI-simple.csv and AnnoMI-full.csv")
    ap.add_argument("--json", dest="json_out", default=None, help="write the figures as JSON here")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--inner", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)
    res = evaluate_index(args.data_dir, args.folds, args.inner, args.limit, progress=print)
    print(format_index(res))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return res


if __name__ == "__main__":
    main()
