"""Stage adapters for the pipeline: call each analysis stage, or a simple fallback when it is absent.

The speakers, timing and prosody stages are separate modules; this file is
the one place that knows their entry points, so ``service/pipeline.py`` reads
as a list of stages. A stage that is missing or fails leaves a note and the
report is marked partial.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np

from analysis.schema import CLIENT, HELPER, DecodedAudio, Transcript, Turn, Word

__all__ = [
    "words_by_channel_energy",
    "group_turns",
    "assign_roles",
    "turns_from_timeline",
    "stage_to_dict",
]

logger = logging.getLogger(__name__)


def stage_to_dict(result: Any) -> dict[str, Any] | None:
    """A stage result as JSON-ready dict (``to_dict()`` when it has one)."""
    if result is None:
        return None
    if isinstance(result, dict):
        return result
    to_dict = getattr(result, "to_dict", None)
    return to_dict() if callable(to_dict) else None


def words_by_channel_energy(transcript: Transcript, decoded: DecodedAudio) -> list[Word]:
    """Label each word ``"ch0"``/``"ch1"`` by the louder channel over its span (stereo, one speaker each)."""
    sr = decoded.sample_rate
    chans = decoded.channels
    out = []
    for w in transcript.words:
        a, b = int(w.start * sr), max(int(w.end * sr), int(w.start * sr) + 1)
        seg = chans[:, a:b].astype(np.float64)
        energy = (seg ** 2).mean(axis=1) if seg.shape[1] else np.zeros(chans.shape[0])
        out.append(Word(w.start, w.end, w.text, w.probability, f"ch{int(np.argmax(energy))}"))
    return out


def group_turns(words: Sequence[Word], *, max_gap: float = 1.5) -> list[Turn]:
    """Consecutive words of one speaker (gaps under ``max_gap`` s) become one :class:`Turn`."""
    turns: list[Turn] = []
    cur: list[Word] = []
    for w in words:
        if cur and (w.speaker != cur[-1].speaker or w.start - cur[-1].end > max_gap):
            turns.append(_turn(cur, len(turns)))
            cur = []
        cur.append(w)
    if cur:
        turns.append(_turn(cur, len(turns)))
    return turns


def _turn(words: list[Word], index: int) -> Turn:
    text = " ".join(w.text for w in words).replace(" ,", ",").replace(" .", ".")
    return Turn(speaker=words[0].speaker or "speaker", text=text, start=words[0].start, end=words[-1].end,
                words=tuple(words), index=index)


def assign_roles(turns: Sequence[Turn], helper_speaker: str | None = None) -> tuple[list[Turn], str | None]:
    """Set ``role`` on each turn: ``helper_speaker`` if given, else the speaker who asks more questions.

    Returns the turns and the helper's speaker label (``None`` with one speaker only).
    """
    from dataclasses import replace

    speakers = sorted({t.speaker for t in turns})
    if helper_speaker is None:
        if len(speakers) < 2:
            return [replace(t, role=None) for t in turns], None

        def asks(s: str) -> float:
            mine = [t for t in turns if t.speaker == s]
            q = sum(t.text.count("?") for t in mine)
            return q / max(1, sum(len(t.text.split()) for t in mine)) * 100 + 0.01 * len(mine)

        helper_speaker = max(speakers, key=asks)
    out = [replace(t, role=HELPER if t.speaker == helper_speaker else CLIENT) for t in turns]
    return out, helper_speaker


def turns_from_timeline(words: Sequence[Word], client_timeline: Sequence[Any]) -> list[Turn]:
    """Scripted practice: client turns from the known timeline, helper turns from the mic's words.

    ``client_timeline`` items are :class:`Turn` or dicts with ``start``, ``end`` (s) and ``text``.
    """
    client = []
    for item in client_timeline:
        if isinstance(item, Turn):
            client.append(Turn(CLIENT, item.text, item.start, item.end, CLIENT))
        else:
            client.append(Turn(CLIENT, str(item.get("text", "")), float(item["start"]), float(item["end"]), CLIENT))
    helper_words = [Word(w.start, w.end, w.text, w.probability, HELPER) for w in words]
    helper = [Turn(HELPER, t.text, t.start, t.end, HELPER, t.words) for t in group_turns(helper_words)]
    merged = sorted(client + helper, key=lambda t: (t.start or 0.0))
    from dataclasses import replace

    return [replace(t, index=i) for i, t in enumerate(merged)]
