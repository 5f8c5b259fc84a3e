"""Report schema, round trips and renderers."""

from __future__ import annotations

import json

import pytest

from analysis.errors import ParameterError
from analysis.render_html import render_html
from analysis.render_text import format_time, render_text
from analysis.report import REPORT_VERSION, Evidence, Report, load_schema
from analysis.schema_check import schema_errors
from service.pipeline import score_transcript
from tests.report_fixtures import GOOD, POOR, make_turns


@pytest.fixture(scope="module")
def reports():
    return {
        "good": score_transcript(make_turns(GOOD, timed=True), source="good"),
        "poor": score_transcript(make_turns(POOR), source="poor"),
        "empty": score_transcript([], source="empty"),
    }


def test_round_trip_is_exact(reports):
    for r in reports.values():
        d = r.to_dict()
        back = Report.from_dict(json.loads(json.dumps(d)))
        assert back.to_dict() == d
        assert back == r


def test_to_dict_validates_against_schema(reports):
    schema = load_schema()
    for r in reports.values():
        assert schema_errors(r.to_dict(), schema) == []


def test_schema_checker_catches_errors(reports):
    schema = load_schema()
    d = reports["good"].to_dict()
    bad = dict(d, index=140.0)
    assert any("maximum" in e for e in schema_errors(bad, schema))
    bad = dict(d)
    del bad["subscores"]
    assert any("subscores" in e for e in schema_errors(bad, schema))
    bad = json.loads(json.dumps(d))
    bad["subscores"]["hold_back"]["evidence"].append({"speaker": "helper", "quote": 3, "start": None, "end": None})
    assert any("quote" in e for e in schema_errors(bad, schema))
    assert any("unexpected" in e for e in schema_errors(dict(d, surprise=1), schema))


def test_newer_version_is_refused(reports):
    d = dict(reports["good"].to_dict(), report_version=REPORT_VERSION + 1)
    with pytest.raises(ParameterError, match="newer"):
        Report.from_dict(d)


def test_every_subscore_has_try_instead_and_evidence_fields(reports):
    r = reports["poor"]
    assert set(r.subscores) == {"reflect_validate", "explore", "hold_back", "stay_with", "make_space", "voice"}
    for s in r.subscores.values():
        assert s.try_instead
        for e in s.evidence:
            assert isinstance(e, Evidence) and e.speaker in ("helper", "client") and e.quote
    assert r.subscores["hold_back"].evidence, "advice must be quoted"


def test_text_rendering(reports):
    txt = render_text(reports["poor"])
    assert "Listening-quality index" in txt and "Try instead" in txt
    assert "not a clinical rating" in txt
    assert "You should call your sponsor" in txt
    assert "not measured" in txt  # voice, from text alone
    assert format_time(75.25) == "1:15.2" and format_time(None) == "-"


def test_html_rendering_is_self_contained_and_escaped(reports):
    html = render_html(reports["good"])
    assert html.startswith("<!doctype html>") and "</html>" in html
    assert "<svg" in html  # timeline and talk share from timed turns
    assert 'src="http' not in html and "<link" not in html and "<script" not in html
    assert "you&#x27;re" in html.lower() or "you’re" in html.lower() or "you&#39;re" in html.lower()
    empty = render_html(reports["empty"])
    assert "Partial report" in empty and "–" in empty


def test_figures_from_timing_and_prosody_and_in_threads(reports):
    import threading
    from dataclasses import replace

    from analysis.plots import report_figures

    r = replace(reports["good"],
                timing={"interruptions": [{"start": 2.0, "end": 2.4}], "overlaps": [{"start": 2.0, "end": 2.4}],
                        "backchannels": []},
                prosody={"tracks": [{"role": "helper", "hop_s": 0.05, "times": [0.0, 0.05, 3.0],
                                     "f0_hz": [110.0, None, 120.0], "energy_db": [-30.0, -31.0, None]}]})
    assert [c for c, _ in report_figures(r)][2].startswith("Pitch and energy")
    assert len(report_figures(reports["empty"])) == 0
    counts: list[int] = []
    threads = [threading.Thread(target=lambda: counts.append(len(report_figures(r)))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == [3, 3, 3, 3]
