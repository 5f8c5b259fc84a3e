"""The planted-behaviour role-play scripts in tests/data/claims and tests/data/claims-holdout are well formed
(format in tests/data/claims/README.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

CLAIMS = Path(__file__).resolve().parents[1] / "data" / "claims"
HOLDOUT = CLAIMS.parent / "claims-holdout"  # h001-h024, written blind before any run
HELPER_CODES = {
    "open_question", "closed_question", "simple_reflection", "complex_reflection", "validation",
    "affirmation", "advice", "permission", "information", "minimising", "topic_change", "jargon",
    "backchannel", "other",
}
SUBSCORES = {"reflect_validate", "explore", "hold_back", "stay_with", "make_space", "voice"}
NAME = re.compile(r"^c(\d{3})(?:-[a-z0-9]+)*$")  # c0NN or c0NN-short-slug
HOLDOUT_NAME = re.compile(r"^h(\d{3})(?:-[a-z0-9]+)+$")  # h0NN-short-slug
OURS = range(31, 76)  # c031-c075: the scripts written on branch `scripts`

PATHS = sorted(CLAIMS.glob("c*.json"))
HOLDOUT_PATHS = sorted(HOLDOUT.glob("h*.json"))


def load(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def number(path: Path) -> int:
    match = NAME.match(path.stem)
    assert match, f"{path.name}: name must be c0NN.json or c0NN-short-slug.json"
    return int(match.group(1))


def test_all_of_c031_to_c075_are_present_once():
    numbers = [number(p) for p in PATHS]
    assert len(numbers) == len(set(numbers)), "two scripts share a number"
    assert sorted(n for n in numbers if n in OURS) == list(OURS)


def test_ids_are_unique_and_match_file_names():
    ids = [load(p)["id"] for p in PATHS]
    assert ids == [p.stem for p in PATHS]
    assert len(set(ids)) == len(ids)


def test_the_held_out_scripts_are_numbered_from_h001_with_ids_of_their_file_names():
    numbers = [int(HOLDOUT_NAME.match(p.stem).group(1)) for p in HOLDOUT_PATHS]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 24
    assert [load(p)["id"] for p in HOLDOUT_PATHS] == [p.stem for p in HOLDOUT_PATHS]


@pytest.mark.parametrize("path", PATHS + HOLDOUT_PATHS, ids=lambda p: p.stem)
def test_script_format(path: Path):
    script = load(path)
    assert set(script) <= {"id", "turns", "expect", "note"}, set(script)
    assert isinstance(script.get("note", ""), str)
    turns = script["turns"]
    assert 8 <= len(turns) <= 16, f"{len(turns)} turns"
    assert {t["role"] for t in turns} == {"client", "helper"}
    for i, turn in enumerate(turns):
        assert set(turn) <= {"role", "text", "codes", "cuts_in"}, set(turn)
        assert turn["role"] in ("client", "helper")
        assert isinstance(turn["text"], str) and turn["text"].strip()
        codes = turn["codes"]
        assert isinstance(codes, list) and all(isinstance(c, str) for c in codes)
        if turn["role"] == "client":
            assert codes == [], f"turn {i}: only helper lines carry codes (the bench's loader refuses others)"
        if turn["role"] == "helper":
            assert codes, f"turn {i}: helper line without codes"
            assert set(codes) <= HELPER_CODES, set(codes) - HELPER_CODES
            assert len(codes) == len(set(codes)), f"turn {i}: a code twice"
            if "backchannel" in codes:
                assert codes == ["backchannel"] and len(turn["text"].split()) <= 3, turn["text"]
        if "cuts_in" in turn:
            assert turn["cuts_in"] is True and turn["role"] == "helper", f"turn {i}"
            assert i > 0 and turns[i - 1]["role"] == "client", f"turn {i}: cuts into no client line"

    expect = script["expect"]
    assert set(expect) <= {"work_on", "not_work_on", "strength", "index", "jargon"}, set(expect)
    work_on, not_work_on, strength = (set(expect[k]) for k in ("work_on", "not_work_on", "strength"))
    for key in ("work_on", "not_work_on", "strength"):
        assert set(expect[key]) <= SUBSCORES, (key, expect[key])
        assert len(expect[key]) == len(set(expect[key])), (key, "a sub-score twice")
    assert not work_on & not_work_on, work_on & not_work_on
    assert not strength & work_on, strength & work_on
    assert len(work_on) <= 3, "a report names at most three priorities"
    if "index" in expect:
        lo, hi = expect["index"]
        assert 0 <= lo < hi <= 100
    helper_jargon = any("jargon" in t["codes"] for t in turns if t["role"] == "helper")
    assert expect.get("jargon", False) is helper_jargon, "expect.jargon must match the jargon-coded lines"


@pytest.mark.parametrize("path", [p for p in PATHS if number(p) in OURS], ids=lambda p: p.stem)
def test_our_scripts_leave_voice_alone_and_say_what_they_plant(path: Path):
    script = load(path)
    expect = script["expect"]
    assert "voice" not in expect["work_on"] + expect["not_work_on"] + expect["strength"]
    assert len(script.get("note", "")) > 20
    assert "-" in path.stem, "our scripts are named c0NN-short-slug.json"
