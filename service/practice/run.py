"""Conversational practice with a branching scenario: the loop's service side.

Joins the scenario's decision (:mod:`service.practice.conversation`, cue model) to the turn-taking loop
(:mod:`audio.devices.turn_taking`) and turns the result into ``session.wav``/``session.json`` and a report
built from the replies' own transcripts (each reply was transcribed as it ended, so the report
needs no second transcription).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis.cues.model import default_model
from analysis.errors import ParameterError
from analysis.report.html import render_html
from analysis.report.text import render_text
from analysis.schema import Segment, Transcript, Word
from audio.decode import decode
from audio.devices.endpoint import speech_spans
from audio.devices.turn_taking import (
    ConversationResult,
    NextLine,
    TurnTakingOptions,
    make_transcriber,
    run_file_conversation,
    split_replies,
)
from service.pipeline import AnalysisSettings, analyze_audio
from service.practice.conversation import arc_sentence, decide, first_line, read_reply
from service.practice.cut_in import (
    CUT_IN_AUDIO,
    CUT_IN_TEXT,
    cut_in_lead,
    cut_in_reason,
    cut_in_text,
    with_cut_in_lead,
)
from service.practice.scenarios import Scenario

__all__ = ["CUT_IN_AUDIO", "CUT_IN_TEXT", "LIVE_TURNS", "ScenarioChooser", "finish_conversation",
           "merged_transcript", "practice_as_live", "practice_from_file"]

logger = logging.getLogger(__name__)


class ScenarioChooser:
    """``choose(reply_text)`` for the loop: the scenario's next line (None = the opening)."""

    def __init__(self, scenario: Scenario, model=None):
        missing = [x.id or x.text[:30] for x in scenario.all_lines if x.audio is None]
        if missing:
            raise ParameterError(f"scenario {scenario.id!r} has no audio for line(s) {missing}: "
                                 "run '.venv/bin/python scripts/make_scenarios.py' to synthesise it")
        self.scenario = scenario
        self.model = model if model is not None else default_model()  # loaded now, not at the first reply
        self._audio: dict[str, np.ndarray] = {}
        self._decode = decode
        self.said: list[str] = []
        self.decisions: list[Any] = []
        self._moves: dict[tuple[int, str], Any] = {}  # (lines said, reply text) -> move, read ahead

    def prepare(self, reply_text: str) -> None:
        """Read a reply ahead of time (while the turn is ending); ``__call__`` with the same text reuses it."""
        key = (len(self.said), reply_text)
        if key not in self._moves and self.said:
            self._moves[key] = read_reply(self.scenario, self.said, reply_text, model=self.model)

    def _clip(self, line) -> np.ndarray:
        key = str(line.audio)
        if key not in self._audio:
            self._audio[key] = self._decode(line.audio).mono
        return self._audio[key]

    def after_cut_in(self, line: NextLine) -> NextLine:
        """The line said after the trainee cut in on her: "Oh. Okay." first, and the reason says so."""
        lead = cut_in_lead(lambda path: self._decode(path).mono)
        text = line.text if lead is None else cut_in_text(line.text)
        return NextLine(line.line_id, text, with_cut_in_lead(line.audio, lead), cut_in_reason(line.because),
                        line.ends_after_reply, line.ends_now, {**line.info, "after_cut_in": True})

    def __call__(self, reply_text: str | None) -> NextLine:
        if reply_text is None:
            d = first_line(self.scenario)
        else:
            move = self._moves.pop((len(self.said), reply_text), None)
            if move is None:
                move = read_reply(self.scenario, self.said, reply_text, model=self.model)
            d = decide(self.scenario, self.said, move)
            self._moves.clear()
        if d.line is None:
            raise ParameterError("the scenario has nothing more to say")  # the loop stops before this
        self.said.append(d.line_id)
        self.decisions.append(d)
        info = {"beat": d.beat, "move": None if d.move is None else d.move.move,
                "heart": bool(d.line.heart)}
        return NextLine(d.line_id, d.text, self._clip(d.line), d.because, d.ends_after_reply, d.ends_now, info)


def merged_transcript(parts: Sequence[tuple[float, Transcript | None]], duration: float) -> Transcript:
    """One transcript from the replies' transcripts, each shifted by its offset (s)."""
    segs: list[Segment] = []
    for offset, tr in parts:
        if tr is None:
            continue
        for s in tr.segments:
            words = tuple(Word(w.start + offset, w.end + offset, w.text, w.probability) for w in s.words)
            segs.append(Segment(s.start + offset, s.end + offset, s.text, words, s.avg_logprob, s.no_speech_prob))
    return Transcript(tuple(segs), duration, "en", "tiny.en", 0, {"incremental": True})


def practice_from_file(scenario: Scenario, trainee_audio: Path, *, options: TurnTakingOptions | None = None,
                       model: str | None = None, on_event: Callable[[str, Any], None] | None = None,
                       short_window: bool = True) -> ConversationResult:
    """Run the conversation with the trainee's replies read from a recording."""
    options = options or TurnTakingOptions()
    mono = decode(trainee_audio).mono
    replies = split_replies(mono, 16000, options.split_silence_s)
    if not replies:
        raise ParameterError(f"no speech found in {trainee_audio}: it should hold the trainee's replies, "
                             f"separated by {options.split_silence_s:g} s or more of silence")
    chooser = ScenarioChooser(scenario)
    quick, full = make_transcriber(model, short_window=short_window)
    return run_file_conversation(replies, chooser, quick, options, full_transcribe_fn=full,
                                 scenario_id=scenario.id, on_event=on_event, prepare=chooser.prepare)


LIVE_TURNS = TurnTakingOptions()
"""Turn-taking of ``--as-live``: the defaults (end-of-turn cues, :mod:`audio.devices.turn_end`)."""


def practice_as_live(scenario: Scenario, trainee_audio: Path, *, options: TurnTakingOptions | None = None,
                     model: str | None = None, on_event: Callable[[str, Any], None] | None = None,
                     after_end_s: float = 3.0) -> ConversationResult:
    """Run the live loop in real time with the recording as the microphone from the first moment.

    The client's lines are "played" on the session's clock (no loudspeaker): what the file says
    while she speaks cuts in on her (she stops at the next gap between her words, and the line
    after says she was cut off). The session ends when the scenario does, or ``after_end_s`` after
    the file ends.
    """
    import functools
    import threading

    from audio.devices.file_mic import FileMicrophone, SilentPlayer, array_source
    from audio.devices.practice import PracticeOptions, run_conversation
    from audio.devices.record import Recorder

    options = options or LIVE_TURNS
    mono = decode(trainee_audio).mono
    if not speech_spans(mono, 16000):
        raise ParameterError(f"no speech found in {trainee_audio}: it should hold the trainee's side of a practice")
    chooser = ScenarioChooser(scenario)
    quick, full = make_transcriber(model)
    done = threading.Event()
    samples = array_source(mono)
    stop_at = mono.size + int(after_end_s * 16000)

    def source(first: int, n: int) -> np.ndarray:
        if first >= stop_at:
            done.set()
        return samples(first, n)

    def recorder(sink):
        return Recorder(None, sink=sink, samplerate=16000,
                        stream_factory=functools.partial(FileMicrophone, source=source))

    result = run_conversation(chooser, quick, recorder, SilentPlayer(), turn_options=options,
                              options=PracticeOptions(endpoint=options.endpoint, client_yields=True, echo_cancel=False),
                              full_transcribe=full, scenario_id=scenario.id, quit_event=done, on_event=on_event,
                              prepare=chooser.prepare, after_cut_in=chooser.after_cut_in)
    if done.is_set():
        result.notes.append(f"the session ended {after_end_s:g} s after the end of the file")
    result.session.recording["source"] = "trainee-audio file, as live"
    return result


def uncovered_speech(result: ConversationResult) -> list[tuple[float, float]]:
    """Stretches of the trainee's speech outside every reply window (talking over the client,
    or after the last line): they were not transcribed during the session."""
    s = result.session
    windows = [(r.start, r.end) for r in s.replies if r.start is not None and r.end is not None]
    out = []
    for a, b in speech_spans(s.helper, s.sample_rate, min_gap_s=0.5):
        if not any(a < we + 0.3 and b > ws - 0.3 for ws, we in windows):
            out.append((a, b))
    return out


def finish_conversation(result: ConversationResult, scenario: Scenario, out: Path, *, analyze: bool = True,
                        full_transcribe: Callable[[np.ndarray], Any] | None = None) -> dict[str, Any]:
    """Write session.wav/.json (with ``client_turns``, latencies, the arc) and, if asked, the report.

    The report's words come from the replies' transcripts; speech outside the reply windows
    (:func:`uncovered_speech`) is transcribed now with ``full_transcribe`` (tiny.en by default).

    Returns ``{"paths", "session", "report", "stop_to_report_s", "times"}``: ``stop_to_report_s`` is
    the time until ``report.json`` and ``report.txt`` are written (the WAVs, session.json and
    report.html follow; ``times["all_files_s"]``).
    """
    t0 = time.perf_counter()
    session = result.session
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    turns = [t.to_dict() for t in result.client_turns]
    for k, t in enumerate(turns):  # the reply each line answered (line k follows reply k-1)
        r = session.replies[k - 1] if 0 < k <= len(session.replies) else None
        t["reply_start"] = None if r is None else r.start
    arc = arc_sentence(scenario, turns)
    report = None
    times: dict[str, float] = {}
    if analyze:  # the report first (what the trainee waits for), then the files
        from dataclasses import replace

        parts = list(result.reply_transcripts)
        extra_spans = uncovered_speech(result)
        if extra_spans:
            if full_transcribe is None:
                full_transcribe = make_transcriber()[1]
            sr = session.sample_rate
            for a, b in extra_spans:
                a0 = max(0.0, a - 0.2)
                parts.append((a0, full_transcribe(session.helper[int(a0 * sr): int((b + 0.2) * sr)])))
            parts.sort(key=lambda p: p[0])
        times["transcripts_s"] = round(time.perf_counter() - t0, 3)
        transcript = merged_transcript(parts, session.duration)
        timeline = [{"start": t["start"], "end": t["end"], "text": t["text"],
                     "cut": t.get("cut_in_at") is not None} for t in turns]
        rep = analyze_audio(session.decoded_for_analysis(str(out / "session.wav")), AnalysisSettings(setup="scripted"),
                            client_timeline=timeline, transcript=transcript)
        rep = replace(rep, practice={"scenario_id": scenario.id, "title": scenario.title, "arc": arc,
                                     "client_turns": turns, "cut_ins": list(result.cut_ins)})
        (out / "report.json").write_text(rep.to_json(), encoding="utf-8")
        (out / "report.txt").write_text(render_text(rep), encoding="utf-8")
        report = rep
    times["report_s"] = round(time.perf_counter() - t0, 3)
    paths = session.write(out)
    extra = result.to_dict()
    extra["client_turns"] = turns
    extra["arc"] = arc
    lat = result.latencies
    extra["client_response_latency_median_s"] = round(float(np.median(lat)), 3) if lat else None
    data = json.loads(paths["timeline"].read_text(encoding="utf-8"))
    data.update(extra)
    paths["timeline"].write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    if report is not None:
        (out / "report.html").write_text(render_html(report), encoding="utf-8")
    times["all_files_s"] = round(time.perf_counter() - t0, 3)
    return {"paths": paths, "session": data, "report": report, "stop_to_report_s": times["report_s"],
            "times": times}
