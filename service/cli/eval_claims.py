"""``listenwell eval claims DIR``: voice the planted-behaviour scripts, analyse them, judge each claim."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from service.eval.claims import load_scripts, summarise
from service.eval.claims_run import MODES, default_cache, run_script

__all__ = ["claims", "format_script", "format_figures"]


def _list(v: Any) -> str:
    return "[" + ", ".join(v) + "]" if v else "[]"


def format_script(r: Any, expect: Any) -> str:
    """Two or more lines: what the report claimed against what was expected."""
    idx = "n/a" if r.index is None else f"{r.index:.0f}"
    want_idx = "" if expect.index is None else f" index {expect.index[0]:g}-{expect.index[1]:g}"
    lines = [f"{r.id} {r.mode:<6} claimed: index {idx}, work on {_list(r.priorities)}, strength {r.strength or '-'}"
             + ("" if r.judged else " (not judged)"),
             f"{'':<13} expected: work on {_list(expect.work_on)}, not {_list(expect.not_work_on)}, "
             f"strength in {_list(expect.strength)}{want_idx}"]
    marks = [f"missed fault {w}" for w in r.work_on_missed]
    marks += [p for c in r.claims for p in c["problems"]]
    if r.index_ok is False:
        marks.append("index out of range")
    if r.jargon is False:
        marks.append("jargon not shown")
    marks += [f"consistency: {p}" for p in r.consistency]
    lines += [f"{'':<13} ! {m}" for m in marks]
    return "\n".join(lines)


def _f(v: Any) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def format_figures(mode: str, s: dict[str, Any]) -> str:
    rows = [
        f"{mode}: {s['scripts']} scripts ({s['judged']} judged), {s['seconds']:.0f} s of analysis",
        f"  claim precision      {_f(s['claim_precision'])}  ({s['claims_ok']}/{s['claims']} claims contradict nothing)",
        f"  fault recall         {_f(s['fault_recall'])}  ({s['work_on_found']}/{s['work_on']} planted faults among the priorities)",
        f"  contradictions       {s['contradictions']}",
        f"  jargon shown         {s['jargon_shown']}/{s['jargon_scripts']}",
        f"  index in range       {s['index_in_range']}/{s['index_scripts']}",
        f"  line-code accuracy   {_f(s['line_code_accuracy'])}  ({s['lines_right']}/{s['lines']} helper lines)",
        f"  consistency problems {s['consistency_problems']}",
        "  per code (lines, found): " + ", ".join(f"{c} {v['found']}/{v['lines']}" for c, v in s["per_code"].items()),
    ]
    rows += [f"  contradiction {c['id']}: {'; '.join(c['problems'])}" for c in s["contradiction_list"]]
    return "\n".join(rows)


@click.command("claims")
@click.argument("scripts_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--mode", type=click.Choice(["stereo", "mono", "both"]), default="both", show_default=True,
              help="stereo: helper left, client right; mono: the one-microphone mix, helper order from the script.")
@click.option("--only", multiple=True, help="Run only this script id (repeat for several).")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="Write every figure as JSON.")
@click.option("--cache", "cache", type=click.Path(file_okay=False), default=None,
              help="Folder of voiced audio (default ~/.cache/listenwell/claims).")
@click.option("--reports", "reports", type=click.Path(file_okay=False), default=None,
              help="Also write each report.json here (ID.MODE.json).")
def claims(scripts_dir: str, mode: str, only: tuple[str, ...], out: str | None, cache: str | None,
           reports: str | None):
    """Voice each script, run the real pipeline, and judge the report's claims against the labels."""
    scripts = load_scripts(scripts_dir, only)
    cache_dir = Path(cache) if cache else default_cache()
    keep = None
    if reports:
        rdir = Path(reports)
        rdir.mkdir(parents=True, exist_ok=True)

        def keep(name: str, d: dict[str, Any]) -> None:
            (rdir / f"{name}.json").write_text(json.dumps(d, indent=1), encoding="utf-8")

    modes = MODES if mode == "both" else (mode,)
    t0 = time.perf_counter()
    result: dict[str, Any] = {"scripts_dir": str(scripts_dir), "modes": {}}
    for m in modes:
        rows = []
        for s in scripts:
            r = run_script(s, m, cache_dir, keep)
            click.echo(format_script(r, s.expect))
            rows.append(r)
        figures = summarise(rows)
        result["modes"][m] = {"figures": figures, "scripts": [r.to_dict() for r in rows]}
    result["wall_seconds"] = round(time.perf_counter() - t0, 1)
    click.echo("")
    for m in modes:
        click.echo(format_figures(m, result["modes"][m]["figures"]))
    click.echo(f"wall time {result['wall_seconds']:.0f} s (voicing included when not cached)")
    if out:
        Path(out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        click.echo(f"wrote {out}")
