"""``listenwell serve --scheduler``: a web upload's analysis runs on a Dask cluster and survives a restart."""

from __future__ import annotations

import signal
import time

import pytest

from service.store.db import connect, db_path
from tests.security.live import log_in, make_users, start_server
from tests.web_fixtures import JFK

pytestmark = pytest.mark.filterwarnings("ignore")  # Dask's own start-up chatter


def _job(instance, session_id) -> dict:
    conn = connect(db_path(instance))
    try:
        return dict(conn.execute("SELECT * FROM jobs WHERE session_id = ?", (session_id,)).fetchone())
    finally:
        conn.close()


def test_upload_analysed_on_local_cluster_survives_server_restart(tmp_path):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    instance = tmp_path / "instance"
    ids = make_users(instance)
    server = start_server(instance, "--scheduler", cluster.scheduler_address)
    try:
        assert f"analyses go to the Dask scheduler at {cluster.scheduler_address} (1 at once)" in server.output()
        s = log_in(server.url, "sup1")
        r = s.post(server.url + "/upload", data={"trainee_id": ids["alice"], "speaker_setup": "auto"},
                   files={"audio": ("jfk.flac", JFK.read_bytes())}, allow_redirects=False, timeout=60)
        assert r.status_code == 302, r.text[:300]
        sid = int(r.headers["Location"].rsplit("/", 1)[1])
        t_end = time.monotonic() + 60
        while _job(instance, sid)["stage"] != "analysing on the cluster":
            assert time.monotonic() < t_end, _job(instance, sid)
            time.sleep(0.1)
        with Client(cluster.scheduler_address, set_as_default=False) as probe:
            assert probe.processing() and any(probe.processing().values())  # the task is on the cluster
        server.stop(signal.SIGKILL)  # mid-job
        assert _job(instance, sid)["status"] == "running"

        server = start_server(instance, "--scheduler", cluster.scheduler_address)
        assert "requeued 1 interrupted job" in server.output() or _job(instance, sid)["attempts"] >= 2
        t_end = time.monotonic() + 400
        while (job := _job(instance, sid))["status"] not in ("done", "failed"):
            assert time.monotonic() < t_end, job
            time.sleep(0.5)
        assert job["status"] == "done", job
        assert job["attempts"] == 2
        s = log_in(server.url, "sup1")
        report = s.get(f"{server.url}/api/reports/{sid}", timeout=30).json()
        assert "country" in " ".join(t.get("text", "") for t in report["turns"]).lower()
    finally:
        server.stop()
        cluster.close()
