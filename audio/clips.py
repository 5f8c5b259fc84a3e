"""Plan the 30 s windows the batched decoder sees, and find speech it skipped.

Whisper decodes 30 s windows. The batched pipeline decodes many at once, each
with the filler-keeping prompt; now and then a prompted window stops early
(end-of-text after a few sentences) and the rest of its speech is lost. Planning
the windows here, from the voice-activity regions, lets :mod:`audio.transcribe`
see which window came back short and decode the remainder again.

Times are in seconds throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Clip", "plan_clips", "short_clips", "unheard_speech", "split_words"]

WINDOW_SECONDS = 30.0


@dataclass(frozen=True)
class Clip:
    """One decoder window: ``start``..``end`` and the speech regions inside it."""

    start: float
    end: float
    speech: tuple[tuple[float, float], ...]

    @property
    def speech_seconds(self) -> float:
        return sum(e - s for s, e in self.speech)


def plan_clips(
    regions: list[tuple[float, float]], max_seconds: float = WINDOW_SECONDS
) -> list[Clip]:
    """Group speech regions, in order, into windows no longer than ``max_seconds``.

    Parameters
    ----------
    regions : list of (start, end)
        Speech regions in seconds, sorted, non-overlapping, each at most
        ``max_seconds`` long (the VAD splits longer speech).
    max_seconds : float
        Longest window, seconds (Whisper sees 30 s).

    Returns
    -------
    list of Clip
        Windows spanning from their first region's start to their last
        region's end, silences between regions included.
    """
    clips: list[Clip] = []
    group: list[tuple[float, float]] = []
    for start, end in regions:
        if end - start > max_seconds:  # should not happen; never hand the model more than a window
            end = start + max_seconds
        if group and end - group[0][0] > max_seconds:
            clips.append(Clip(group[0][0], group[-1][1], tuple(group)))
            group = []
        group.append((start, end))
    if group:
        clips.append(Clip(group[0][0], group[-1][1], tuple(group)))
    return clips


def short_clips(
    clips: list[Clip],
    word_starts: list[float],
    *,
    min_speech: float = 5.0,
    relative: float = 0.5,
    absolute: float = 1.2,
) -> list[int]:
    """Indices of windows that came back with too few words for their speech.

    A window qualifies when it holds at least ``min_speech`` seconds of speech
    and its words per speech-second fall below ``relative`` times the median
    rate of such windows, or below ``absolute`` words per second. (Word
    times cannot show a cut-off window: the aligner stretches the few words
    it got over the whole window.)

    Parameters
    ----------
    clips : list of Clip
    word_starts : list of float
        Start time of every recognised word, seconds.
    """
    counts = [0] * len(clips)
    starts = sorted(word_starts)
    i = 0
    for k, clip in enumerate(clips):
        end = clips[k + 1].start if k + 1 < len(clips) else float("inf")
        while i < len(starts) and starts[i] < end:
            if starts[i] >= clip.start - 0.05:
                counts[k] += 1
            i += 1
    rates = {k: counts[k] / c.speech_seconds for k, c in enumerate(clips) if c.speech_seconds >= min_speech}
    if not rates:
        return []
    ordered = sorted(rates.values())
    median = ordered[len(ordered) // 2]
    limit = max(relative * median, absolute) if len(rates) >= 3 else absolute
    return [k for k, r in rates.items() if r < limit]


def unheard_speech(
    speech: list[tuple[float, float]],
    words: list[tuple[float, float]],
    *,
    pad: float = 0.3,
    join: float = 1.0,
    min_seconds: float = 2.0,
) -> list[tuple[float, float]]:
    """Stretches of speech no recognised word covers: speech the decoder skipped.

    Whisper sometimes jumps over the start of a window (a timestamp token far into
    it), and every word said before is lost; the window's word rate can still look
    normal. The speech regions minus the words' spans (each widened by ``pad``),
    pieces closer than ``join`` merged, kept when they hold at least
    ``min_seconds`` of speech.

    Parameters
    ----------
    speech : list of (start, end)
        Voice-activity regions, sorted.
    words : list of (start, end)
        Every recognised word's span.

    Returns
    -------
    list of (start, end)
        Sorted, non-overlapping stretches to decode again.
    """
    covered = sorted((a - pad, b + pad) for a, b in words)
    pieces: list[tuple[float, float]] = []
    j = 0
    for start, end in speech:
        cur = start
        while j < len(covered) and covered[j][1] <= cur:
            j += 1
        k = j
        while k < len(covered) and covered[k][0] < end:
            a, b = covered[k]
            if a > cur:
                pieces.append((cur, a))
            cur = max(cur, b)
            k += 1
        if cur < end:
            pieces.append((cur, end))
    merged: list[list[float]] = []  # [start, end, speech seconds]
    for a, b in pieces:
        if merged and a - merged[-1][1] <= join:
            merged[-1][1] = b
            merged[-1][2] += b - a
        else:
            merged.append([a, b, b - a])
    return [(round(a, 3), round(b, 3)) for a, b, held in merged if held >= min_seconds]


def split_words(words: list, max_gap: float = 0.6, sentence_gap: float = 0.15) -> list[list]:
    """Split a window's words into utterance-sized groups.

    A new group starts after a pause of at least ``max_gap`` seconds, or after
    a word ending a sentence (``.``, ``?``, ``!``) followed by a pause of at
    least ``sentence_gap`` seconds. ``words`` need ``start``, ``end`` and
    ``word`` attributes (faster-whisper's ``Word``).
    """
    groups: list[list] = []
    for w in words:
        if groups:
            prev = groups[-1][-1]
            gap = w.start - prev.end
            ends_sentence = prev.word.strip().endswith((".", "?", "!"))
            if gap >= max_gap or (ends_sentence and gap >= sentence_gap):
                groups.append([w])
                continue
            groups[-1].append(w)
        else:
            groups.append([w])
    return groups
