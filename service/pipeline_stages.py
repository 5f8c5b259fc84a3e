"""Small adapters between the pipeline and the analysis stages.

Scripted practice gives the client's lines as a timeline; these helpers turn
it into (start, end, text) items and put the known text into the client turns
that :func:`analysis.turns.build_turns` makes from speaker activity.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Sequence

from analysis.errors import ParameterError
from analysis.schema import CLIENT, Segment, Transcript, Turn, Word

__all__ = ["timeline_items", "fill_client_text", "stage_to_dict", "merge_channel_transcripts", "drop_bleed_words",
           "drop_unsure_vocalisations", "shared_speech_probs"]

logger = logging.getLogger(__name__)


def stage_to_dict(result: Any) -> dict[str, Any] | None:
    """A stage result as JSON-ready dict (``to_dict()`` when it has one)."""
    if result is None:
        return None
    if isinstance(result, dict):
        return result
    to_dict = getattr(result, "to_dict", None)
    return to_dict() if callable(to_dict) else None


def timeline_items(client_timeline: Sequence[Any]) -> list[tuple[float, float, str]]:
    """(start, end, text) per client line (s).

    Items may be dicts with start/end/text, ``[start, end]`` or ``[start, end, text]``
    sequences, or objects with those attributes (Turn, SpeechRegion).
    """
    out = []
    for item in client_timeline:
        if isinstance(item, dict):
            start, end, text = item.get("start"), item.get("end"), item.get("text", "")
        elif isinstance(item, (list, tuple)) and len(item) in (2, 3):
            start, end, text = item[0], item[1], item[2] if len(item) == 3 else ""
        else:
            start, end, text = getattr(item, "start", None), getattr(item, "end", None), getattr(item, "text", "")
        if start is None or end is None:
            raise ParameterError(f"a client timeline item needs start and end times: {item!r}")
        try:
            start, end = float(start), float(end)
        except (TypeError, ValueError) as e:
            raise ParameterError(f"client timeline times must be numbers: {item!r}") from e
        if end < start:
            raise ParameterError(f"a client timeline item ends before it starts: {item!r}")
        out.append((float(start), float(end), str(text or "")))
    return sorted(out)


def fill_client_text(turns: Sequence[Turn], timeline: Sequence[tuple[float, float, str]]) -> list[Turn]:
    """Give each client turn the text of the scripted lines it overlaps (the mic does not carry it)."""
    out = []
    for t in turns:
        if t.speaker == CLIENT and t.start is not None and t.end is not None:
            lines = [text for a, b, text in timeline if min(b, t.end) - max(a, t.start) > 0 and text]
            if lines:
                t = replace(t, text=" ".join(lines))
        out.append(t)
    return out


def merge_channel_transcripts(parts: Sequence[Transcript], labels: Sequence[str]) -> Transcript:
    """One transcript from per-channel transcripts: every segment and word gets its channel's speaker.

    Segments are merged in time order (they may overlap: overlapped speech is kept);
    the language is the first channel's that has speech.
    """
    segs: list[Segment] = []
    for part, label in zip(parts, labels):
        for seg in part.segments:
            words = tuple(replace(w, speaker=label) for w in seg.words)
            segs.append(replace(seg, words=words, speaker=label))
    segs.sort(key=lambda s: (s.start, s.end))
    speaking = [p for p in parts if p.has_speech]
    language = (speaking or list(parts))[0].language if parts else "en"
    info = {"channels": [dict(p.info) for p in parts],
            "seconds": round(sum(float(p.info.get("seconds", 0.0)) for p in parts), 3)}
    return Transcript(segments=tuple(segs), duration=max((p.duration for p in parts), default=0.0),
                      language=language, model=parts[0].model if parts else "", channel=None, info=info)


def drop_bleed_words(words: Sequence[Word], activity: Any, margin: float = 0.5) -> tuple[list[Word], int]:
    """Words sorted by start, without those heard only as leakage from another channel.

    A word labelled with a speaker is dropped when none of that speaker's activity
    regions comes within ``margin`` s of it while another speaker's region covers
    its middle (their voice leaked into this channel's microphone). Words with no
    speaker, and all words when the activity has no regions, are kept.
    """
    regions = list(getattr(activity, "regions", ()) or ())
    words = sorted(words, key=lambda w: (w.start, w.end))
    if not regions:
        return list(words), 0
    kept, dropped = [], 0
    for w in words:
        if w.speaker is None:
            kept.append(w)
            continue
        own = any(r.speaker == w.speaker and r.start - margin <= w.end and w.start <= r.end + margin
                  for r in regions)
        mid = 0.5 * (w.start + w.end)
        other = any(r.speaker != w.speaker and r.start <= mid <= r.end for r in regions)
        if not own and other:
            dropped += 1
            continue
        kept.append(w)
    return kept, dropped


def drop_unsure_vocalisations(words: Sequence[Word], *, max_words: int = 3, max_span: float = 1.5,
                              gap: float = 1.0, min_mean_probability: float = 0.35) -> tuple[list[Word], int]:
    """Words without short isolated utterances that Whisper was unsure of.

    Transcribed alone (one channel), a brief "mm-hmm" is often written as
    unrelated words ("In mem.") with low probabilities. An utterance of at most
    ``max_words`` words spanning at most ``max_span`` s, at least ``gap`` s from
    the same speaker's other words, whose mean word probability is under
    ``min_mean_probability`` is dropped: the speech stays in the speaker
    activity (timing still sees a backchannel) but not in the transcript.

    Returns
    -------
    (list of Word, int)
        The kept words (sorted by start) and how many were dropped.
    """
    words = sorted(words, key=lambda w: (w.start, w.end))
    by_speaker: dict[str | None, list[int]] = {}
    for i, w in enumerate(words):
        by_speaker.setdefault(w.speaker, []).append(i)
    drop: set[int] = set()
    for idx in by_speaker.values():
        groups: list[list[int]] = []
        for i in idx:
            if groups and words[i].start - words[groups[-1][-1]].end < gap:
                groups[-1].append(i)
            else:
                groups.append([i])
        for g in groups:
            span = words[g[-1]].end - words[g[0]].start
            mean_p = sum(words[i].probability for i in g) / len(g)
            if len(g) <= max_words and span <= max_span and mean_p < min_mean_probability:
                drop.update(g)
    return [w for i, w in enumerate(words) if i not in drop], len(drop)


def shared_speech_probs(mono, sample_rate: int):
    """Silero VAD probabilities of the mono mix, computed once for transcription and diarization.

    Scored as one sequence, exactly as faster-whisper scores them, so the
    transcription's speech regions do not change. None when the VAD cannot run
    (each stage then runs its own, as before) or the audio is not at 16 kHz.
    """
    if sample_rate != 16000:
        return None
    try:
        from audio.vad import speech_probabilities

        return speech_probabilities(mono, workers=1)
    except Exception as e:  # pragma: no cover - depends on the install
        logger.warning("shared Silero VAD pass failed (%s); each stage runs its own", e)
        return None
