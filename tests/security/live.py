"""A real ``listenwell serve`` process (waitress) on 127.0.0.1 for the security probes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from service.store.db import connect, db_path, migrate
from service.web.auth import create_user
from tests.web_fixtures import ADMIN_PASSWORD, FAST_HASH, PASSWORD, ROOT

__all__ = ["LiveServer", "csrf_of", "free_port", "log_in", "make_users", "start_server"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_users(instance: Path) -> dict[str, int]:
    """sup1 -> alice (trainee); fast hashes so tests stay quick. Returns name -> id."""
    instance.mkdir(parents=True, exist_ok=True)
    conn = connect(db_path(instance))
    migrate(conn)
    ids = {"sup1": create_user(conn, "sup1", PASSWORD, "supervisor", method=FAST_HASH)}
    ids["alice"] = create_user(conn, "alice", PASSWORD, "trainee", ids["sup1"], method=FAST_HASH)
    conn.commit()
    conn.close()
    return ids


@dataclass
class LiveServer:
    url: str
    instance: Path
    proc: subprocess.Popen
    log: Path
    env: dict = field(default_factory=dict)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_server(instance: Path, *args: str, env: dict | None = None, umask: int | None = None,
                 wait: float = 60.0) -> LiveServer:
    """Start ``listenwell serve`` (this worktree's code) and wait until /login answers."""
    instance.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {**os.environ, "LISTENWELL_ADMIN_PASSWORD": ADMIN_PASSWORD, "LISTENWELL_PASSWORD_HASH": FAST_HASH,
                **(env or {})}
    log = instance.parent / f"server-{port}.log"
    old_umask = os.umask(umask) if umask is not None else None  # the child inherits it
    try:
        with open(log, "w") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "service.cli.main", "serve", "--port", str(port), "--instance", str(instance),
                 *args],
                cwd=ROOT, env=full_env, stdout=fh, stderr=subprocess.STDOUT,
            )
    finally:
        if old_umask is not None:
            os.umask(old_umask)
    server = LiveServer(f"http://127.0.0.1:{port}", instance, proc, log, full_env)
    t_end = time.monotonic() + wait
    while time.monotonic() < t_end:
        try:
            requests.get(server.url + "/login", timeout=2)
            return server
        except requests.ConnectionError:
            if proc.poll() is not None:
                raise RuntimeError("server exited:\n" + server.output())
            time.sleep(0.1)
    server.stop(signal.SIGKILL)
    raise RuntimeError("server did not answer:\n" + server.output())


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def log_in(url: str, username: str, password: str = PASSWORD) -> requests.Session:
    """A requests session logged in through the real form (CSRF token included)."""
    s = requests.Session()
    token = csrf_of(s.get(url + "/login", timeout=10).text)
    r = s.post(url + "/login", data={"username": username, "password": password, "csrf_token": token},
               allow_redirects=False, timeout=30)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    s.headers["X-CSRFToken"] = csrf_of(s.get(url + "/", timeout=10).text)
    return s
