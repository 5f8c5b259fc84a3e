"""Cues on the bundled role-plays (hand-written, not AnnoMI): one listens well, one jumps to fixes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.cues.detect import CueOptions, detect_cues
from analysis.schema import Turn

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dialogues"


def load(name: str) -> list[Turn]:
    d = json.loads((SAMPLES / f"{name}.json").read_text())
    return [Turn(t["speaker"], t["text"], t["start"], t["end"], role=t["speaker"], index=i)
            for i, t in enumerate(d["turns"])]


@pytest.mark.parametrize("options", [CueOptions(), CueOptions(use_model=False)], ids=["model", "rules"])
def test_good_and_poor_sample_differ_as_a_supervisor_expects(options):
    good = detect_cues(load("listens-well"), options)
    poor = detect_cues(load("jumps-to-fixes"), options)
    g, p = good.summary, poor.summary
    assert g.reflection_to_question >= 0.75 and p.reflection_to_question == 0.0
    assert g.open_questions >= 3 and p.open_questions == 0
    assert g.advice == 0 and p.advice >= 4
    assert g.minimising == 0 and p.minimising >= 2
    assert g.feelings_reflected_share == 1.0 and p.feelings_reflected_share == 0.0
    kinds_good = {e.kind for e in good.events}
    kinds_poor = {(e.kind, e.turn_index) for e in poor.events}
    assert "solution_before_exploration" not in kinds_good
    assert ("solution_before_exploration", 3) in kinds_poor  # "You just need to get back on track"
    ev = next(e for e in poor.events if e.kind == "solution_before_exploration")
    assert ev.trigger_index == 2 and ev.start is not None and ev.end > ev.start
    assert "ashamed" in ev.trigger_quote
