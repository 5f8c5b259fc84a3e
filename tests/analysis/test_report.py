"""Report schema, round trips and renderers."""

from __future__ import annotations

import json

import pytest

from analysis.errors import ParameterError
from analysis.report.html import render_html
from analysis.report.schema_check import schema_errors
from analysis.report.text import format_time, render_text
from analysis.report.types import REPORT_VERSION, Evidence, Report, load_schema
from service.pipeline import score_transcript
from tests.report_fixtures import GOOD, POOR, make_turns


@pytest.fixture(scope="module")
def reports():
    return {
        # long enough for every sub-score to be judged (confidence at least LOW_CONFIDENCE)
        "good": score_transcript(make_turns(GOOD * 4, timed=True), source="good"),
        "poor": score_transcript(make_turns(POOR * 5), source="poor"),
        "short": score_transcript(make_turns(POOR[:4], timed=True), source="short"),
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
    assert "Listening score: " in txt and "Try instead" in txt
    assert txt.index(reports["poor"].summary.headline[:40]) < txt.index("The six parts of listening")
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

    from analysis.report.plots import report_figures

    from analysis.prosody.types import ProsodyResult
    from analysis.timing.types import TimingMetrics

    r = replace(reports["good"],
                timing=TimingMetrics.from_dict({"interruptions": [{"kind": "interruption", "start": 2.0, "end": 2.4}],
                                                "overlaps": [{"kind": "overlap", "start": 2.0, "end": 2.4}],
                                                "backchannels": []}),
                prosody=ProsodyResult.from_dict({"tracks": [{"speaker": "helper", "role": "helper", "hop_s": 0.05,
                                                             "times": [0.0, 0.05, 3.0], "f0_hz": [110.0, None, 120.0],
                                                             "energy_db": [-30.0, -31.0, None]}]}))
    assert [c for c, _ in report_figures(r)][2].startswith("Pitch and energy")
    assert len(report_figures(reports["empty"])) == 0
    counts: list[int] = []
    threads = [threading.Thread(target=lambda: counts.append(len(report_figures(r)))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == [3, 3, 3, 3]


def _with_measurements(report):
    """The good text report with hand-written speaker, timing and prosody results (known numbers)."""
    from dataclasses import replace

    from analysis.prosody.types import ProsodyResult
    from analysis.speakers.result import SpeakerResult
    from analysis.timing.types import TimingMetrics

    speakers = {"source": "channels", "speakers": ["ch1", "ch0"], "regions": [],
                "roles": {"roles": {"ch0": "helper", "ch1": "client"}, "method": "given", "confidence": 1.0}}
    timing = {"speech_time": {"helper": 24.0, "client": 36.0}, "talk_share_helper": 0.4,
              "latency": {"count": 5, "median": 0.85, "bins": {"overlap": 1, "fast": 0, "medium": 2, "long": 2}},
              "overlaps": [{"kind": "overlap", "start": 3.0, "end": 3.5}],
              "interruptions": [{"kind": "interruption", "start": 65.0, "end": 65.4}],
              "backchannels": [{"kind": "backchannel", "start": 10.0, "end": 10.4},
                               {"kind": "backchannel", "start": 20.0, "end": 20.3}],
              "longest_helper_monologue": {"kind": "helper_monologue", "start": 30.0, "end": 42.5},
              "longest_client_story": {"kind": "client_story", "start": 5.0, "end": 25.0},
              "pauses": {"brief": 4, "medium": 9, "long": 3}, "notes": []}
    spk = lambda role, f0, wpm: {"scope": "speaker", "speaker": role, "role": role, "pitch_median_hz": f0,  # noqa
                                 "pitch_range_st": 9.5,
                                 "pitch_sd_st": 1.2, "monotone": True if role == "helper" else False,
                                 "energy_db": -28.0, "energy_sd_db": 6.5, "wpm": wpm, "articulation_wpm": wpm + 30,
                                 "pauses": {"brief": 2, "medium": 5, "long": 1}, "fillers_per_min": 1.5}
    prosody = {"speakers": [spk("client", 180.0, 150.0), spk("helper", 110.0, 120.0)],
               "helper_minus_client_db": -2.5, "helper_minus_client_st": -8.7, "notes": []}
    return replace(report, speakers=SpeakerResult.from_dict(speakers), timing=TimingMetrics.from_dict(timing),
                   prosody=ProsodyResult.from_dict(prosody), duration=90.0)


def test_text_report_shows_speakers_timing_voice_and_transcript(reports):
    from dataclasses import replace

    from analysis.report.sections import speaker_rows, voice_rows

    r = _with_measurements(reports["good"])
    rows = dict(speaker_rows(r))
    assert rows["Speakers"].startswith("You (helper) = left channel, Client = right channel (who is who: given, 100 % sure")
    assert rows["Talk share (time)"] == "you 40 % (24.0 s), client 60 % (36.0 s); aim for under 50 %"
    assert rows["Pause before you answered"].startswith("usually 0.8 s over 5 replies (calm is 0.5-1 s)")
    assert "started before the client finished 1, under 0.2 s 0, 0.2-1 s 2, over 1 s 2" in rows["Pause before you answered"]
    assert rows["You cut in on the client"] == "1 (at 1:05)"
    assert rows['Short "mm-hmm"s while the client talked'] == "2" and rows["Both talking at once"] == "1"
    assert rows["Your longest turn"] == "12.5 s at 0:30" and rows["The client's longest turn"] == "20.0 s at 0:05"
    assert rows["Pauses"] == "under 0.2 s 4, 0.2-1 s 9, over 1 s 3"
    n = len(r.turns)
    helpers = sum(t.role == "helper" for t in r.turns)
    assert rows["Turns"] == f"{n} (you {helpers}, client {n - helpers}), {n / 1.5:.1f} per minute"
    heads, vrows, notes = voice_rows(r)
    assert heads == ["You (helper)", "Client"]  # helper first whatever the stored order
    table = {row[0]: row[1:] for row in vrows}
    assert table["Usual pitch (Hz, how high the voice is)"] == ["110 Hz", "180 Hz"] and table["Flat voice"] == ["yes", "no"]
    assert table["Pace, words a minute (calm 120-160)"] == ["120", "150"]
    assert table["Pauses <0.2 / 0.2-1 / >1 s"] == ["2/5/1"] * 2
    assert notes[0] == "You vs the client: loudness -2.5 dB (within 3 dB is even), pitch -8.7 semitones"
    txt = render_text(r)
    for heading in ("Speakers and timing", "\nVoice\n", f"Transcript ({n} turns)"):
        assert heading in txt
    first = r.turns[0]
    from analysis.report.sections import mmss

    assert f"[{mmss(first.start)}-{mmss(first.end)}] {'You (helper)' if first.role == 'helper' else 'Client'}" in txt
    mono = replace(r, speakers=replace(r.speakers, activity=replace(r.speakers.activity, source="diarization")),
                   timing=replace(r.timing, overlaps_measured=False))
    assert dict(speaker_rows(mono))["You cut in on the client"].startswith("not measured (one microphone")
    # the overlap-aware mono path vouches for its overlaps: the same rows as stereo
    measured = replace(mono, timing=replace(r.timing, overlaps_measured=True))
    for row in ("You cut in on the client", "Both talking at once", "Pause before you answered"):
        assert dict(speaker_rows(measured))[row] == dict(speaker_rows(r))[row], row
    html = render_html(r, plots=False)
    assert "id='speakers-timing'" in html and "id='voice-per-speaker'" in html and "12.5 s at 0:30" in html


def test_text_only_report_has_no_timing_section(reports):
    r = reports["poor"]
    txt = render_text(r)
    assert "\nVoice\n" not in txt
    assert "  Timing" in txt and "not measured" in txt.split("Speakers and timing")[1].split("\n\n")[0]
    assert f"Transcript ({len(r.turns)} turns)" in txt  # the turns are still listed
    html = render_html(r, plots=False)
    assert "<th>Timing</th><td>not measured</td>" in html and "Voice was not measured" in html
    empty = render_html(reports["empty"], plots=False)
    assert "Not measured (a text-only report)" in empty


def test_not_judged_sub_scores_show_no_number(reports):
    """Two helper turns: every renderer says "not enough to judge" with the reason, never the number."""
    r = reports["short"]
    hold = r.subscores["hold_back"]
    assert hold.score is not None and not hold.judged
    txt = render_text(r)
    row = next(line for line in txt.splitlines() if line.startswith("Hold back solutions"))
    assert row.split()[-4:] == ["not", "enough", "to", "judge"] and "/100" not in row
    assert "Not enough to judge: only 2 of your turns to go on." in txt
    page = render_html(r)
    section = page.split("id='sub-hold_back'>")[1].split("</section>")[0]
    assert "not enough to judge" in section and "only 2 of your turns to go on" in section
    assert f"{hold.score:.0f}/100" not in section and "Try instead" not in section
    d = r.to_dict()["subscores"]["hold_back"]
    assert d["judged"] is False and d["confidence_note"] == "only 2 of your turns to go on"
    long = reports["poor"]
    assert all(s.judged for s in long.subscores.values() if s.score is not None)
    assert "not enough to judge" not in render_text(long)
