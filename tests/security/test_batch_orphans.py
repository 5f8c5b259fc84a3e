"""``listenwell batch --workers N`` never leaves orphans: workers exit when the parent dies, whatever the signal."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import psutil
from click.testing import CliRunner

from service.cli.main import main
from tests.web_fixtures import ROOT

PARENT = r"""
import json, os, sys, time
from service.batch.runner import _new_pool
pool = _new_pool(2, None, 1)
pids = sorted(set(f.result() for f in [pool.submit(os.getpid) for _ in range(8)]))
print(json.dumps(pids), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_workers_and_resource_tracker_exit_when_the_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = parent.stdout.readline()
        workers = json.loads(line)
        assert len(workers) >= 1 and parent.pid not in workers
        children = [p.pid for p in psutil.Process(parent.pid).children(recursive=True)]
        assert set(workers) <= set(children)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        t_end = time.monotonic() + 10
        while time.monotonic() < t_end and any(_alive(pid) for pid in children):
            time.sleep(0.1)
        left = [pid for pid in children if _alive(pid)]
        assert left == [], [psutil.Process(p).cmdline() for p in left]
    finally:
        if parent.poll() is None:
            parent.kill()
        for pid in locals().get("children", []):
            if _alive(pid):
                psutil.Process(pid).kill()


def test_empty_input_folder_warns(tmp_path):
    empty = tmp_path / "in"
    empty.mkdir()
    (empty / "notes.txt").write_text("not audio")
    result = CliRunner().invoke(main, ["batch", str(empty), "--out", str(tmp_path / "out"), "--no-progress"])
    assert "warning: no recordings found in" in result.output
    assert "1 file(s) without an audio extension" in result.output
