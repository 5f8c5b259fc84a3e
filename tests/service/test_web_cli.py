"""``listenwell init-db``, ``import-batch`` and the demo loader of ``serve --demo``."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner
from tests.web_fixtures import JFK, ROOT, make_report

from service.cli.main import main
from service.store.db import connect, db_path, latest_version


def _rows(instance, sql):
    conn = connect(db_path(instance))
    try:
        return [dict(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def test_init_db_prints_admin_password_once(tmp_path, monkeypatch):
    monkeypatch.delenv("LISTENWELL_ADMIN_PASSWORD", raising=False)
    runner = CliRunner()
    inst = tmp_path / "inst"
    r = runner.invoke(main, ["init-db"], env={"LISTENWELL_INSTANCE": str(inst)})
    assert r.exit_code == 0, r.output
    assert f"schema version {latest_version()}" in r.output
    assert "created user 'admin' with password: " in r.output
    r2 = runner.invoke(main, ["init-db", "--instance", str(inst)])
    assert r2.exit_code == 0 and "password" not in r2.output
    assert len(_rows(inst, "SELECT * FROM users WHERE role = 'admin'")) == 1


def test_import_batch_with_batch_json(tmp_path):
    inp, out, inst = tmp_path / "in", tmp_path / "out", tmp_path / "inst"
    (inp / "alice").mkdir(parents=True)
    shutil.copy(JFK, inp / "alice" / "week1.flac")
    folder = out / "alice" / "week1.flac"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(make_report(66.0)))
    (out / "bob" / "lost.wav").mkdir(parents=True)  # failed recording: record.json only
    (out / "batch.json").write_text(json.dumps({
        "format": 1, "input_dir": str(inp),
        "recordings": [
            {"file": "alice/week1.flac", "trainee": "alice", "scenario": "relapse-shame", "status": "done",
             "folder": "alice/week1.flac"},
            {"file": "bob/lost.wav", "trainee": "bob", "scenario": None, "status": "failed",
             "folder": "bob/lost.wav"},
        ]}))
    r = CliRunner().invoke(main, ["import-batch", str(out), "--instance", str(inst)],
                           env={"LISTENWELL_ADMIN_PASSWORD": "x-admin-pass"})
    assert r.exit_code == 0, r.output
    assert "imported 1 session(s)" in r.output
    (s,) = _rows(inst, "SELECT s.*, u.username FROM sessions s JOIN users u ON u.id = s.trainee_id")
    assert s["username"] == "alice" and s["scenario_id"] == "relapse-shame" and s["source"] == "batch"
    assert (inst / "audio" / s["audio_name"]).read_bytes() == JFK.read_bytes()
    assert _rows(inst, "SELECT score_index FROM reports") == [{"score_index": 66.0}]


def test_import_batch_without_index_uses_folder_names(tmp_path):
    out, inst = tmp_path / "out", tmp_path / "inst"
    for who, idx in (("carol", 50.0), ("dan", 30.0)):
        (out / who / "s1.wav").mkdir(parents=True)
        (out / who / "s1.wav" / "report.json").write_text(json.dumps(make_report(idx)))
    (out / ".partial-x" / "s2.wav").mkdir(parents=True)
    (out / ".partial-x" / "s2.wav" / "report.json").write_text("{}")
    r = CliRunner().invoke(main, ["import-batch", str(out), "--instance", str(inst)],
                           env={"LISTENWELL_ADMIN_PASSWORD": "x-admin-pass"})
    assert r.exit_code == 0, r.output
    rows = _rows(inst, "SELECT u.username, r.score_index, s.audio_name FROM sessions s"
                       " JOIN users u ON u.id = s.trainee_id JOIN reports r ON r.session_id = s.id ORDER BY 1")
    assert rows == [{"username": "carol", "score_index": 50.0, "audio_name": None},
                    {"username": "dan", "score_index": 30.0, "audio_name": None}]


def test_demo_queues_the_bundled_dialogues(tmp_path):
    from service.cli.serve import load_demo
    from service.store.db import migrate

    dialogues = sorted((ROOT / "samples" / "dialogues").glob("*.stereo.wav"))
    inst = tmp_path / "inst"
    conn = connect(db_path(inst))
    migrate(conn)
    conn.close()
    ids = load_demo(inst)
    if (ROOT / "samples" / "demo").is_dir():
        assert ids
        return
    assert len(ids) == len(dialogues) > 0
    jobs = _rows(inst, "SELECT j.status, s.speaker_setup, s.helper_channel FROM jobs j"
                       " JOIN sessions s ON s.id = j.session_id")
    assert jobs == [{"status": "queued", "speaker_setup": "stereo", "helper_channel": 0}] * len(dialogues)
    assert load_demo(inst) == []  # a second start adds nothing
    users = {r["username"]: r["role"] for r in _rows(inst, "SELECT username, role FROM users")}
    assert users == {"demo-supervisor": "supervisor", "demo-trainee": "trainee"}
