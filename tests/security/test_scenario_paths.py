"""Issue 21, item 1: scenario and line ids cannot name a path outside the instance.

Against a real ``listenwell serve``: a supervisor's scenario whose line id is an absolute path or
``../..`` is refused (400) before any file is written, a NUL id is a 400 not a 500, an added scenario
already on disk that points outside its folder is refused at start-up with a clear message and
never served, and deleting a scenario removes only its own folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
import numpy as np

from service.practice.added import delete_added
from tests.security.live import log_in, make_users, start_server


def _linear(sid: str, line_id: str) -> str:
    return json.dumps({
        "id": sid, "title": "Escape", "profile": "A client.", "feelings": ["worried"],
        "good_listening": ["reflect"], "lines": [{"id": line_id, "text": "Hello there."}],
    })


def _flac(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(1600, dtype=np.float32), 16000, format="FLAC")
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A server whose instance already holds an added scenario pointing at a file outside it."""
    root = tmp_path_factory.mktemp("paths")
    instance = root / "instance"
    make_users(instance)
    secret = _flac(root / "secret" / "private.flac")
    bad = instance / "scenarios" / "old-bad"
    bad.mkdir(parents=True)
    (bad / "scenario.json").write_text(json.dumps({
        "id": "old-bad", "title": "Old bad", "profile": "p", "feelings": ["f"], "good_listening": ["g"],
        "lines": [{"text": "Hi.", "audio": "../../../secret/private.flac"}]}), encoding="utf-8")
    server = start_server(instance, "--workers", "0")
    yield server, root, secret
    server.stop()


@pytest.mark.parametrize("line_id", ["ABS", "../../../escaped", "../x", "a/b", "a\x00b", "x" * 200, "ok\n"])
def test_unsafe_line_ids_are_refused_before_anything_is_written(live, line_id):
    server, root, _ = live
    target = root / "outside" / "evil"
    if line_id == "ABS":  # before the fix: the server created root/outside/evil.flac
        line_id = str(target)
    sup = log_in(server.url, "sup1")
    r = sup.post(server.url + "/scenarios/add", data={"text": _linear("escape", line_id)}, timeout=60)
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert "lower-case letters, digits and dashes" in r.text
    assert not (root / "outside").exists() and not (root / "escaped.flac").exists()
    assert not (server.instance / "scenarios" / "escape").exists()


def test_a_line_id_naming_an_existing_flac_is_refused_and_not_served(live):
    server, root, secret = live
    sup = log_in(server.url, "sup1")
    r = sup.post(server.url + "/scenarios/add",
                 data={"text": _linear("leak", str(secret.with_suffix("")))}, timeout=60)
    assert r.status_code == 400
    trainee = log_in(server.url, "alice")
    assert trainee.get(server.url + "/practice/leak/lines/0", timeout=10).status_code == 404


def test_an_added_scenario_leaving_its_folder_is_refused_at_start_up(live):
    server, root, secret = live
    log = server.output()
    assert "old-bad" in log and "refused" in log and "inside the scenario's folder" in log
    trainee = log_in(server.url, "alice")
    assert "old-bad" not in trainee.get(server.url + "/practice/", timeout=10).text
    r = trainee.get(server.url + "/practice/old-bad/lines/0", timeout=10)
    assert r.status_code == 404 and r.content != secret.read_bytes()


def test_deleting_removes_only_the_scenarios_own_folder(tmp_path):
    instance = tmp_path / "instance"
    keep = _flac(instance / "scenarios" / "keep" / "a.flac")
    (instance / "scenarios" / "keep" / "scenario.json").write_text("{}", encoding="utf-8")
    (instance / "scenarios" / "scenario.json").write_text("{}", encoding="utf-8")  # bait for '' and '.'
    for bad in ("", ".", "..", "../scenarios", "keep/..", "/", str(instance / "scenarios" / "keep"), "a\x00"):
        assert delete_added(instance, bad) is False, bad
    assert keep.exists() and (instance / "scenarios" / "scenario.json").exists()
    assert delete_added(instance, "keep") is True
    assert not (instance / "scenarios" / "keep").exists()
    assert (instance / "scenarios" / "scenario.json").exists()
