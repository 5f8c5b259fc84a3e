"""Nested, grouped cross-validation of the cue model on AnnoMI: the one source of out-of-fold cues.

Outer folds (stratified by session quality; each transcript is one group, so no transcript is
ever split) give the figures: for each outer fold the cue model is trained on the outer training
transcripts only and runs once over the outer test transcripts. Inside each outer training set,
inner folds give *out-of-fold predicted cues for the training transcripts*: whatever the index or
the calibration fits (weights, targets, class biases, shrinkage) is fitted on those, never on the
outer test fold. Every fold records the transcript ids it trained and tested on, so a test can check
that no model saw its test transcripts.

Both ``listenwell eval cues`` and ``listenwell eval index`` read this; the run is cached on disk
(keyed by the data file, the options and the cue code) so the two commands share one run.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from analysis.cues.detect import detect_cues
from analysis.cues.model import BehaviourModel, fit_class_bias
from analysis.cues.types import BEHAVIOURS, CueResult
from service.bench.machine import cpu_model
from service.eval.annomi import AnnoMISession, load_annomi

__all__ = ["FoldRun", "NestedRun", "outer_splits", "inner_splits", "subset", "run_nested", "gold_probs",
           "machine_description"]

log = logging.getLogger(__name__)

#: bump when this module's procedure changes (the key already covers the data, options and analysis/cues code)
_CACHE_VERSION = 3


@dataclass
class FoldRun:
    """One outer fold: ids, the test fold's cues (raw and class-calibrated) and inner out-of-fold cues."""

    fold: int
    train_ids: list[str]
    test_ids: list[str]
    test: dict[str, CueResult]
    test_calibrated: dict[str, CueResult]
    inner: dict[str, CueResult]
    inner_calibrated: dict[str, CueResult]
    inner_folds: list[tuple[list[str], list[str]]]
    class_bias: dict[str, float]
    seconds_per_session: list[float] = field(default_factory=list)


@dataclass
class NestedRun:
    """All outer folds of one nested run."""

    n_outer: int
    n_inner: int
    ids: list[str]
    folds: list[FoldRun]
    seconds: float


def subset(sessions: list[AnnoMISession], limit: int | None) -> list[AnnoMISession]:
    """At most ``limit`` sessions, half high and half low quality (for quick runs and tests)."""
    if limit is None or limit >= len(sessions):
        return sessions
    low = [s for s in sessions if s.quality == "low"][: limit // 2]
    high = [s for s in sessions if s.quality != "low"][: limit - len(low)]
    return sorted(high + low, key=lambda s: sessions.index(s))


def _splits(qualities: Sequence[str], k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    y = np.array([q == "high" for q in qualities])
    k = max(2, min(k, int(y.sum()), int((~y).sum())))
    return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def outer_splits(sessions: Sequence[AnnoMISession], k: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Outer folds: stratified by quality, one transcript per group (a transcript is never split)."""
    return _splits([s.quality for s in sessions], k, seed)


def inner_splits(sessions: Sequence[AnnoMISession], k: int, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    """Inner folds over an outer training set (same rule, another seed)."""
    return _splits([s.quality for s in sessions], k, seed)


def gold_probs(sessions: Sequence[AnnoMISession], results: dict[str, CueResult]) -> tuple[list[str], np.ndarray]:
    """Gold 4-class codes and the model's behaviour probabilities for every coded helper utterance."""
    gold, probs = [], []
    for s in sessions:
        codes = {b.turn_index: b for b in results[s.transcript_id].behaviours}
        for i, lab in enumerate(s.labels):
            b = codes.get(i)
            if lab.behaviour in BEHAVIOURS and b is not None and b.probabilities:
                gold.append(lab.behaviour)
                probs.append([b.probabilities.get(c, 0.0) for c in BEHAVIOURS])
    return gold, np.array(probs).reshape(-1, len(BEHAVIOURS))


def _fit(sessions: Sequence[AnnoMISession], model_kwargs: dict[str, Any]) -> BehaviourModel:
    return BehaviourModel(**model_kwargs).fit([(s.turns, s.labels) for s in sessions])


def _detect(model: BehaviourModel, sessions: Sequence[AnnoMISession], bias: dict[str, float] | None,
            times: list[float] | None = None) -> dict[str, CueResult]:
    old = model.class_bias
    model.class_bias = bias
    out = {}
    try:
        for s in sessions:
            t0 = time.perf_counter()
            out[s.transcript_id] = detect_cues(s.turns, model=model)
            if times is not None:
                times.append(time.perf_counter() - t0)
    finally:
        model.class_bias = old
    return out


def _cache_key(annomi_dir: Path, outer: int, inner: int, limit: int | None, model_kwargs: dict) -> str:
    h = hashlib.sha256()
    h.update(repr((_CACHE_VERSION, outer, inner, limit, sorted(model_kwargs.items()))).encode())
    h.update((annomi_dir / "AnnoMI-simple.csv").read_bytes())
    code = Path(__file__).resolve().parents[2] / "analysis" / "cues"
    for p in sorted(code.glob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()[:20]


def _cache_dir() -> Path:
    import os

    return Path(os.environ.get("LISTENWELL_CACHE", Path.home() / ".cache" / "listenwell")) / "nested"


def run_nested(annomi_dir: str | Path, outer: int = 5, inner: int = 3, limit: int | None = None,
               progress: Callable[[str], None] | None = None, model_kwargs: dict[str, Any] | None = None,
               use_cache: bool = True) -> tuple[list[AnnoMISession], NestedRun]:
    """Run (or load from the cache) the nested cross-validation of the cue model.

    Parameters
    ----------
    annomi_dir : path
        Folder with ``AnnoMI-simple.csv`` and ``AnnoMI-full.csv``.
    outer, inner : int
        Outer folds (scored once each) and inner folds (out-of-fold cues for fitting on training data).
    limit : int, optional
        Balanced subset of this many transcripts (quick runs).

    Returns
    -------
    (sessions, NestedRun)
    """
    annomi_dir = Path(annomi_dir)
    model_kwargs = dict(model_kwargs or {})
    sessions = subset(load_annomi(annomi_dir), limit)
    key = _cache_key(annomi_dir, outer, inner, limit, model_kwargs)
    path = _cache_dir() / f"{key}.pkl"
    if use_cache and path.is_file():
        try:
            with path.open("rb") as f:
                run = pickle.load(f)
            if isinstance(run, NestedRun):
                if progress:
                    progress(f"nested run loaded from cache {path}")
                return sessions, run
        except Exception as e:  # a stale or broken cache file is simply recomputed
            log.warning("ignoring cache %s: %s", path, e)
    t0 = time.perf_counter()
    folds: list[FoldRun] = []
    splits = outer_splits(sessions, outer)
    for k, (tr, te) in enumerate(splits):
        train = [sessions[i] for i in tr]
        test = [sessions[i] for i in te]
        inner_raw: dict[str, CueResult] = {}
        inner_models: list[tuple[BehaviourModel, list[AnnoMISession]]] = []
        inner_ids = []
        for itr, ite in inner_splits(train, inner):
            m = _fit([train[i] for i in itr], model_kwargs)
            held = [train[i] for i in ite]
            inner_raw.update(_detect(m, held, None))
            inner_models.append((m, held))
            inner_ids.append(([train[i].transcript_id for i in itr], [s.transcript_id for s in held]))
        gold, probs = gold_probs(train, inner_raw)
        bias = fit_class_bias(gold, probs)
        inner_cal: dict[str, CueResult] = {}
        for m, held in inner_models:
            inner_cal.update(_detect(m, held, bias))
        del inner_models
        model = _fit(train, model_kwargs)
        times: list[float] = []
        folds.append(FoldRun(
            fold=k, train_ids=[s.transcript_id for s in train], test_ids=[s.transcript_id for s in test],
            test=_detect(model, test, None, times), test_calibrated=_detect(model, test, bias),
            inner=inner_raw, inner_calibrated=inner_cal, inner_folds=inner_ids, class_bias=bias,
            seconds_per_session=times))
        if progress:
            progress(f"outer fold {k + 1}/{len(splits)} done ({time.perf_counter() - t0:.0f} s)")
    run = NestedRun(len(splits), inner, [s.transcript_id for s in sessions], folds,
                    round(time.perf_counter() - t0, 1))
    if use_cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as f:
                pickle.dump(run, f)
        except OSError as e:
            log.warning("could not write cache %s: %s", path, e)
    return sessions, run


def machine_description() -> dict[str, Any]:
    """Where the figures were computed (CPU, cores, load, library versions)."""
    import os
    import platform

    import sklearn

    cpu = cpu_model()
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"cpu": cpu, "cores": os.cpu_count(), "load_average": load, "python": platform.python_version(),
            "numpy": np.__version__, "scikit_learn": sklearn.__version__, "platform": platform.platform()}
