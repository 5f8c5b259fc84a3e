"""How sure the report is, in the service: mono recordings where the diarizer was unsure of one or
two voices (a note and a headline ask for the speaking order; a fake SpeakerActivity stands in for
the diarizer), and the batch summary's "not enough to judge"."""

from __future__ import annotations

import json
from dataclasses import replace

from analysis.report.consistency import check_report
from analysis.schema import CLIENT, HELPER, SpeechRegion
from analysis.scoring.summary import UNSURE_SPEAKERS
from analysis.speakers.activity import SpeakerActivity
from analysis.speakers.roles import RoleAssignment
from service import pipeline as P
from tests.report_fixtures import POOR, make_turns


def _activity(speakers: tuple[str, ...], unsure: bool) -> SpeakerActivity:
    regions = tuple(SpeechRegion(2.0 * i, 2.0 * i + 1.5, s) for i, s in enumerate(speakers))
    return SpeakerActivity(regions=regions, speakers=speakers, source="diarization", duration=10.0,
                           n_speakers_detected=len(speakers), uncertain_count=unsure)


def _report(turns, activity: SpeakerActivity, helper: str | None):
    run = P._Run(None)
    note = P.speaker_order_note(activity, helper)
    if note:
        run.note(note, partial=False)
    roles = RoleAssignment(roles={"spk0": HELPER, "spk1": CLIENT}, helper="spk0", client="spk1",
                           method="given" if helper else "inferred", confidence=1.0 if helper else 0.6)
    base = dict(source="fake.wav", kind="audio", duration=60.0, language="en",
                settings={"helper_speaker": helper, "setup_used": "mono"})
    return P._finish(run, turns, "spk0", base, activity=activity, roles=roles)


def _two_voices():
    return [replace(t, speaker="spk0" if t.role == HELPER else "spk1") for t in make_turns(POOR * 5, timed=True)]


def test_order_note_only_when_unsure_and_no_order_given():
    two, one = _activity(("spk0", "spk1"), True), _activity(("spk0",), True)
    assert "two voices were found, but they sound alike" in P.speaker_order_note(two, None)
    assert "only one voice was found" in P.speaker_order_note(one, None)
    assert "first or second" in P.speaker_order_note(one, None) and "stereo" in P.speaker_order_note(one, None)
    assert P.speaker_order_note(two, "first") is None and P.speaker_order_note(two, "spk1") is None
    assert P.speaker_order_note(_activity(("spk0", "spk1"), False), None) is None


def test_two_uncertain_voices_are_judged_but_the_headline_says_so():
    report = _report(_two_voices(), _activity(("spk0", "spk1"), True), None)
    assert report.summary.judged and report.index is not None
    assert report.summary.headline.endswith(UNSURE_SPEAKERS)
    assert any("hard to tell apart" in n for n in report.notes) and not report.partial
    assert check_report(json.loads(report.to_json())) == []


def test_given_order_silences_the_doubt():
    report = _report(_two_voices(), _activity(("spk0", "spk1"), True), "first")
    assert report.summary.judged and UNSURE_SPEAKERS not in report.summary.headline
    assert not any("hard to tell apart" in n for n in report.notes)


def test_one_uncertain_voice_is_not_judged_and_asks_for_the_order():
    turns = [replace(t, speaker="spk0", role=HELPER) for t in make_turns(POOR * 5, timed=True)]
    report = _report(turns, _activity(("spk0",), True), None)
    assert not report.summary.judged and report.index is None
    assert "may be two that sound alike" in report.summary.headline
    assert "first or second" in report.summary.headline and "stereo" in report.summary.headline
    sure = _report(turns, _activity(("spk0",), False), None)
    assert not sure.summary.judged and "sound alike" not in sure.summary.headline
    assert check_report(json.loads(report.to_json())) == []
    assert CLIENT not in {t.role for t in report.turns}


def test_batch_summary_shows_not_enough_to_judge(tmp_path):
    """The batch row and summary.html follow SubScore.judged: no number for a part resting on little."""
    from service.batch.plots import cohort_plots
    from service.batch.summary import summary_row, write_summary_html

    # two helper turns: even read surely (each a rule's advice or minimising) that is too little to judge
    short = json.loads(P.score_transcript(make_turns(POOR[:4], timed=True)).to_json())
    long = json.loads(P.score_transcript(make_turns(POOR * 5, timed=True)).to_json())
    rows = [summary_row(rel=f"{n}.wav", trainee="t", status="done", report=r) for n, r in (("a", short), ("b", long))]
    assert rows[0]["subscore.hold_back"] == "not enough to judge"
    assert rows[1]["subscore.hold_back"] == round(long["subscores"]["hold_back"]["score"], 1)
    assert rows[0]["index"] == round(short["index"], 1)  # the index is kept as computed
    write_summary_html(tmp_path / "summary.html", rows, counts="2 of 2 done: 2 now.", plots=cohort_plots(rows))
    assert "not enough to judge" in (tmp_path / "summary.html").read_text()
