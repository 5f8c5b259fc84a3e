"""Words to speakers, and speakers' words to turns.

Whisper's word times never overlap, so who said a word is decided by the
speaker activity (audio), not by the words: each word goes to the speaker whose
regions cover most of it. Words that already carry a speaker (e.g. transcribed
per channel) keep it.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import replace
from typing import Iterable, Sequence

from analysis.schema import SpeechRegion, Turn, Word
from analysis.speakers.activity import SpeakerActivity

__all__ = ["assign_words", "build_turns", "turns_from_activity", "words_in"]

_NEAR = 0.5  # a word outside every region goes to a region this close (s)


class _RegionIndex:
    """Regions sorted by start, for finding those near a time span without a full scan."""

    def __init__(self, regions: Sequence[SpeechRegion]):
        self.regions = sorted(regions, key=lambda r: r.start)
        self.starts = [r.start for r in self.regions]
        self.longest = max((r.duration for r in self.regions), default=0.0)

    def near(self, a: float, b: float, margin: float) -> list[SpeechRegion]:
        hi = bisect.bisect_right(self.starts, b + margin)
        lo = bisect.bisect_left(self.starts, a - margin - self.longest)
        return self.regions[lo:hi]


def _covering(word: Word, index: "_RegionIndex") -> str | None:
    best, best_ov = None, 0.0
    mid = (word.start + word.end) / 2
    regions = index.near(word.start, word.end, _NEAR)
    for r in regions:
        ov = min(word.end, r.end) - max(word.start, r.start)
        if ov <= 0 and word.end > word.start:
            continue
        if word.end <= word.start and not (r.start <= mid <= r.end):
            continue
        # prefer larger coverage; on a tie (both speaking), the speaker who goes on
        # longer after the word: Whisper on a mix follows the one holding the floor
        key = (round(max(ov, 0.0), 2), r.end - word.end)
        if best is None or key > best_ov:
            best, best_ov = r.speaker, key
    if best is not None:
        return best
    near = min(regions, key=lambda r: max(r.start - mid, mid - r.end, 0.0), default=None)
    if near is not None and max(near.start - mid, mid - near.end) <= _NEAR:
        return near.speaker
    return None


def assign_words(words: Iterable[Word], activity: SpeakerActivity) -> tuple[Word, ...]:
    """Give every word a speaker from ``activity`` (words that have one keep it).

    Parameters
    ----------
    words : iterable of Word
        Words with times in seconds.
    activity : SpeakerActivity

    Returns
    -------
    tuple of Word
        Sorted by start; a word no region explains takes the previous word's speaker.
    """
    out: list[Word] = []
    index = _RegionIndex(activity.regions)
    prev: str | None = None
    given: list[bool] = []
    for w in sorted(words, key=lambda w: (w.start, w.end)):
        spk = w.speaker or _covering(w, index) or prev
        if spk is None and activity.speakers:
            spk = activity.speakers[0]
        out.append(replace(w, speaker=spk))
        given.append(w.speaker is not None)
        prev = spk
    if activity.source != "diarization":  # channels see overlaps: trust the audio there
        return tuple(out)
    return tuple(_align_changes_to_sentences(out, given, index))


_SENTENCE_END = (".", "?", "!")


def _ends_sentence(w: Word) -> bool:
    return w.text.strip().endswith(_SENTENCE_END)


def _near_speaker(w: Word, speaker: str, index: _RegionIndex, slack: float) -> bool:
    mid = (w.start + w.end) / 2
    return any(r.speaker == speaker and r.start - slack <= mid <= r.end + slack
               for r in index.near(w.start, w.end, slack))


def _continues(w: Word) -> bool:
    """A word that carries on a sentence (starts in lower case, and is not "i")."""
    t = w.text.strip().lstrip("\"'(")
    return bool(t) and t[0].islower() and t.split("'")[0] != "i"


def _align_changes_to_sentences(words: list[Word], given: list[bool], index: _RegionIndex,
                                max_words: int = 4, slack: float = 4.0) -> list[Word]:
    """Keep a sentence that a speaker change cuts in two with one speaker.

    Whisper's word times can be off by a second or more at a change of speaker
    (it stretches words over pauses), so a reply's first words ("That sounds")
    can land in the other speaker's region. When the words after a change carry on
    the sentence before it (they start in lower case), the shorter part, at most
    ``max_words`` words and within ``slack`` s of the other speaker's speech, is
    given to the speaker of the longer part. Words whose speaker was given are
    kept. Used for mono diarization only: with one speaker per channel the audio
    also shows interruptions.
    """
    out = list(words)
    for i in range(1, len(out)):
        a, b = out[i - 1].speaker, out[i].speaker
        if a == b or a is None or b is None or _ends_sentence(out[i - 1]) or not _continues(out[i]):
            continue
        j = i - 1  # start of the sentence within a's run
        while j > 0 and out[j - 1].speaker == a and not _ends_sentence(out[j - 1]) and i - j < max_words + 1:
            j -= 1
        k = i  # end of the sentence within b's run
        while k + 1 < len(out) and out[k + 1].speaker == b and not _ends_sentence(out[k]) and k - i < max_words:
            k += 1
        head, tail = range(j, i), range(i, k + 1)
        if len(head) <= len(tail):
            moved, to = head, b
        else:
            moved, to = tail, a
        if len(moved) <= max_words and all(not given[m] and _near_speaker(out[m], to, index, slack)
                                           for m in moved):
            for m in moved:
                out[m] = replace(out[m], speaker=to)
    return out


def _join(words: Sequence[Word]) -> str:
    text = " ".join(w.text.strip() for w in words if w.text.strip())
    return " ".join(text.split())


def words_in(words: Sequence[Word], start: float, end: float, speaker: str | None = None) -> tuple[Word, ...]:
    """Words whose middle lies in [start, end] (of one speaker when given)."""
    return tuple(w for w in words if start <= (w.start + w.end) / 2 <= end
                 and (speaker is None or w.speaker == speaker))


def _snap(t: float, speaker: str, regions: Sequence[SpeechRegion], edge: str, limit: float = 0.35) -> float:
    """Move a word-based turn edge to the same speaker's activity edge within ``limit`` s."""
    best, best_d = t, limit
    for r in regions:
        if r.speaker != speaker:
            continue
        e = r.start if edge == "start" else r.end
        if abs(e - t) <= best_d:
            best, best_d = e, abs(e - t)
    return best


#: A short reply said alone in a silence of the other speaker at least this long takes the floor ("Did you
#: tell him?" / "No." / "Have you talked to your sponsor?": three turns, not one question turn with a backchannel)
ANSWER_GAP = 1.5


def _takes_floor(r: SpeechRegion, mine: Sequence[SpeechRegion], mine_starts: Sequence[float], floor_min: float) -> bool:
    """Region ``r`` of another speaker holds the floor against ``mine`` (one speaker's regions, by start).

    It does when it lasts more than ``floor_min`` s, or when it is said in the clear: it overlaps none
    of ``mine`` and falls in a silence of theirs of at least :data:`ANSWER_GAP` s (a short answer, not a
    backchannel, which comes inside or over the other's talk).
    """
    if r.duration > floor_min:
        return True
    k = bisect.bisect_left(mine_starts, r.end)
    before = [m for m in mine[max(0, k - 3):k] if m.start < r.end]
    if any(m.end > r.start for m in before):  # overlaps one of mine
        return False
    prev_end = max((m.end for m in before), default=None)
    next_start = mine_starts[k] if k < len(mine) else None
    return prev_end is not None and next_start is not None and next_start - prev_end >= ANSWER_GAP


def _floor_segments(activity: SpeakerActivity, floor_min: float) -> list[SpeechRegion]:
    """Each speaker's regions joined until another speaker holds the floor in between.

    Another speaker holds the floor when one of their regions that ends after the first region and
    starts before the second lasts more than ``floor_min`` s, or is said in the clear in a silence
    of at least :data:`ANSWER_GAP` s (see :func:`_takes_floor`).
    """
    segs: list[SpeechRegion] = []
    for spk in activity.speakers:
        mine = sorted(activity.regions_of(spk), key=lambda r: r.start)
        mine_starts = [m.start for m in mine]
        others = sorted((r for r in activity.regions if r.speaker != spk
                         and _takes_floor(r, mine, mine_starts, floor_min)), key=lambda r: r.start)
        o_starts = [o.start for o in others]
        o_maxend = list(itertools.accumulate((o.end for o in others), max))
        cur: SpeechRegion | None = None
        for r in mine:
            k = bisect.bisect_left(o_starts, r.start)  # others starting before r ...
            held = k > 0 and o_maxend[k - 1] > cur.end if cur is not None else False  # ... still on after cur
            if cur is not None and not held:
                cur = SpeechRegion(cur.start, max(cur.end, r.end), spk)
                continue
            if cur is not None:
                segs.append(cur)
            cur = r
        if cur is not None:
            segs.append(cur)
    return sorted(segs, key=lambda r: (r.start, r.end))


def turns_from_activity(activity: SpeakerActivity, *, floor_min: float = 1.0) -> list[Turn]:
    """Turns without words: each speaker's floor segments, in start order."""
    return [Turn(speaker=r.speaker, text="", start=r.start, end=r.end, index=i)
            for i, r in enumerate(_floor_segments(activity, floor_min))]


def _turns_from_words(labelled: Sequence[Word]) -> list[Turn]:
    groups: list[list[Word]] = []
    for w in labelled:
        if groups and groups[-1][-1].speaker == w.speaker:
            groups[-1].append(w)
        else:
            groups.append([w])
    return [Turn(speaker=g[0].speaker or "unknown", text=_join(g), start=round(g[0].start, 3),
                 end=round(g[-1].end, 3), words=tuple(g), index=i) for i, g in enumerate(groups)]


def build_turns(words: Iterable[Word], activity: SpeakerActivity, *, floor_min: float = 1.0) -> list[Turn]:
    """Turns from speaker activity, filled with each speaker's words.

    A turn is one speaker's speech until another speaker holds the floor (speaks
    for more than ``floor_min`` s); a short vocalisation of the other speaker
    (a backchannel) is its own turn and does not split the turn around it, so
    turns may overlap in time. Turn times come from the audio activity.

    Parameters
    ----------
    words : iterable of Word
        Transcript words; speakers are assigned from ``activity`` when missing.
    activity : SpeakerActivity
    floor_min : float
        Seconds of speech by another speaker that end a turn.

    Returns
    -------
    list of Turn
        Sorted by start, ``index`` 0..n-1, ``role`` None (see :mod:`analysis.speakers.roles`).
        Without activity regions, turns are runs of consecutive words.
    """
    labelled = assign_words(words, activity)
    segs = _floor_segments(activity, floor_min)
    if not segs:
        return _turns_from_words(labelled)
    bucket: list[list[Word]] = [[] for _ in segs]
    by_speaker: dict[str | None, list[int]] = {}
    for i, r in enumerate(segs):  # one speaker's floor segments do not overlap
        by_speaker.setdefault(r.speaker, []).append(i)
    starts = {k: [segs[i].start for i in v] for k, v in by_speaker.items()}
    every = list(range(len(segs)))
    for w in labelled:
        mid = (w.start + w.end) / 2
        if w.speaker in by_speaker:
            idx = by_speaker[w.speaker]
            j = bisect.bisect_right(starts[w.speaker], mid)
            cand = [idx[k] for k in (j - 1, j) if 0 <= k < len(idx)]
        else:
            cand = every
        i = min(cand, key=lambda i: max(segs[i].start - mid, mid - segs[i].end, 0.0))
        bucket[i].append(w)
    turns = []
    for r, ws in zip(segs, bucket):
        ws = sorted(ws, key=lambda w: w.start)
        turns.append(Turn(speaker=r.speaker, text=_join(ws), start=r.start, end=r.end,
                          words=tuple(ws), index=len(turns)))
    return turns
