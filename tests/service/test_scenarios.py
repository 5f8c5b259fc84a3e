"""The bundled practice scenarios, their audio, and the loader's errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from analysis.errors import NotFoundError
from service.practice.scenarios import (
    ScenarioFormatError,
    get_scenario,
    load_scenario_file,
    load_scenarios,
)

REQUIRED = {"relapse-shame", "court-mandate-anger", "grief-loss", "custody-fear", "quitting-ambivalence",
            "quiet-client"}


@pytest.fixture(scope="module")
def scenarios():
    return load_scenarios()


def test_the_six_required_scenarios_are_complete(scenarios):
    assert REQUIRED <= {s.id for s in scenarios}
    for s in scenarios:
        assert s.title and len(s.profile) > 80
        assert len(s.feelings) >= 3 and len(s.good_listening) >= 3 and s.avoid
        assert s.lines[0].kind == "opening" and len(s.lines) >= 3
        assert all(line.kind == "follow_up" for line in s.lines[1:])
        assert s.has_audio, f"{s.id} lacks audio: run scripts/make_scenarios.py"
        # branching: 2-4 variants per beat, every move answered, a heart reached by listening
        assert s.format == 2 and len(s.beats) >= 3
        assert all(2 <= len(b.variants) <= 4 for b in s.beats)
        assert s.lines[-1].heart and not any(line.heart for line in s.lines[:-1])


def test_client_audio_is_16k_mono_speech_of_plausible_length(scenarios):
    for s in scenarios:
        for line in s.all_lines:
            info = sf.info(line.audio)
            assert (info.samplerate, info.channels) == (16000, 1), line.audio
            words = len(line.text.split())
            # Piper speaks about 2-5 words per second
            assert words / 5.5 < info.duration < words / 1.5 + 1.0, (line.audio, info.duration, words)
            x, _ = sf.read(line.audio, dtype="float32")
            assert 0.2 < np.max(np.abs(x)) <= 1.0


def test_client_audio_says_the_line(scenarios):
    """Real transcription (bundled tiny.en) of two lines: the audio matches the text."""
    from audio.decode import decode
    from audio.transcribe import TranscribeOptions, transcribe
    from service.bench.wer import word_error_rate

    s = next(s for s in scenarios if s.id == "custody-fear")
    for line in (s.lines[0], s.lines[2]):
        text = transcribe(decode(line.audio).mono, TranscribeOptions(beam_size=1)).text
        assert word_error_rate(line.text, text).wer < 0.25, (line.text, text)


def test_scenario_to_dict_is_json(scenarios):
    d = json.loads(json.dumps(scenarios[0].to_dict()))
    assert d["id"] == scenarios[0].id and d["lines"][0]["audio"].endswith(".flac")


def test_unknown_scenario_names_the_known_ones():
    with pytest.raises(NotFoundError, match="known scenarios: .*relapse-shame"):
        get_scenario("no-such-scenario")


def _copy_one(tmp_path, sid="grief-loss"):
    folder = tmp_path / "sc"
    folder.mkdir()
    src = get_scenario(sid)
    shutil.copy(src.path, folder / src.path.name)
    return folder, folder / src.path.name


def test_missing_audio_is_reported_not_fatal(tmp_path):
    folder, _ = _copy_one(tmp_path)
    (s,) = load_scenarios(folder)
    assert not s.has_audio and all(line.audio is None for line in s.all_lines)


LINEAR = {
    "id": "linear-one", "title": "A linear scenario", "profile": "Someone. " * 12,
    "feelings": ["a", "b", "c"], "good_listening": ["x", "y", "z"], "avoid": ["w"],
    "lines": [{"kind": "opening", "text": "First line."}, {"text": "Second line."}, {"text": "Third line."}],
}


def test_a_linear_scenario_still_loads(tmp_path):
    path = tmp_path / "linear-one.json"
    path.write_text(json.dumps(LINEAR))
    s = load_scenario_file(path)
    assert s.format == 1 and not s.branching and [x.text for x in s.lines] == ["First line.", "Second line.",
                                                                              "Third line."]
    assert s.all_lines == s.lines and s.to_dict()["format"] == 1


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("feelings"), "'feelings'"),
    (lambda d: d.update(id="Bad Id"), "id='Bad Id'"),
    (lambda d: d.update(lines=[]), "'lines'"),
    (lambda d: d["lines"][0].update(kind="monologue"), "kind='monologue'"),
    (lambda d: d["lines"][1].update(text=""), r"lines\[1\].text"),
])
def test_bad_linear_scenarios_name_the_problem(tmp_path, mutate, message):
    path = tmp_path / "linear-one.json"
    data = json.loads(json.dumps(LINEAR))
    mutate(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ScenarioFormatError, match=message):
        load_scenario_file(path)


def _variant(d, beat, j):
    return d["beats"][beat]["variants"][j]


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("feelings"), "'feelings'"),
    (lambda d: d.update(id="Bad Id"), "id='Bad Id'"),
    (lambda d: d.update(format=3), "format=3 is not known"),
    (lambda d: d.update(format=1), 'needs "format": 2'),
    (lambda d: d.update(beats=[]), "'beats' must be a non-empty list"),
    (lambda d: d.pop("closing"), "closing must be an object"),
    (lambda d: _variant(d, 0, 1).update(id="opening"), "line id 'opening' is used twice"),
    (lambda d: _variant(d, 0, 0).update(when=["reflection", "hug"]), r"unknown move\(s\) \['hug'\]"),
    (lambda d: _variant(d, 0, 1).update(when=["reflection"]), r"move\(s\) \['reflection'\] are answered by more"),
    (lambda d: _variant(d, 0, 3).update(when=[]), "when must list the helper moves"),
    (lambda d: [_variant(d, 0, j).update(when=[m, "otherwise"]) for j, m in ((2, "closed_question"), (3, "fixing"))],
     "only one variant may say"),
    (lambda d: d["beats"][0]["variants"].pop(1), r"no variant answers \['open_question', 'backchannel', 'other'\]"),
    (lambda d: d["beats"][0]["variants"].__delitem__(slice(1, 4)), "must have 2 to 5 variants"),
    (lambda d: _variant(d, 1, 0).update(next="nowhere"), "next='nowhere' is not a beat"),
    (lambda d: [_variant(d, 0, j).update(next=d["beats"][0]["id"]) for j in range(4)],
     r"can never be reached from the opening"),
    (lambda d: _variant(d, 2, 0).update(heart=False), 'no line is marked "heart": true'),
    (lambda d: d["closing"].update(next="tommy"), "closing.next must be null"),
])
def test_bad_scenarios_name_the_problem(tmp_path, mutate, message):
    _folder, path = _copy_one(tmp_path)
    data = json.loads(path.read_text())
    mutate(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ScenarioFormatError, match=message):
        load_scenario_file(path)


def test_not_json_and_duplicate_ids(tmp_path):
    folder, path = _copy_one(tmp_path)
    (folder / "broken.json").write_text("{not json")
    with pytest.raises(ScenarioFormatError, match="broken.json is not valid JSON"):
        load_scenarios(folder)
    shutil.copy(path, folder / "broken.json")
    with pytest.raises(ScenarioFormatError, match="used by both"):
        load_scenarios(folder)
    with pytest.raises(NotFoundError):
        load_scenarios(tmp_path / "nowhere")


def test_cli_lists_scenarios():
    from service.cli.main import main

    r = CliRunner().invoke(main, ["scenarios"])
    assert r.exit_code == 0, r.output
    for sid in REQUIRED:
        assert sid in r.output
    r = CliRunner().invoke(main, ["scenarios", "--json"])
    assert REQUIRED <= {d["id"] for d in json.loads(r.output)}
    r = CliRunner().invoke(main, ["practice", "no-such-scenario"])
    assert r.exit_code == 30 and "known scenarios" in r.output
