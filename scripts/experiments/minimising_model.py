#!/usr/bin/env python
"""Experiment (tried and dropped, issue 25): a learned reading of minimising beside the phrase rules.

Each blind batch of claims scripts minimised in new words, and the phrase rules of the time found
8/8, 4/6, 2/9 and 1/8 of the planted minimising lines of batches 1-4. This experiment trains a
TF-IDF (word 1-2-grams and character 2-5-grams) logistic regression (C = 4, balanced) on the
helper lines of the project's own labelled scripts (``tests/data/claims``, ``tests/data/claims-holdout``):
positive when a line's labels include ``minimising``. A line is read clause by clause, the highest
probability counting, and only clauses whose form leaves them open (no reflection stem, validation,
sympathy, advice, persuasion, permission or open question) are read. The threshold lets 2 % of
the non-minimising lines through on grouped out-of-fold scores (fixed before any held-out figure).

Commands::

    python scripts/experiments/minimising_model.py cv [--exclude GROUP] [--annomi DATA] [--rate R] [--out JSON]
    python scripts/experiments/minimising_model.py bench FOLDER [--exclude GROUP ...] [--only ID ...] [--no-model]

``cv`` holds one batch out at a time (batches of 24 held-out scripts; ``tests/data/claims`` is one
group), choosing the threshold on the other batches only (nested), and prints lines found and false
alarms with 95 % Wilson intervals. ``--annomi`` adds AnnoMI's reflections and questions as
training-only negatives. ``bench`` is a text-only proxy of the claims bench (each script's lines as
a transcript, scored by ``score_transcript`` and judged by the bench's own code): with the model
(fitted without the ``--exclude`` batches, so they are unseen) patched into the phrase rule, or
without it. Nothing here is shipped.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import analysis.cues.rules as R  # noqa: E402
from analysis.cues.decide import _SYMPATHY, clauses  # noqa: E402
from analysis.cues.text import open_form  # noqa: E402
from service.eval.claims import LineTimes, load_scripts, score_script, summarise  # noqa: E402

FOLDERS = ("tests/data/claims", "tests/data/claims-holdout")
BATCH = 24
EXTRA = "annomi"


def pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    return make_pipeline(
        make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        LogisticRegression(C=4.0, class_weight="balanced", max_iter=3000))


def open_to_model(c: str) -> bool:
    """The clause's form leaves its reading open (the model may read it)."""
    question = R.is_question(c)
    return not (R.match_reflection_clause(c) or R.match_validation(c) or R.match_advice(c)
                or R.match_persuade(c) or R.match_permission(c) or _SYMPATHY.search(c)
                or (question and open_form(c)))


def group_of(script_id: str) -> str:
    if script_id.startswith("h") and script_id[1:4].isdigit():
        k = (int(script_id[1:4]) - 1) // BATCH
        return f"h{k * BATCH + 1:03d}-h{(k + 1) * BATCH:03d}"
    return "claims"


def load_lines(exclude=()) -> list[dict]:
    rows = []
    for folder in FOLDERS:
        for s in load_scripts(ROOT / folder):
            if group_of(s.id) in exclude:
                continue
            for t in s.turns:
                if t.role == "helper":
                    rows.append({"id": s.id, "group": group_of(s.id), "text": R.normalise(t.text), "raw": t.text,
                                 "clauses": [c for c in clauses(t.text) if open_to_model(c)],
                                 "codes": sorted(t.codes), "minimising": "minimising" in t.codes})
    return rows


def annomi_negatives(data_dir: str) -> list[dict]:
    from service.eval.annomi import load_annomi, resolve_dirs

    rows = []
    for sess in load_annomi(resolve_dirs(data_dir)[0]):
        for t, lab in zip(sess.turns, sess.labels):
            if t.role == "helper" and lab.behaviour in ("reflection", "question") and t.text.strip():
                rows.append({"id": sess.transcript_id, "group": EXTRA, "text": R.normalise(t.text), "raw": t.text,
                             "clauses": [], "codes": [lab.behaviour], "minimising": False})
    return rows


def line_score(pipe, row: dict) -> float:
    return float(pipe.predict_proba(row["clauses"])[:, 1].max()) if row["clauses"] else 0.0


def oof_scores(rows: list[dict]) -> np.ndarray:
    """Each group (but the training-only one) scored by a pipeline fitted on the other groups."""
    g = np.array([r["group"] for r in rows])
    y = np.array([r["minimising"] for r in rows])
    out = np.full(len(rows), np.nan)
    for h in sorted(set(g.tolist()) - {EXTRA}):
        tr = np.where(g != h)[0]
        pipe = pipeline().fit([rows[i]["text"] for i in tr], y[tr])
        for i in np.where(g == h)[0]:
            out[i] = line_score(pipe, rows[i])
    return out


def fit(rows: list[dict], rate: float):
    y = np.array([r["minimising"] for r in rows])
    oof = oof_scores(rows)
    thr = float(np.quantile(oof[~y & ~np.isnan(oof)], 1.0 - rate))
    return pipeline().fit([r["text"] for r in rows], y), thr


def wilson(k: int, n: int) -> list[float]:
    z, p = 1.96, k / n
    d = 1 + z * z / n
    c, h = (p + z * z / (2 * n)) / d, z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(c - h, 3), round(c + h, 3)]


def cv(args) -> dict:
    rows = load_lines(args.exclude)
    extra = annomi_negatives(args.annomi) if args.annomi else []
    groups = sorted({r["group"] for r in rows})
    found = false = harmful = pos = neg = 0
    per = []
    for g in groups:
        train = [r for r in rows if r["group"] != g] + extra
        test = [r for r in rows if r["group"] == g]
        pipe, thr = fit(train, args.rate)
        p = np.array([line_score(pipe, r) for r in test])
        y = np.array([r["minimising"] for r in test])
        fa = [r for r, pi in zip(test, p) if pi >= thr and not r["minimising"]]
        bad = [r for r in fa if not ({"advice", "other"} & set(r["codes"]))]
        row = {"group": g, "threshold": round(thr, 3), "minimising": int(y.sum()), "found": int(((p >= thr) & y).sum()),
               "false": len(fa), "false_not_advice_or_sarcasm": len(bad),
               "false_lines": [{"codes": r["codes"], "text": r["raw"]} for r in fa]}
        per.append(row)
        found, false, harmful = found + row["found"], false + len(fa), harmful + len(bad)
        pos, neg = pos + int(y.sum()), neg + int((~y).sum())
        print(f"{g:10s} threshold {thr:.3f}  found {row['found']}/{row['minimising']}  false {len(fa)} "
              f"({len(bad)} not advice or sarcasm)")
    pooled = {"found": found, "minimising": pos, "recall_ci95": wilson(found, pos), "false": false, "negatives": neg,
              "false_rate_ci95": wilson(false, neg), "false_not_advice_or_sarcasm": harmful}
    print(f"pooled: found {found}/{pos} {pooled['recall_ci95']}; false {false}/{neg} {pooled['false_rate_ci95']}; "
          f"{harmful} not advice or sarcasm")
    return {"what": "minimising model, one batch held out at a time (nested threshold)", "rate": args.rate,
            "excluded": args.exclude, "annomi_negatives": bool(args.annomi), "pooled": pooled, "groups": per}


def bench(args) -> dict:
    from analysis.report.consistency import check_report
    from analysis.report.text import render_text
    from analysis.schema import Turn
    from service.pipeline import AnalysisSettings, score_transcript

    if not args.no_model:
        pipe, thr = fit(load_lines(args.exclude), args.rate)
        rule = R.match_minimising

        def with_model(c: str) -> str | None:
            m = rule(c)
            if m or not open_to_model(c):
                return m
            return c if float(pipe.predict_proba([c])[0, 1]) >= thr else None

        R.match_minimising = with_model
    results = []
    for s in load_scripts(args.folder, args.only):
        turns, starts, ends, t0 = [], [], [], 0.0
        for i, line in enumerate(s.turns):
            dur = max(0.6, len(line.text.split()) / 2.5)
            turns.append(Turn(line.role, line.text, t0, t0 + dur, line.role, index=i))
            starts.append(t0)
            ends.append(t0 + dur)
            t0 += dur + 0.7
        rep = score_transcript(turns, AnalysisSettings(), source=s.id)
        d = rep.to_dict()
        results.append(score_script(s, LineTimes(tuple(starts), tuple(ends)), d, mode="text",
                                    report_text=render_text(rep), consistency=check_report(d), seconds=0.0))
    fig = summarise(results)
    keys = ("claims", "claims_ok", "claim_precision", "work_on", "work_on_found", "fault_recall", "contradictions")
    print({k: fig[k] for k in keys})
    return {"folder": str(args.folder), "model": not args.no_model, "excluded": args.exclude,
            "figures": {k: fig[k] for k in keys}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("cv")
    a.add_argument("--annomi", default=None)
    b = sub.add_parser("bench")
    b.add_argument("folder")
    b.add_argument("--only", action="append", default=[])
    b.add_argument("--no-model", action="store_true")
    for p in (a, b):
        p.add_argument("--exclude", action="append", default=[])
        p.add_argument("--rate", type=float, default=0.02)
        p.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    res = cv(args) if args.cmd == "cv" else bench(args)
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
