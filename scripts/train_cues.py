#!/usr/bin/env python
"""Train the shipped text-cue model on AnnoMI and write analysis/cues/models/cue_model.joblib.

Usage: .venv/bin/python scripts/train_cues.py DATA_DIR [--out PATH]
DATA_DIR is ../shared/data (holding annomi-dev/) or the AnnoMI folder itself. The weights hold
scikit-learn objects (TF-IDF vocabularies and coefficients), not the AnnoMI text. The evaluation
figures come from `listenwell eval cues`, which retrains per fold (grouped CV); this model, trained
on every transcript, is only for use at run time.

``--calibrate`` also fits per-class biases (``analysis.cues.model.fit_class_bias``) on out-of-fold
predictions (3 grouped folds over the transcripts) and stores them in the model, as the nested
evaluation does inside each outer training set. Ship it only when ``listenwell eval cues`` shows the
calibrated model beating the plain one by more than its interval.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.cues.detect import detect_cues  # noqa: E402
from analysis.cues.model import MODEL_PATH, BehaviourModel, fit_class_bias  # noqa: E402
from service.eval.annomi import load_annomi, resolve_dirs  # noqa: E402
from service.eval.nested import gold_probs, inner_splits  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir")
    ap.add_argument("--out", default=str(MODEL_PATH))
    ap.add_argument("--calibrate", action="store_true", help="fit per-class biases on out-of-fold predictions")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    annomi_dir, _ = resolve_dirs(args.data_dir)
    sessions = load_annomi(annomi_dir)
    t0 = time.perf_counter()
    bias = None
    if args.calibrate:
        oof = {}
        for tr, te in inner_splits(sessions, 3):
            m = BehaviourModel().fit([(sessions[i].turns, sessions[i].labels) for i in tr])
            oof.update({sessions[i].transcript_id: detect_cues(sessions[i].turns, model=m) for i in te})
        bias = fit_class_bias(*gold_probs(sessions, oof))
        logging.info("class biases from out-of-fold predictions: %s", bias)
    model = BehaviourModel().fit([(s.turns, s.labels) for s in sessions])
    model.class_bias = bias
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    logging.info("trained on %d transcripts in %.0f s; wrote %s (%.1f MB)", len(sessions),
                 time.perf_counter() - t0, out, out.stat().st_size / 1e6)
    return 0


if __name__ == "__main__":
    sys.exit(main())
