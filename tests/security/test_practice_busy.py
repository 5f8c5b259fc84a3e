"""Issue 21: "Sixteen ``/practice/<id>/next`` calls at once held ``/login`` for 21 s."

Against a real ``listenwell serve``: one trainee sends sixteen 44-second replies at once. One
decision runs (the per-user bound); the others are answered at once with 429, ``{"error": "busy"}``
and a ``Retry-After``; ``/login`` keeps answering within a second. Before the fix all sixteen were
transcribed, each holding a server thread, and ``/login`` waited 4 s here (21 s in the issue).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import soundfile as sf
import soxr

from tests.security.live import log_in, make_users, start_server
from tests.security.load import LatencyProbe
from tests.web_fixtures import JFK


def _reply_pcm(repeat: int = 4) -> bytes:
    """JFK (11 s) ``repeat`` times as the page sends a reply: 16 kHz mono 16-bit little-endian PCM."""
    audio, sr = sf.read(JFK, dtype="float32")
    audio = audio if audio.ndim == 1 else audio.mean(axis=1)
    audio = np.tile(soxr.resample(audio, sr, 16000), repeat)
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


def test_sixteen_replies_at_once_one_runs_the_rest_told_to_wait_login_stays_fast(tmp_path, capsys):
    instance = tmp_path / "instance"
    make_users(instance)
    server = start_server(instance, "--workers", "0")
    try:
        alice = log_in(server.url, "alice")
        url = server.url + "/practice/relapse-shame/next"
        opening = alice.post(url, data={"said": "[]"}, timeout=60).json()["line_id"]
        pcm = _reply_pcm()
        said = json.dumps([opening])
        warm = alice.post(url, data={"said": said}, files={"audio": ("reply.pcm", pcm)}, timeout=300)
        assert warm.status_code == 200 and "country" in warm.json()["heard"].lower()  # the model is loaded

        def reply(_):
            t0 = time.perf_counter()
            r = alice.post(url, data={"said": said}, files={"audio": ("reply.pcm", pcm)}, timeout=300)
            return r.status_code, time.perf_counter() - t0, r.headers.get("Retry-After"), r.json()

        with LatencyProbe(server.url + "/login", every=0.5) as probe:
            time.sleep(0.6)
            with ThreadPoolExecutor(16) as pool:
                answers = list(pool.map(reply, range(16)))
            time.sleep(0.6)
        busy = [a for a in answers if a[0] == 429]
        done = [a for a in answers if a[0] == 200]
        with capsys.disabled():
            print(f"\n16 replies at once: {len(done)} answered (max {max(a[1] for a in done):.2f} s), "
                  f"{len(busy)} told to wait (max {max(a[1] for a in busy):.2f} s); /login: {probe.summary()}")
        assert len(done) + len(busy) == 16 and 1 <= len(done) <= 4, [a[0] for a in answers]
        assert all(a[1] < 1.0 for a in busy), [round(a[1], 2) for a in busy]
        assert all(a[2] == "1" and a[3]["error"] == "busy" and a[3]["retry_after"] == 1 for a in busy)
        assert "sends this one again in a moment" in busy[0][3]["message"]
        assert all("country" in a[3]["heard"].lower() for a in done)
        assert max(probe.times) < 1.0, probe.summary()
        # once the decision is done, the next reply is answered
        r = alice.post(url, data={"said": said, "text": "That sounds really hard."}, timeout=60)
        assert r.status_code == 200 and r.json()["line_id"]
    finally:
        server.stop()
