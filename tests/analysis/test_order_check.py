"""The speaking-order check: a given helper against the helper the words suggest (analysis/speakers/order_check.py)."""

from __future__ import annotations

import math

from analysis.schema import Turn
from analysis.speakers.result import SpeakerResult
from analysis.speakers.order_check import (
    ORDER_SURE,
    check_order,
    order_conflict,
    order_headline,
    order_sentence,
    speaking_order,
)
from analysis.speakers.roles import OrderCheck, RoleAssignment, assign_roles


def _t(speaker, text, start, end):
    return Turn(speaker=speaker, text=text, start=start, end=end)


# the client (spk0) speaks first; the helper (spk1) asks and reflects
CLIENT_FIRST = [
    _t("spk0", "I don't know where to start. I relapsed on Saturday and I feel like I let everyone down.", 0, 6),
    _t("spk1", "It sounds like Saturday has been weighing on you. What has it been like since then?", 6.5, 10),
    _t("spk0", "Awful. I keep thinking my daughter won't trust me again, and I can't sleep.", 10.5, 15),
    _t("spk1", "You're worried about what this means with your daughter.", 15.5, 17.5),
]
# a near-tie: both ask one question and say one thing about themselves
NEAR_TIE = [
    _t("spk0", "How was the drive in?", 0, 2),
    _t("spk1", "Fine. How was yours?", 2.5, 4),
    _t("spk0", "Fine, I took the bus.", 4.5, 6),
    _t("spk1", "I walked.", 6.5, 7.5),
]


def test_the_threshold_is_a_margin_on_the_helper_score():
    # confidence = 1 / (1 + exp(-4 * margin)): 0.9 is a margin of ln(9) / 4 on the helper score
    margin = math.log(9) / 4
    assert abs(1 / (1 + math.exp(-4 * margin)) - ORDER_SURE) < 1e-9
    assert 0.54 < margin < 0.56


def test_a_wrong_order_is_a_conflict_said_in_the_users_terms():
    assert speaking_order(CLIENT_FIRST) == ["spk0", "spk1"]
    check = check_order(CLIENT_FIRST, "first", "spk0")
    assert check.conflict and check.given == "first" and check.inferred == "second"
    assert (check.given_speaker, check.inferred_speaker) == ("spk0", "spk1")
    assert check.confidence >= ORDER_SURE
    assert order_sentence(check).startswith("You said the helper speaks first, but what each voice says "
                                            "suggests the helper speaks second (")
    assert order_sentence(check).endswith("Re-run with the other order.")
    # older web sessions stored speaker0/1; the check speaks of first/second
    assert check_order(CLIENT_FIRST, "speaker0", "spk0").given == "first"


def test_the_right_order_is_no_conflict():
    check = check_order(CLIENT_FIRST, "second", "spk1")
    assert not check.conflict and check.inferred == "second" and check.given == "second"


def test_a_near_tie_never_overrides_the_user():
    _, guess = assign_roles(NEAR_TIE)
    assert guess.method == "inferred" and guess.confidence < ORDER_SURE
    check = check_order(NEAR_TIE, "first" if guess.helper == "spk1" else "second",
                        "spk0" if guess.helper == "spk1" else "spk1")
    assert check.inferred_speaker == guess.helper and check.given_speaker != guess.helper
    assert not check.conflict


def test_channels_and_labels_are_said_as_given():
    stereo = [Turn(t.speaker.replace("spk", "ch"), t.text, t.start, t.end) for t in CLIENT_FIRST]
    check = check_order(stereo, "ch0", "ch0")
    assert check.conflict and check.inferred == "ch1"
    assert "the helper is on channel 0 (left)" in order_sentence(check)
    assert "the helper is on channel 1 (right)" in order_sentence(check)
    assert order_sentence(check).endswith("Re-run with the helper on the other channel.")
    label = check_order(CLIENT_FIRST, "spk0", "spk0")
    assert label.conflict and label.inferred == "spk1" and "the helper is speaker spk1" in order_sentence(label)


def test_nothing_to_compare_with_one_speaker_or_an_outsider():
    assert check_order(CLIENT_FIRST[:1], "first", "spk0") is None
    assert check_order(CLIENT_FIRST, "first", "spk7") is None


def test_the_check_travels_in_report_json_and_reads_back():
    check = check_order(CLIENT_FIRST, "first", "spk0")
    _, given = assign_roles(CLIENT_FIRST, "spk0")
    roles = RoleAssignment(**{**given.__dict__, "check": check})
    d = roles.to_dict()
    assert d["check"]["conflict"] is True and d["check"]["inferred"] == "second"
    assert RoleAssignment.from_dict(d) == roles
    speakers = SpeakerResult.from_dict({"source": "diarization", "roles": d})
    assert order_conflict(speakers) == check
    assert order_headline(speakers) == order_sentence(check)
    # no check, or a check that agrees: nothing to say; a report without a check keeps its old shape
    assert "check" not in given.to_dict()
    assert order_headline(SpeakerResult.from_dict({"source": "diarization", "roles": given.to_dict()})) is None
    agrees = SpeakerResult.from_dict(
        {"roles": {**d, "check": OrderCheck.from_dict({**d["check"], "conflict": False}).to_dict()}})
    assert order_conflict(agrees) is None and order_headline(None) is None
