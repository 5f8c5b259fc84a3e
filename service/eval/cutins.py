"""Planted cut-ins: the voiced dialogues re-timed so that the helper talks over the client at known moments.

Each dialogue of ``DATA_DIR/dialogue`` (``NAME.stereo.flac``: helper left, client right, and
``NAME.json``: every turn's speaker and exact times) is rebuilt on one channel: turn by turn, each
turn's audio is cut from its speaker's channel and laid down after the previous turn with the
original pause, except at planted cut-ins, where a helper turn (at least ``min_helper`` s) that
follows a client turn (at least ``min_client`` s) starts ``overlap`` s (drawn in 0.5-0.9 s, a
seeded generator) before the client turn ends. That is a cut-in by the definition the report
uses (the helper starts inside the client's turn, not in its last 0.3 s, is not a backchannel,
and the client stops within 1 s). Every other eligible hand-over is planted (``every``), so the
recording also holds as many plain hand-overs, which must not be flagged; two versions of each
dialogue are written (``phase`` 0 and 1), so that every eligible hand-over is planted once.

Written per dialogue and phase: ``NAME-cutinsP.flac`` (mono) and ``NAME-cutinsP.json`` (the re-timed turns and
one ``interruption`` event per planted cut-in), in a cache folder; the audio is not committed.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from analysis.schema import CLIENT, HELPER
from audio.decode import decode

__all__ = ["plant_cutins", "ensure_cutins", "CUTIN_VERSION"]

logger = logging.getLogger(__name__)

CUTIN_VERSION = 1
SR = 16000


def plant_cutins(stereo: np.ndarray, turns: list[dict[str, Any]], *, every: int = 2, phase: int = 0,
                 min_client: float = 2.5,
                 min_helper: float = 1.5, overlap: tuple[float, float] = (0.5, 0.9), seed: int = 0,
                 sr: int = SR) -> tuple[np.ndarray, list[dict[str, Any]], list[dict[str, Any]]]:
    """Re-time a two-channel dialogue with planted helper cut-ins.

    Parameters
    ----------
    stereo : np.ndarray, shape (2, n)
        Helper on channel 0, client on channel 1.
    turns : list of dict
        ``speaker`` (helper/client), ``start``, ``end`` (s), in order.

    Returns
    -------
    (mono (m,), re-timed turns, planted interruption events)
    """
    rng = np.random.default_rng(seed)
    chan = {HELPER: 0, CLIENT: 1}
    placed: list[tuple[int, np.ndarray]] = []
    out_turns: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    t_prev_end = 0.0
    eligible = 0
    prev = None
    for tr in turns:
        a, b = float(tr["start"]), float(tr["end"])
        piece = stereo[chan[tr["speaker"]], int(round(a * sr)): int(round(b * sr))]
        gap = a - float(prev["end"]) if prev is not None else a
        start = t_prev_end + gap
        plant = (prev is not None and tr["speaker"] == HELPER and prev["speaker"] == CLIENT
                 and float(prev["end"]) - float(prev["start"]) >= min_client and b - a >= min_helper)
        if plant:
            eligible += 1
            plant = eligible % every == phase % every
        if plant:
            ov = float(rng.uniform(*overlap))
            start = t_prev_end - ov
            events.append({"type": "interruption", "speaker": HELPER, "start": round(start, 3),
                           "end": round(t_prev_end, 3), "overlap": round(ov, 3)})
        placed.append((int(round(start * sr)), piece))
        out_turns.append({**tr, "start": round(start, 3), "end": round(start + piece.size / sr, 3)})
        t_prev_end = max(t_prev_end, start + piece.size / sr)
        prev = tr
    n = max(s + p.size for s, p in placed) + sr // 2
    mono = np.zeros(n, dtype=np.float32)
    for s, p in placed:
        mono[s: s + p.size] += p
    return np.clip(mono, -1.0, 1.0), out_turns, events


def ensure_cutins(dialogue_dir: Path, cache: Path) -> Path:
    """Build the planted cut-in dialogues into ``cache`` (once per version); return the folder."""
    import soundfile as sf

    folder = Path(cache) / f"cutins-v{CUTIN_VERSION}"
    sources = sorted(Path(dialogue_dir).glob("*.stereo.flac"))
    if folder.is_dir() and len(list(folder.glob("*.json"))) == 2 * len(sources):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for i, sp in enumerate(sources):
        name = sp.name.split(".")[0]
        truth = json.loads((sp.parent / f"{name}.json").read_text(encoding="utf-8"))
        d = decode(sp)
        if d.n_channels != 2 or d.sample_rate != SR:
            logger.warning("%s: not 16 kHz stereo; skipped", sp)
            continue
        for phase in range(2):  # the hand-overs planted in one version are plain in the other
            mono, turns, events = plant_cutins(d.channels, truth["turns"], phase=phase, seed=10 * i + phase)
            out = f"{name}-cutins{phase}"
            sf.write(folder / f"{out}.flac", mono, SR)
            (folder / f"{out}.json").write_text(
                json.dumps({"source": sp.name, "phase": phase, "turns": turns, "events": events}, indent=1) + "\n",
                encoding="utf-8")
            logger.info("planted %d cut-ins in %s", len(events), out)
    return folder
