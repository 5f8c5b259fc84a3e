"""The analysis pipeline: audio (or a transcript) in, :class:`~analysis.report.Report` out.

``analyze_file`` decodes; ``analyze_audio`` transcribes, finds speakers,
turns and roles, measures timing and prosody, detects text cues and scores;
``score_transcript`` does the text part only. Every caller (CLI, web jobs,
batch, practice) uses these three. ``progress(stage, fraction)`` is called as
stages advance. A stage that is unavailable or fails leaves a note and the
report is marked partial; only bad input raises (a ``ListenWellError``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from analysis.errors import ParameterError
from analysis.report import Report
from analysis.schema import CLIENT, HELPER, DecodedAudio, Transcript, Turn
from audio.transcribe import TranscribeOptions
from service import pipeline_stages as S

__all__ = ["AnalysisSettings", "analyze_file", "analyze_audio", "score_transcript", "ProgressFn"]

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, float], None]
SETUPS = ("auto", "stereo", "mono", "scripted")


@dataclass(frozen=True)
class AnalysisSettings:
    """How to analyse one session.

    ``setup``: "auto" (stereo files use one speaker per channel, mono files
    diarization), "stereo", "mono" or "scripted" (client timeline known).
    ``helper_channel``: 0-based channel of the helper in a stereo file.
    ``helper_speaker``: the speaker label of the helper (else inferred).
    ``prosody``/``timing``: run those stages. ``max_turn_gap``: seconds of
    silence that split one speaker's speech into two turns.
    """

    setup: str = "auto"
    helper_channel: int | None = None
    helper_speaker: str | None = None
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    prosody: bool = True
    timing: bool = True
    max_turn_gap: float = 1.5

    def __post_init__(self):
        if self.setup not in SETUPS:
            raise ParameterError(f"setup={self.setup!r} must be one of {', '.join(SETUPS)}")
        if self.helper_channel is not None and self.helper_channel < 0:
            raise ParameterError(f"helper_channel={self.helper_channel} must be 0 or more")
        if self.max_turn_gap <= 0:
            raise ParameterError(f"max_turn_gap={self.max_turn_gap} must be positive")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["transcribe"] = {k: v for k, v in asdict(self.transcribe).items() if k != "initial_prompt"}
        return d


class _Run:
    """Bookkeeping for one run: progress, stage times, notes."""

    def __init__(self, progress: ProgressFn | None):
        self.progress = progress
        self.seconds: dict[str, float] = {}
        self.notes: list[str] = []
        self.partial = False

    def tell(self, stage: str, fraction: float) -> None:
        if self.progress is not None:
            try:
                self.progress(stage, float(fraction))
            except Exception:  # a broken progress display must not stop the analysis
                logger.exception("progress callback failed at %s", stage)

    def stage(self, name: str, fn: Callable[[], Any], *, optional: bool = True) -> Any:
        self.tell(name, 0.0)
        t0 = time.perf_counter()
        try:
            return fn()
        except Exception as e:
            if not optional:
                raise
            logger.exception("stage %s failed", name)
            self.note(f"The {name} stage failed ({type(e).__name__}: {e}); it is left out.")
            return None
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - t0, 3)
            self.tell(name, 1.0)

    def note(self, text: str, partial: bool = True) -> None:
        if text not in self.notes:
            self.notes.append(text)
        self.partial = self.partial or partial


def analyze_file(path: str | Path, settings: AnalysisSettings | None = None, progress: ProgressFn | None = None,
                 client_timeline: Sequence[Any] | None = None) -> Report:
    """Decode an audio file and analyse it (see :func:`analyze_audio`)."""
    from audio.decode import decode

    t0 = time.perf_counter()
    if progress:
        progress("decode", 0.0)
    decoded = decode(path)
    if progress:
        progress("decode", 1.0)
    report = analyze_audio(decoded, settings, progress, client_timeline=client_timeline)
    seconds = {"decode": round(time.perf_counter() - t0 - sum(report.stage_seconds.values()), 3)}
    seconds.update(report.stage_seconds)
    return _replace(report, source=str(path), stage_seconds=seconds)


def _replace(report: Report, **kw: Any) -> Report:
    from dataclasses import replace

    return replace(report, **kw)


def analyze_audio(decoded: DecodedAudio, settings: AnalysisSettings | None = None,
                  progress: ProgressFn | None = None, client_timeline: Sequence[Any] | None = None) -> Report:
    """Run every stage on decoded audio and return the report.

    Parameters
    ----------
    decoded : DecodedAudio
        16 kHz float32 audio (mono mix and channels).
    settings : AnalysisSettings, optional
    progress : callable, optional
        ``progress(stage, fraction)`` with fraction 0 to 1 per stage.
    client_timeline : sequence, optional
        Scripted practice: the client's lines (``Turn`` or dicts with start, end, text).
    """
    from audio.transcribe import transcribe

    settings = settings or AnalysisSettings()
    run = _Run(progress)
    setup = settings.setup
    if client_timeline is not None:
        setup = "scripted"
    elif setup == "auto":
        setup = "stereo" if decoded.n_channels == 2 else "mono"
    if setup == "stereo" and decoded.n_channels < 2:
        raise ParameterError("setup='stereo' needs a two-channel file, but this one has one channel")
    transcript: Transcript = run.stage(
        "transcribe",
        lambda: transcribe(decoded.mono, settings.transcribe, progress=lambda f: run.tell("transcribe", f)),
        optional=False,
    )
    base = dict(source=decoded.source, kind="audio", duration=round(decoded.duration, 3),
                language=transcript.language, settings={**settings.to_dict(), "setup_used": setup})
    if not transcript.has_speech:
        run.note("No speech was found in the recording: check the microphone and that the file has talking in it.")
        return _finish(run, [], None, None, None, None, base)
    if transcript.language not in ("en", ""):
        run.note(f"The speech looks like language {transcript.language!r}; ListenWell's cues are for English.")
    turns, helper, speakers = run.stage("speakers", lambda: _speakers(decoded, transcript, settings, setup,
                                                                      client_timeline, run)) or ([], None, None)
    timing = run.stage("timing", lambda: _timing(decoded, turns, speakers)) if settings.timing and turns else None
    if settings.timing and turns and timing is None:
        run.note("Timing (talk share by time, interruptions, pauses) was not measured.")
    cues = run.stage("cues", lambda: _cues(turns, run)) if turns else None
    prosody = None
    if settings.prosody and turns:
        prosody = run.stage("prosody", lambda: _prosody(decoded, turns, setup, cues, run))
        if prosody is None:
            run.note("Voice (rate, pitch, level) was not measured.")
    return _finish(run, turns, helper, S.stage_to_dict(speakers), timing, prosody, base, cues=cues)


def _speakers(decoded, transcript, settings, setup, client_timeline, run):
    """Turns with roles, the helper's speaker label, and the speaker stage's result (if any)."""
    if setup == "scripted":
        turns = S.turns_from_timeline(transcript.words, client_timeline or ())
        return turns, HELPER, None
    if setup == "stereo":
        words = S.words_by_channel_energy(transcript, decoded)
        helper = settings.helper_speaker
        if settings.helper_channel is not None:
            if settings.helper_channel >= decoded.n_channels:
                raise ParameterError(f"helper_channel={settings.helper_channel} is out of range: "
                                     f"this file has {decoded.n_channels} channels")
            helper = f"ch{settings.helper_channel}"
        turns = S.group_turns(words, max_gap=settings.max_turn_gap)
        turns, helper = S.assign_roles(turns, helper)
        return turns, helper, None
    words = [w for w in transcript.words]
    run.note("Mono recording: speaker separation is not available yet, so all speech is treated as one speaker.")
    from analysis.schema import Word

    words = [Word(w.start, w.end, w.text, w.probability, "speaker0") for w in words]
    turns = S.group_turns(words, max_gap=settings.max_turn_gap)
    turns, helper = S.assign_roles(turns, settings.helper_speaker)
    return turns, helper, None


def _timing(decoded, turns, speakers):
    return None


def _prosody(decoded, turns, setup, cues, run):
    from analysis.prosody import prosody_by_speaker

    disclosures = sorted({c.turn_index for c in getattr(cues, "cues", ()) if c.kind == "feeling_disclosure"})
    channels = None
    audio = decoded.mono
    if setup == "stereo":
        audio = decoded.channels
        channels = {t.speaker: int(t.speaker[2:]) for t in turns
                    if t.speaker.startswith("ch") and t.speaker[2:].isdigit()}
    result = prosody_by_speaker(audio, decoded.sample_rate, turns, channels=channels, disclosures=disclosures)
    for n in result.notes:
        run.note(f"Voice: {n}.", partial=False)
    return result.to_dict()


def _cues(turns: Sequence[Turn], run: _Run):
    from analysis.cues import detect_cues

    result = detect_cues(turns)
    for n in getattr(result, "notes", ()):
        run.note(f"Text cues: {n}.", partial=bool(getattr(result, "partial", False)))
    return result


def _finish(run: _Run, turns, helper, speakers, timing, prosody, base: dict[str, Any], *, cues: Any = None) -> Report:
    from analysis.scoring import score_session

    turns = list(turns)
    roles = {t.role for t in turns if t.text.strip()}
    if turns and len({t.speaker for t in turns}) < 2 and base.get("kind") == "audio":
        run.note("Only one speaker was found: the report needs both the helper and the client.")
    elif turns and HELPER not in roles:
        run.note("The helper never speaks in this session, so there is nothing of theirs to score.")
    elif turns and CLIENT not in roles:
        run.note("The client never speaks in this session: listening cannot be judged without them.")
    if not any(t.text.strip() for t in turns) and not any("No speech" in n for n in run.notes):
        run.note("The transcript is empty: there is nothing to score.")
    if cues is None and turns:
        cues = run.stage("cues", lambda: _cues(turns, run))
    scored = run.stage("scoring", lambda: score_session(turns, cues, timing, prosody), optional=False)
    return Report(
        index=scored.index,
        subscores=scored.subscores,
        miti=scored.miti,
        strengths=scored.strengths,
        work_on=scored.work_on,
        notes=tuple(run.notes),
        partial=run.partial,
        turns=tuple(turns),
        helper_speaker=helper,
        speakers=speakers,
        timing=timing,
        prosody=prosody,
        cues=S.stage_to_dict(cues),
        stage_seconds=dict(run.seconds),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **base,
    )


def score_transcript(turns: Sequence[Turn], settings: AnalysisSettings | None = None,
                     progress: ProgressFn | None = None, *, source: str = "") -> Report:
    """A report from text alone: cues and scoring; timing and voice are not measured.

    ``turns`` need ``role`` ("helper"/"client"); times are optional.
    """
    settings = settings or AnalysisSettings()
    run = _Run(progress)
    turns = [t for t in turns]
    if settings.helper_speaker is not None:
        turns, _ = S.assign_roles(turns, settings.helper_speaker)
    elif any(t.role is None for t in turns):
        turns, _ = S.assign_roles(turns)
    helper = next((t.speaker for t in turns if t.role == HELPER), None)
    base = dict(source=source, kind="text", duration=None, language="en", settings=settings.to_dict())
    return _finish(run, turns, helper, None, None, None, base)
