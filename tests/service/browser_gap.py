"""The gap the trainee hears in the browser, barge-in, and false starts: headless Chromium, fake
microphone, the real server.

``python -m tests.service.browser_gap [--runs 3] [--out benchmarks/results/practice-browser-gap.json]``

* **Heard gap**: Chromium's fake microphone loops a Piper reflection every 11 s (8.5 s of quiet,
  then the reply; her longest line is 7.6 s, so she is not talked over); the page streams each
  reply to ``/practice/<id>/next``, where the terminal's end-of-turn rule decides, and plays the
  line the server chose. After ``--runs`` conversations, each submitted, the stored stereo WAV
  (channel 0 the microphone, channel 1 her lines where the page played them) gives the heard gap as
  in the terminal benchmark (:func:`service.bench.heard_gap.gaps_in_channels`): the trainee's last
  voiced frame to the client's first.
* **Barge-in**: the microphone says the reflection 2 s into the opening; from the stored WAV, the
  trainee's first voiced frame inside the opening to where the client's line stopped.
* Both once at rest and once with one more process spinning on the other core, in one run. The
  server runs without analysis workers (``--workers 0``), so no report job competes for the cores.
* **False starts**: the terminal benchmark's replies with pauses put inside sentences
  (:func:`service.bench.heard_gap.paused_replies`), fed to the server's
  :class:`service.practice.turn_stream.ReplyStream` in the page's 0.1 s chunks and to the terminal's
  listener in 20 ms blocks (:func:`service.bench.heard_gap.false_starts`), same transcriber.

(A benchmark, not a test: it lives beside the browser tests for their fixtures.)
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
from tests.service.test_browser import BASE_ARGS, CHROMIUM, _login, fake_mic_args
from tests.web_fixtures import ROOT

SR = 16000
PAGE_CHUNK_S = 0.1  # the page sends a chunk once it holds 0.1 s (more while a call is in flight)


def _reply_mic_wav(folder: Path) -> Path:
    clip, sr = sf.read(ROOT / "tests" / "data" / "practice" / "reply2.flac", dtype="float32")
    period = np.zeros(int(11.0 * sr), dtype=np.float32)
    period[int(8.5 * sr):int(8.5 * sr) + clip.size] = clip[: int(2.5 * sr)]
    out = folder / "replies.wav"
    sf.write(out, np.tile(period, 12), sr, subtype="PCM_16")
    return out


def _cut_in_mic_wav(folder: Path) -> Path:
    from audio.devices.turn_taking import split_replies

    x, sr = sf.read(ROOT / "tests" / "data" / "practice" / "reflective-replies.flac", dtype="float32")
    reply = split_replies(x, sr)[0]
    mic = np.zeros(int(40 * sr), dtype=np.float32)
    mic[int(2.0 * sr):int(2.0 * sr) + reply.size] = reply
    out = folder / "cut-in.wav"
    sf.write(out, mic, sr, subtype="PCM_16")
    return out


def _browser(playwright, mic: Path):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=BASE_ARGS + fake_mic_args(mic))


def _stored(page, url: str, instance: Path) -> tuple[np.ndarray, int, list[dict]]:
    from service.store.db import connect, db_path

    if page.is_hidden("#review"):
        page.click("#conv-stop")
    page.wait_for_selector("#review:not([hidden])", timeout=10_000)
    page.click("#conv-submit")
    page.wait_for_url(url + "/sessions/*", timeout=30_000)
    session_id = int(page.url.rsplit("/", 1)[1])
    conn = connect(db_path(instance))
    row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    conn.close()
    data, rate = sf.read(instance / "audio" / row["audio_name"], dtype="float32", always_2d=True)
    return data, rate, json.loads(row["client_timeline"])


def _one_conversation(playwright, url: str, instance: Path, mic: Path) -> tuple[list[float], list[str]]:
    browser = _browser(playwright, mic)
    ends: list[str] = []
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("response", lambda r: ends.append(r) if r.url.endswith("/next") else None)
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")
        page.check("#consent")
        page.click("#conv-start")
        page.wait_for_function("() => document.getElementById('conv-state').innerText.includes('finished') || "
                               "+(document.getElementById('converse').dataset.lines || 0) >= 4", timeout=120_000)
        reasons = []
        for r in ends:
            try:
                j = r.json()
            except Exception:  # noqa: BLE001 - a response already gone: no reason to read
                continue
            if j.get("turn_end"):
                reasons.append(j["turn_end"])
        data, rate, timeline = _stored(page, url, instance)
    finally:
        browser.close()
    windows = [(t["start"], t["end"] + 0.2) for t in timeline[1:] if not t.get("cut")]
    return gaps_in_channels(data[:, 0], data[:, 1], rate, windows), reasons


def _one_cut_in(playwright, url: str, instance: Path, mic: Path) -> float | None:
    """Seconds from the trainee's first voiced frame inside the opening to where the client stopped."""
    browser = _browser(playwright, mic)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, url, "alice")
        page.goto(url + "/practice/relapse-shame")
        page.check("#consent")
        page.click("#conv-start")
        page.wait_for_function("() => document.getElementById('converse').dataset.cuts === '1'", timeout=30_000)
        page.wait_for_timeout(500)
        data, rate, timeline = _stored(page, url, instance)
    finally:
        browser.close()
    opening = timeline[0]
    if not opening.get("cut"):
        return None
    frame = int(0.02 * rate)
    mic = data[:, 0]
    a, b = int(opening["start"] * rate), int(opening["end"] * rate)
    n = (b - a) // frame
    levels = 10 * np.log10(np.mean(mic[a:a + n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1) + 1e-12)
    voiced = np.flatnonzero(levels > -45.0)
    return None if voiced.size == 0 else round(float(opening["end"] - (opening["start"] + voiced[0] * 0.02)), 3)


def false_starts_both(quick, cases) -> dict:
    """False starts of the terminal's listener (20 ms blocks) and the server's stream (page chunks)."""
    from service.bench.heard_gap import SETUPS, false_starts
    from service.practice.turn_stream import ReplyStream

    bad = 0
    n = int(PAGE_CHUNK_S * SR)
    for clip, _ in cases:
        heard = np.concatenate([np.zeros(int(0.6 * SR), np.float32), clip, np.zeros(SR, np.float32)])
        stream = ReplyStream(quick)
        for at in range(0, heard.size, n):
            if stream.feed(at, heard[at:at + n]):
                break
        true_end = 0.6 + clip.size / SR - 0.15
        end = stream.listener.det.speech_end
        bad += end is not None and end < true_end - 0.2
    return {"terminal": false_starts(SETUPS["cues"], quick, cases),
            "browser_stream": {"false_starts": int(bad), "cases": len(cases), "chunk_s": PAGE_CHUNK_S}}


def _paused_cases():
    from audio.devices.turn_taking import make_transcriber
    from service.bench.heard_gap import paused_replies, practice_replies

    clips = practice_replies()
    quick, full = make_transcriber(short_window=True)
    word_times = [[(w.start, w.end) for w in full(c).words] for c in clips]
    return quick, paused_replies(clips, word_times)


def run(runs: int = 3, cut_ins: int = 3) -> dict:
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="lw-browser-gap-"))
    instance = folder / "instance"
    make_users(instance)
    mic, cut_mic = _reply_mic_wav(folder), _cut_in_mic_wav(folder)
    live = start_server(instance, "--workers", "0")
    out: dict = {}
    load_start = [round(x, 2) for x in os.getloadavg()]
    try:
        with sync_playwright() as p:
            for load in ("idle", "other_core_busy"):
                spin = _spinner() if load == "other_core_busy" else None
                try:
                    gaps, reasons, stops = [], [], []
                    load0 = os.getloadavg()[0]
                    for _ in range(runs):
                        g, r = _one_conversation(p, live.url, instance, mic)
                        gaps += g
                        reasons += r
                    for _ in range(cut_ins):
                        stops.append(_one_cut_in(p, live.url, instance, cut_mic))
                    done = [s for s in stops if s is not None]
                    out[load] = {"gaps_s": gaps, "median_s": round(float(np.median(gaps)), 3),
                                 "p90_s": round(float(np.percentile(gaps, 90)), 3), "turn_end": reasons,
                                 "barge_in_stopped_after_s": stops,
                                 "barge_in_max_s": round(max(done), 3) if done else None,
                                 "load_average_1min": [round(load0, 2), round(os.getloadavg()[0], 2)]}
                finally:
                    if spin is not None:
                        spin.terminate()
                        spin.wait()
    finally:
        live.stop()
    quick, cases = _paused_cases()
    from service.bench.machine import cpu_model

    return {"benchmark": "practice-browser-heard-gap",
            "measured": "stored stereo WAV of a browser practice (fake microphone): last voiced frame of the "
                        "microphone channel -> first voiced frame of the client's channel in each answer; "
                        "barge-in: the trainee's first voiced frame inside the opening -> where the opening stopped",
            "end_of_turn": "server-side: the terminal's ReplyListener and end-of-turn rule on streamed 0.1 s chunks",
            "runs": out, "conversations_per_load": runs, "cut_ins_per_load": cut_ins,
            "false_starts_on_paused_replies": false_starts_both(quick, cases),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": cpu_model(),
                        "note": "shared with other jobs; other_core_busy adds one spinning process; "
                                "server started with --workers 0",
                        "load_average_start": load_start,
                        "load_average_end": [round(x, 2) for x in os.getloadavg()]}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cut-ins", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    res = run(args.runs, args.cut_ins)
    for key, r in res["runs"].items():
        print(f"browser/{key:18s} heard gap median {r['median_s']:.2f} s, p90 {r['p90_s']:.2f} s "
              f"(n={len(r['gaps_s'])}, load {r['load_average_1min']}); barge-in stopped after "
              f"{r['barge_in_stopped_after_s']} s")
    fs = res["false_starts_on_paused_replies"]
    print(f"false starts on paused replies: terminal {fs['terminal']['false_starts']}, "
          f"browser stream {fs['browser_stream']['false_starts']} of {fs['browser_stream']['cases']}")
    if args.out:
        args.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
