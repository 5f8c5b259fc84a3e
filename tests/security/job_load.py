"""Requests while the job runner works: ``/login`` and the report page during a voicing and an analysis.

Run it by hand (about 3 minutes on 2 cores)::

    python -m tests.security.job_load --out benchmarks/results/web-jobs-2core.json

For each job runner priority (``LISTENWELL_JOB_NICE`` 0, then 10; twice each, alternating) it starts
``listenwell serve`` on a fresh instance with one finished session, then

1. adds a 40-line scenario (the voicing job) and probes ``/login`` every 0.5 s until it is voiced;
2. uploads a 91 s stereo role-play (the analysis job) and, while it runs, probes ``/login`` every
   0.5 s and fires report page GETs, 8 at a time.

It prints the latencies and the jobs' durations side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.security.load import LatencyProbe, percentile

__all__ = ["run_once"]

DIALOGUE = Path(__file__).resolve().parents[2] / "samples" / "dialogues" / "listens-well.stereo.wav"


def _wait(s: requests.Session, url: str, job_id: int, timeout: float = 600.0) -> dict:
    end = time.monotonic() + timeout
    while (job := s.get(f"{url}/api/jobs/{job_id}", timeout=30).json())["status"] not in ("done", "failed"):
        if time.monotonic() > end:
            raise RuntimeError(f"job {job_id} not finished: {job}")
        time.sleep(0.3)
    return job


def _figures(times: list[float]) -> dict:
    return {"n": len(times), "max_ms": round(1000 * max(times)), "p95_ms": round(1000 * percentile(times, 95)),
            "p50_ms": round(1000 * percentile(times, 50))}


def run_once(nice: int, workdir: Path) -> dict:
    """One server with ``LISTENWELL_JOB_NICE=nice``: the voicing and the analysis, with their probes."""
    from service.store.storage import import_session
    from tests.security.live import log_in, make_users, start_server
    from tests.security.test_voicing_job import scenario_text
    from tests.web_fixtures import JFK, make_report

    instance = workdir / f"nice{nice}-{time.monotonic_ns()}" / "instance"
    ids = make_users(instance)
    sid = import_session(instance, "alice", JFK, make_report(70.0), source="test", title="load")
    server = start_server(instance, env={"LISTENWELL_JOB_NICE": str(nice)})
    out: dict = {"nice": nice}
    try:
        sup = log_in(server.url, "sup1")
        sup.get(f"{server.url}/sessions/{sid}", timeout=60)  # warm the report page
        with LatencyProbe(server.url + "/login") as probe:
            t0 = time.perf_counter()
            r = sup.post(server.url + "/scenarios/add", data={"text": scenario_text(f"load-{nice}", 40)},
                         allow_redirects=False, timeout=60)
            job = _wait(sup, server.url, int(re.search(r"job=(\d+)", r.headers["Location"]).group(1)))
            out["voicing_s"] = round(time.perf_counter() - t0, 1)
        out["voicing_status"] = job["status"]
        out["login_during_voicing"] = _figures(probe.times)

        page = f"{server.url}/sessions/{sid}"
        cookies = sup.cookies.get_dict()
        page_times: list[float] = []
        with LatencyProbe(server.url + "/login") as probe:
            t0 = time.perf_counter()
            r = sup.post(server.url + "/upload", data={"trainee_id": ids["alice"], "speaker_setup": "stereo",
                                                       "helper_channel": "0"},
                         files={"audio": (DIALOGUE.name, DIALOGUE.read_bytes())}, allow_redirects=False, timeout=60)
            new = int(r.headers["Location"].rsplit("/", 1)[1])
            job_id = sup.get(f"{server.url}/api/sessions/{new}", timeout=30).json()["job_id"]

            def one(_):
                t = time.perf_counter()
                requests.get(page, cookies=cookies, timeout=120)
                return time.perf_counter() - t

            with ThreadPoolExecutor(8) as pool:
                while sup.get(f"{server.url}/api/jobs/{job_id}", timeout=30).json()["status"] in ("queued",
                                                                                                    "running"):
                    page_times += list(pool.map(one, range(16)))
            out["analysis_s"] = round(time.perf_counter() - t0, 1)
        out["analysis_status"] = _wait(sup, server.url, job_id)["status"]
        out["login_during_analysis"] = _figures(probe.times)
        out["report_page_during_analysis"] = _figures(page_times)
        return out
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write the figures to this JSON file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="listenwell-job-load-"))
    load_start = list(os.getloadavg())
    runs = []
    for _ in range(args.rounds):
        for nice in (0, 10):
            runs.append(run_once(nice, workdir))
            r = runs[-1]
            print(f"nice {nice:>2}: voicing {r['voicing_s']:>5} s, /login max {r['login_during_voicing']['max_ms']} ms"
                  f" | analysis {r['analysis_s']:>5} s, /login max {r['login_during_analysis']['max_ms']} ms, "
                  f"report page p95 {r['report_page_during_analysis']['p95_ms']} ms "
                  f"(n={r['report_page_during_analysis']['n']})", flush=True)
    result = {"benchmark": "web-jobs", "runs": runs,
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average_start": load_start,
                          "load_average_end": list(os.getloadavg()),
                          "note": "the probes run on the same machine; the load average includes other work"}}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
