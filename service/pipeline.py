"""The analysis pipeline: audio (or a transcript) in, :class:`~analysis.report.types.Report` out.

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
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import service.pipeline_stages as S
from analysis.cues.detect import detect_cues
from analysis.errors import ParameterError
from analysis.prosody.analyze import prosody_by_speaker
from analysis.report.types import Report
from analysis.schema import CLIENT, HELPER, DecodedAudio, Transcript, Turn, Word
from analysis.scoring.score import score_session
from analysis.scoring.summary import with_summary
from analysis.speakers.activity import (
    activity_from_channels,
    activity_from_timeline,
    channels_look_identical,
)
from analysis.speakers.channels import (
    drop_bleed_words,
    drop_unsure_vocalisations,
    merge_channel_transcripts,
    pack_speech,
    unpack_transcript,
)
from analysis.speakers.result import SpeakerResult
from analysis.speakers.diarize_options import DiarizeOptions
from analysis.speakers.order_check import ORDINALS, check_order, order_sentence, speaking_order
from analysis.speakers.roles import assign_roles
from analysis.speakers.turns import build_turns
from analysis.timing.metrics import timing_metrics
from audio.decode import decode
from audio.transcribe import TranscribeOptions, transcribe
from audio.vad import speech_intervals
from service.mono_speakers import diarize_mono

if TYPE_CHECKING:  # stage result types, for annotations only (each stage is imported where it runs)
    from analysis.cues.types import CueResult
    from analysis.prosody.types import ProsodyResult
    from analysis.speakers.activity import SpeakerActivity
    from analysis.speakers.roles import RoleAssignment
    from analysis.timing.types import TimingMetrics

__all__ = ["AnalysisSettings", "analyze_file", "analyze_audio", "score_transcript", "ProgressFn",
           "HELPER_ORDER", "resolve_helper", "speaker_order_note", "ORDER_NOTE"]

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, float], None]
SETUPS = ("auto", "stereo", "mono", "scripted")
# "the helper speaks first/second": the speaker who holds the floor first (second) in time.
# Older web sessions stored the form's choice as "speaker0"/"speaker1"; they mean the same.
HELPER_ORDER = ORDINALS


def resolve_helper(helper: str | None, turns: Sequence[Turn]) -> tuple[str | None, str | None]:
    """The helper's speaker label for ``helper`` (a label, or "first"/"second" in time).

    Returns ``(label, problem)``: ``label`` is None and ``problem`` a plain sentence
    when the recording has no speaker in that place. Speakers are ordered by the
    start of their first turn with words (a cough or a backchannel does not count).
    """
    if helper is None:
        return None, None
    key = helper.strip().lower()
    if key not in HELPER_ORDER:
        return helper, None
    order = speaking_order(turns)
    want = HELPER_ORDER[key]
    if want < len(order):
        return order[want], None
    word = "first" if want == 0 else "second"
    return None, (f"The helper was set to speak {word}, but only {len(order)} speaker(s) were found, "
                  "so there is no one to score as the helper.")


@dataclass(frozen=True)
class AnalysisSettings:
    """How to analyse one session.

    ``setup``: "auto" (stereo files use one speaker per channel, mono files
    diarization), "stereo", "mono" or "scripted" (client timeline known).
    ``helper_channel``: 0-based channel of the helper in a stereo file.
    ``helper_speaker``: the helper's speaker label (``spk1``, ``ch0``), or ``"first"``/``"second"``:
    the speaker who talks first (second) in time, resolved after the speakers are found
    (else inferred from the words).
    ``prosody``/``timing``: run those stages. ``floor_min``: seconds another
    speaker must talk to end a turn (shorter speech is a backchannel).
    ``order_confirmed``: the user says the given helper is right even where the words suggest the
    other order (the check is kept on record, marked confirmed, and no longer raised).
    """

    setup: str = "auto"
    helper_channel: int | None = None
    helper_speaker: str | None = None
    order_confirmed: bool = False
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    prosody: bool = True
    timing: bool = True
    floor_min: float = 1.0

    def __post_init__(self):
        if self.setup not in SETUPS:
            raise ParameterError(f"setup={self.setup!r} must be one of {', '.join(SETUPS)}")
        if self.helper_channel is not None and self.helper_channel < 0:
            raise ParameterError(f"helper_channel={self.helper_channel} must be 0 or more")
        if self.floor_min <= 0:
            raise ParameterError(f"floor_min={self.floor_min} must be positive")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["transcribe"] = {k: v for k, v in asdict(self.transcribe).items()
                          if k not in ("initial_prompt", "hotwords")}
        return d


@dataclass(frozen=True)
class Heard:
    """What transcription hands to the speaker stage: the words and what it measured on the way.

    ``channel_activity``: stereo, the per-channel speaker activity found to pack each channel's
    speech (the speaker stage reuses it). ``speech_probs``: mono, the Silero VAD probabilities
    computed once for transcription and reused by diarization.
    """

    transcript: Transcript
    channel_activity: Any = None
    speech_probs: Any = None


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

    def note_first(self, text: str) -> None:
        """A note that leads the list (it changes how the whole report reads); not partial."""
        if text in self.notes:
            self.notes.remove(text)
        self.notes.insert(0, text)

    def note(self, text: str, partial: bool = True) -> None:
        if text not in self.notes:
            self.notes.append(text)
        self.partial = self.partial or partial


def analyze_file(path: str | Path, settings: AnalysisSettings | None = None, progress: ProgressFn | None = None,
                 client_timeline: Sequence[Any] | None = None) -> Report:
    """Decode an audio file and analyse it (see :func:`analyze_audio`)."""
    t0 = time.perf_counter()
    guarded = _Run(progress)  # a broken progress display must not stop the analysis
    guarded.tell("decode", 0.0)
    decoded = decode(path)
    guarded.tell("decode", 1.0)
    report = analyze_audio(decoded, settings, progress, client_timeline=client_timeline)
    seconds = {"decode": round(time.perf_counter() - t0 - sum(report.stage_seconds.values()), 3)}
    seconds.update(report.stage_seconds)
    return _replace(report, source=str(path), stage_seconds=seconds)


def _replace(report: Report, **kw: Any) -> Report:
    return replace(report, **kw)


def analyze_audio(decoded: DecodedAudio, settings: AnalysisSettings | None = None,
                  progress: ProgressFn | None = None, client_timeline: Sequence[Any] | None = None,
                  transcript: Transcript | None = None) -> Report:
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
    transcript : Transcript, optional
        A transcript made already (conversational practice transcribes each reply as it ends), so
        the transcription stage is skipped; times are seconds on the analysed audio's clock.
    """
    settings = settings or AnalysisSettings()
    run = _Run(progress)
    setup = settings.setup
    if client_timeline is not None:
        setup = "scripted"
    elif setup == "auto":
        setup = "stereo" if decoded.n_channels == 2 else "mono"
        if setup == "stereo" and _same_channels(decoded):
            setup = "mono"
            run.note("Both channels carry the same sound, so the speakers were separated by voice "
                     "(diarization) instead of by channel.", partial=False)
    if setup == "stereo" and decoded.n_channels < 2:
        raise ParameterError("setup='stereo' needs a two-channel file, but this one has one channel")
    if setup == "scripted" and decoded.n_channels >= 2:
        decoded = _mic_channel(decoded, settings.helper_channel or 0)
    if transcript is None:
        heard = run.stage("transcribe", lambda: _transcribe(decoded, settings, setup, run), optional=False)
    else:
        heard = Heard(transcript)
        run.tell("transcribe", 1.0)
    transcript = heard.transcript
    base = dict(source=decoded.source, kind="audio", duration=round(decoded.duration, 3),
                language=transcript.language, settings={**settings.to_dict(), "setup_used": setup})
    if not transcript.has_speech:
        run.note("No speech was found in the recording: check the microphone and that the file has talking in it.")
        return _finish(run, [], None, base)
    if transcript.language not in ("en", ""):
        run.note(f"The speech looks like language {transcript.language!r}; ListenWell's cues are for English.")
    turns, helper, activity, roles = run.stage(
        "speakers", lambda: _speakers(decoded, heard, settings, setup, client_timeline, run), optional=False)
    timing = run.stage("timing", lambda: _timing(turns, activity)) if settings.timing and turns else None
    if settings.timing and turns and timing is None:
        run.note("Timing (talk share by time, interruptions, pauses) was not measured.")
    cues = run.stage("cues", lambda: _cues(turns, run)) if turns else None
    prosody = None
    if settings.prosody and turns:
        prosody = run.stage("prosody", lambda: _prosody(decoded, turns, setup, cues, activity, run))
        if prosody is None:
            run.note("Voice (rate, pitch, level) was not measured.")
    return _finish(run, turns, helper, base, activity=activity, roles=roles, timing=timing, prosody=prosody,
                   cues=cues)


def _transcribe(decoded: DecodedAudio, settings: AnalysisSettings, setup: str, run: _Run) -> Heard:
    """The mono mix, or (stereo) each channel on its own with words labelled ``ch<i>``.

    Whisper on a mix drops or garbles overlapped speech and can put two speakers'
    words in one sentence; one channel per speaker avoids both. Progress runs
    0-1 over both channels together.
    """
    if setup != "stereo" or decoded.n_channels < 2 or _same_channels(decoded):  # same sound twice: once is enough
        probs = None
        if settings.transcribe.batched:  # one Silero pass, reused by diarization (audio/vad.py)
            probs = S.shared_speech_probs(decoded.mono, decoded.sample_rate)
        words = transcribe(decoded.mono, settings.transcribe, progress=lambda f: run.tell("transcribe", f),
                           speech_probs=probs)
        return Heard(words, speech_probs=probs)

    n, sr = decoded.n_channels, decoded.sample_rate
    activity = activity_from_channels(decoded.channels, sr)
    parts = []
    for i in range(n):
        tell = lambda f, i=i: run.tell("transcribe", (i + min(f, 1.0)) / n)  # noqa: E731
        spans = [(r.start, r.end) for r in activity.regions if r.speaker == f"ch{i}"]
        if not spans:  # nothing found on this channel by energy: let Whisper's own VAD look at all of it
            parts.append(transcribe(decoded.channels[i], settings.transcribe, channel=i, progress=tell))
            continue
        packed = pack_speech(decoded.channels[i], sr, spans)
        part = transcribe(packed.audio, settings.transcribe, channel=i, progress=tell)
        parts.append(unpack_transcript(part, packed))
    return Heard(merge_channel_transcripts(parts, [f"ch{i}" for i in range(n)]), channel_activity=activity)


def _mic_channel(decoded: DecodedAudio, channel: int) -> DecodedAudio:
    """Scripted practice stored with both sides (ch0 the trainee's mic, ch1 the client's lines
    as played): the client's part is known from the timeline, so only the mic is analysed."""
    mic = decoded.channel(channel)
    return replace(decoded, mono=mic, channels=mic[None, :])


def _same_channels(decoded: DecodedAudio) -> bool:
    return bool(channels_look_identical(decoded.channels))


ORDER_NOTE = ("One microphone, and the voices were hard to tell apart ({found}). To be sure who is who, "
              "say whether the helper speaks first or second (--helper first|second, or the speaking-order "
              "choice on the report page or when uploading), or record in stereo with one microphone each.")


def speaker_order_note(activity: Any, helper: str | None) -> str | None:
    """The note asking for the speaking order when mono diarization was unsure and none was given.

    ``activity`` is the diarizer's :class:`~analysis.speakers.activity.SpeakerActivity`;
    ``helper`` the helper's label or "first"/"second" as set by the user (``None`` if not set).
    """
    if not getattr(activity, "uncertain_count", False) or helper:
        return None
    n = len(getattr(activity, "speakers", ()))
    found = "only one voice was found" if n < 2 else "two voices were found, but they sound alike"
    return ORDER_NOTE.format(found=found)


def _diarize_options(helper: str | None):
    """Diarization settings for a mono recording: the helper's order, or a label like ``spk1``, tells
    that two people speak, so the diarizer splits in two instead of deciding (None: decide)."""
    key = (helper or "").strip().lower()
    if key in HELPER_ORDER or key.startswith("spk"):
        return DiarizeOptions(num_speakers=2)
    return None


def _speakers(decoded: DecodedAudio, heard: Heard, settings: AnalysisSettings, setup: str,
              client_timeline: Sequence[Any] | None, run: _Run):
    """Turns with roles, the helper's speaker label, and the speaker stage's result."""
    sr = decoded.sample_rate
    transcript = heard.transcript
    words = list(transcript.words)
    helper = settings.helper_speaker
    if setup == "scripted":
        timeline = S.timeline_items(client_timeline or ())
        activity = activity_from_timeline([(a, b) for a, b, _ in timeline], decoded.mono, sr)
        cut = S.cut_offs(client_timeline or ())
        if cut:  # lines the trainee cut off: timing counts the cut-in although she stopped at once
            activity = replace(activity, info={**activity.info, "cut_offs": cut})
        words = [Word(w.start, w.end, w.text, w.probability, HELPER) for w in words]
        turns = S.fill_client_text(build_turns(words, activity, floor_min=settings.floor_min), timeline)
        helper = HELPER
    elif setup == "stereo":
        activity = heard.channel_activity or activity_from_channels(decoded.channels, sr)
        if settings.helper_channel is not None:
            if settings.helper_channel >= decoded.n_channels:
                raise ParameterError(f"helper_channel={settings.helper_channel} is out of range: "
                                     f"this file has {decoded.n_channels} channels")
            helper = f"ch{settings.helper_channel}"
        words, dropped = drop_bleed_words(words, activity)
        if dropped:
            logger.info("dropped %d words heard only as leakage from the other channel", dropped)
        words, dropped = drop_unsure_vocalisations(words)
        if dropped:
            logger.info("dropped %d words of short utterances Whisper was unsure of", dropped)
        turns = build_turns(words, activity, floor_min=settings.floor_min)
    else:
        speech = speech_intervals(decoded.mono, sr, speech_probs=heard.speech_probs)  # no second Silero pass
        activity = diarize_mono(decoded.mono, sr, _diarize_options(helper), transcript=transcript, speech=speech)
        ask = speaker_order_note(activity, helper)
        if ask:
            run.note(ask, partial=False)
        turns = build_turns(words, activity, floor_min=settings.floor_min)
    turns = [t for t in turns if t.text.strip() or t.speaker == CLIENT]
    labels = list(activity.speakers)
    problem = None
    if setup != "scripted" and helper is not None:
        helper, problem = resolve_helper(helper, turns)  # "first"/"second" -> a label, here only
        if problem:
            run.note(problem)
            helper = "missing-helper"
    if helper is not None and helper not in labels and helper not in {t.speaker for t in turns}:
        if not problem:
            run.note(f"The helper ({helper}) never speaks in this recording.")
        labels.append(helper)
    given = _given_helper(settings, setup)
    turns, roles = assign_roles(turns, helper, speakers=labels)
    if given is not None and helper is not None and not problem:
        roles = _check_order(turns, given, roles, run, confirmed=settings.order_confirmed)
    for n in activity.notes:
        run.note(f"Speakers: {n}.", partial=False)
    for n in roles.notes:
        run.note(f"Roles: {n}.", partial=False)
    if roles.method == "inferred" and roles.confidence < 0.7:
        run.note(f"Who is the helper was guessed with low confidence ({roles.confidence:.2f}): "
                 "set --helper or --helper-channel if it is wrong.", partial=False)
    turns = [replace(t, index=i) for i, t in enumerate(turns)]
    return turns, roles.helper, activity, roles


def _given_helper(settings: AnalysisSettings, setup: str) -> str | None:
    """Who the user said the helper is ("first", "spk1", "ch0"), or None when it was not said."""
    if setup == "scripted":
        return None
    if setup == "stereo" and settings.helper_channel is not None:
        return f"ch{settings.helper_channel}"
    return settings.helper_speaker


def _check_order(turns: Sequence[Turn], given: str, roles: RoleAssignment, run: _Run, *,
                 confirmed: bool = False) -> RoleAssignment:
    """Compare the given helper with the one the words suggest; a confident contradiction is the first note
    (unless the user ``confirmed`` the given order: the check is then kept, marked confirmed)."""
    check = check_order(turns, given, roles.helper)
    if check is None:
        return roles
    if confirmed:
        check = replace(check, confirmed=True)
    if check.conflict and not check.confirmed:
        logger.info("given helper %s (%s) contradicts the inferred %s (confidence %.3f)", check.given,
                    check.given_speaker, check.inferred_speaker, check.confidence)
        run.note_first(order_sentence(check))
    return replace(roles, check=check)


def _timing(turns: Sequence[Turn], activity: SpeakerActivity) -> TimingMetrics:
    return timing_metrics(turns, activity)


def _prosody(decoded: DecodedAudio, turns: Sequence[Turn], setup: str, cues: CueResult | None,
             activity: SpeakerActivity | None, run: _Run) -> ProsodyResult:
    disclosures = sorted({c.turn_index for c in getattr(cues, "cues", ()) if c.kind == "feeling_disclosure"})
    channels = None
    audio = decoded.mono
    regions = None
    if setup == "stereo":
        audio = decoded.channels
        channels = {t.speaker: int(t.speaker[2:]) for t in turns
                    if t.speaker.startswith("ch") and t.speaker[2:].isdigit()}
    if activity is not None:
        regions = activity.regions
    result = prosody_by_speaker(audio, decoded.sample_rate, turns, regions, channels=channels,
                                disclosures=disclosures)
    for n in result.notes:
        run.note(f"Voice: {n}.", partial=False)
    return result


def _cues(turns: Sequence[Turn], run: _Run) -> CueResult:
    result = detect_cues(turns)
    for n in getattr(result, "notes", ()):
        run.note(f"Text cues: {n}.", partial=bool(getattr(result, "partial", False)))
    return result


def _finish(run: _Run, turns: Sequence[Turn], helper: str | None, base: dict[str, Any], *,
            activity: SpeakerActivity | None = None, roles: RoleAssignment | None = None,
            timing: TimingMetrics | None = None, prosody: ProsodyResult | None = None,
            cues: CueResult | None = None) -> Report:
    """Score the typed stage results and write the Report (their JSON form goes in here, once)."""
    turns = list(turns)
    present = {t.role for t in turns if t.text.strip()}
    both = HELPER in present and CLIENT in present
    if turns and len({t.speaker for t in turns}) < 2 and base.get("kind") == "audio":
        run.note("Only one speaker was found: the report needs both the helper and the client, "
                 "so there is no overall index.")
    elif turns and HELPER not in present:
        run.note("The helper never speaks in this session, so there is nothing of theirs to score.")
    elif turns and CLIENT not in present:
        run.note("The client never speaks in this session: listening cannot be judged without them, "
                 "so there is no overall index.")
    if not any(t.text.strip() for t in turns) and not any("No speech" in n for n in run.notes):
        run.note("The transcript is empty: there is nothing to score.")
    if cues is None and turns:
        cues = run.stage("cues", lambda: _cues(turns, run))
    scored = run.stage("scoring", lambda: score_session(turns, cues, timing, prosody), optional=False)
    return with_summary(Report(
        index=scored.index if both else None,
        subscores=scored.subscores,
        miti=scored.miti,
        strengths=() if run.partial or not both else scored.strengths,  # a partial report praises nothing
        work_on=scored.work_on,
        notes=tuple(run.notes),
        partial=run.partial,
        turns=tuple(turns),
        helper_speaker=helper,
        speakers=None if activity is None else SpeakerResult(activity, roles),
        timing=timing,
        prosody=prosody,
        cues=cues,
        stage_seconds=dict(run.seconds),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **base,
    ))


def score_transcript(turns: Sequence[Turn], settings: AnalysisSettings | None = None,
                     progress: ProgressFn | None = None, *, source: str = "") -> Report:
    """A report from text alone: cues and scoring; timing and voice are not measured.

    ``turns`` need ``role`` ("helper"/"client"); times are optional.
    """
    settings = settings or AnalysisSettings()
    run = _Run(progress)

    turns = [replace(t, index=i) for i, t in enumerate(turns)]
    helper, problem = resolve_helper(settings.helper_speaker, turns)
    if problem:
        raise ParameterError(problem)
    if turns and (helper is not None or any(t.role is None for t in turns)):
        turns, roles = assign_roles(turns, helper)
        for n in roles.notes:
            run.note(f"Roles: {n}.", partial=False)
    helper = next((t.speaker for t in turns if t.role == HELPER), None)
    base = dict(source=source, kind="text", duration=None, language="en", settings=settings.to_dict())
    return _finish(run, turns, helper, base)
