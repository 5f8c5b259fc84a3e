"""The bundled practice scenarios, their audio, and the loader's errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from analysis.errors import NotFoundError
from service.scenarios import (
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


def test_client_audio_is_16k_mono_speech_of_plausible_length(scenarios):
    for s in scenarios:
        for line in s.lines:
            info = sf.info(line.audio)
            assert (info.samplerate, info.channels) == (16000, 1), line.audio
            words = len(line.text.split())
            # Piper speaks about 2-4 words per second
            assert words / 4.5 < info.duration < words / 1.5 + 1.0, (line.audio, info.duration, words)
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
    assert not s.has_audio and all(line.audio is None for line in s.lines)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("feelings"), "'feelings'"),
    (lambda d: d.update(id="Bad Id"), "id='Bad Id'"),
    (lambda d: d.update(lines=[]), "'lines'"),
    (lambda d: d["lines"][0].update(kind="monologue"), "kind='monologue'"),
    (lambda d: d["lines"][1].update(text=""), r"lines\[1\].text"),
])
def test_bad_scenarios_name_the_problem(tmp_path, mutate, message):
    folder, path = _copy_one(tmp_path)
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
