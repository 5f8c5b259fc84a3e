"""Summaries and the printed table for ``listenwell bench`` (pure functions over its record)."""

from __future__ import annotations

__all__ = ["summarise", "format_table", "pareto_front", "TARGET_SPEEDUP", "TARGET_WER_SLACK"]

BASELINE = "plain-fw-beam5"
DEFAULT = "default"
TARGET_SPEEDUP = 3.0
TARGET_WER_SLACK = 0.01  # default WER at most 1 point above the baseline's
DIALOGUE_PREFIX = "annomi"


def _by_item(run: dict) -> dict[str, dict]:
    return {r["item"]: r for r in run.get("results", [])}


def pareto_front(points: list[tuple[str, float, float]]) -> list[str]:
    """Names of the (name, speed, wer) points that no other point beats on both (faster and lower WER)."""
    front = []
    for name, speed, wer in points:
        dominated = any(
            s >= speed and w <= wer and (s > speed or w < wer) for n, s, w in points if n != name
        )
        if not dominated:
            front.append(name)
    return front


def summarise(runs: list[dict]) -> dict:
    """Speed ratios against the plain faster-whisper run, WER differences, frontier and target.

    Ratios use wall time (``speedup``) and CPU time (``cpu_speedup``, steadier
    when other jobs share the machine). Dialogue figures pool both dialogues:
    total audio over total time, and WER averaged over the two.
    """
    base = next((r for r in runs if r.get("config") == BASELINE and "results" in r), None)
    out: dict = {"baseline": BASELINE, "per_config": {}}
    if base is None:
        return out
    b = _by_item(base)
    points = []
    for run in runs:
        if "results" not in run:
            continue
        mine = _by_item(run)
        per_item = {}
        for item, r in mine.items():
            if item not in b:
                continue
            per_item[item] = {
                "speedup": round(b[item]["wall_s"] / r["wall_s"], 2) if r["wall_s"] else None,
                "cpu_speedup": round(b[item]["cpu_s"] / r["cpu_s"], 2) if r["cpu_s"] else None,
                "wer_minus_baseline": None if r["wer"] is None or b[item]["wer"] is None
                else round(r["wer"] - b[item]["wer"], 4),
                "words_vs_baseline": round(r["words"] / b[item]["words"], 3) if b[item]["words"] else None,
            }
        dia = [i for i in mine if i.startswith(DIALOGUE_PREFIX) and i in b]
        pooled = None
        if dia:
            wall = sum(mine[i]["wall_s"] for i in dia)
            cpu = sum(mine[i]["cpu_s"] for i in dia)
            wers = [mine[i]["wer"] for i in dia if mine[i]["wer"] is not None]
            base_wers = [b[i]["wer"] for i in dia if b[i]["wer"] is not None]
            pooled = {
                "speedup": round(sum(b[i]["wall_s"] for i in dia) / wall, 2),
                "cpu_speedup": round(sum(b[i]["cpu_s"] for i in dia) / cpu, 2),
                "wer": round(sum(wers) / len(wers), 4) if wers else None,
                "baseline_wer": round(sum(base_wers) / len(base_wers), 4) if base_wers else None,
            }
            if pooled["wer"] is not None:
                points.append((run["config"], pooled["speedup"], pooled["wer"]))
        out["per_config"][run["config"]] = {"items": per_item, "dialogues": pooled}
    out["frontier_on_dialogues"] = pareto_front(points)
    default = out["per_config"].get(DEFAULT, {}).get("dialogues")
    if default and default["wer"] is not None:
        out["target"] = {
            "speedup_needed": TARGET_SPEEDUP,
            "speedup_wall": default["speedup"],
            "speedup_cpu": default["cpu_speedup"],
            "wer_default": default["wer"],
            "wer_baseline": default["baseline_wer"],
            "wer_ok": default["wer"] <= default["baseline_wer"] + TARGET_WER_SLACK,
            "speed_ok_wall": default["speedup"] >= TARGET_SPEEDUP,
            "speed_ok_cpu": default["cpu_speedup"] >= TARGET_SPEEDUP,
        }
    return out


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _fill(r: dict) -> str:
    if r.get("fillers") is None:
        return "-"
    ref = r.get("reference_fillers")
    return f"{r['fillers']}" + ("" if ref is None else f"/{ref}")


def format_table(record: dict) -> str:
    """A plain-text table: one row per configuration and audio item, ratios against the baseline."""
    summary = record.get("summary", {}).get("per_config", {})
    head = (f"{'config':28s} {'audio':15s} {'len s':>7s} {'wall s':>7s} {'x RT':>6s} {'vs b':>6s} "
            f"{'cpu s':>7s} {'cpu vs b':>8s} {'WER %':>6s} {'words':>6s} {'fill':>7s} {'load s':>6s} {'peak MB':>7s}")
    lines = [head, "-" * len(head)]
    for run in record.get("runs", []):
        if "error" in run:
            lines.append(f"{run['config']:28s} error: {run['error']}")
            continue
        ratios = summary.get(run["config"], {}).get("items", {})
        for r in run["results"]:
            q = ratios.get(r["item"], {})
            sp = "-" if q.get("speedup") is None else f"{q['speedup']:.2f}"
            cs = "-" if q.get("cpu_speedup") is None else f"{q['cpu_speedup']:.2f}"
            lines.append(
                f"{run['config']:28s} {r['item'][:15]:15s} {r['audio_s']:7.1f} {r['wall_s']:7.2f} "
                f"{r['rtf_x']:6.1f} {sp:>6s} {r['cpu_s']:7.2f} {cs:>8s} {_pct(r['wer']):>6s} "
                f"{r['words']:6d} {_fill(r):>7s} {run['model_load_s']:6.2f} {run['peak_rss_mb']:7.0f}"
            )
    t = record.get("summary", {}).get("target")
    if t:
        lines.append("")
        lines.append(
            f"dialogues, default vs plain faster-whisper: {t['speedup_wall']:.2f}x faster (wall), "
            f"{t['speedup_cpu']:.2f}x (CPU time); WER {_pct(t['wer_default'])} % vs {_pct(t['wer_baseline'])} % "
            f"-> target 3x: {'met' if t['speed_ok_wall'] else 'missed'} (wall), "
            f"WER within 1 point: {'yes' if t['wer_ok'] else 'no'}"
        )
    front = record.get("summary", {}).get("frontier_on_dialogues")
    if front:
        lines.append("speed/WER frontier on the dialogues: " + ", ".join(front))
    env = record.get("environment", {})
    if env:
        lines.append(f"machine: {env.get('cpu_model')} x{env.get('cpu_count')}, load at start "
                     f"{env.get('load_average_at_start', [0])[0]:.1f}; " +
                     ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items() if v))
    return "\n".join(lines)
