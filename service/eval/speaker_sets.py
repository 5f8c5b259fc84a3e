"""Hard development sets for mono diarization: similar voices, telephone band, short clips, noise.

Every set is generated, so it needs no download: two synthetic voices take turns
(espeak-ng variants, or the CC0 Piper voice pitch-shifted a few semitones apart,
with different speaking rates), sentence by sentence, and the reference is each
sentence's audible extent. Effects are applied after mixing where a real
recording would apply them:

- ``phone``: 8 kHz, 300-3400 Hz band-pass, mu-law, back to 16 kHz;
- ``noisy``: a synthetic room impulse response per speaker (different positions),
  then laptop-microphone noise (pink noise, fan hum) at 15-20 dB SNR;
- ``short``: 20-40 s clips.

Two women of the AMI excerpts (``trn05``, ``trn06``) are cut out by the
reference labels (``FEE...`` speakers only) as ``ami-f``.

Each clip has a ``split``: ``dev`` (voices and seeds used while tuning) or
``test`` (other voices, other seeds; only reported). ``one-voice`` clips hold a
single voice, to check that one voice is not split in two.

:func:`build_sets` writes ``NAME.wav`` + ``NAME.rttm`` and ``sets.json`` into a
folder; ``scripts/make_speaker_sets.py`` calls it, and ``listenwell eval
diarization`` builds the sets into a cache folder when they are missing.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import ModelUnavailableError
from analysis.schema import CLIENT, HELPER, SpeechRegion
from audio.decode import decode
from service.eval.der import parse_rttm, to_rttm
from service.synth.voice import _trim, synthesize_line

__all__ = ["VoiceSpec", "ClipSpec", "CLIPS", "SETS_VERSION", "SAMPLE_RATE", "build_sets", "load_sets",
           "default_cache_dir", "ensure_sets", "telephone", "add_room_and_noise", "ami_female_stretches"]

logger = logging.getLogger(__name__)

SETS_VERSION = "2"
SAMPLE_RATE = 16000

SENTENCES = (
    "I have been feeling really stuck since I lost my job.",
    "It sounds like the last few weeks have been heavy for you.",
    "My sister keeps telling me to just get over it.",
    "What was that like, hearing that from her?",
    "Honestly it made me want to stop calling her at all.",
    "You felt pushed away by someone you care about.",
    "I go to the meetings, but I sit in the back and leave early.",
    "What keeps you going back each week?",
    "I guess I do not want to lose what I have built.",
    "So staying clean matters a lot to you, even on the bad days.",
    "Some mornings I cannot get out of bed before noon.",
    "Tell me more about those mornings.",
    "I lie there and think about everything I messed up.",
    "That sounds exhausting, carrying all of that first thing in the day.",
    "My sponsor says I should write it down, but I never do.",
    "What gets in the way of writing it down?",
    "I think I am scared of what it would look like on paper.",
    "Seeing it written would make it more real.",
    "Yes, and then I would have to do something about it.",
    "You are not sure you are ready for that step yet.",
    "Last Friday I almost went back to the old place.",
    "What helped you turn around that night?",
    "I called my friend from group and we got some food.",
    "Reaching out worked for you, even when it was hard.",
    "My kids are coming to visit at the end of the month.",
    "How are you feeling about their visit?",
    "Nervous, mostly, but happy too.",
    "Both things can be true at the same time.",
    "I want them to see that I am doing better now.",
    "It is important to you that they notice the change.",
    "Work has been slow, so I have too much free time.",
    "What would a good day look like for you right now?",
)
BACKCHANNELS = ("Yeah.", "Mm, okay.", "Right.", "I see.", "Sure.", "Uh huh.")


@dataclass(frozen=True)
class VoiceSpec:
    """One synthetic voice: ``engine`` "espeak" (``voice`` e.g. "en-us+f2", ``pitch`` 0-99,
    ``rate`` words/min) or "piper" (``semitones`` shift of the CC0 voice, ``rate`` as length scale)."""

    engine: str
    voice: str = "en-us"
    pitch: int = 50
    rate: float = 160.0
    semitones: float = 0.0


@dataclass(frozen=True)
class ClipSpec:
    """A generated clip: voices (one or two), length, effects, split and seed."""

    name: str
    group: str
    split: str
    voices: tuple[VoiceSpec, ...]
    seconds: float = 45.0
    effects: tuple[str, ...] = ()
    seed: int = 0
    snr_db: float = 18.0
    #: the second voice mostly listens: backchannels and now and then one sentence (about 4-25 % of the speech)
    listener: bool = False


def _es(voice: str, pitch: int, rate: float) -> VoiceSpec:
    return VoiceSpec("espeak", voice, pitch, rate)


def _pp(semitones: float, scale: float) -> VoiceSpec:
    return VoiceSpec("piper", semitones=semitones, rate=scale)


# dev: tuned on; test: other voices / variants / seeds, only reported
_F_DEV = ((_es("en-us+f1", 55, 160), _es("en-us+f2", 58, 150)),
          (_pp(7.0, 1.0), _pp(9.0, 1.12)))
_F_TEST = ((_es("en-us+f4", 60, 165), _es("en-us+f5", 56, 150)),
           (_pp(6.0, 1.1), _pp(8.0, 0.95)))
_M_DEV = ((_es("en-us+m1", 45, 165), _es("en-us+m3", 48, 150)),
          (_pp(0.0, 1.0), _pp(2.0, 1.12)))
_M_TEST = ((_es("en-us+m4", 42, 155), _es("en-us+m6", 46, 170)),
           (_pp(-1.0, 1.1), _pp(1.0, 0.95)))


def _clips() -> tuple[ClipSpec, ...]:
    out: list[ClipSpec] = []
    for split, fem, male, base in (("dev", _F_DEV, _M_DEV, 0), ("test", _F_TEST, _M_TEST, 100)):
        for i, pair in enumerate(fem):
            out.append(ClipSpec(f"{split}-f{i}", "similar-f", split, pair, 45.0, (), base + i))
        for i, pair in enumerate(male):
            out.append(ClipSpec(f"{split}-m{i}", "similar-m", split, pair, 45.0, (), base + 10 + i))
        out.append(ClipSpec(f"{split}-phone-f", "phone", split, fem[0], 40.0, ("phone",), base + 20))
        out.append(ClipSpec(f"{split}-phone-m", "phone", split, male[1], 40.0, ("phone",), base + 21))
        out.append(ClipSpec(f"{split}-short-f", "short", split, fem[1], 25.0, (), base + 30))
        out.append(ClipSpec(f"{split}-short-m", "short", split, male[0], 32.0, (), base + 31))
        out.append(ClipSpec(f"{split}-noisy-f", "noisy", split, fem[1], 40.0, ("room", "noise"), base + 40, 16.0))
        out.append(ClipSpec(f"{split}-noisy-m", "noisy", split, male[0], 40.0, ("room", "noise"), base + 41, 19.0))
        out.append(ClipSpec(f"{split}-phone-short-f", "phone", split, fem[0], 28.0, ("phone",), base + 50))
        # one voice: must stay one speaker
        out.append(ClipSpec(f"{split}-one-f", "one-voice", split, (fem[0][1],), 35.0, (), base + 60))
        out.append(ClipSpec(f"{split}-one-m", "one-voice", split, (male[1][0],), 35.0, ("phone",), base + 61))
        out.append(ClipSpec(f"{split}-one-fn", "one-voice", split, (fem[1][0],), 30.0, ("room", "noise"), base + 62))
        # one voice mostly listening (a quiet client, or a helper who only backchannels)
        out.append(ClipSpec(f"{split}-listener-f", "listener", split, fem[1], 40.0, (), base + 70, listener=True))
        out.append(ClipSpec(f"{split}-listener-m", "listener", split, male[0], 40.0, (), base + 71, listener=True))
        out.append(ClipSpec(f"{split}-listener-fn", "listener", split, fem[0], 35.0, ("room", "noise"), base + 72,
                            17.0, listener=True))
        out.append(ClipSpec(f"{split}-listener-mp", "listener", split, male[1], 40.0, (), base + 73, listener=True))
        out.append(ClipSpec(f"{split}-listener-phone", "listener", split, fem[0], 35.0, ("phone",), base + 74,
                            listener=True))
    return tuple(out)


CLIPS = _clips()


# ---------------------------------------------------------------- synthesis

@functools.lru_cache(maxsize=1024)
def _espeak(text: str, voice: str, pitch: int, rate: float) -> np.ndarray:
    import soundfile as sf
    import soxr

    exe = shutil.which("espeak-ng")
    if exe is None:
        raise ModelUnavailableError("the hard speaker sets need espeak-ng (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.wav"
        subprocess.run([exe, "-v", voice, "-p", str(int(pitch)), "-s", str(int(rate)), "-w", str(path), text],
                       check=True, capture_output=True, timeout=60)
        x, sr = sf.read(path, dtype="float32")
    return soxr.resample(x, sr, SAMPLE_RATE).astype(np.float32)


def _speak(v: VoiceSpec, text: str) -> np.ndarray:
    if v.engine == "espeak":
        a = _espeak(text, v.voice, v.pitch, v.rate)
    else:
        who = CLIENT if v.semitones else HELPER
        a, _ = synthesize_line(text, who, semitones=v.semitones or 4.0, length_scale=v.rate)
    a = _trim(np.asarray(a, dtype=np.float32), SAMPLE_RATE)
    rms = float(np.sqrt(np.mean(a ** 2))) if a.size else 0.0
    return a * (0.08 / rms) if rms > 0 else a


def _dialogue(spec: ClipSpec) -> tuple[list[np.ndarray], list[SpeechRegion]]:
    """Per-voice tracks (same length) and the reference regions (one per sentence)."""
    rng = np.random.default_rng(spec.seed)
    n_v = len(spec.voices)
    gains = [10 ** (rng.uniform(-3, 3) / 20) for _ in range(n_v)]
    pieces: list[tuple[int, float, np.ndarray]] = []
    t, who, order = 0.3, 0, rng.permutation(len(SENTENCES)).tolist()
    while t < spec.seconds - 1.0:
        quiet = spec.listener and who == 1
        if n_v == 2 and pieces and rng.random() < (0.6 if quiet else 0.2):
            texts = [BACKCHANNELS[int(rng.integers(len(BACKCHANNELS)))]]
        else:
            texts = []
            for _ in range(1 if quiet else int(rng.integers(2, 5) if spec.listener else rng.integers(1, 4))):
                if not order:
                    order = rng.permutation(len(SENTENCES)).tolist()
                texts.append(SENTENCES[order.pop()])
        for j, text in enumerate(texts):
            a = _speak(spec.voices[who], text) * gains[who]
            if t + a.size / SAMPLE_RATE > spec.seconds:
                break
            pieces.append((who, t, a))
            t += a.size / SAMPLE_RATE + (rng.uniform(0.25, 0.5) if j < len(texts) - 1 else 0.0)
        t += rng.uniform(0.15, 0.9)
        who = (who + 1) % n_v
    n = int(np.ceil(spec.seconds * SAMPLE_RATE))
    tracks = [np.zeros(n, dtype=np.float32) for _ in range(n_v)]
    regions = []
    for w, start, a in pieces:
        i = int(round(start * SAMPLE_RATE))
        seg = a[: max(0, n - i)]
        tracks[w][i: i + seg.size] += seg
        regions.append(SpeechRegion(round(start, 3), round(start + seg.size / SAMPLE_RATE, 3), f"v{w}"))
    return tracks, regions


def telephone(x: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Telephone band: down to 8 kHz, 300-3400 Hz band-pass, 8-bit mu-law, back to ``sr``."""
    from scipy.signal import butter, resample_poly, sosfilt

    y = resample_poly(x, 8000, sr)
    y = sosfilt(butter(4, [300.0, 3400.0], btype="bandpass", fs=8000, output="sos"), y)
    mu = 255.0
    peak = float(np.max(np.abs(y))) or 1.0
    c = np.sign(y / peak) * np.log1p(mu * np.abs(y / peak)) / np.log1p(mu)
    c = np.round(c * 127) / 127
    y = np.sign(c) * np.expm1(np.abs(c) * np.log1p(mu)) / mu * peak
    return resample_poly(y, sr, 8000).astype(np.float32)[: x.size]


def _rir(rng: np.random.Generator, rt60: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    n = int(rt60 * sr)
    t = np.arange(n) / sr
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)  # -60 dB at rt60
    tail[: int(0.003 * sr)] = 0.0
    h = 0.35 * tail / np.sqrt(np.sum(tail ** 2))
    h[0] = 1.0
    return h


def _laptop_noise(rng: np.random.Generator, n: int, sr: int = SAMPLE_RATE) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / sr)
    spec /= np.sqrt(np.maximum(f, 20.0))  # pink
    pink = np.fft.irfft(spec, n)
    t = np.arange(n) / sr
    fan = sum(np.sin(2 * np.pi * k * 118.0 * t + rng.uniform(0, 6.3)) / k for k in range(1, 5))
    y = pink / pink.std() + 0.3 * fan / np.std(fan)
    return y / y.std()


def add_room_and_noise(tracks: list[np.ndarray], rng: np.random.Generator, *, room: bool = True,
                       snr_db: float | None = 18.0) -> np.ndarray:
    """Mix ``tracks`` after a synthetic room response each; add laptop noise at ``snr_db`` (over speech)."""
    from scipy.signal import fftconvolve

    n = tracks[0].size
    mix = np.zeros(n)
    for tr in tracks:
        mix += fftconvolve(tr, _rir(rng, rng.uniform(0.3, 0.6)))[:n] if room else tr
    if snr_db is not None:
        active = np.abs(mix) > 1e-4
        p_speech = float(np.mean(mix[active] ** 2)) if active.any() else 1e-4
        mix += _laptop_noise(rng, n) * np.sqrt(p_speech / 10 ** (snr_db / 10))
    return mix.astype(np.float32)


def synthesize_clip(spec: ClipSpec) -> tuple[np.ndarray, list[SpeechRegion]]:
    """Audio (16 kHz mono float32) and reference regions of one clip."""
    tracks, regions = _dialogue(spec)
    rng = np.random.default_rng(spec.seed + 7)
    mix = add_room_and_noise(tracks, rng, room="room" in spec.effects,
                             snr_db=spec.snr_db if "noise" in spec.effects else None)
    if "phone" in spec.effects:
        mix = telephone(mix)
    peak = float(np.max(np.abs(mix))) or 1.0
    return (mix * (0.7 / peak)).astype(np.float32), regions


# ---------------------------------------------------------------- AMI

AMI_STRETCHES = (("trn05", 0.4, 19.1), ("trn06", 8.9, 30.0))  # only women (FEE) speak here


def ami_female_stretches(ami_dir: Path) -> list[tuple[str, np.ndarray, list[SpeechRegion]]]:
    """Stretches of AMI excerpts where (by the reference) only two women speak."""
    refs: dict[str, list[SpeechRegion]] = {}
    for f in sorted(Path(ami_dir).glob("*.rttm")):
        refs.update(parse_rttm(f.read_text(encoding="utf-8")))
    out = []
    for name, a, b in AMI_STRETCHES:
        wav = Path(ami_dir) / f"{name}.wav"
        if not wav.is_file() or name not in refs:
            continue
        regs = [SpeechRegion(round(max(r.start, a) - a, 3), round(min(r.end, b) - a, 3), r.speaker)
                for r in refs[name] if r.end > a and r.start < b]
        if len({r.speaker for r in regs}) != 2 or not all(r.speaker.startswith("F") for r in regs):
            logger.warning("%s %.1f-%.1f is not two women by the reference; skipped", name, a, b)
            continue
        d = decode(wav)
        sr = d.sample_rate
        x = d.channels.mean(axis=0)[int(a * sr): int(b * sr)]
        if sr != SAMPLE_RATE:
            import soxr

            x = soxr.resample(x, sr, SAMPLE_RATE)
        out.append((f"{name}-f2", np.asarray(x, dtype=np.float32), regs))
    return out


# ---------------------------------------------------------------- files

def _write(folder: Path, name: str, audio: np.ndarray, regions: list[SpeechRegion]) -> None:
    import soundfile as sf

    sf.write(folder / f"{name}.wav", audio, SAMPLE_RATE, subtype="PCM_16")
    (folder / f"{name}.rttm").write_text(to_rttm(regions, name), encoding="utf-8")


def build_sets(folder: Path, ami_dir: Path | None = None, *, names: set[str] | None = None) -> list[dict[str, Any]]:
    """Write every clip (and the AMI women stretches when ``ami_dir`` is given) into ``folder``.

    Returns the manifest (also written as ``sets.json``): one dict per clip with
    ``name``, ``group``, ``split``, ``n_ref`` (voices) and ``spec``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    for spec in CLIPS:
        if names is not None and spec.name not in names:
            continue
        audio, regions = synthesize_clip(spec)
        _write(folder, spec.name, audio, regions)
        manifest.append({"name": spec.name, "group": spec.group, "split": spec.split,
                         "n_ref": len({r.speaker for r in regions}), "spec": asdict(spec)})
        logger.info("wrote %s (%.0f s)", spec.name, audio.size / SAMPLE_RATE)
    if ami_dir is not None and Path(ami_dir).is_dir():
        for name, audio, regions in ami_female_stretches(Path(ami_dir)):
            if names is not None and name not in names:
                continue
            _write(folder, name, audio, regions)
            manifest.append({"name": name, "group": "ami-f", "split": "test",
                             "n_ref": len({r.speaker for r in regions}), "spec": None})
    (folder / "sets.json").write_text(json.dumps({"version": SETS_VERSION, "clips": manifest}, indent=1) + "\n",
                                      encoding="utf-8")
    return manifest


def load_sets(folder: Path) -> list[dict[str, Any]] | None:
    """The manifest of a built folder (``None`` if missing or of another version)."""
    p = Path(folder) / "sets.json"
    if not p.is_file():
        return None
    d = json.loads(p.read_text(encoding="utf-8"))
    if d.get("version") != SETS_VERSION:
        return None
    return d["clips"]


def default_cache_dir() -> Path:
    base = os.environ.get("LISTENWELL_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "listenwell" / f"speaker-sets-v{SETS_VERSION}"


def ensure_sets(cache: Path | None = None, ami_dir: Path | None = None) -> tuple[Path, list[dict[str, Any]]]:
    """The built sets folder and its manifest, building them first when missing."""
    folder = Path(cache) if cache is not None else default_cache_dir()
    manifest = load_sets(folder)
    if manifest is None:
        logger.warning("building the hard speaker sets into %s (once; a few minutes)", folder)
        manifest = build_sets(folder, ami_dir)
    elif ami_dir is not None and not any(m["group"] == "ami-f" for m in manifest):
        for name, audio, regions in ami_female_stretches(Path(ami_dir)):
            _write(folder, name, audio, regions)
            manifest.append({"name": name, "group": "ami-f", "split": "test",
                             "n_ref": len({r.speaker for r in regions}), "spec": None})
        (folder / "sets.json").write_text(json.dumps({"version": SETS_VERSION, "clips": manifest}, indent=1) + "\n",
                                          encoding="utf-8")
    return folder, manifest
