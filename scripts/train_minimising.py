#!/usr/bin/env python
"""Train the minimising model on the project's labelled scripts; evaluate it a batch held out at a time.

Usage: .venv/bin/python scripts/train_minimising.py [--out PATH] [--results JSON] [--no-save]

The helper lines of ``tests/data/claims/`` and ``tests/data/claims-holdout/`` (the project's own
text) are the data: a line is positive when its labels include ``minimising``. Lines are grouped by
the batch their script was written in (``tests/data/claims`` is one group; held-out scripts come in
blind batches of 24, ``h001``-``h024`` being the first), so a fold never trains on a line of the batch
it scores. A line is read as the model reads it at run time (``analysis.cues.decide``): each of its
clauses that the form leaves open, the highest probability counting.

Evaluation (nested): for each batch held out, the threshold is chosen on the other batches' own
out-of-fold scores (``FALSE_ALARM_RATE`` of their negatives let through), then the model fitted on
those batches reads the held-out one. Printed and written with 95 % Wilson intervals: minimising
lines found, other lines read as minimising (split into advice or sarcasm lines, already faults,
and the rest). The shipped model is then fitted on every line, its threshold from all batches'
out-of-fold scores.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import analysis.cues.rules as R  # noqa: E402
from analysis.cues.decide import _model_may_read, _read, clauses  # noqa: E402
from analysis.cues.minimising import (MINIMISING_PATH, FALSE_ALARM_RATE, _pipeline, fit_minimising,  # noqa: E402
                                      grouped_scores)
from service.bench.machine import cpu_model  # noqa: E402
from service.eval.claims import load_scripts  # noqa: E402

FOLDERS = ("tests/data/claims", "tests/data/claims-holdout")
BATCH = 24


def _group(script_id: str) -> str:
    if script_id.startswith("h") and script_id[1:4].isdigit():
        k = (int(script_id[1:4]) - 1) // BATCH
        return f"h{k * BATCH + 1:03d}-h{(k + 1) * BATCH:03d}"
    return "claims"


def load_lines(root: Path = ROOT) -> tuple[list[dict], list[str]]:
    rows, ids = [], []
    for folder in FOLDERS:
        for s in load_scripts(root / folder):
            ids.append(s.id)
            for t in s.turns:
                if t.role == "helper":
                    text = R.normalise(t.text)
                    usable = [c for c in clauses(t.text) if _model_may_read(_read(c, use_model=False))]
                    rows.append({"id": s.id, "group": _group(s.id), "text": text, "raw": t.text,
                                 "clauses": usable, "codes": sorted(t.codes),
                                 "minimising": "minimising" in t.codes})
    return rows, ids


def _wilson(k: int, n: int) -> list[float] | None:
    if n == 0:
        return None
    z, p = 1.96, k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(c - h, 3), round(c + h, 3)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(MINIMISING_PATH))
    ap.add_argument("--results", default=None, help="write the held-out figures to this JSON file")
    ap.add_argument("--no-save", action="store_true", help="evaluate only")
    ap.add_argument("--exclude", action="append", default=[], metavar="GROUP",
                    help="leave a batch out entirely (e.g. h073-h096), to read it later as unseen")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.perf_counter()
    rows, ids = load_lines()
    rows = [r for r in rows if r["group"] not in args.exclude]
    ids = [i for i in ids if _group(i) not in args.exclude]
    texts = [r["text"] for r in rows]
    y = np.array([r["minimising"] for r in rows])
    groups = np.array([r["group"] for r in rows])

    def score(pipe, i: int) -> float:
        cs = rows[i]["clauses"]
        return float(pipe.predict_proba(cs)[:, 1].max()) if cs else 0.0

    rule = np.array([any(R.match_minimising(c) for c in clauses(r["raw"])) for r in rows])
    per_group, hits_all, fp_all, fp_other = [], 0, 0, 0
    for g in sorted(set(groups.tolist())):
        train = np.where(groups != g)[0]
        test = np.where(groups == g)[0]
        inner = grouped_scores([texts[i] for i in train], y[train], groups[train],
                               lambda pipe, j: score(pipe, int(train[j])))
        thr = float(np.quantile(inner[~y[train]], 1.0 - FALSE_ALARM_RATE))
        pipe = _pipeline().fit([texts[i] for i in train], y[train])
        p = np.array([score(pipe, int(i)) for i in test])
        found = p >= thr
        yt = y[test]
        fps = [{"p": round(float(pi), 3), "codes": rows[i]["codes"], "text": rows[i]["raw"]}
               for i, pi, f in zip(test, p, found) if f and not y[i]]
        other = [f for f in fps if not ({"advice", "other"} & set(f["codes"]))]
        row = {"group": g, "lines": int(test.size), "minimising": int(yt.sum()), "threshold": round(thr, 3),
               "model_found": int((found & yt).sum()), "model_false": len(fps), "model_false_not_advice_or_other": len(other),
               "rules_found_in_sample": int((rule[test] & yt).sum()), "rules_false_in_sample": int((rule[test] & ~yt).sum()),
               "either_found": int(((found | rule[test]) & yt).sum()), "false_lines": fps}
        per_group.append(row)
        hits_all += row["model_found"]
        fp_all += row["model_false"]
        fp_other += row["model_false_not_advice_or_other"]
        logging.info("%-10s threshold %.3f  found %d/%d  false %d (%d not advice or sarcasm)  rules (in-sample) %d/%d",
                     g, thr, row["model_found"], row["minimising"], row["model_false"],
                     row["model_false_not_advice_or_other"], row["rules_found_in_sample"], row["minimising"])
    pos, neg = int(y.sum()), int((~y).sum())
    pooled = {"found": hits_all, "minimising": pos, "recall": round(hits_all / pos, 3), "recall_ci95": _wilson(hits_all, pos),
              "false": fp_all, "negatives": neg, "false_rate": round(fp_all / neg, 4), "false_rate_ci95": _wilson(fp_all, neg),
              "false_not_advice_or_other": fp_other,
              "false_not_advice_or_other_rate_ci95": _wilson(fp_other, neg)}
    logging.info("pooled held out: found %d/%d (%.3f, 95%% %s); false %d/%d (%s); not advice or sarcasm %d",
                 hits_all, pos, hits_all / pos, pooled["recall_ci95"], fp_all, neg, pooled["false_rate_ci95"], fp_other)
    out = {"what": "minimising model, one batch of scripts held out at a time (nested threshold)",
           "false_alarm_rate": FALSE_ALARM_RATE, "excluded": args.exclude, "lines": len(rows), "scripts": len(ids),
           "pooled": pooled, "groups": per_group, "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": cpu_model()},
           "seconds": round(time.perf_counter() - t0, 1)}
    if args.results:
        Path(args.results).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        logging.info("wrote %s", args.results)
    if not args.no_save:
        model = fit_minimising(texts, y, groups, score, ids)
        model.save(args.out)
        logging.info("threshold %.3f; wrote %s (%d KB)", model.threshold, args.out, Path(args.out).stat().st_size // 1024)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
