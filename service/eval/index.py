"""Session-level check of the listening-quality index on AnnoMI (high vs low quality).

``python -m service.eval.index DATA_DIR [--json OUT]`` scores every AnnoMI
transcript from its text alone, twice: with the text-cue stage's predictions
(what users get) and with the experts' own utterance labels (an upper bound
for the index formula), and prints the AUC of each and the distribution per
class. Nothing from AnnoMI is written except the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any, Sequence

from analysis.cues.view import CueView
from analysis.scoring.score import score_session

__all__ = ["auc", "expert_view", "derive_weights", "cross_validated_auc", "evaluate_index", "main"]

# Sub-scores AnnoMI can inform (text only) and the share of the index they get;
# stay_with and voice cannot be measured on AnnoMI and keep fixed weights.
TEXT_SUBS = ("reflect_validate", "hold_back", "make_space", "explore")
FIXED = {"stay_with": 0.08, "voice": 0.06}


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties count half."""
    if not pos or not neg:
        return float("nan")
    wins = 0.0
    for p in pos:
        for n in neg:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(pos) * len(neg))


def expert_view(labels) -> CueView:
    """A :class:`CueView` from AnnoMI's expert labels (behaviour and subtypes) per turn position."""
    out: dict[int, frozenset[str]] = {}
    for i, lab in enumerate(labels):
        s: set[str] = set()
        if lab.behaviour == "question":
            s |= {"question", f"{lab.question}_question"} if lab.question else {"question"}
        elif lab.behaviour == "reflection":
            s |= {"reflection", f"{lab.reflection}_reflection"} if lab.reflection else {"reflection"}
        elif lab.behaviour == "input":
            s.add("input")
            if lab.input == "advice":
                s.add("advice")
        if s:
            out[i] = frozenset(s)
    return CueView(out, ())


def derive_weights(rows: Sequence[dict[str, Any]], key: str = "expert_sub") -> dict[str, float]:
    """Sub-score weights from training sessions: each text sub-score gets max(0, AUC - 0.5), scaled to 0.86.

    The AUC is that of the sub-score alone (high vs low quality) on ``rows``.
    """
    raw = {}
    for name in TEXT_SUBS:
        hi = [r[key][name] for r in rows if r["quality"] == "high" and r[key][name] is not None]
        lo = [r[key][name] for r in rows if r["quality"] == "low" and r[key][name] is not None]
        raw[name] = max(0.0, auc(hi, lo) - 0.5) if hi and lo else 0.0
    total = sum(raw.values()) or 1.0
    share = 1.0 - sum(FIXED.values())
    out = {k: round(share * v / total, 3) for k, v in raw.items()}
    out.update(FIXED)
    return out


def _index(subs: dict[str, float | None], weights: dict[str, float]) -> float | None:
    have = [(v, weights[k]) for k, v in subs.items() if v is not None and weights.get(k, 0) > 0]
    total = sum(w for _, w in have)
    return None if not have or total <= 0 else sum(v * w for v, w in have) / total


def cross_validated_auc(rows: Sequence[dict[str, Any]], folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """Weights derived on training folds only (:func:`derive_weights`), AUC on the pooled held-out folds.

    Folds are stratified by quality; each transcript is in exactly one test fold.
    """
    import random

    rng = random.Random(seed)
    fold_of: dict[int, int] = {}
    for quality in ("high", "low"):
        idx = [i for i, r in enumerate(rows) if r["quality"] == quality]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            fold_of[i] = j % folds
    scores: dict[str, list[tuple[str, float]]] = {"predicted": [], "expert": []}
    fold_weights = []
    for f in range(folds):
        train = [r for i, r in enumerate(rows) if fold_of[i] != f]
        w = derive_weights(train)
        fold_weights.append(w)
        for i, r in enumerate(rows):
            if fold_of[i] == f:
                for key in scores:
                    v = _index(r[f"{key}_sub"], w)
                    if v is not None:
                        scores[key].append((r["quality"], v))
    res = {key: round(auc([v for q, v in sc if q == "high"], [v for q, v in sc if q == "low"]), 4)
           for key, sc in scores.items()}
    return {"folds": folds, "auc": res, "fold_weights": fold_weights}


def _describe(values: Sequence[float]) -> dict[str, float]:
    v = sorted(values)
    q = statistics.quantiles(v, n=4) if len(v) >= 2 else [v[0]] * 3
    return {"n": len(v), "mean": round(statistics.fmean(v), 1), "min": round(v[0], 1), "q1": round(q[0], 1),
            "median": round(q[1], 1), "q3": round(q[2], 1), "max": round(v[-1], 1)}


def _out_of_fold_cues(sessions, folds: int) -> dict[str, Any]:
    """Cue results for every session from a behaviour model trained without it (grouped k-fold)."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    from analysis.cues.detect import detect_cues
    from analysis.cues.model import BehaviourModel

    ids = np.array([s.transcript_id for s in sessions])
    out = {}
    for tr, te in GroupKFold(n_splits=folds).split(ids, groups=ids):
        model = BehaviourModel().fit([(sessions[i].turns, sessions[i].labels) for i in tr])
        for i in te:
            out[sessions[i].transcript_id] = detect_cues(sessions[i].turns, model=model)
    return out


def evaluate_index(data_dir: str | Path, folds: int = 5) -> dict[str, Any]:
    """AUC (high vs low) and per-class distribution of the index and of each sub-score.

    "predicted" uses the cue stage's behaviour model trained on the other folds
    (no transcript is scored by a model that saw it); "expert" the experts' labels.
    """
    from service.eval.annomi import load_annomi

    sessions = load_annomi(data_dir)
    rows = []
    t0 = time.perf_counter()
    cues = _out_of_fold_cues(sessions, folds)
    for s in sessions:
        predicted = score_session(s.turns, cues[s.transcript_id])
        expert = score_session(s.turns, expert_view(s.labels))
        rows.append({
            "transcript_id": s.transcript_id, "quality": s.quality,
            "predicted": predicted.index, "expert": expert.index,
            "predicted_sub": {k: v.score for k, v in predicted.subscores.items()},
            "expert_sub": {k: v.score for k, v in expert.subscores.items()},
        })
    seconds = time.perf_counter() - t0
    out: dict[str, Any] = {"n_sessions": len(rows), "seconds": round(seconds, 2), "auc": {}, "distribution": {}}
    for key in ("predicted", "expert"):
        hi = [r[key] for r in rows if r["quality"] == "high" and r[key] is not None]
        lo = [r[key] for r in rows if r["quality"] == "low" and r[key] is not None]
        out["auc"][key] = round(auc(hi, lo), 4)
        out["distribution"][key] = {"high": _describe(hi), "low": _describe(lo)}
    for key in ("predicted", "expert"):
        for name in rows[0][f"{key}_sub"] if rows else ():
            hi = [r[f"{key}_sub"][name] for r in rows if r["quality"] == "high" and r[f"{key}_sub"][name] is not None]
            lo = [r[f"{key}_sub"][name] for r in rows if r["quality"] == "low" and r[f"{key}_sub"][name] is not None]
            out["auc"][f"{key}:{name}"] = round(auc(hi, lo), 4) if hi and lo else None
    out["cross_validated"] = cross_validated_auc(rows)
    out["weights_from_all_sessions"] = derive_weights(rows)
    out["sessions"] = [{k: r[k] for k in ("transcript_id", "quality", "predicted", "expert")} for r in rows]
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", help="folder with AnnoMI-simple.csv and AnnoMI-full.csv")
    ap.add_argument("--json", dest="json_out", default=None, help="write the figures as JSON here")
    args = ap.parse_args(argv)
    res = evaluate_index(args.data_dir)
    print(f"{res['n_sessions']} sessions scored from text in {res['seconds']} s")
    print(f"{'index from':<28}{'AUC':>7}   high: median [q1-q3]      low: median [q1-q3]")
    for key in ("predicted", "expert"):
        d = res["distribution"][key]
        print(f"{key + ' cues':<28}{res['auc'][key]:>7.3f}   {d['high']['median']:>5} [{d['high']['q1']}-{d['high']['q3']}]"
              f"          {d['low']['median']:>5} [{d['low']['q1']}-{d['low']['q3']}]")
    print("sub-score alone (AUC; below 0.5 = lower in high-quality sessions)")
    for name in res["distribution"] and [k.split(":", 1)[1] for k in res["auc"] if k.startswith("predicted:")]:
        p, e = res["auc"][f"predicted:{name}"], res["auc"].get(f"expert:{name}")
        fmt = lambda v: "n/m" if v is None else f"{v:.3f}"  # noqa: E731
        print(f"  {name:<26}{fmt(p):>7} (predicted)  {fmt(e):>7} (expert)")
    cv = res["cross_validated"]
    print(f"weights derived on training folds only, {cv['folds']}-fold CV AUC: "
          f"predicted {cv['auc']['predicted']:.3f}, expert {cv['auc']['expert']:.3f}")
    print(f"weights derived from all sessions: {res['weights_from_all_sessions']}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return res


if __name__ == "__main__":
    main()
