"""Bounded load test: N concurrent GETs of the report page, its full view and the API, on 127.0.0.1.

Run it by hand (prints p50/p95 per page)::

    python -m tests.security.load --concurrency 50 --requests 200
    python -m tests.security.load --compare --out benchmarks/results/web-load-2core.json

It starts ``listenwell serve`` (waitress) on a fresh instance with one finished
session, logs in as its supervisor and fires the requests from a thread pool.
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

__all__ = ["LatencyProbe", "measure", "percentile", "run"]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` (0-100) percentile, nearest rank."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


class LatencyProbe:
    """GET ``url`` every ``every`` seconds on a thread until :meth:`stop`; the latencies (s) in ``times``.

    Each probe waits for its answer (at most ``timeout`` s, counted as that long if it never comes)
    before the next one starts, so a server that holds requests shows up as one long probe.
    """

    def __init__(self, url: str, every: float = 0.5, timeout: float = 120.0):
        import threading

        self.url, self.every, self.timeout = url, every, timeout
        self.times: list[float] = []
        self.statuses: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            t0 = time.perf_counter()
            try:
                self.statuses.add(requests.get(self.url, timeout=self.timeout).status_code)
            except requests.RequestException:
                self.statuses.add(0)
            self.times.append(time.perf_counter() - t0)
            self._stop.wait(self.every)

    def __enter__(self) -> "LatencyProbe":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 5)

    def summary(self) -> str:
        if not self.times:
            return "no probes"
        return (f"{len(self.times)} probes, max {1000 * max(self.times):.0f} ms, "
                f"p95 {1000 * percentile(self.times, 95):.0f} ms, median {1000 * statistics.median(self.times):.0f} ms")


def measure(session: requests.Session, url: str, concurrency: int, total: int,
            time_limit: float = 120.0) -> dict:
    """``total`` GETs of ``url``, ``concurrency`` at once; statuses and latencies (seconds)."""
    deadline = time.monotonic() + time_limit
    cookies = session.cookies.get_dict()

    def one(_: int):
        if time.monotonic() > deadline:
            return None
        t0 = time.perf_counter()
        r = requests.get(url, cookies=cookies, timeout=max(1.0, deadline - time.monotonic()))
        return r.status_code, time.perf_counter() - t0

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = [r for r in pool.map(one, range(total)) if r is not None]
    wall = time.perf_counter() - t0
    lat = [t for _, t in results]
    return {
        "url": url, "n": len(results), "statuses": sorted({s for s, _ in results}), "wall_s": wall,
        "p50_ms": 1000 * statistics.median(lat) if lat else None, "p95_ms": 1000 * percentile(lat, 95) if lat else None,
    }


def run(concurrency: int = 50, total: int = 200, workdir: Path | None = None, env: dict | None = None) -> list[dict]:
    """Start a server with one finished session and measure its report page, full view and API.

    ``env``: extra environment for the server (``LISTENWELL_REPORT_PAGE_CACHE=0`` turns off the
    report page cache).
    """
    from service.store.storage import import_session
    from tests.security.live import log_in, make_users, start_server
    from tests.web_fixtures import JFK, make_report

    workdir = Path(workdir or tempfile.mkdtemp(prefix="listenwell-load-"))
    instance = workdir / "instance"
    make_users(instance)
    sid = import_session(instance, "alice", JFK, make_report(70.0), source="test", title="load")
    server = start_server(instance, "--workers", "0", env=env)
    try:
        s = log_in(server.url, "sup1")
        out = []
        for path in (f"/sessions/{sid}", f"/sessions/{sid}/full", "/api/sessions", f"/api/reports/{sid}"):
            s.get(server.url + path, timeout=60)  # warm: first render, caches
            out.append(measure(s, server.url + path, concurrency, total))
        return out
    finally:
        server.stop()


def _line(row: dict) -> str:
    return (f"{row['url'].split('/', 3)[-1]:<28} n={row['n']:<4} status={row['statuses']} "
            f"p50={row['p50_ms']:.0f} ms p95={row['p95_ms']:.0f} ms wall={row['wall_s']:.1f} s")


def compare(concurrency: int, total: int, rounds: int = 2) -> dict:
    """The same load with the report page cache off and on, alternating, ``rounds`` times each."""
    import os
    import platform

    from service.bench.machine import cpu_model

    load_start = list(os.getloadavg())
    runs: dict[str, list[list[dict]]] = {"cache off": [], "cache on": []}
    for _ in range(rounds):
        for name, value in (("cache off", "0"), ("cache on", "128")):
            runs[name].append(run(concurrency, total, env={"LISTENWELL_REPORT_PAGE_CACHE": value}))
    pages = [row["url"].split("/", 3)[-1] for row in runs["cache on"][0]]
    table = []
    for i, page in enumerate(pages):
        off = [r[i]["p95_ms"] for r in runs["cache off"]]
        on = [r[i]["p95_ms"] for r in runs["cache on"]]
        table.append({"page": re.sub(r"/\d+", "/<id>", "/" + page),
                      "p95_ms_cache_off": off, "p95_ms_cache_on": on,
                      "p50_ms_cache_on": [r[i]["p50_ms"] for r in runs["cache on"]],
                      "ratio_off_over_on": sum(off) / max(1e-9, sum(on)),
                      "statuses": sorted({s for r in runs["cache on"] + runs["cache off"] for s in r[i]["statuses"]})})
    return {
        "benchmark": "web-load", "concurrency": concurrency, "requests_per_page": total, "rounds": rounds,
        "server": "listenwell serve (waitress), one finished session, logged in as its supervisor",
        "pages": table,
        "machine": {"cpus": os.cpu_count(), "cpu_model": cpu_model(), "platform": platform.platform(),
                    "load_average_start": load_start, "load_average_end": list(os.getloadavg()),
                    "note": "the load generator runs on the same machine (it raises the load average itself)"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--compare", action="store_true",
                        help="run with the report page cache off and on, side by side (two rounds each)")
    parser.add_argument("--out", type=Path, help="write the --compare figures to this JSON file")
    args = parser.parse_args()
    if not args.compare:
        for row in run(args.concurrency, args.requests):
            print(_line(row))
        return
    result = compare(args.concurrency, args.requests)
    print(f"{'page':<24} {'p95 cache off (ms)':>20} {'p95 cache on (ms)':>20} {'off/on':>7}")
    for row in result["pages"]:
        off = "/".join(f"{v:.0f}" for v in row["p95_ms_cache_off"])
        on = "/".join(f"{v:.0f}" for v in row["p95_ms_cache_on"])
        print(f"{row['page']:<24} {off:>20} {on:>20} {row['ratio_off_over_on']:>7.2f}")
    print(f"load average before: {result['machine']['load_average_start'][0]:.2f}, "
          f"at the end: {result['machine']['load_average_end'][0]:.2f}")
    if args.out:
        import json

        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
