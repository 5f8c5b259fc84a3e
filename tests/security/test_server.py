"""``listenwell serve`` runs on waitress, sized for the machine, and cleans up after itself."""

from __future__ import annotations

import signal

import requests

from service.cli.serve import server_threads
from tests.security.live import start_server


def test_threads_sized_for_the_machine():
    assert server_threads(1) == 8
    assert server_threads(2) == 8
    assert server_threads(4) == 16
    assert server_threads(64) == 64


def test_serve_demo_answers_with_waitress(tmp_path):
    server = start_server(tmp_path / "instance", "--demo", "--workers", "0")
    try:
        r = requests.get(server.url + "/login", timeout=10)
        assert r.status_code == 200
        assert r.headers["Server"] == "waitress"
        assert "Werkzeug" not in r.headers.get("Server", "")
        assert "waitress" in server.output()
    finally:
        assert server.stop(signal.SIGTERM) == 0
