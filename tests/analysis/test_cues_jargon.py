"""Field jargon: one table with plain alternatives, found as a transcriber writes it."""

from __future__ import annotations

import pytest

from analysis.cues.detect import CueOptions, detect_cues
from analysis.cues.jargon import JARGON, jargon_uses, whisper_terms
from analysis.schema import CLIENT, HELPER, Turn


@pytest.mark.parametrize("text,term,matched", [
    ("We could get you into IOP next week.", "IOP", "IOP"),
    ("We could get you into iop next week.", "IOP", "iop"),
    ("The I.O.P. meets in the mornings.", "IOP", "I.O.P."),
    ("The I O P meets in the mornings.", "IOP", "I O P"),
    ("Both IOPs have an opening.", "IOP", "IOPs"),
    ("Have you thought about M.A.T.?", "MAT", "M.A.T."),
    ("Have you thought about M-A-T?", "MAT", "M-A-T"),
    ("Have you thought about m.a.t.?", "MAT", "m.a.t."),
    ("MAT works for a lot of people.", "MAT", "MAT"),
    ("MOUD is an option.", "MOUD", "MOUD"),
    ("Let's update your treatment plan.", "treatment plan", "treatment plan"),
    ("Both treatment plans say so.", "treatment plan", "treatment plans"),
    ("Your relapse prevention plan has three steps.", "relapse prevention plan", "relapse prevention plan"),
    ("We follow the detox protocol.", "detox protocol", "detox protocol"),
    ("A higher level of care might fit.", "level of care", "level of care"),
    ("It's part of the continuum of care.", "continuum of care", "continuum of care"),
    ("The ASAM criteria say so.", "ASAM", "ASAM criteria"),
    ("Carry Narcan with you.", "naloxone", "Narcan"),
    ("PHP is five days a week.", "PHP", "PHP"),
    ("CBT could help with that.", "CBT", "CBT"),
    ("D.B.T. teaches skills.", "DBT", "D.B.T."),
    ("Your SUD diagnosis.", "SUD", "SUD"),
])
def test_terms_in_the_forms_whisper_writes(text, term, matched):
    uses = jargon_uses(text)
    assert [(u.term, u.matched) for u in uses] == [(term, matched)]
    t = next(x for x in JARGON if x.term == term)
    assert uses[0].plain == t.plain and text[uses[0].start:uses[0].end].strip() == matched


@pytest.mark.parametrize("text", [
    "I hope he comes with me.",  # what Whisper wrote for "IOP" without the hint: nothing to find
    "I'm at home, on the mat by the door.",
    "Let's wrap it up for today.",
    "The soap suds went everywhere.",
    "What matters most to you?",
    "Tell me about your plan for the weekend.",
])
def test_everyday_words_are_not_jargon(text):
    assert jargon_uses(text) == []


def test_every_term_has_a_plain_alternative_and_the_hint_lists_them():
    assert all(t.plain and t.plain.lower() != t.term.lower() for t in JARGON)
    assert {"IOP", "MAT", "treatment plan"} <= set(whisper_terms())
    assert next(t for t in JARGON if t.term == "IOP").plain == "the day programme"
    assert next(t for t in JARGON if t.term == "MAT").plain == "medicine for recovery"
    assert next(t for t in JARGON if t.term == "treatment plan").plain == "your plan"


def test_the_jargon_cue_agrees_with_the_finder():
    text = "Have you thought about M.A.T. or the I O P? Your treatment plan allows both."
    res = detect_cues([Turn("c", "I keep slipping.", role=CLIENT), Turn("h", text, role=HELPER)],
                      CueOptions(use_model=False))
    cue = next(c for c in res.cues if c.kind == "jargon")
    uses = jargon_uses(text)
    assert cue.label == ", ".join(sorted({u.term for u in uses})) == "IOP, MAT, treatment plan"
    assert cue.match == uses[0].matched == "M.A.T."


def test_whisper_vocabulary_hint_names_table_terms_only():
    from audio.transcribe import VOCABULARY_HINT, TranscribeOptions

    hinted = [t.strip(" .") for t in VOCABULARY_HINT.split(",")]
    assert {"IOP", "MAT", "treatment plan"} <= set(hinted)
    assert set(hinted) <= set(whisper_terms())
    assert [u.term for u in jargon_uses(VOCABULARY_HINT)] == hinted  # the finder reads the hint's own words
    assert TranscribeOptions().hotwords == VOCABULARY_HINT
