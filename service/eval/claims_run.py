"""Voice the bench's scripts, run the real pipeline on them and score the reports' claims.

Voicing (``service.synth.voice.synthesize_dialogue``): the helper is the Piper voice at
length scale ``HELPER_PACE`` (about 150 words a minute, inside the calm band, so the voice
part is not faulted by the synthesiser's own speed: at 1.0 it speaks about 243 words a
minute); the client the same voice ``CLIENT_SEMITONES`` up and faster (``CLIENT_PACE``), so
the two differ in pitch by more than the fixtures' 4 semitones and in pace. Lines follow each other after ``GAP_S``; a helper line with ``cuts_in`` starts
``CUT_IN_S`` before the client's line ends; a helper line coded only ``backchannel``
between two client lines is laid over the end of the first (it does not take the floor) and
the client carries on. Audio is cached by the script's content hash.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from analysis.report.consistency import check_report
from analysis.report.text import render_text
from audio.decode import decode_array
from service.eval.claims import ClaimScript, LineTimes, ScriptResult, score_script
from service.pipeline import AnalysisSettings, analyze_audio
from service.synth.voice import synthesize_dialogue, synthesize_line, write_dialogue

__all__ = ["HELPER_PACE", "CLIENT_PACE", "CLIENT_SEMITONES", "GAP_S", "CUT_IN_S", "MODES", "default_cache",
           "voice_lines", "voice_script", "run_script"]

logger = logging.getLogger(__name__)

HELPER_PACE = 1.6
CLIENT_PACE = 1.3
CLIENT_SEMITONES = 5.0
GAP_S = 0.7
CUT_IN_S = 0.8
BACKCHANNEL_BEFORE_END_S = 1.0  # an overlaid backchannel starts this long before the client's line ends
MODES = ("stereo", "mono")
_VOICING = f"v2 helper {HELPER_PACE} client {CLIENT_PACE} +{CLIENT_SEMITONES} gap {GAP_S} cut {CUT_IN_S}"


def default_cache() -> Path:
    return Path.home() / ".cache" / "listenwell" / "claims"


def _is_overlay(script: ClaimScript, k: int) -> bool:
    t = script.turns
    return (t[k].role == "helper" and set(t[k].codes) == {"backchannel"} and not t[k].cuts_in
            and 0 < k < len(t) - 1 and t[k - 1].role == "client" and t[k + 1].role == "client")


def voice_lines(script: ClaimScript) -> list[dict[str, Any]]:
    """The synthesis script (``service.synth.voice`` format) for one bench script."""
    lines: list[dict[str, Any]] = []
    for k, t in enumerate(script.turns):
        line: dict[str, Any] = {"speaker": t.role, "text": t.text, "gap": GAP_S}
        if t.cuts_in:
            line["gap"] = -CUT_IN_S
        elif _is_overlay(script, k):
            prev = script.turns[k - 1]
            audio, sr = synthesize_line(prev.text, "client", semitones=CLIENT_SEMITONES, length_scale=CLIENT_PACE)
            line["offset"] = round(max(0.3, audio.size / sr - BACKCHANNEL_BEFORE_END_S), 3)
        if k > 0 and _is_overlay(script, k - 1):
            line["gap"] = 0.3  # the client carries on after the backchannel
        lines.append(line)
    return lines


def voice_script(script: ClaimScript, cache: Path) -> tuple[np.ndarray, dict[str, Any]]:
    """Stereo audio (2, n) at 16 kHz (helper left) and the truth dict, from the cache when there."""
    import soundfile as sf

    key = f"{script.id}-{script.content_hash(_VOICING)}"
    wav, meta = cache / f"{key}.stereo.flac", cache / f"{key}.json"
    if wav.exists() and meta.exists():
        audio, _ = sf.read(wav, dtype="float32", always_2d=True)
        return audio.T.copy(), json.loads(meta.read_text(encoding="utf-8"))

    d = synthesize_dialogue(voice_lines(script), semitones=CLIENT_SEMITONES, name=script.id,
                            pace={"helper": HELPER_PACE, "client": CLIENT_PACE})
    write_dialogue(d, cache, key, fmt="flac", mono=False)
    audio, _ = sf.read(wav, dtype="float32", always_2d=True)  # the cached copy, so reruns see the same samples
    return audio.T.copy(), d.truth


def _analyse(script: ClaimScript, stereo: np.ndarray, mode: str):
    if mode == "stereo":
        decoded = decode_array(stereo, 16000, source=f"{script.id}.stereo")
        settings = AnalysisSettings(setup="stereo", helper_channel=0)
    else:
        decoded = decode_array(stereo.sum(axis=0).clip(-1, 1), 16000, source=f"{script.id}.mono")
        settings = AnalysisSettings(setup="mono", helper_speaker="first" if script.helper_first() else "second")
    return analyze_audio(decoded, settings)


def run_script(script: ClaimScript, mode: str, cache: Path,
               keep: Callable[[str, dict[str, Any]], None] | None = None) -> ScriptResult:
    """Voice (or read from the cache), analyse in ``mode`` and score one script."""
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} must be one of {MODES}")
    stereo, truth = voice_script(script, cache)
    t0 = time.perf_counter()
    report = _analyse(script, stereo, mode)
    seconds = time.perf_counter() - t0
    d = report.to_dict()
    if keep is not None:
        keep(f"{script.id}.{mode}", d)
    return score_script(script, LineTimes.from_truth(truth), d, mode=mode, report_text=render_text(report),
                        consistency=check_report(d), seconds=seconds)
