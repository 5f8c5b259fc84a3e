"""The transcription core: faster-whisper behind ListenWell's own types.

Load a model once per process (:func:`load_model`), then :func:`transcribe`
float32 16 kHz audio into a :class:`analysis.schema.Transcript`. Long audio is
cut at quiet points into chunks so memory stays flat however long the file is.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from analysis.errors import (
    DeviceUnavailableError,
    ModelUnavailableError,
    ParameterError,
)
from analysis.schema import Segment, Transcript, Word
from audio.batched import decode_batched
from audio.clips import split_words
from audio.cuda_libs import preload_cuda_libraries
from audio.models import DEFAULT_MODEL, resolve_model
from audio.vad import WINDOW, n_windows

__all__ = [
    "TranscribeOptions",
    "FILLER_PROMPT",
    "VOCABULARY_HINT",
    "load_model",
    "transcribe",
    "select_device",
    "select_compute_type",
    "cuda_device_count",
    "chunk_bounds",
]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# Whisper drops disfluencies unless the prompt shows them; later stages count fillers.
# Measured on the two counselling dialogues (tiny.en, batched): this prompt kept 29 of 31
# "um"s at 9.7 % mean WER; the earlier "Umm, so, uh, I was like, you know, hmm, thinking
# about it." kept fewer and cut more windows short; no prompt kept 13 of 31 at 10.0 %.
FILLER_PROMPT = "Um, well, I mean, uh, I've been feeling, you know, kind of stressed."
EARLIER_FILLER_PROMPT = "Umm, so, uh, I was like, you know, hmm, thinking about it."
# The recovery field's terms, so Whisper writes "IOP" and "MAT" rather than "I hope he" (passed as
# faster-whisper's ``hotwords``, ahead of the filler prompt). The same terms as the jargon table
# (analysis/cues/jargon.py; a test keeps the two in step). Measured: docs/stages/transcription.md.
VOCABULARY_HINT = "IOP, MAT, MOUD, PHP, CBT, DBT, SUD, ASAM, treatment plan, relapse prevention plan, detox, naloxone."

ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class TranscribeOptions:
    """Every knob of the transcription core, checked up front.

    ``device``: "auto" (CUDA when CTranslate2 sees a GPU), "cpu" or "cuda".
    ``compute_type``: "auto" (float16 on GPU, int8 on CPU) or any CTranslate2 type.
    ``batched``: decode many 30 s windows at once (faster-whisper's batched
    pipeline over windows planned from the voice-activity regions).
    ``initial_prompt``: the filler-keeping prompt (Whisper drops "um"/"uh" without it).
    ``hotwords``: a vocabulary hint (field terms) faster-whisper puts before the prompt; ``None`` for none.
    ``repair_truncated``: when a prompted window comes back with too few words
    for its speech (the decoder stopped early), decode it again without the
    prompt and keep the longer result; and decode again, on its own, any
    stretch of 2 s of speech or more that no word covers (the decoder jumped
    over it). Batched decoding with word times only.
    ``vad_min_silence_ms``: shortest pause that splits speech regions, ms.
    ``chunk_seconds``: longest stretch handed to the model at once (memory bound).
    ``cpu_threads``: CTranslate2 threads (0 = its default).
    ``without_timestamps``: decode text only, no segment timestamp tokens (unbatched).
    ``temperature_fallback``: re-decode at higher temperatures when a window looks garbled
    (faster-whisper's default); off = one greedy pass, a bounded cost.
    """

    model: str = DEFAULT_MODEL
    device: str = "auto"
    compute_type: str = "auto"
    beam_size: int = 1
    batched: bool = True
    batch_size: int = 8
    vad_filter: bool = True
    vad_min_silence_ms: int = 160
    repair_truncated: bool = True
    word_timestamps: bool = True
    initial_prompt: str | None = FILLER_PROMPT
    hotwords: str | None = VOCABULARY_HINT
    language: str | None = "en"
    condition_on_previous_text: bool = False
    cpu_threads: int = 0
    chunk_seconds: float = 600.0
    without_timestamps: bool = False
    temperature_fallback: bool = True

    def __post_init__(self):
        if self.device not in ("auto", "cpu", "cuda"):
            raise ParameterError(f"device={self.device!r} must be 'auto', 'cpu' or 'cuda'")
        if self.beam_size < 1:
            raise ParameterError(f"beam_size={self.beam_size} must be at least 1")
        if self.batch_size < 1:
            raise ParameterError(f"batch_size={self.batch_size} must be at least 1")
        if self.chunk_seconds < 30:
            raise ParameterError(f"chunk_seconds={self.chunk_seconds} must be at least 30")
        if self.vad_min_silence_ms < 0:
            raise ParameterError(f"vad_min_silence_ms={self.vad_min_silence_ms} must not be negative")
        if self.batched and not self.vad_filter:
            raise ParameterError("batched=True needs vad_filter=True (windows are planned from speech)")
        if self.cpu_threads < 0:
            raise ParameterError(f"cpu_threads={self.cpu_threads} must not be negative")


def cuda_device_count() -> int:
    """How many CUDA devices CTranslate2 itself can use (0 when none or no CUDA libs)."""
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception as e:  # a broken CUDA install reads as no GPU
        logger.warning("CTranslate2 could not count CUDA devices: %s", e)
        return 0


def select_device(requested: str = "auto", *, device_count: int | None = None) -> str:
    """Resolve "auto" to "cuda" or "cpu" from CTranslate2's device count.

    When CUDA may be used, the ``[gpu]`` extra's cuBLAS/cuDNN libraries are loaded
    first (:func:`audio.cuda_libs.preload_cuda_libraries`; nothing without a driver).
    """
    if requested != "cpu" and device_count is None:
        preload_cuda_libraries()
    count = cuda_device_count() if device_count is None else device_count
    if requested == "auto":
        return "cuda" if count > 0 else "cpu"
    if requested == "cuda" and count == 0:
        raise DeviceUnavailableError(
            "device='cuda' was asked for but CTranslate2 sees no CUDA device "
            "(no GPU, or libcublas.so.12/cuDNN 9 missing)"
        )
    return requested


def select_compute_type(requested: str, device: str) -> str:
    """Resolve "auto": float16 on GPU, int8 on CPU."""
    if requested == "auto":
        return "float16" if device == "cuda" else "int8"
    return requested


_MODELS: dict[tuple, object] = {}
_LOCK = threading.Lock()


def load_model(options: TranscribeOptions | None = None):
    """The faster-whisper model for these options, loaded once per process."""
    options = options or TranscribeOptions()
    device = select_device(options.device)
    compute_type = select_compute_type(options.compute_type, device)
    where = resolve_model(options.model)
    key = (str(where), device, compute_type, options.cpu_threads)
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            from faster_whisper import WhisperModel

            t0 = time.perf_counter()
            try:
                model = WhisperModel(
                    str(where),
                    device=device,
                    compute_type=compute_type,
                    cpu_threads=options.cpu_threads,
                    local_files_only=True,
                )
            except (OSError, RuntimeError, ValueError) as e:
                raise ModelUnavailableError(
                    f"could not load model {options.model!r} on {device}/{compute_type}: {e}"
                ) from e
            logger.info("loaded %s on %s/%s in %.2f s", where, device, compute_type, time.perf_counter() - t0)
            _MODELS[key] = model
    return model


def chunk_bounds(audio: np.ndarray, chunk_seconds: float, sample_rate: int = SAMPLE_RATE) -> list[tuple[int, int]]:
    """Cut points (sample indices) for audio longer than ``chunk_seconds``.

    Each cut lands on the quietest 100 ms frame in the last 20 s before the
    nominal boundary, so words are rarely split.
    """
    n = int(audio.shape[0])
    size = int(chunk_seconds * sample_rate)
    if n <= size:
        return [(0, n)]
    hop = sample_rate // 10
    search = min(20 * sample_rate, size // 2)
    bounds = []
    start = 0
    while n - start > size:
        lo, hi = start + size - search, start + size
        window = audio[lo:hi]
        frames = window[: (len(window) // hop) * hop].reshape(-1, hop)
        energy = np.mean(frames.astype(np.float64) ** 2, axis=1)
        cut = lo + int(np.argmin(energy)) * hop + hop // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, n))
    return bounds


def _segment(start, end, text, words, src, offset: float, duration: float) -> Segment:
    def clamp(t: float) -> float:
        return round(float(min(max(t + offset, 0.0), duration)), 3)

    return Segment(
        start=clamp(start),
        end=clamp(end),
        text=text.strip(),
        words=tuple(
            Word(start=clamp(w.start), end=clamp(w.end), text=w.word.strip(),
                 probability=round(float(min(max(w.probability, 0.0), 1.0)), 4))
            for w in words
            if w.word.strip()
        ),
        avg_logprob=float(src.avg_logprob),
        no_speech_prob=float(src.no_speech_prob),
    )


def _convert(segments, offset: float, duration: float, split: bool = False) -> list[Segment]:
    """faster-whisper segments to ours; ``split`` cuts window-long segments at pauses."""
    out = []
    for s in segments:
        words = list(s.words or ())
        if split and words:
            for group in split_words(words):
                text = "".join(w.word for w in group)
                out.append(_segment(group[0].start, group[-1].end, text, group, s, offset, duration))
        else:
            out.append(_segment(s.start, s.end, s.text, words, s, offset, duration))
    return out


def _monotonic(segments: list[Segment]) -> tuple[Segment, ...]:
    """Keep word starts non-decreasing across window edges (an edge word can stray a few ms back)."""
    out, last = [], 0.0
    for seg in sorted(segments, key=lambda s: s.start):
        words = []
        for w in seg.words:
            if w.start < last:
                w = replace(w, start=last, end=max(w.end, last))
            words.append(w)
            last = w.start
        if words:
            seg = replace(seg, words=tuple(words), start=min(seg.start, words[0].start))
        out.append(seg)
    return tuple(out)


def _chunk_probs(probs: np.ndarray | None, lo: int, hi: int) -> np.ndarray | None:
    """The VAD windows of samples lo..hi (the whole array when the chunk starts at 0)."""
    if probs is None:
        return None

    k0 = int(round(lo / WINDOW))
    part = probs[k0: k0 + n_windows(hi - lo)]
    return np.pad(part, (0, n_windows(hi - lo) - part.shape[0]))


def transcribe(
    audio: np.ndarray,
    options: TranscribeOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    channel: int | None = None,
    speech_probs: np.ndarray | None = None,
) -> Transcript:
    """Transcribe float32 mono audio at 16 kHz.

    Parameters
    ----------
    audio : np.ndarray, shape (n,)
        Samples in [-1, 1] at 16 kHz.
    options : TranscribeOptions
    progress : callable, optional
        Called with the fraction done (0 to 1, never decreasing).
    channel : int, optional
        Recorded in the result when ``audio`` is one channel of a file.
    speech_probs : np.ndarray, shape (n // 512 + 1,), optional
        Silero VAD probabilities of ``audio`` already computed
        (:func:`audio.vad.speech_probabilities`), so batched decoding does not
        run the VAD again; the regions are the same as without them for audio
        up to ``chunk_seconds`` long (longer audio: each chunk takes its slice,
        its edges within one 32 ms window). Ignored when ``batched`` is off.

    Returns
    -------
    Transcript
        Segments with words (times in seconds, probabilities); empty when no
        speech is found (silence is not an error).
    """
    options = options or TranscribeOptions()
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ParameterError(f"audio must be one channel, shape (n,), not {audio.shape}")
    duration = audio.shape[0] / SAMPLE_RATE
    if speech_probs is not None:
        speech_probs = np.asarray(speech_probs, dtype=np.float32).reshape(-1)
        if speech_probs.shape[0] != n_windows(audio.shape[0]):
            raise ParameterError(f"speech_probs has {speech_probs.shape[0]} values, but this audio has "
                                 f"{n_windows(audio.shape[0])} VAD windows")
    model = load_model(options)
    kwargs = dict(
        language=options.language,
        beam_size=options.beam_size,
        word_timestamps=options.word_timestamps,
        initial_prompt=options.initial_prompt,
        condition_on_previous_text=options.condition_on_previous_text,
    )
    if options.hotwords:
        kwargs["hotwords"] = options.hotwords
    if options.without_timestamps:
        kwargs["without_timestamps"] = True
    if not options.temperature_fallback:
        kwargs["temperature"] = 0.0
    segments: list[Segment] = []
    repaired = 0
    done = 0.0

    def report(fraction: float) -> None:
        nonlocal done
        if progress and duration > 0 and fraction > done:
            done = min(1.0, fraction)
            progress(done)

    t0 = time.perf_counter()
    if progress:
        progress(0.0)
    device = select_device(options.device)
    try:
        for lo, hi in chunk_bounds(audio, options.chunk_seconds):
            chunk = audio[lo:hi]
            if chunk.shape[0] < SAMPLE_RATE // 10:
                continue
            offset = lo / SAMPLE_RATE
            if options.batched:
                raw, n = decode_batched(model, chunk, options, kwargs,
                                        on_time=lambda t, o=offset: report(0.95 * (t + o) / duration),
                                        speech_probs=_chunk_probs(speech_probs, lo, hi))
                repaired += n
                segments.extend(_convert(raw, offset, duration, split=options.word_timestamps))
            else:
                raw, _ = model.transcribe(chunk, vad_filter=options.vad_filter, **kwargs)
                for seg in raw:
                    segments.extend(_convert([seg], offset, duration))
                    report((seg.end + offset) / duration)
            report(hi / SAMPLE_RATE / duration)
    except RuntimeError as e:
        if device != "cuda":
            raise
        raise DeviceUnavailableError(
            f"transcription on the GPU failed ({e}); CTranslate2 needs CUDA 12 cuBLAS and cuDNN 9: "
            "use --device cpu"
        ) from e
    if progress and done < 1.0:
        progress(1.0)
    return Transcript(
        segments=_monotonic([s for s in segments if s.text or s.words]),
        duration=round(duration, 3),
        language=options.language or "en",
        model=str(options.model),
        channel=channel,
        info={
            "device": device,
            "compute_type": select_compute_type(options.compute_type, device),
            "beam_size": options.beam_size,
            "batched": options.batched,
            "batch_size": options.batch_size if options.batched else None,
            "repaired_windows": repaired,
            "seconds": round(time.perf_counter() - t0, 3),
        },
    )


def with_options(options: TranscribeOptions, **changes) -> TranscribeOptions:
    """A variant of ``options`` (``dataclasses.replace`` with checks)."""
    return replace(options, **changes)
