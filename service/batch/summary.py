"""The cohort summary: one row per recording, written as ``summary.csv`` and ``summary.html``.

``summary.csv`` is for programs: column keys as headers (``file``, ``index``, ``subscore.explore``),
statuses as keys, numbers as plain numbers (a figure that was not measured or not judged is an
empty cell, named in the ``not_measured`` column). ``summary.html`` is for people: readable
titles, statuses in words, shares with %, "not enough to judge" spelled out.

A row holds who and what (file, trainee, scenario, set-up), the outcome
(status, error kind, reason), and for a finished report its duration, index,
sub-scores, MITI-style figures and the numeric timing and prosody figures
(flattened to dotted column names such as ``timing.talk_share``). A sub-score too unsure to
judge (``SubScore.judged`` false) reads "not enough to judge" instead of a number.
"""

from __future__ import annotations

import csv
import html
import io
import math
from pathlib import Path
from typing import Any, Iterable

from analysis.report.types import NOT_JUDGED, SubScore
from analysis.scoring.score import LABELS
from analysis.speakers.order_check import order_conflict
from analysis.speakers.result import SpeakerResult
from service.batch.store import atomic_write_text

__all__ = [
    "BASE_COLUMNS",
    "HTML_FIGURES",
    "summary_row",
    "columns_for",
    "html_columns",
    "write_summary_csv",
    "write_summary_html",
    "read_summary_csv",
    "column_title",
    "csv_cells",
    "counts_sentence",
    "STATUS_WORDS",
    "order_rerun",
]

# What a coordinator reads: column titles, statuses in words, shares as percentages.
_TITLES = {
    "file": "Recording", "trainee": "Trainee", "scenario": "Scenario", "setup": "Set-up", "status": "Status",
    "error_kind": "Problem", "reason": "Why", "duration_s": "Length (s)", "index": "Listening score (0-100)",
    "partial": "Partial report", "order_check": "Speaking order", "analysis_s": "Analysis time (s)", "report": "Report",
    "miti.questions": "Questions", "miti.open_questions": "Open questions",
    "miti.closed_questions": "Yes/no questions", "miti.reflections": "Reflections",
    "miti.simple_reflections": "Simple reflections", "miti.complex_reflections": "Complex reflections",
    "miti.reflection_to_question": "Reflections per question (MITI R:Q)",
    "miti.pct_complex_reflections": "Complex reflections (%)", "miti.pct_open_questions": "Open questions (%)",
    "timing.talk_share_helper": "Helper talk share (%)", "timing.word_share_helper": "Helper share of words (%)",
    "timing.latency.median": "Usual pause before answering (s)", "timing.interruptions.count": "Times helper cut in",
    "timing.backchannels.count": "Short mm-hmms", "timing.turns_per_minute": "Turns a minute",
    "timing.longest_helper_monologue.details.duration": "Helper's longest turn (s)",
    "prosody.helper.speaking_rate_wpm": "Helper pace (words a minute)",
    "prosody.helper.pitch_std_semitones": "Helper voice rise and fall (semitones)",
    "prosody.helper.monotone": "Helper voice flat", "prosody.helper.rushed": "Helper rushed",
    "not_measured": "Not measured",
}
NOT_MEASURED = "not measured"
# Timing figures one microphone cannot see (TimingMetrics.overlaps_measured is false): "not measured", never 0.
ONE_MIC_NOT_MEASURED = ("timing.latency.median", "timing.latency.mean", "timing.interruptions.count",
                        "timing.backchannels.count", "timing.overlaps.count", "timing.client_interruptions.count")
# Columns holding a 0-1 share, written as a percentage.
_GROUPS = {"timing": "Timing: ", "prosody": "Voice: ", "miti": "MITI: "}
PERCENT_COLUMNS = frozenset({"timing.talk_share_helper", "timing.word_share_helper"})
STATUS_WORDS = {"done": "done", "skipped": "already done", "failed": "failed"}


def column_title(key: str) -> str:
    """The readable title of a summary column ("subscore.make_space" -> "Make space")."""
    if key in _TITLES:
        return _TITLES[key]
    if key.startswith("subscore."):
        name = key.split(".", 1)[1]
        return LABELS.get(name, name.replace("_", " ").capitalize())
    group, _, rest = key.partition(".")
    if group in _GROUPS and rest:  # the rest of the key kept as it is, so the CSV reads back
        return _GROUPS[group] + rest
    return key


def _shown(key: str, v: Any) -> str:
    """A cell as a reader sees it: percentages with %, statuses in words."""
    if v is None or v == "":
        return ""
    if key in PERCENT_COLUMNS:
        try:
            return f"{float(v):.0f} %"
        except (TypeError, ValueError):
            return str(v)
    if key == "status":
        return STATUS_WORDS.get(str(v), str(v))
    if key == "partial":
        return "yes" if v else "no"
    if key == "timing.latency.median" and isinstance(v, (int, float)) and v < 0:
        return f"none: started {abs(float(v)):.1f} s before the other had finished"
    return str(v)

BASE_COLUMNS = (
    "file",
    "trainee",
    "scenario",
    "setup",
    "status",
    "error_kind",
    "reason",
    "duration_s",
    "index",
    "partial",
)
# Columns that change from run to run (left out when comparing two runs' summaries).
VOLATILE_COLUMNS = ("analysis_s", "report")
_MITI_KEYS = (
    "questions",
    "open_questions",
    "closed_questions",
    "reflections",
    "simple_reflections",
    "complex_reflections",
    "reflection_to_question",
    "pct_complex_reflections",
    "pct_open_questions",
)
_MAX_DEPTH = 3
# Sub-sections that hold a stage's settings, not measurements.
_SKIP_KEYS = frozenset({"options", "settings", "params"})


def _number(v: Any) -> float | int | None:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else round(v, 4)
    return None


def _flatten(prefix: str, obj: Any, out: dict[str, Any], depth: int = 0) -> None:
    """Collect numeric scalars of nested dicts as ``prefix.key.subkey``; a list of events becomes ``key.count``."""
    if not isinstance(obj, dict) or depth > _MAX_DEPTH:
        return
    for key in sorted(obj, key=str):
        if key in _SKIP_KEYS:
            continue
        value = obj[key]
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(name, value, out, depth + 1)
        elif isinstance(value, (list, tuple)):
            if key not in ("notes",):
                out[f"{name}.count"] = len(value)
        elif value is None:
            continue
        else:
            num = _number(value)
            if num is not None:
                out[name] = num


def order_rerun(report: dict[str, Any]) -> str:
    """"rerun with helper_speaker=second" (or helper_channel=0) when the given order conflicts, else ""."""
    speakers = report.get("speakers")
    check = order_conflict(SpeakerResult.from_dict(speakers)) if speakers else None
    if check is None:
        return ""
    if check.inferred.startswith("ch") and check.inferred[2:].isdigit():
        return f"rerun with helper_channel={check.inferred[2:]}"
    return f"rerun with helper_speaker={check.inferred}"


def summary_row(
    rel: str,
    *,
    trainee: str = "",
    scenario: str = "",
    setup: str = "",
    status: str,
    error_kind: str = "",
    reason: str = "",
    report: dict[str, Any] | None = None,
    analysis_seconds: float | None = None,
    report_link: str = "",
) -> dict[str, Any]:
    """One summary row for a recording from its metadata, outcome and report dict (if any)."""
    row: dict[str, Any] = {
        "file": rel,
        "trainee": trainee,
        "scenario": scenario,
        "setup": setup,
        "status": status,
        "error_kind": error_kind,
        "reason": reason,
    }
    if report is not None:
        used = (report.get("settings") or {}).get("setup_used")
        if used:  # what "auto" turned into for this file
            row["setup"] = str(used)
        duration = report.get("duration")
        row["duration_s"] = None if duration is None else round(float(duration), 2)
        index = report.get("index")
        row["index"] = None if index is None else round(float(index), 1)
        row["partial"] = int(bool(report.get("partial")))
        if report.get("partial") and not reason:
            row["reason"] = "; ".join(str(n) for n in report.get("notes", ()))[:300]
        rerun = order_rerun(report)
        if rerun:  # the manifest's order contradicts what each voice says: say which order to rerun with
            row["order_check"] = rerun
            row["reason"] = f"Speaking order looks wrong: {rerun}" + (f"; {row['reason']}" if row["reason"] else "")
        for name, sub in sorted((report.get("subscores") or {}).items()):
            score = sub.get("score") if isinstance(sub, dict) else None
            if score is not None and not SubScore.from_dict({"name": name, **sub}).judged:
                row[f"subscore.{name}"] = NOT_JUDGED  # the same rule as every report renderer
            else:
                row[f"subscore.{name}"] = NOT_MEASURED if score is None else round(float(score), 1)
        miti = report.get("miti") or {}
        for key in _MITI_KEYS:
            num = _number(miti.get(key))
            if num is not None:
                row[f"miti.{key}"] = num
        _flatten("timing", report.get("timing"), row)
        if (report.get("timing") or {}).get("overlaps_measured") is False:  # one microphone: not seen
            for key in ONE_MIC_NOT_MEASURED:
                row[key] = NOT_MEASURED
        _flatten("prosody", report.get("prosody"), row)
        for key in PERCENT_COLUMNS:  # shares as percentages, rounded once (as in the report)
            if isinstance(row.get(key), (int, float)):
                row[key] = round(100.0 * float(row[key]), 1)
    row["analysis_s"] = None if analysis_seconds is None else round(float(analysis_seconds), 2)
    row["report"] = report_link
    return row


# Timing and prosody figures shown in summary.html (summary.csv has them all).
HTML_FIGURES = (
    "timing.talk_share_helper",
    "timing.latency.median",
    "timing.interruptions.count",
    "timing.backchannels.count",
    "timing.longest_helper_monologue.details.duration",
    "timing.turns_per_minute",
    "prosody.helper.speaking_rate_wpm",
    "prosody.helper.pitch_std_semitones",
    "prosody.helper.monotone",
    "prosody.helper.rushed",
)


def html_columns(rows: list[dict[str, Any]]) -> list[str]:
    """The columns of the HTML table: base, sub-scores, MITI, and the key timing and prosody figures."""
    shown = []
    for c in columns_for(rows):
        if c == "report":
            continue
        if c.startswith(("timing.", "prosody.")) and c not in HTML_FIGURES:
            continue
        shown.append(c)
    return shown


def _group_order(name: str) -> tuple[int, str]:
    if name == "order_check":  # a warning about the whole row: next to the base columns
        return -1, name
    for i, prefix in enumerate(("subscore.", "miti.", "timing.", "prosody.")):
        if name.startswith(prefix):
            return i, name
    return 9, name


def columns_for(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Base columns, then sub-scores, MITI, timing and prosody columns present in any row, then the volatile ones."""
    rows = list(rows)
    extra = {k for r in rows for k in r if k not in BASE_COLUMNS and k not in VOLATILE_COLUMNS}
    return list(BASE_COLUMNS) + sorted(extra, key=_group_order) + list(VOLATILE_COLUMNS)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    return str(v)


_FIGURE_PREFIXES = ("subscore.", "miti.", "timing.", "prosody.")


def csv_cells(row: dict[str, Any], columns: list[str]) -> list[str]:
    """One ``summary.csv`` line: numbers as numbers; a figure column holding words ("not measured",
    "not enough to judge") is left empty and its key listed in ``not_measured``."""
    unmeasured = [c for c in columns if c.startswith(_FIGURE_PREFIXES) and isinstance(row.get(c), str)]
    out = []
    for c in columns:
        if c == "not_measured":
            out.append("; ".join(unmeasured))
        elif c in unmeasured:
            out.append("")
        else:
            out.append(_cell(row.get(c)))
    return out


def write_summary_csv(path: str | Path, rows: list[dict[str, Any]]) -> list[str]:
    """Write ``summary.csv`` atomically with the column keys as headers; returns the column keys.

    Shares are percentages (54.4, not 0.544); statuses are keys (done, skipped, failed).
    """
    columns = columns_for(rows)
    if any(isinstance(r.get(c), str) for r in rows for c in columns if c.startswith(_FIGURE_PREFIXES)):
        columns.insert(columns.index(VOLATILE_COLUMNS[0]), "not_measured")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(csv_cells(row, columns))
    atomic_write_text(path, buf.getvalue())
    return columns


def read_summary_csv(path: str | Path) -> list[dict[str, str]]:
    """Rows of a ``summary.csv`` as dicts of strings, keyed by column key ("subscore.make_space").

    A summary written with readable titles (before the keys became the headers) reads the same:
    titles are mapped back to keys, and "already done" back to the status "skipped".
    """
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return rows

    back = {v: k for k, v in _TITLES.items()}
    back.update({label: f"subscore.{name}" for name, label in LABELS.items()})
    status_back = {v: k for k, v in STATUS_WORDS.items()}
    out = []
    for r in rows:
        d = {back.get(k, k): v for k, v in r.items()}
        for k in list(d):
            for group, title in _GROUPS.items():
                if k.startswith(title):
                    d[group + "." + k[len(title):]] = d.pop(k)
        if "status" in d:
            d["status"] = status_back.get(d["status"], d["status"])
        out.append(d)
    return out


_SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener('click', function () {
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
        var nx = parseFloat(x), ny = parseFloat(y);
        var blankX = x === '', blankY = y === '';
        if (blankX || blankY) { return blankX === blankY ? 0 : (blankX ? 1 : -1); }
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
.wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;white-space:nowrap}
th{background:#f2f2f2;cursor:pointer;position:sticky;top:0}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
tr.failed td{background:#fde8e8}
tr.order-conflict td{background:#fff3d6}
.plots figure{display:inline-block;margin:0 1rem 1rem 0;vertical-align:top}
.counts{font-size:1.1rem;font-weight:600}
.note{color:#555;font-size:.85rem}
"""


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th scope='col' data-key='{html.escape(c, quote=True)}'>{html.escape(column_title(c))}</th>"
                   for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            v = _cell(row.get(c))
            shown = html.escape(_shown(c, row.get(c)))
            if c == "file" and row.get("report"):
                shown = f"<a href='{html.escape(str(row['report']), quote=True)}'>{shown}</a>"
            elif c == "report":
                shown = ""
            cells.append(f"<td data-v='{html.escape(v, quote=True)}'>{shown}</td>")
        css = html.escape(str(row.get("status", "")) + (" order-conflict" if row.get("order_check") else ""),
                          quote=True)
        body.append(f"<tr class='{css}'>{''.join(cells)}</tr>")
    return (
        f"<div class='wrap'><table class='sortable'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def counts_sentence(total: int, now: int, earlier: int, failed: int, failed_earlier: int = 0,
                    interrupted: bool = False) -> str:
    """What a run did, in numbers that add up: "6 of 6 done: 5 now, 1 earlier."; after an
    interrupt "1 of 6 done: 1 now; stopped before 5 (…)."; failures "…; 2 failed (1 in an earlier run)."."""
    done = now + earlier
    text = f"{done} of {total} done"
    how = [f"{n} {word}" for n, word in ((now, "now"), (earlier, "earlier")) if n]
    if how:
        text += ": " + ", ".join(how)
    failed_all = failed + failed_earlier
    if failed_all:
        text += f"; {failed_all} failed" + ("" if not failed_earlier else " in an earlier run" if not failed
                                             else f" ({failed_earlier} in an earlier run)")
    left = total - done - failed_all
    if interrupted and left > 0:
        text += f"; stopped before {left} (run the same command again to go on)"
    return text + "."


def _settings_items(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [item for k in sorted(value, key=str) for item in _settings_items(f"{prefix}{k}.", value[k])]
    if isinstance(value, (list, tuple)):
        return [(prefix.rstrip("."), ", ".join(str(v) for v in value))]
    return [(prefix.rstrip("."), "" if value is None else str(value))]


def _meta_html(meta: dict[str, Any]) -> str:
    """The run's version, input folder and settings as a list a person can read (not raw JSON)."""
    meta = dict(meta)
    head = []
    if meta.get("version"):
        head.append(f"ListenWell {html.escape(str(meta.pop('version')))}")
    if meta.get("input_dir"):
        head.append(f"recordings from <code>{html.escape(str(meta.pop('input_dir')))}</code>")
    settings = _settings_items("", meta.pop("settings", {}) or {}) + _settings_items("", meta)
    items = "".join(f"<li>{html.escape(k.replace('_', ' '))}: <b>{html.escape(v)}</b></li>" for k, v in settings if k)
    out = f"<p class='note'>{'; '.join(head)}.</p>" if head else ""
    if items:
        out += f"<details class='note'><summary>Settings used</summary><ul>{items}</ul></details>"
    return out


def write_summary_html(
    path: str | Path,
    rows: list[dict[str, Any]],
    *,
    counts: str,
    title: str = "ListenWell cohort summary",
    plots: list[tuple[str, str]] | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    """Write ``summary.html``: the counts sentence (:func:`counts_sentence`), plots (``(caption,
    inline SVG)``), the sortable table and the settings used."""
    columns = html_columns(rows)
    counts_html = html.escape(counts)
    figures = "".join(
        f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>" for caption, svg in (plots or [])
    )
    meta_html = _meta_html(meta or {})
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="note">Practice feedback, not a clinical rating. Click a column heading to sort;
click a file name to open its report. Failed files list the reason. Every timing and voice
figure is in summary.csv.</p>
<p class="counts" id="counts">{counts_html}</p>
<section class="plots">{figures}</section>
{_table(rows, columns)}
{meta_html}
<script>{_SORT_JS}</script>
</body></html>
"""
    atomic_write_text(path, page)
