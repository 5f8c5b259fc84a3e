"""The consistency checker finds nothing in real reports and catches every kind of contradiction.

Real reports: the hand-written fixtures (text, and timed), the two sample role-plays
(samples/dialogues, their known turns and times), the voiced AnnoMI dialogues in
../shared/data/dialogue (known turns; speaker activity and timing measured from the stereo
audio) and text-only AnnoMI transcripts. The Whisper end-to-end reports are checked in
tests/analysis/test_summary_samples.py.
"""

from __future__ import annotations

import copy
import json

import pytest

from analysis.report.consistency import STRENGTH_AT, check_report
from analysis.report.text import render_text
from analysis.report.types import Report
from analysis.schema import CLIENT, HELPER, Turn
from analysis.scoring import summary as S
from analysis.scoring.summary import upgrade_report
from service.pipeline import score_transcript
from tests.paths import SAMPLES
from tests.report_fixtures import GOOD, POOR, make_turns


def _json_turns(path) -> list[Turn]:
    d = json.loads(path.read_text(encoding="utf-8"))
    return [Turn(speaker=t["speaker"], text=t["text"], start=t["start"], end=t["end"], role=t["speaker"], index=i)
            for i, t in enumerate(d["turns"])]


def _problems(report: Report) -> list[str]:
    d = json.loads(report.to_json())
    return check_report(d)


def test_checker_uses_the_scoring_strength_mark():
    assert STRENGTH_AT == S.STRENGTH_AT


@pytest.mark.parametrize("lines", [GOOD, POOR], ids=["good", "poor"])
@pytest.mark.parametrize("timed", [False, True], ids=["text", "timed"])
def test_fixture_reports_are_consistent(lines, timed):
    report = score_transcript(make_turns(lines, timed=timed))
    assert report.summary.judged
    assert _problems(report) == []


def test_partial_fixture_reports_are_consistent():
    only_client = [t for t in make_turns(GOOD) if t.role == CLIENT]
    report = score_transcript(only_client)
    assert report.partial and not report.summary.judged
    assert report.summary.strength is None and report.summary.priorities == ()
    assert report.strengths == () and report.work_on == ()
    assert "helper never speaks" in report.summary.headline
    assert _problems(report) == []
    empty = score_transcript([])
    assert not empty.summary.judged and "no speech" in empty.summary.headline
    assert _problems(empty) == []


@pytest.mark.parametrize("name", ["listens-well", "jumps-to-fixes"])
def test_sample_reports_are_consistent(name):
    report = score_transcript(_json_turns(SAMPLES / "dialogues" / f"{name}.json"), source=name)
    assert report.summary.judged
    assert _problems(report) == []


@pytest.mark.parametrize("name", ["annomi119-high", "annomi131-low"])
def test_voiced_dialogue_reports_are_consistent(shared_data, name):
    """Known turns; speaker activity and timing from the real stereo audio."""
    import soundfile as sf

    from analysis.scoring.score import score_session
    from analysis.cues.detect import detect_cues
    from analysis.speakers.activity import activity_from_channels
    from analysis.scoring.summary import with_summary
    from analysis.timing.metrics import timing_metrics

    folder = shared_data / "dialogue"
    turns = _json_turns(folder / f"{name}.json")
    audio, sr = sf.read(str(folder / f"{name}.stereo.flac"), dtype="float32", always_2d=True)
    activity = activity_from_channels(audio.T, sr, speakers=[HELPER, CLIENT])
    timing = timing_metrics(turns, activity)
    cues = detect_cues(turns)
    scored = score_session(turns, cues, timing)
    report = with_summary(Report(source=name, duration=len(audio) / sr, index=scored.index,
                                 subscores=scored.subscores, miti=scored.miti, turns=tuple(turns),
                                 helper_speaker=HELPER, timing=timing, cues=cues))
    assert report.summary.judged and report.subscores["make_space"].score is not None
    assert _problems(report) == []
    if name.endswith("low"):
        assert report.summary.priorities


def test_annomi_text_reports_are_consistent(shared_data):
    from service.eval.annomi import load_annomi

    sessions = load_annomi(shared_data / "annomi-dev")
    chosen = [s for s in sessions if s.quality == "high"][:3] + [s for s in sessions if s.quality == "low"][:3]
    assert len(chosen) == 6
    for s in chosen:
        report = score_transcript(s.turns, source=s.transcript_id)
        assert _problems(report) == [], s.transcript_id


# --------------------------------------------------------------- contradictions are caught
# The hand-made contradictions start from sessions long enough for every sub-score to be judged
# (confidence at least LOW_CONFIDENCE): the poor role-play five times, the good one four times.
@pytest.fixture(scope="module")
def poor() -> dict:
    report = score_transcript(make_turns(POOR * 5, timed=True))
    d = json.loads(report.to_json())
    assert check_report(d) == []
    return d


@pytest.fixture(scope="module")
def good() -> dict:
    d = json.loads(score_transcript(make_turns(GOOD * 4, timed=True)).to_json())
    assert check_report(d) == [] and d["summary"]["strength"]
    return d


def _has(problems: list[str], words: str) -> bool:
    return any(words in p for p in problems)


def test_strength_also_to_work_on_is_caught(good):
    d = copy.deepcopy(good)
    name = d["summary"]["strength"]["subscore"]
    label = d["subscores"][name]["label"]
    d["work_on"].append(f"{label}: do better. Try instead: something.")
    assert _has(check_report(d), "is both a strength and something to work on")


def test_try_instead_under_a_strength_is_caught(good):
    d = copy.deepcopy(good)
    name = d["summary"]["strength"]["subscore"]
    d["subscores"][name]["try_instead"] = "Slow down to 120-150 words a minute."
    assert _has(check_report(d), "carries a try-instead line")


def test_evidence_with_the_wrong_role_is_caught(poor):
    d = copy.deepcopy(poor)
    ev = d["subscores"]["hold_back"]["evidence"][0]
    assert ev["role"] == HELPER
    ev["role"] = CLIENT
    assert _has(check_report(d), "is labelled 'client' but that turn is the 'helper'")
    d = copy.deepcopy(poor)
    client = next(t for t in d["turns"] if t["role"] == CLIENT)
    d["subscores"]["make_space"]["evidence"].append(
        {"speaker": "helper", "role": "helper", "quote": client["text"], "start": client["start"],
         "end": client["end"], "note": "a short mm-hmm", "positive": True, "unsure": False})
    assert _has(check_report(d), "is labelled 'helper' but that turn is the 'client'")


def test_counts_that_disagree_are_caught(poor):
    d = copy.deepcopy(poor)
    d["miti"]["questions"] += 2
    problems = check_report(d)
    assert _has(problems, "MITI questions") and _has(problems, "says") and _has(problems, "questions")
    d = copy.deepcopy(poor)
    d["cues"]["cues"] = [c for c in d["cues"]["cues"] if c["kind"] != "advice"]
    d["miti"]["advice"] = 0
    d["cues"]["summary"]["advice"] = 0
    assert _has(check_report(d), "hold back says advice")


def test_validation_count_disagreeing_with_the_cues_is_caught(good):
    d = copy.deepcopy(good)
    d["cues"]["cues"].append({"turn_index": 5, "role": "helper", "kind": "affirmation", "label": "",
                              "confidence": 0.8, "quote": "x", "match": "that took real courage",
                              "start": None, "end": None, "source": "rules"})
    assert _has(check_report(d), "validating or affirming remarks; the cues hold")


def test_partial_report_with_a_strength_is_caught(good):
    d = copy.deepcopy(good)
    d["partial"] = True
    problems = check_report(d)
    assert _has(problems, "partial or unscored report is marked judged")
    assert _has(problems, "lists a strength")


def test_priorities_not_ranked_by_gain_are_caught(poor):
    d = copy.deepcopy(poor)
    assert len(d["summary"]["priorities"]) >= 2
    d["summary"]["priorities"].reverse()
    assert _has(check_report(d), "not ranked by gain")
    d = copy.deepcopy(poor)
    d["summary"]["priorities"][0]["gain"] += 3.0
    assert _has(check_report(d), "but the sub-score gives")


def test_poor_session_without_priorities_is_caught(poor):
    d = copy.deepcopy(poor)
    d["summary"]["priorities"] = []
    assert _has(check_report(d), "shows a fault with its moment but is not a priority")


def test_rounding_two_ways_is_caught(poor):
    d = copy.deepcopy(poor)
    d["timing"] = {"talk_share_helper": 0.705, "interruptions": [], "backchannels": []}
    d["subscores"]["make_space"]["summary"] = "You took 70 % of the speaking time (aim for under 50 %)."
    assert _has(check_report(d), "talk share 70 %, the timing stage 71 %")


def test_praised_and_faulted_moment_is_caught(good):
    d = copy.deepcopy(good)
    praised = next(e for e in d["subscores"]["reflect_validate"]["evidence"] if e["positive"])
    d["subscores"]["explore"]["evidence"].append({**praised, "positive": False, "note": "a closed question"})
    assert _has(check_report(d), "is faulted here and praised under")


def test_version_1_reports_are_read_and_upgraded(poor):
    old = copy.deepcopy(poor)
    old["report_version"] = 1
    for key in ("summary", "glossary"):
        old.pop(key)
    for s in old["subscores"].values():
        for e in s["evidence"]:
            e["speaker"] = e.pop("role")
            e.pop("unsure")
    plain = Report.from_dict(old)
    assert plain.summary.judged is False
    assert all(e.role == HELPER or e.role == CLIENT for s in plain.subscores.values() for e in s.evidence)
    up = upgrade_report(old)
    assert up.summary.judged and up.summary.priorities
    assert [p.subscore for p in up.summary.priorities] == [p["subscore"] for p in poor["summary"]["priorities"]]


# --------------------------------------------------------------- how sure the report is
def test_short_session_has_no_priority_or_strength_and_says_so():
    """Two helper turns: every sub-score is "not enough to judge"; the index stays as computed."""
    report = score_transcript(make_turns(POOR[:4], timed=True))
    measured = [s for s in report.subscores.values() if s.score is not None]
    assert measured and not any(s.judged for s in measured)
    assert all(s.not_judged_reason == "only 2 of your turns to go on" for s in measured)
    assert "Try instead" not in render_text(report).split("The six parts of listening")[1].split("Speakers and")[0]
    assert report.index is not None and report.summary.judged
    assert report.summary.priorities == () and report.summary.strength is None
    assert report.strengths == () and report.work_on == ()
    assert "only 2 of your turns to go on" in report.summary.headline
    assert report.summary.headline.startswith("Only a rough reading")
    assert _problems(report) == []


def test_low_confidence_priority_is_caught(poor):
    d = copy.deepcopy(poor)
    name = d["summary"]["priorities"][0]["subscore"]
    d["subscores"][name]["confidence"] = 0.1
    d["subscores"][name]["judged"] = False
    problems = check_report(d)
    assert _has(problems, f"the priority {d['subscores'][name]['label']} is not enough to judge")
    assert _has(problems, "is not enough to judge but is listed as a strength or to work on")


def test_low_confidence_strength_is_caught(good):
    d = copy.deepcopy(good)
    name = d["summary"]["strength"]["subscore"]
    d["subscores"][name]["confidence"] = 0.1
    d["subscores"][name].pop("judged")
    assert _has(check_report(d), f"the strength {d['subscores'][name]['label']} is not enough to judge")


def test_stored_judged_flag_against_the_rule_is_caught(good):
    d = copy.deepcopy(good)
    d["subscores"]["explore"]["judged"] = False
    assert _has(check_report(d), "stored judged=False but its confidence")


def test_unsure_quote_behind_a_priority_must_be_marked(poor):
    d = copy.deepcopy(poor)
    p = d["summary"]["priorities"][0]
    assert p["evidence"] and not p["evidence"]["unsure"]
    for e in d["subscores"][p["subscore"]]["evidence"]:
        if e["quote"] == p["evidence"]["quote"] and e["start"] == p["evidence"]["start"]:
            e["unsure"] = True
    assert _has(check_report(d), "rests on the unsure quote")
    p["evidence"]["unsure"] = True  # marked in the summary: allowed
    assert not _has(check_report(d), "rests on the unsure quote")


def test_few_turns_give_a_first_reading_with_a_caution():
    """Four helper turns: the parts read from the turns themselves are judged, with a caution."""
    report = score_transcript(make_turns(POOR, timed=True))
    judged = [s.name for s in report.subscores.values() if s.judged]
    assert "make_space" in judged and report.summary.judged and report.summary.priorities
    assert all(p.subscore in judged for p in report.summary.priorities)
    assert "A first reading: it rests on only 4 of your turns" in report.summary.headline
    assert check_report(report.to_dict()) == []
