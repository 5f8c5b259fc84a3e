"""``listenwell eval cues DATA_DIR``: text-cue accuracy on AnnoMI (nested grouped CV) and EPITOME."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from analysis.errors import ParameterError
from service.eval.cues import evaluate_cues
from service.eval.nested import machine_description

__all__ = ["cues", "format_table"]


def _f(v: Any, nd: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{nd}f}" if isinstance(v, float) else str(v)


def _fci(v: Any, ci: Any) -> str:
    if v is None:
        return "n/a"
    if not ci or ci[0] is None:
        return f"{v:.3f}"
    return f"{v:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def format_table(res: dict[str, Any]) -> str:
    """Plain-text tables of the evaluation figures."""
    a = res["annomi"]
    m, r = a["model"], a["rules"]
    mc = a["model_calibrated"]
    lines = [
        f"AnnoMI: {a['n_transcripts']} transcripts ({a['n_high']} high, {a['n_low']} low), NESTED CV grouped by "
        f"transcript: {a['folds']} outer folds (each scored once) x {a['inner_folds']} inner folds (calibration "
        f"fitted there); {m['n_helper_utterances']} helper utterances; [95 % interval, bootstrap over transcripts]",
        "",
        f"{'helper behaviour (4 classes)':<30}{'model':>24}{'model + class calibration':>28}{'rules':>24}",
        f"{'  macro-F1 (target >= 0.78)':<30}{_fci(m['macro_f1'], m['macro_f1_ci95']):>24}"
        f"{_fci(mc['macro_f1'], mc['macro_f1_ci95']):>28}{_fci(r['macro_f1'], r['macro_f1_ci95']):>24}",
        f"{'  accuracy':<30}{_f(m['accuracy']):>24}{_f(mc['accuracy']):>28}{_f(r['accuracy']):>24}",
    ]
    for c, v in m["per_class"].items():
        lines.append(f"{'  F1 ' + c:<30}{_fci(v['f1'], m['per_class_f1_ci95'][c]):>24}"
                     f"{_fci(mc['per_class'][c]['f1'], mc['per_class_f1_ci95'][c]):>28}"
                     f"{_fci(r['per_class'][c]['f1'], r['per_class_f1_ci95'][c]):>24}")
    lines.append(f"  calibrated minus model, macro-F1: {a['calibrated_minus_model_macro_f1']:+.3f} "
                 f"[{a['calibrated_minus_model_ci95'][0]:+.3f}, {a['calibrated_minus_model_ci95'][1]:+.3f}] "
                 f"({'beats' if a['calibration_beats_model'] else 'does not beat'} the model by more than its interval)")
    lines.append("  per outer fold, macro-F1 model / calibrated: "
                 + "  ".join(f"{pf['macro_f1']:.3f}/{pf['macro_f1_calibrated']:.3f}" for pf in a["per_fold"]))
    lines += ["", f"{'cue (model)':<22}{'P':>7}{'R':>7}{'F1':>7}{'n':>7}   {'rules F1':>8}"]
    for c, v in m["per_cue"].items():
        lines.append(f"{c:<22}{_f(v['precision'], 2):>7}{_f(v['recall'], 2):>7}{_f(v['f1'], 2):>7}"
                     f"{v['support']:>7}   {_f(r['per_cue'][c]['f1'], 2):>8}")
    if "index_auc" in m:
        d = m["index_distribution"]
        lines += ["", "session index AUC high vs low, out-of-fold cues but the SHIPPED weights (IN-SAMPLE: chosen on "
                      "all annomi-dev;",
                  "  the nested figure is `listenwell eval index`): "
                  f"{_fci(m['index_auc'], m.get('index_auc_ci95'))} (rules-only cues "
                  f"{_fci(r.get('index_auc'), r.get('index_auc_ci95'))})"]
        if m.get("index_auc_expert_labels") is not None:
            lines.append("  same index from the experts' own labels (in-sample weights): "
                         f"{_fci(m['index_auc_expert_labels'], m.get('index_auc_expert_labels_ci95'))}")
        if m.get("summary_lr_auc") is not None:
            lines.append(f"  CV logistic regression over the predicted MITI shares: {_f(m['summary_lr_auc'])}")
        for q in ("high", "low"):
            if d[q]:
                lines.append(f"  {q:<5} n={d[q]['n']:<3} median {d[q]['median']:.1f}  "
                             f"[q1 {d[q]['q1']:.1f}, q3 {d[q]['q3']:.1f}]  range {d[q]['min']:.1f}-{d[q]['max']:.1f}")
    lines += ["", f"{'per-transcript mean (CV)':<26}{'high':>8}{'low':>8}{'ref high':>10}{'ref low':>9}{'AUC':>7}"]
    for k, v in m["miti_by_quality"].items():
        lines.append(f"{k:<26}{_f(v['predicted_high_mean'], 2):>8}{_f(v['predicted_low_mean'], 2):>8}"
                     f"{v['reference_high_mean']:>10}{v['reference_low_mean']:>9}{_f(v['auc_high_vs_low'], 2):>7}")
    lines.append(f"detect_cues time per session: median {a['seconds_per_session']['median'] * 1000:.0f} ms, "
                 f"max {a['seconds_per_session']['max'] * 1000:.0f} ms "
                 f"(rules only: median {a['seconds_per_session']['rules_median'] * 1000:.0f} ms, "
                 f"max {a['seconds_per_session']['rules_max'] * 1000:.0f} ms)")
    if "epitome" in res:
        e = res["epitome"]
        lines += ["", f"EPITOME (cues from the {e['model']} model)",
                  f"{'dimension':<22}{'cue':<16}{'Spearman':>9}{'AUC 2v0':>9}"]
        best = {"emotional_reactions": "validation", "interpretations": "reflection", "explorations": "question"}
        for dim, cue in best.items():
            if dim in e:
                for c in (cue, "empathic") if cue != "question" else (cue, "open_question"):
                    v = e[dim]["cues"][c]
                    lines.append(f"{dim:<22}{c:<16}{_f(v['spearman']):>9}{_f(v['auc_2_vs_0']):>9}")
    return "\n".join(lines)


@click.command("cues")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="Write the figures as JSON here.")
@click.option("--folds", default=5, show_default=True, help="Outer folds of the nested grouped cross-validation.")
@click.option("--inner", default=3, show_default=True, help="Inner folds (calibration is fitted there).")
@click.option("--boot", "n_boot", default=2000, show_default=True, help="Bootstrap resamples for the intervals.")
@click.option("--no-cache", is_flag=True, help="Recompute the nested run instead of reading ~/.cache/listenwell/nested.")
@click.option("--epitome-limit", type=int, default=None, help="Use only the first N EPITOME rows per file.")
@click.option("--limit", type=int, default=None, help="Use a balanced subset of N AnnoMI transcripts (quick check).")
def cues(data_dir: str, out: str | None, folds: int, inner: int, n_boot: int, no_cache: bool,
         epitome_limit: int | None, limit: int | None) -> None:
    """Text cues: 4-class macro-F1 with 95 % intervals, per-cue P/R/F1, session AUC (AnnoMI, nested
    grouped CV) and EPITOME.

    DATA_DIR is the shared data folder (holding annomi-dev/ and empathy/) or the AnnoMI folder.
    """
    if folds < 2 or inner < 2:
        raise ParameterError(f"--folds={folds} and --inner={inner} must be at least 2")
    if limit is not None and limit < 2 * folds:
        raise ParameterError(f"--limit={limit} must be at least twice --folds={folds}")
    res = evaluate_cues(data_dir, folds=folds, epitome_limit=epitome_limit, limit=limit, inner=inner,
                        n_boot=n_boot, use_cache=not no_cache, progress=lambda msg: click.echo(msg, err=True))
    res["machine"] = machine_description()
    click.echo(format_table(res))
    if out:
        Path(out).write_text(json.dumps(res, indent=1), encoding="utf-8")
        click.echo(f"wrote {out}")
