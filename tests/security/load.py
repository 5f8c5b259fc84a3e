"""Bounded load test: N concurrent GETs of the report page, its full view and the API, on 127.0.0.1.

Run it by hand (prints p50/p95 per page)::

    python -m tests.security.load --concurrency 50 --requests 200

It starts ``listenwell serve`` (waitress) on a fresh instance with one finished
session, logs in as its supervisor and fires the requests from a thread pool.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

__all__ = ["measure", "percentile", "run"]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` (0-100) percentile, nearest rank."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


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


def run(concurrency: int = 50, total: int = 200, workdir: Path | None = None) -> list[dict]:
    """Start a server with one finished session and measure its report page, full view and API."""
    from service.store.storage import import_session
    from tests.security.live import log_in, make_users, start_server
    from tests.web_fixtures import JFK, make_report

    workdir = Path(workdir or tempfile.mkdtemp(prefix="listenwell-load-"))
    instance = workdir / "instance"
    make_users(instance)
    sid = import_session(instance, "alice", JFK, make_report(70.0), source="test", title="load")
    server = start_server(instance, "--workers", "0")
    try:
        s = log_in(server.url, "sup1")
        out = []
        for path in (f"/sessions/{sid}", f"/sessions/{sid}/full", "/api/sessions", f"/api/reports/{sid}"):
            s.get(server.url + path, timeout=60)  # warm: first render, caches
            out.append(measure(s, server.url + path, concurrency, total))
        return out
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    for row in run(args.concurrency, args.requests):
        print(f"{row['url'].split('/', 3)[-1]:<28} n={row['n']:<4} status={row['statuses']} "
              f"p50={row['p50_ms']:.0f} ms p95={row['p95_ms']:.0f} ms wall={row['wall_s']:.1f} s")


if __name__ == "__main__":
    main()
