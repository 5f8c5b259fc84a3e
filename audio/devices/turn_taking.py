"""Turn-taking for conversational practice: hear a reply end, transcribe it, start the client's answer.

One loop, two clocks:

* :class:`ReplyListener` is fed the trainee's microphone block by block (the live loop) or the
  trainee's replies from a file (the device-free path). It finds the pauses with the energy
  end-of-speech detector (:mod:`audio.devices.endpoint`) and transcribes the reply so far with
  tiny.en *speculatively* at each pause of ``speculate_after_s`` (on a window fitted to the reply,
  :mod:`audio.short_window`; if the trainee speaks again, it is thrown away and redone). The
  transcript and the final pitch decide how much silence ends the turn
  (:mod:`audio.devices.turn_end`); without the cues, ``silence_timeout_s`` does.
* :func:`run_file_conversation` drives it from a file on a virtual clock: each reply is placed
  ``reply_gap_s`` after the client's line ends, and the measured processing time (transcription
  beyond what the speculation hid, plus choosing the line) is added to the clock, exactly as it
  would delay a live client.

The next line comes from a ``choose(reply_text) -> NextLine`` callable (the service layer's cue
model decision), so this module knows nothing about scenarios or cues.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.errors import ParameterError
from audio.devices.endpoint import (
    EndOfSpeechDetector,
    EndpointOptions,
    speech_bounds,
    speech_spans,
)
from audio.devices.turn_end import TurnEndOptions, TurnEndWait, final_pitch_change, turn_end_wait
from audio.devices.practice_session import (
    SESSION_RATE,
    ClientLineTiming,
    PracticeSession,
    ReplyTiming,
)
from audio.short_window import short_window_transcriber
from audio.transcribe import TranscribeOptions, load_model, transcribe

__all__ = [
    "ClientTurn",
    "ConversationResult",
    "NextLine",
    "ReplyListener",
    "TurnTakingOptions",
    "make_transcriber",
    "run_file_conversation",
    "split_replies",
    "trim_lead",
]

logger = logging.getLogger(__name__)
LEAD_KEEP_S = 0.01
"""Silence kept before the client's voice when her line starts (the rest of a clip's lead is cut)."""


@dataclass(frozen=True)
class TurnTakingOptions:
    """Timing rules of a conversational practice (seconds).

    ``silence_timeout_s``: silence that ends a reply; ``speculate_after_s``: silence after which
    the reply is transcribed ahead of time; ``reply_gap_s``: (device-free path) how long after the
    client's line the trainee's next reply from the file starts; ``split_silence_s``: silence that
    separates two replies in the file; ``lead_in_s``: silence before the opening line.
    ``turn_end_cues``: read the reply so far at each pause (:mod:`audio.devices.turn_end`): a
    question or a completed sentence with falling pitch ends the turn after ``quick_s``, one with
    level pitch after ``level_s``, an unfinished sentence waits ``hold_s``, no transcript yet
    ``silence_timeout_s``.
    """

    silence_timeout_s: float = 0.5
    speculate_after_s: float = 0.08
    reply_gap_s: float = 0.6
    split_silence_s: float = 3.0
    lead_in_s: float = 0.5
    no_reply_timeout_s: float = 20.0
    max_reply_s: float = 120.0
    block_s: float = 0.02
    turn_end_cues: bool = True
    quick_s: float = 0.3
    level_s: float = 0.4
    hold_s: float = 0.8

    def __post_init__(self):
        for name in ("silence_timeout_s", "reply_gap_s", "split_silence_s", "block_s", "no_reply_timeout_s"):
            if not getattr(self, name) > 0:
                raise ParameterError(f"{name}={getattr(self, name)} must be positive (seconds)")
        if not 0 <= self.speculate_after_s <= self.silence_timeout_s:
            raise ParameterError(f"speculate_after_s={self.speculate_after_s} must be between 0 and "
                                 f"silence_timeout_s={self.silence_timeout_s}")

    @property
    def turn_end(self) -> TurnEndOptions | None:
        """The cue rule (None: the silence timer alone)."""
        if not self.turn_end_cues:
            return None
        quick = min(self.quick_s, self.silence_timeout_s)
        return TurnEndOptions(quick_s=quick, level_s=min(max(self.level_s, quick), self.silence_timeout_s),
                              silence_s=self.silence_timeout_s, hold_s=max(self.hold_s, self.silence_timeout_s))

    @property
    def endpoint(self) -> EndpointOptions:
        """The end-of-speech detector's options; its timeout is the longest wait (``hold_s`` with the cues)."""
        rule = self.turn_end
        timeout = self.silence_timeout_s if rule is None else rule.hold_s
        return EndpointOptions(silence_timeout_s=timeout, no_reply_timeout_s=self.no_reply_timeout_s,
                               max_reply_s=self.max_reply_s)


@dataclass(frozen=True, eq=False)
class NextLine:
    """The client's next line as the loop needs it: id, text, audio (16 kHz mono), why, and
    whether the session ends after the trainee's reply to it or as soon as it is said."""

    line_id: str
    text: str
    audio: np.ndarray
    because: str
    ends_after_reply: bool = False
    ends_now: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "audio", trim_lead(self.audio))


def trim_lead(audio: np.ndarray, sample_rate: int = SESSION_RATE, keep_s: float = LEAD_KEEP_S) -> np.ndarray:
    """A client clip as played: the silence before the voice cut to ``keep_s`` (float32 mono)."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    onset, _ = speech_bounds(audio, sample_rate)
    cut = int(max(0.0, onset - keep_s) * sample_rate)
    return audio[cut:] if cut else audio


@dataclass(frozen=True)
class ClientTurn:
    """One client line as said: ``start``/``end`` of her speech on the session clock (s)."""

    line_id: str
    text: str
    start: float
    end: float
    because: str
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"line_id": self.line_id, "text": self.text, "start": self.start, "end": self.end,
                "because": self.because, **self.info}


def split_replies(mono: np.ndarray, sample_rate: int, min_silence_s: float = 3.0,
                  pad_s: float = 0.15) -> list[np.ndarray]:
    """Cut a recording of replies into one clip per stretch of speech separated by ``min_silence_s``
    or more of silence (each clip keeps ``pad_s`` of its surroundings)."""
    spans = speech_spans(np.asarray(mono, dtype=np.float32), sample_rate, min_gap_s=min_silence_s)
    pad = int(pad_s * sample_rate)
    return [np.asarray(mono[max(0, int(a * sample_rate) - pad): int(b * sample_rate) + pad], dtype=np.float32)
            for a, b in spans]


def make_transcriber(model: str | None = None, *, short_window: bool = True
                     ) -> tuple[Callable[[np.ndarray], Any], Callable[[np.ndarray], Any]]:
    """Two reply transcribers, tiny.en (or ``model``), greedy, unbatched; the model loads now.

    ``quick``: text only, no VAD, no prompt, no timestamp tokens, one greedy pass without
    temperature fallback (what the decision needs, as fast as possible and never several passes);
    with ``short_window`` the encoder runs on a window fitted to the reply instead of 30 s
    (:mod:`audio.short_window`: a fraction of the time). ``full``: with word times and the
    filler-keeping prompt (what the report needs; it runs while the client speaks, so it does not
    delay her).
    """
    extra = {"model": model} if model else {}
    quick_opts = TranscribeOptions(batched=False, beam_size=1, repair_truncated=False, vad_filter=False,
                                   word_timestamps=False, initial_prompt=None, without_timestamps=True,
                                   temperature_fallback=False, **extra)
    full_opts = TranscribeOptions(batched=False, beam_size=1, **extra)
    load_model(quick_opts)
    load_model(full_opts)
    warm = (0.01 * np.random.default_rng(0).standard_normal(SESSION_RATE)).astype(np.float32)
    if short_window:
        quick = short_window_transcriber(quick_opts)
        quick(warm)
    else:
        def quick(audio: np.ndarray):
            return transcribe(audio, quick_opts)
    transcribe(warm, quick_opts)  # the first call is slow: pay it before the client's first line

    def full(audio: np.ndarray):
        return transcribe(audio, full_opts)
    return quick, full


class ReplyListener:
    """End of one reply plus its (speculative) transcript.

    Feed it the audio that follows the client's line (``feed``); when ``ended``, call
    :meth:`transcript` for ``(transcript, wait_s)``: ``wait_s`` is how long after the end of
    speech was detected the transcript became ready (0 when the speculation hid it). With
    ``background=True`` (live) the speculative transcription runs on a thread; otherwise (file)
    it runs at once and its measured duration is charged to the virtual clock.

    The transcription starts at every pause of ``speculate_after_s`` (on the reply so far; thrown
    away if she goes on). With ``options.turn_end_cues`` the pause's transcript and final pitch
    decide how much silence ends the turn (:func:`audio.devices.turn_end.turn_end_wait`), and
    ``prepare(text)`` (the decision's reading of the reply) runs in the same pass, so the
    client's line can start as soon as the turn ends. ``end_reason`` says what ended it.
    """

    def __init__(self, transcribe_fn: Callable[[np.ndarray], Any], options: TurnTakingOptions,
                 sample_rate: int = SESSION_RATE, *, background: bool = False,
                 prepare: Callable[[str], Any] | None = None):
        self.options = options
        self.sr = sample_rate
        self.det = EndOfSpeechDetector(sample_rate, options.endpoint)
        self.transcribe_fn = transcribe_fn
        self.background = background
        self.prepare = prepare
        self.rule = options.turn_end
        self.blocks: list[np.ndarray] = []
        self.n = 0
        self._spec: dict[str, Any] | None = None  # speech_end, ready_at (clock s), result, thread
        self.clip_start = 0.0  # where the transcribed clip starts (s since the first sample fed)
        self.passes = 0  # transcriptions started (a pause the trainee talked on from is redone)
        self._early: TurnEndWait | None = None

    @property
    def ended(self) -> bool:
        return self.det.ended or self._early is not None

    @property
    def end_reason(self) -> str:
        """Why the turn ended, in words ("a question, then 0.20 s of silence")."""
        if self._early is not None:
            return self._early.reason
        if self.det.ended and self.det.reason == "silence":
            spec = self._spec
            if spec is not None and "wait" in spec and spec["speech_end"] == self.det.speech_end:
                return spec["wait"].reason
            return f"{self.options.endpoint.silence_timeout_s:.2f} s of silence"
        return self.det.reason

    @property
    def now(self) -> float:
        return self.n / self.sr

    def _audio(self, end_s: float) -> np.ndarray:
        x = np.concatenate(self.blocks) if self.blocks else np.zeros(0, dtype=np.float32)
        i0 = int(max(0.0, (self.det.speech_start or 0.0) - 0.2) * self.sr)
        self.clip_start = i0 / self.sr
        return x[i0: int(end_s * self.sr)]

    def _pass(self, spec: dict[str, Any]) -> None:
        """One speculative pass: the transcript, and with the cue rule its reading and the wait."""
        result = self.transcribe_fn(spec["audio"])
        if self.rule is not None and result is not None:
            text = result.text.strip()
            tail = spec["audio"][: max(0, int((spec["speech_end"] - spec["clip_start"]) * self.sr))]  # to the last voice
            spec["wait"] = turn_end_wait(text, final_pitch_change(tail, self.sr), self.rule)
            if self.prepare is not None and text:
                self.prepare(text)
        spec["result"] = result

    def _start_transcription(self, speech_end: float) -> None:
        audio = self._audio(min(self.now, speech_end + 0.2))
        spec: dict[str, Any] = {"speech_end": speech_end, "started_at": self.now, "result": None, "audio": audio,
                                "clip_start": self.clip_start}
        self.passes += 1
        if self.background:
            spec["t0"] = time.monotonic()

            def work() -> None:
                self._pass(spec)
                spec["done"] = time.monotonic()
            spec["thread"] = threading.Thread(target=work, daemon=True)
            spec["thread"].start()
        else:
            t0 = time.perf_counter()
            self._pass(spec)
            spec["ready_at"] = self.now + (time.perf_counter() - t0)
        self._spec = spec

    def _ready(self, spec: dict[str, Any]) -> bool:
        return "done" in spec if self.background else self.now >= spec["ready_at"]

    def feed(self, block: np.ndarray) -> bool:
        """Add audio; returns ``ended``."""
        if self.ended:
            return True
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        self.blocks.append(block)
        self.n += block.size
        self.det.feed(block)
        end = self.det.speech_end
        if self.det.started and end is not None and not self.det.ended:
            if self._spec is not None and self._spec["speech_end"] != end:
                self._spec = None  # the trainee spoke again: redo
            silent = self.now - end
            if self._spec is None and silent >= self.options.speculate_after_s:
                self._start_transcription(end)
            spec = self._spec
            if self.rule is not None and spec is not None and self._ready(spec) and "wait" in spec \
                    and silent >= spec["wait"].wait_s:
                self._early = spec["wait"]
        return self.ended

    @property
    def ready_after_s(self) -> float | None:
        """(File clock) how long after the end of speech the last pass was ready; None live."""
        spec = self._spec
        if self.background or spec is None or "ready_at" not in spec:
            return None
        return round(spec["ready_at"] - spec["speech_end"], 3)

    @property
    def clip(self) -> np.ndarray:
        """The audio of the reply as transcribed (starts at ``clip_start``)."""
        return self._spec["audio"] if self._spec is not None else np.zeros(0, dtype=np.float32)

    def transcript(self) -> tuple[Any, float]:
        """``(Transcript or None, wait_s)`` once ended; None when nobody spoke."""
        if not self.det.started or self.det.speech_end is None:
            return None, 0.0
        spec = self._spec
        if spec is None or spec["speech_end"] != self.det.speech_end:
            self._start_transcription(self.det.speech_end)
            spec = self._spec
        if self.background:
            waited0 = time.monotonic()
            spec["thread"].join()
            return spec["result"], time.monotonic() - waited0
        return spec["result"], max(0.0, spec["ready_at"] - self.now)


@dataclass
class ConversationResult:
    """A finished conversation: the session audio and timeline, the client's turns, the replies'
    transcripts and the response latencies (one per reply answered)."""

    session: PracticeSession
    client_turns: list[ClientTurn]
    reply_texts: list[str]
    reply_transcripts: list[Any]
    latencies: list[float]
    processing: list[dict[str, Any]]
    notes: list[str]
    last_reply_cost: dict[str, float] = field(default_factory=dict)
    cut_ins: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_turns": [t.to_dict() for t in self.client_turns],
            "client_response_latency_s": [round(x, 3) for x in self.latencies],
            "reply_texts": list(self.reply_texts),
            "processing": self.processing,
            "notes": list(self.notes),
            "cut_ins": list(self.cut_ins),
        }


def run_file_conversation(replies: Sequence[np.ndarray], choose: Callable[[str | None], NextLine],
                          transcribe_fn: Callable[[np.ndarray], Any], options: TurnTakingOptions | None = None,
                          *, full_transcribe_fn: Callable[[np.ndarray], Any] | None = None, scenario_id: str = "",
                          on_event: Callable[[str, Any], None] | None = None,
                          prepare: Callable[[str], Any] | None = None) -> ConversationResult:
    """Run a conversation with replies taken from a file (one clip per reply), on a virtual clock.

    ``choose(None)`` gives the opening, ``choose(reply_text)`` the line after each reply. Processing
    time is measured on this machine and delays the client's next line as it would live.
    ``full_transcribe_fn`` (word times, for the report) runs on each reply after the decision, as
    it would while the client speaks; it does not delay her. ``prepare(text)``: see :class:`ReplyListener`.
    """
    options = options or TurnTakingOptions()
    emit = on_event or (lambda kind, payload: None)
    sr = SESSION_RATE
    block = max(1, int(options.block_s * sr))
    t = options.lead_in_s
    helper_parts: list[tuple[int, np.ndarray]] = []
    line_audio: list[np.ndarray] = []
    timings: list[ClientLineTiming] = []
    reply_timings: list[ReplyTiming] = []
    turns: list[ClientTurn] = []
    texts: list[str] = []
    transcripts: list[Any] = []
    latencies: list[float] = []
    processing: list[dict[str, Any]] = []
    notes: list[str] = []
    line = choose(None)
    k = 0
    while True:
        onset, offset = speech_bounds(line.audio, sr)
        dur = line.audio.size / sr
        start, end = round(t + onset, 4), round(t + offset, 4)
        line_audio.append(line.audio)
        timing = ClientLineTiming(index=k, text=line.text, start=start, end=end, full_duration=round(dur, 4),
                                  audio_start=round(t, 4), audio_end=round(t + dur, 4))
        timings.append(timing)
        turns.append(ClientTurn(line.line_id, line.text, start, end, line.because, dict(line.info)))
        emit("line", turns[-1])
        if line.ends_now:
            break
        if k >= len(replies):
            notes.append(f"the file has {len(replies)} repl{'y' if len(replies) == 1 else 'ies'}; "
                         "the session ended when they ran out")
            break
        clip = np.asarray(replies[k], dtype=np.float32)
        r0 = end + options.reply_gap_s
        helper_parts.append((round(r0 * sr), clip))
        # what the microphone hears after the line: silence, the reply, then silence
        lead = np.zeros(round((r0 - end) * sr), dtype=np.float32)
        tail = np.zeros(round((options.silence_timeout_s + 1.0) * sr), dtype=np.float32)
        heard = np.concatenate([lead, clip, tail])
        # no decision follows the last reply: transcribe it once, with word times, for the report
        final = line.ends_after_reply and full_transcribe_fn is not None
        listener = ReplyListener(full_transcribe_fn if final else transcribe_fn, options, sr, prepare=prepare)
        for i in range(0, heard.size, block):
            if listener.feed(heard[i:i + block]):
                break
        transcript, wait = listener.transcript()
        text = "" if transcript is None else transcript.text.strip()
        detected = end + listener.now
        speech_end = None if listener.det.speech_end is None else round(end + listener.det.speech_end, 4)
        speech_start = None if listener.det.speech_start is None else round(end + listener.det.speech_start, 4)
        reply_timings.append(ReplyTiming(after_line=k, start=speech_start, end=speech_end,
                                         reason=listener.det.reason or "silence", stopped_at=round(detected, 4)))
        texts.append(text)
        emit("reply", (k, text))
        last = line.ends_after_reply
        if not last:
            c0 = time.perf_counter()
            line = choose(text)
            choose_s = time.perf_counter() - c0
        full_s = 0.0
        if transcript is not None and full_transcribe_fn is not None and not final:
            f0 = time.perf_counter()
            transcript = full_transcribe_fn(listener.clip)
            full_s = time.perf_counter() - f0
        last_reply_cost = {"transcript_wait_s": round(wait, 3), "full_transcript_s": round(full_s, 3)}
        transcripts.append((round(end + listener.clip_start, 4), transcript))
        if last:
            break
        k += 1
        t = detected + wait + choose_s
        onset_next, _ = speech_bounds(line.audio, sr)
        if speech_end is not None:
            latencies.append(round(t + onset_next - speech_end, 4))
        processing.append({"endpoint_s": round(detected - (speech_end or detected), 3),
                           "transcript_wait_s": round(wait, 3), "choose_s": round(choose_s, 3),
                           "passes": listener.passes, "turn_end": listener.end_reason,
                           "transcript_ready_s": listener.ready_after_s})
    if texts:
        notes_cost = last_reply_cost  # what remains to do after the trainee's last reply (stop-to-report)
    else:
        notes_cost = {}
    unused = len(replies) - len(texts)
    if unused > 0 and not any("ran out" in n for n in notes):
        notes.append(f"the session ended before the last {unused} repl{'y' if unused == 1 else 'ies'} in the file "
                     "(not used)")
    session_mic_len = max([0] + [s0 + c.size for s0, c in helper_parts])
    mic = np.zeros(session_mic_len, dtype=np.float32)
    for s0, c in helper_parts:
        mic[s0:s0 + c.size] += c
    session = PracticeSession.build(mic, sr, line_audio, timings, reply_timings, scenario_id=scenario_id,
                                    recording={"source": "trainee-audio file", "replies_in_file": len(replies)})
    return ConversationResult(session, turns, texts, transcripts, latencies, processing, notes, notes_cost)
