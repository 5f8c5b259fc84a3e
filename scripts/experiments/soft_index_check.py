#!/usr/bin/env python
"""Experiment: is the soft-count index variant's gain (``e_soft`` in ``listenwell eval index``) a draw artefact?

Re-scores the nested run's outer test folds (read from the ``eval index`` cache, same folds) with
the current method and with ``e_soft`` at other numbers of draws and other random seeds, and prints
each AUC, its paired difference from the current method with the 95 % interval, and the per-fold AUCs.
It also gives the "reflect and validate" sub-score, predicted minus the experts', per quality class,
with every classifier reflection counted in full (current) and softly (mean over the draws).

    nice -n 10 .venv/bin/python scripts/experiments/soft_index_check.py ../shared/data \
        --out benchmarks/results/index-soft-draws-check.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import service.eval.index as I
import service.eval.metrics as M
import service.eval.soft_cues as S
from service.eval.annomi import expert_view, resolve_dirs
from service.eval.nested import run_nested


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir")
    ap.add_argument("--out", default=None)
    ap.add_argument("--boot", type=int, default=2000)
    args = ap.parse_args(argv)
    annomi_dir, _ = resolve_dirs(args.data_dir)
    sessions, run = run_nested(annomi_dir, 5, 3, None)
    by_id = {s.transcript_id: s for s in sessions}
    expert = {s.transcript_id: I.session_record(s, expert_view(s.labels)) for s in sessions}
    records, weights = {}, {}
    for f in run.folds:
        w = I.derive_weights([expert[t] for t in f.train_ids])
        for t in f.test_ids:
            records[t], weights[t] = I.session_record(by_id[t], f.test[t]), w
    ids = [s.transcript_id for s in sessions]
    y = [by_id[t].quality == "high" for t in ids]
    fold_of = {t: k for k, f in enumerate(run.folds) for t in f.test_ids}
    current = [I._plain({"weights": weights[t]}, records[t]) for t in ids]
    seed_of = S._seed
    out = {}
    for draws, salt in ((32, ""), (32, "b"), (32, "c"), (128, ""), (128, "b")):
        S._seed = lambda key, salt=salt: seed_of(key + salt)
        I.DRAWS = draws
        soft = [I._soft({"weights": weights[t]}, records[t]) for t in ids]
        a = M.bootstrap_auc([v for v, h in zip(soft, y) if h], [v for v, h in zip(soft, y) if not h], n_boot=args.boot)
        d = M.bootstrap_auc_difference(soft, current, y, n_boot=args.boot)
        per_fold = [M.auc([v for v, h, t in zip(soft, y, ids) if h and fold_of[t] == k],
                          [v for v, h, t in zip(soft, y, ids) if not h and fold_of[t] == k]) for k in range(len(run.folds))]
        key = f"draws={draws} seed_salt={salt or 'none'}"
        out[key] = {"auc": a["value"], "auc_ci95": a["ci"], "minus_current": d["value"],
                    "minus_current_ci95": d["ci"], "per_fold_auc": per_fold}
        print(key, out[key], flush=True)
    S._seed = seed_of
    I.DRAWS = 32
    gap: dict[str, dict[str, list[float]]] = {"current": {"high": [], "low": []}, "soft": {"high": [], "low": []}}
    for t in ids:
        rec, ex = records[t], expert[t]["sub"]["reflect_validate"]
        if rec["sub"]["reflect_validate"] is None or ex is None:
            continue
        soft = [I._subs(rec, v)["reflect_validate"] for v in S.sample_reflections(rec["view"], lambda p: p, 32, key=t)]
        gap["current"][by_id[t].quality].append(rec["sub"]["reflect_validate"] - ex)
        gap["soft"][by_id[t].quality].append(sum(soft) / len(soft) - ex)
    out["reflect_validate_minus_expert"] = {k: {q: I._describe(v) for q, v in g.items()} for k, g in gap.items()}
    print("reflect & validate minus experts'", out["reflect_validate_minus_expert"])
    cur_fold = [M.auc([v for v, h, t in zip(current, y, ids) if h and fold_of[t] == k],
                      [v for v, h, t in zip(current, y, ids) if not h and fold_of[t] == k]) for k in range(len(run.folds))]
    out["current_per_fold_auc"] = cur_fold
    print("current per fold", cur_fold)
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
