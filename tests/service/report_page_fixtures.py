"""A real report (the poor sample) with a ``summary`` object, for the report-page tests.

The summary is built from the report's own sub-scores and evidence (lowest sub-scores with helper
evidence first, the highest as the strength), in the shape the analysis package writes.
"""

from __future__ import annotations

import json

from tests.web_fixtures import ROOT

REPORT_JSON = ROOT / "tests" / "data" / "reports" / "jumps-to-fixes.report.json"
AUDIO = ROOT / "samples" / "dialogues" / "jumps-to-fixes.stereo.wav"


def _evidence(sub: dict) -> dict | None:
    for ev in sub.get("evidence") or []:
        if ev.get("speaker") == "helper" and ev.get("start") is not None:
            return {"speaker": "helper", "role": "helper", "quote": ev["quote"], "start": ev["start"],
                    "end": ev["end"], "unsure": False}
    return None


def poor_report(with_summary: bool = True) -> dict:
    """The poor sample's report; with a summary of up to three priorities and one strength."""
    report = json.loads(REPORT_JSON.read_text())
    if not with_summary:
        return report
    subs = sorted((s for s in report["subscores"].values() if s["score"] is not None), key=lambda s: s["score"])
    priorities = [
        {"subscore": s["name"], "label": s["label"], "message": s["summary"], "gain": round((100 - s["score"]) * s["weight"], 1),
         "evidence": _evidence(s), "try_instead": s["try_instead"]}
        for s in subs if _evidence(s) is not None
    ][:3]
    best = subs[-1]
    report["summary"] = {
        "headline": f"The helper spoke {report['timing']['talk_share_helper'] * 100:.0f} % of the time and offered"
                    " fixes before the client had finished.",
        "judged": True,
        "priorities": priorities,
        "strength": None if best["score"] < 70 else {
            "subscore": best["name"], "label": best["label"], "message": best["summary"], "evidence": _evidence(best)},
    }
    return report
