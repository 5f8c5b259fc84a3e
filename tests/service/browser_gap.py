"""The gap the trainee hears in the browser: headless Chromium, fake microphone, the real server.

``python -m tests.service.browser_gap [--runs 2] [--out benchmarks/results/practice-browser-gap.json]``

Chromium's fake microphone loops a Piper reflection every 6 s (3.5 s of quiet, then the reply);
the practice page ends each reply on its own quiet, sends it to ``/practice/<id>/next`` and plays
the line the server chose. After ``--runs`` conversations, each submitted, the stored stereo WAV
(channel 0 the microphone, channel 1 her lines where the page played them) gives the heard gap as
in the terminal benchmark (:func:`service.bench.heard_gap.gaps_in_channels`): the trainee's last
voiced frame to the client's first. Once at rest, once with one more process spinning on the other
core, in one run. (A benchmark, not a test: it lives beside the browser tests for their fixtures.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from service.bench.heard_gap import _spinner, gaps_in_channels
from tests.security.live import make_users, start_server
from tests.service.test_browser import BASE_ARGS, CHROMIUM, _login
from tests.web_fixtures import ROOT


def _mic_wav(folder: Path) -> Path:
    clip, sr = sf.read(ROOT / "tests" / "data" / "practice" / "reply2.flac", dtype="float32")
    period = np.zeros(int(6.0 * sr), dtype=np.float32)
    period[int(3.5 * sr):int(3.5 * sr) + clip.size] = clip[: int(2.5 * sr)]
    out = folder / "replies.wav"
    sf.write(out, np.tile(period, 30), sr, subtype="PCM_16")
    return out


def _one_conversation(playwright, url: str, instance: Path, mic: Path) -> list[float]:
    from service.store.db import connect, db_path

    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=BASE_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={mic}", "--autoplay-policy=no-user-gesture-required"])
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")
        page.check("#consent")
        page.click("#conv-start")
        page.wait_for_function("() => document.getElementById('conv-state').innerText.includes('finished') || "
                               "+(document.getElementById('converse').dataset.lines || 0) >= 4", timeout=120_000)
        page.wait_for_timeout(8000)  # let the last line play
        if page.is_hidden("#review"):
            page.click("#conv-stop")
        page.wait_for_selector("#review:not([hidden])", timeout=10_000)
        page.click("#conv-submit")
        page.wait_for_url(url + "/sessions/*", timeout=30_000)
        session_id = int(page.url.rsplit("/", 1)[1])
    finally:
        browser.close()
    conn = connect(db_path(instance))
    row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    conn.close()
    data, rate = sf.read(instance / "audio" / row["audio_name"], dtype="float32", always_2d=True)
    timeline = json.loads(row["client_timeline"])
    windows = [(t["start"], t["end"] + 0.2) for t in timeline[1:]]
    return gaps_in_channels(data[:, 0], data[:, 1], rate, windows)


def run(runs: int = 2) -> dict:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="lw-browser-gap-"))
    instance = folder / "instance"
    make_users(instance)
    mic = _mic_wav(folder)
    live = start_server(instance)
    out: dict = {}
    load_start = [round(x, 2) for x in os.getloadavg()]
    try:
        with sync_playwright() as p:
            for load in ("idle", "other_core_busy"):
                spin = _spinner() if load == "other_core_busy" else None
                try:
                    gaps = []
                    load0 = os.getloadavg()[0]
                    for _ in range(runs):
                        gaps += _one_conversation(p, live.url, instance, mic)
                    out[load] = {"gaps_s": gaps, "median_s": round(float(np.median(gaps)), 3),
                                 "p90_s": round(float(np.percentile(gaps, 90)), 3),
                                 "load_average_1min": [round(load0, 2), round(os.getloadavg()[0], 2)]}
                finally:
                    if spin is not None:
                        spin.terminate()
                        spin.wait()
    finally:
        live.stop()
    from service.bench.machine import cpu_model

    return {"benchmark": "practice-browser-heard-gap",
            "measured": "stored stereo WAV of a browser practice (fake microphone): last voiced frame of the "
                        "microphone channel -> first voiced frame of the client's channel in each answer",
            "runs": out, "conversations_per_load": runs,
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": cpu_model(),
                        "note": "shared with other jobs; other_core_busy adds one spinning process",
                        "load_average_start": load_start,
                        "load_average_end": [round(x, 2) for x in os.getloadavg()]}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    res = run(args.runs)
    for key, r in res["runs"].items():
        print(f"browser/{key:18s} heard gap median {r['median_s']:.2f} s, p90 {r['p90_s']:.2f} s "
              f"(n={len(r['gaps_s'])}, load {r['load_average_1min']})")
    if args.out:
        args.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
