"""Quick text of a short reply: Whisper's encoder on a window fitted to the clip, not 30 s.

faster-whisper always pads audio to Whisper's 30 s window, so the encoder costs the same for a
one-second reply as for a 30-second one (about 0.2-0.5 s of the 0.25-0.7 s a reply takes with
tiny.en on two cores). CTranslate2 accepts a shorter mel window, and the encoder's cost falls
with it (measured: 30 s 0.20 s, 10 s 0.026 s). A window too short for the decoder to see where
the speech ends makes it repeat itself ("That sounds really hard. That sounds really hard. ...",
seen on 1-2 s replies with windows of 2-6 s), so the window is at least ``min_window_s`` (10 s), the
clip plus ``pad_s`` of silence, and the text is cut at the first repeated sentence and bounded
in length. Clips longer than ``max_clip_s`` go to the ordinary 30 s path.

Text only (no word times): what the practice client's decision needs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.errors import ParameterError
from analysis.schema import Segment, Transcript
from audio.transcribe import SAMPLE_RATE, TranscribeOptions, load_model, transcribe

__all__ = ["ShortWindowOptions", "drop_repeats", "short_window_transcriber", "window_frames"]

logger = logging.getLogger(__name__)

_HOP = 160  # samples per mel frame (10 ms)
_FULL = 3000  # mel frames in Whisper's 30 s window


@dataclass(frozen=True)
class ShortWindowOptions:
    """``min_window_s``: shortest encoder window; ``pad_s``: silence after the clip inside it;
    ``bucket_s``: windows are rounded up to a multiple of this (few distinct shapes);
    ``max_clip_s``: longer clips use the full 30 s path; ``tokens_per_s``: text length bound."""

    min_window_s: float = 10.0
    pad_s: float = 1.0
    bucket_s: float = 2.0
    max_clip_s: float = 28.0
    tokens_per_s: float = 8.0

    def __post_init__(self):
        if not 0 < self.min_window_s <= 30:
            raise ParameterError(f"min_window_s={self.min_window_s} must be in (0, 30] seconds")
        if self.pad_s < 0 or self.bucket_s <= 0 or self.tokens_per_s <= 0:
            raise ParameterError("pad_s must not be negative; bucket_s and tokens_per_s must be positive")
        if not 0 < self.max_clip_s <= 30 - self.pad_s:
            raise ParameterError(f"max_clip_s={self.max_clip_s} must leave pad_s={self.pad_s} inside 30 s")


def window_frames(n_samples: int, options: ShortWindowOptions = ShortWindowOptions()) -> int:
    """Mel frames of the encoder window for a clip of ``n_samples`` (16 kHz)."""
    need = n_samples / SAMPLE_RATE + options.pad_s
    bucket = options.bucket_s
    seconds = max(options.min_window_s, np.ceil(need / bucket) * bucket)
    return int(min(_FULL, round(seconds * 100)))


_SENTENCE = re.compile(r"[^.?!]+[.?!]*")


def drop_repeats(text: str) -> str:
    """``text`` up to the first sentence that repeats an earlier one (ignoring case and punctuation)."""
    seen: set[str] = set()
    kept: list[str] = []
    for m in _SENTENCE.finditer(text):
        key = re.sub(r"[^a-z0-9' ]", "", m.group(0).lower()).strip()
        if not key:
            continue
        if key in seen:
            break
        seen.add(key)
        kept.append(m.group(0).strip())
    return " ".join(kept)


def short_window_transcriber(options: TranscribeOptions,
                             window: ShortWindowOptions | None = None) -> Callable[[np.ndarray], Transcript]:
    """``fn(audio) -> Transcript`` (text only) for short clips; the model loads now.

    Uses ``options``' model, language and ``hotwords``; greedy, no timestamps, one pass.
    """
    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

    window = window or ShortWindowOptions()
    model = load_model(options)
    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                          language=options.language or "en")
    prompt = model.get_prompt(tokenizer, [], without_timestamps=True, hotwords=options.hotwords)
    name = str(options.model)

    def run(audio: np.ndarray) -> Transcript:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = audio.size / SAMPLE_RATE
        if duration > window.max_clip_s:
            return transcribe(audio, options)
        frames = window_frames(audio.size, window)
        padded = np.zeros(frames * _HOP, dtype=np.float32)
        padded[:audio.size] = audio
        mel = np.ascontiguousarray(model.feature_extractor(padded)[None, :, :frames], dtype=np.float32)
        max_length = len(prompt) + int(10 + window.tokens_per_s * duration)
        try:
            result = model.model.generate(ctranslate2.StorageView.from_array(mel), [prompt], beam_size=1,
                                          max_length=max_length, suppress_blank=True, suppress_tokens=[-1])
        except (RuntimeError, ValueError) as e:  # a CTranslate2 that refuses short windows: the usual path
            logger.warning("short-window decoding failed (%s); using the 30 s window", e)
            return transcribe(audio, options)
        ids = [t for t in result[0].sequences_ids[0] if t < tokenizer.eot]
        text = drop_repeats(tokenizer.decode(ids).strip())
        segments = (Segment(0.0, round(duration, 3), text),) if text else ()
        return Transcript(segments, duration, options.language or "en", name,
                          info={"window_s": frames / 100})
    return run
