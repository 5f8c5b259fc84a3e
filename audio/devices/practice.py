"""Scripted practice: play each client line, record the trainee's reply, move on.

Everything is timed on the microphone's own clock (frames captured), so the
session audio can be rebuilt exactly: the trainee's microphone on one channel,
each client line placed on the other at the frame it started playing (plus the
output latency). The client timeline (where the client's speech begins and ends
within each clip, on that clock) is therefore known, and response latency and
interruptions come out exact.

A reply ends when the trainee has been silent for ``silence_timeout_s`` after
speaking (energy-based, :mod:`audio.devices.endpoint`), when Enter is pressed (the
``next_line`` event), or after ``no_reply_timeout_s`` without any speech.
With ``client_yields`` (use headphones) the client stops talking when the
trainee talks over a line (barge-in: her voice for ``yield_after_s``, then the next gap
between the client's words within ``word_boundary_s``), as a person would. With
``echo_cancel`` (default) the client's voice picked up from loudspeakers is
subtracted from the microphone afterwards (:mod:`audio.devices.echo`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from analysis.errors import ParameterError, RecordingError
from audio.devices.barge_in import reply_from, voice_over_end, word_gaps, yield_at
from audio.devices.endpoint import EndOfSpeechDetector, EndpointOptions, speech_bounds
from audio.devices.practice_session import (
    SESSION_RATE,
    ClientLineTiming,
    PracticeSession,
    ReplyTiming,
)
from audio.devices.turn_taking import ClientTurn, ConversationResult, ReplyListener, TurnTakingOptions

__all__ = ["ClientLine", "PracticeOptions", "run_conversation", "run_practice"]

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class PracticeOptions:
    """Timing of a practice run (seconds)."""

    endpoint: EndpointOptions = field(default_factory=EndpointOptions)
    lead_in_s: float = 0.5
    client_yields: bool = False
    echo_cancel: bool = True
    yield_after_s: float = 0.12
    word_boundary_s: float = 0.1
    interrupt_guard_s: float = 0.3
    stall_timeout_s: float = 5.0
    poll_s: float = 0.01

    def __post_init__(self):
        for name in ("lead_in_s", "yield_after_s", "interrupt_guard_s", "word_boundary_s"):
            if getattr(self, name) < 0:
                raise ParameterError(f"{name}={getattr(self, name)} must not be negative (seconds)")
        if self.stall_timeout_s <= 0:
            raise ParameterError(f"stall_timeout_s={self.stall_timeout_s} must be positive")


@dataclass(frozen=True, eq=False)
class ClientLine:
    """One client line to play: its text and audio (mono float32 at 16 kHz)."""

    text: str
    audio: np.ndarray


class _Capture:
    """Sink of the recorder's writer: keeps mic blocks, counts frames, feeds detectors."""

    def __init__(self, sample_rate: int):
        self.sample_rate = sample_rate
        self.blocks: list[np.ndarray] = []
        self.frames = 0
        self.detector: tuple[int, EndOfSpeechDetector] | None = None  # (start frame, detector)
        self.lock = threading.Lock()
        self.last_block_at = time.monotonic()

    def __call__(self, block: np.ndarray) -> None:
        mono = block.mean(axis=1) if block.ndim == 2 else block
        with self.lock:
            self.blocks.append(mono.astype(np.float32, copy=False))
            if self.detector is not None:
                start, det = self.detector
                skip = max(0, start - self.frames)
                if skip < mono.size:
                    det.feed(mono[skip:])
            self.frames += mono.size
            self.last_block_at = time.monotonic()

    def now(self) -> float:
        return self.frames / self.sample_rate

    def watch_from(self, t: float, options: EndpointOptions) -> EndOfSpeechDetector:
        """A fresh detector fed with the audio from time ``t`` on (earlier audio is replayed)."""
        det = EndOfSpeechDetector(self.sample_rate, options)
        start = int(round(t * self.sample_rate))
        with self.lock:
            if start < self.frames:
                det.feed(np.concatenate(self.blocks)[start:])
            self.detector = (start, det)
        return det

    def feed_from(self, t: float, feeder) -> None:
        """Feed ``feeder.feed`` with the audio from time ``t`` on (earlier audio is replayed)."""
        start = int(round(t * self.sample_rate))
        with self.lock:
            if start < self.frames:
                feeder.feed(np.concatenate(self.blocks)[start:])
            self.detector = (start, feeder)

    def span(self, t0: float, t1: float) -> np.ndarray:
        """The audio captured from time ``t0`` to ``t1`` (s)."""
        a, b = (max(0, int(round(t * self.sample_rate))) for t in (t0, t1))
        return self.audio()[a:b]

    def audio(self) -> np.ndarray:
        with self.lock:
            return np.concatenate(self.blocks) if self.blocks else np.zeros(0, dtype=np.float32)


def _wait_until(cond: Callable[[], bool], cap: _Capture, options: PracticeOptions,
                quit_event: threading.Event | None) -> bool:
    """Poll ``cond``; False if quit was asked. Raises when the microphone stalls."""
    while not cond():
        if quit_event is not None and quit_event.is_set():
            return False
        if time.monotonic() - cap.last_block_at > options.stall_timeout_s:
            raise RecordingError(
                f"the microphone stopped delivering audio for {options.stall_timeout_s:g} s; "
                "check the device and try again")
        time.sleep(options.poll_s)
    return True


def _play_line(k: int, line: ClientLine, cap: _Capture, player, options: PracticeOptions,
               quit_event: threading.Event | None, emit: Callable[[str, Any], None]
               ) -> tuple[ClientLineTiming, float | None]:
    """Play one line; with ``client_yields`` stop it when the trainee talks over it (barge-in).

    Returns the timing and, when she was cut in on, where the trainee's voice began (session s).
    The line stops at the next gap between her words within ``word_boundary_s`` of hearing the
    trainee (at once if there is none).
    """
    duration = line.audio.size / SESSION_RATE
    onset, offset = speech_bounds(line.audio, SESSION_RATE)
    latency = player.start(line.audio, SESSION_RATE)
    t0 = cap.now() + latency  # the clip reaches the loudspeaker
    audio_end = t0 + duration
    start, end = t0 + onset, t0 + offset  # the client's speech within it
    emit("line", ClientLineTiming(index=k, text=line.text, start=start, end=end, audio_start=t0,
                                  full_duration=duration))
    watcher = cap.watch_from(start, replace(options.endpoint, min_speech_s=options.yield_after_s)) \
        if options.client_yields else None
    gaps = word_gaps(line.audio, SESSION_RATE) if options.client_yields else []
    stop_at: list[float] = []

    def done() -> bool:
        now = cap.now()
        if now >= audio_end:
            return True
        if stop_at:
            return now + latency >= stop_at[0]
        if watcher is not None and watcher.started and start + watcher.speech_start < end - options.interrupt_guard_s:
            heard = now + latency - t0  # where in the clip the loudspeaker is now
            stop_at.append(t0 + yield_at(gaps, heard, options.word_boundary_s))
            return now + latency >= stop_at[0]
        return False

    _wait_until(done, cap, options, quit_event)
    cut = False
    cut_in = None
    if cap.now() < audio_end:
        player.stop()
        stopped = cap.now() + latency
        cut = bool(stopped < end)
        audio_end = max(t0, min(audio_end, stopped))
        end = max(start, min(end, stopped))
        if cut and watcher is not None and watcher.speech_start is not None:
            cut_in = round(start + watcher.speech_start, 4)
    return ClientLineTiming(index=k, text=line.text, start=round(start, 4), end=round(end, 4),
                            audio_start=round(t0, 4), full_duration=round(duration, 4), cut=cut,
                            audio_end=round(audio_end, 4)), cut_in


def _await_reply(k: int, line_end: float, cap: _Capture, options: PracticeOptions,
                 next_line: threading.Event | None, quit_event: threading.Event | None) -> ReplyTiming:
    det = cap.watch_from(line_end, options.endpoint)
    offset = line_end
    if next_line is not None:
        next_line.clear()
    finished = _wait_until(lambda: det.ended or bool(next_line and next_line.is_set()), cap, options,
                           quit_event)
    reason = det.reason if det.ended else ("enter" if finished else "quit")
    start = None if det.speech_start is None else round(offset + det.speech_start, 4)
    end = None if det.speech_end is None else round(offset + det.speech_end, 4)
    return ReplyTiming(after_line=k, start=start, end=end, reason=reason, stopped_at=round(cap.now(), 4))


def _recorder_and_capture(recorder_factory: Callable[..., Any]) -> tuple[Any, _Capture]:
    """A recorder whose blocks go to a new :class:`_Capture` at the recorder's sample rate."""
    holder: dict[str, _Capture] = {}

    def sink(block: np.ndarray) -> None:
        holder["cap"](block)

    recorder = recorder_factory(sink=sink)
    cap = holder["cap"] = _Capture(recorder.samplerate)
    return recorder, cap


def run_practice(lines: Sequence[ClientLine], recorder_factory: Callable[..., Any], player, *,
                 options: PracticeOptions | None = None, scenario_id: str = "",
                 next_line: threading.Event | None = None, quit_event: threading.Event | None = None,
                 on_event: Callable[[str, Any], None] | None = None) -> PracticeSession:
    """Run one scripted practice session and return the rebuilt session audio.

    Parameters
    ----------
    lines : sequence of ClientLine
        The client's lines in order (16 kHz mono float32).
    recorder_factory : callable
        ``recorder_factory(sink=...)`` returns an :class:`audio.devices.record.Recorder`
        (not started) whose writer calls ``sink`` with every block.
    player : audio.devices.playback.Player or compatible
        ``start(audio, rate) -> latency_s``, ``stop()``.
    next_line, quit_event : threading.Event, optional
        Set by the caller on Enter (reply done) or to end the session early.
    on_event : callable, optional
        ``on_event(kind, payload)`` with kind ``"line"`` (a ClientLineTiming as a
        line starts playing; its end assumes it plays to the end), ``"line_done"``
        (the final timing) and ``"reply"`` (a ReplyTiming).
    """
    if not lines:
        raise ParameterError("a practice session needs at least one client line")
    options = options or PracticeOptions()
    emit = on_event or (lambda kind, payload: None)
    recorder, cap = _recorder_and_capture(recorder_factory)
    timings: list[ClientLineTiming] = []
    replies: list[ReplyTiming] = []
    recorder.start()
    try:
        ok = _wait_until(lambda: cap.now() >= options.lead_in_s, cap, options, quit_event)
        for k, line in enumerate(lines):
            if not ok or (quit_event is not None and quit_event.is_set()):
                break
            timing, _ = _play_line(k, line, cap, player, options, quit_event, emit)
            timings.append(timing)
            emit("line_done", timing)
            reply = _await_reply(k, timing.end, cap, options, next_line, quit_event)
            replies.append(reply)
            emit("reply", reply)
            ok = reply.reason != "quit"
    except KeyboardInterrupt:  # Ctrl-C: keep what was recorded, like 'q'
        logger.warning("practice interrupted: keeping the %d line(s) done so far", len(timings))
    finally:
        player.stop()
        result = recorder.stop()
    session = PracticeSession.build(cap.audio(), cap.sample_rate, [ln.audio for ln in lines], timings, replies,
                                    scenario_id=scenario_id, recording=result.to_dict())
    return session.with_echo_removed() if options.echo_cancel else session


def run_conversation(choose, quick_transcribe, recorder_factory: Callable[..., Any], player, *,
                     turn_options=None, options: PracticeOptions | None = None, full_transcribe=None,
                     scenario_id: str = "", next_line: threading.Event | None = None,
                     quit_event: threading.Event | None = None,
                     on_event: Callable[[str, Any], None] | None = None,
                     prepare: Callable[[str], Any] | None = None,
                     after_cut_in: Callable[[Any], Any] | None = None):
    """Live conversational practice: the client's next line depends on the trainee's last reply.

    The same turn-taking as the device-free path (:class:`audio.devices.turn_taking.ReplyListener`: end of
    speech after ``turn_options.silence_timeout_s``, speculative tiny.en on a background thread),
    fed from the microphone. ``choose(None)`` gives the opening, ``choose(reply_text)`` each next
    line (:class:`audio.devices.turn_taking.NextLine`). ``full_transcribe`` (word times, for the report)
    runs on each reply on a thread while the client speaks. Interruptions and ``client_yields``
    work as in :func:`run_practice`. ``prepare(text)``: the decision's reading of a reply, run ahead
    in the listener's pass (:class:`audio.devices.turn_taking.ReplyListener`). When the trainee cut in
    on a line (``options.client_yields``), her reply is heard from where her voice began, and the
    line chosen after it goes through ``after_cut_in(line)`` (the service layer makes it show she was
    cut off); the result's ``cut_ins`` lists each one. A reply begun over her last words (her voice
    still going as the line ended, where barge-in lets her finish) is also heard from where the
    trainee's voice began (:func:`audio.devices.barge_in.reply_from`); only with ``client_yields``
    (headphones), since through loudspeakers the microphone hears the client herself.
    Returns an :class:`audio.devices.turn_taking.ConversationResult`.
    """
    turn_options = turn_options or TurnTakingOptions()
    options = options or PracticeOptions()
    emit = on_event or (lambda kind, payload: None)
    recorder, cap = _recorder_and_capture(recorder_factory)
    timings: list[ClientLineTiming] = []
    replies: list[ReplyTiming] = []
    played: list[np.ndarray] = []
    turns: list[ClientTurn] = []
    texts: list[str] = []
    transcripts: list[Any] = []
    latencies: list[float] = []
    processing: list[dict[str, float]] = []
    workers: list[threading.Thread] = []
    notes: list[str] = []
    cut_ins: list[dict[str, Any]] = []
    last_end: float | None = None
    line = choose(None)
    recorder.start()
    try:
        ok = _wait_until(lambda: cap.now() >= options.lead_in_s, cap, options, quit_event)
        k = 0
        while ok and not (quit_event is not None and quit_event.is_set()):
            timing, cut_in = _play_line(k, line, cap, player, options, quit_event, emit)
            timings.append(timing)
            played.append(line.audio)
            info = dict(line.info)
            if cut_in is not None:
                info["cut_in_at"] = cut_in
                cut_ins.append({"line": k, "line_id": line.line_id, "trainee_voice_at": cut_in,
                                "client_stopped_at": timing.audio_end,
                                "stopped_after_s": round(timing.audio_end - cut_in, 3)})
                emit("cut_in", cut_ins[-1])
            turns.append(ClientTurn(line.line_id, line.text, timing.start, timing.end, line.because, info))
            if last_end is not None:
                latencies.append(round(timing.start - last_end, 4))
            emit("line_done", timing)
            if line.ends_now:
                break
            final = line.ends_after_reply and full_transcribe is not None  # no decision follows: one pass
            listener = ReplyListener(full_transcribe if final else quick_transcribe, turn_options, cap.sample_rate,
                                     background=True, prepare=prepare)
            if next_line is not None:
                next_line.clear()
            over_end = None  # the trainee's voice began over the client's last words and was still going
            if cut_in is None and options.client_yields:
                onset = voice_over_end(cap.span(timing.start, timing.end), cap.sample_rate, options.endpoint)
                over_end = None if onset is None else round(timing.start + onset, 4)
            listen_from = reply_from(timing.start, timing.end, cut_in if cut_in is not None else over_end,
                                     cut=cut_in is not None, voice_at_end=over_end is not None)
            cap.feed_from(listen_from, listener)
            finished = _wait_until(lambda listener=listener: listener.ended or bool(next_line and next_line.is_set()), cap, options,
                                   quit_event)
            stopped = cap.now()
            det = listener.det
            reason = (det.reason or "silence") if listener.ended else ("enter" if finished else "quit")
            r_start = None if det.speech_start is None else round(listen_from + det.speech_start, 4)
            r_end = None if det.speech_end is None else round(listen_from + det.speech_end, 4)
            replies.append(ReplyTiming(after_line=k, start=r_start, end=r_end, reason=reason,
                                       stopped_at=round(stopped, 4)))
            emit("reply", replies[-1])
            if reason == "quit":
                break
            transcript, wait = listener.transcript()
            text = "" if transcript is None else transcript.text.strip()
            texts.append(text)
            offset = round(listen_from + listener.clip_start, 4)
            slot = len(transcripts)
            transcripts.append((offset, transcript))
            if transcript is not None and full_transcribe is not None and not final:
                clip = listener.clip

                def full(slot=slot, offset=offset, clip=clip) -> None:
                    transcripts[slot] = (offset, full_transcribe(clip))
                workers.append(threading.Thread(target=full, daemon=True))
                workers[-1].start()
            if line.ends_after_reply:
                break
            c0 = time.monotonic()
            line = choose(text)
            if cut_in is not None and after_cut_in is not None:
                line = after_cut_in(line)
            processing.append({"endpoint_s": round(stopped - (r_end or stopped), 3), "transcript_wait_s": round(wait, 3),
                               "choose_s": round(time.monotonic() - c0, 3), "passes": listener.passes,
                               "turn_end": listener.end_reason})
            last_end = r_end if r_end is not None else stopped
            k += 1
    except KeyboardInterrupt:
        logger.warning("practice interrupted: keeping the %d line(s) done so far", len(timings))
    finally:
        player.stop()
        result = recorder.stop()
    for w in workers:
        w.join()
    session = PracticeSession.build(cap.audio(), cap.sample_rate, played, timings, replies,
                                    scenario_id=scenario_id, recording=result.to_dict())
    if options.echo_cancel:
        session = session.with_echo_removed()
    return ConversationResult(session, turns, texts, transcripts, latencies, processing, notes, cut_ins=cut_ins)
