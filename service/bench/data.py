"""Audio and reference text for ``listenwell bench``, read from a data folder.

The folder is ``../shared/data`` by default (``--data``): ``speech/jfk.flac``,
``dialogue/*.flac`` with their ``*.json`` turns, and ``ami-excerpts/*.wav``.
Nothing here is committed to the repository.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.errors import NotFoundError
from audio.decode import decode

__all__ = ["BenchItem", "JFK_TEXT", "list_items", "load_item_audio", "write_item_wav", "DIALOGUES"]

logger = logging.getLogger(__name__)

SR = 16000
JFK_TEXT = (
    "And so my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
DIALOGUES = ("annomi119-high", "annomi131-low")
# Speakers of the AMI excerpts are all different recordings: varied speech, no reference text.
_AMI = ("dev00", "dev01", "trn01", "trn02", "trn03", "trn04", "trn05", "trn06", "trn07", "trn08", "trn09", "tst00", "tst01")


@dataclass(frozen=True)
class BenchItem:
    """One benchmark input: a name, the files it is built from, and its reference text (or None)."""

    name: str
    parts: tuple[str, ...]
    reference: str | None
    repeat_to_seconds: float | None = None
    note: str = ""


def _dialogue_text(path: Path) -> str:
    turns = json.loads(path.read_text())["turns"]
    return " ".join(t["text"] for t in turns)


def list_items(data: Path, *, quick: bool = False, long: bool = True, memory_minutes: float | None = None) -> list[BenchItem]:
    """The benchmark inputs found under ``data`` (raises NotFoundError if none)."""
    data = Path(data)
    items: list[BenchItem] = []
    jfk = data / "speech" / "jfk.flac"
    if jfk.is_file():
        items.append(BenchItem("jfk", (str(jfk),), JFK_TEXT, note="11 s, public-domain speech"))
    dialogues = [data / "dialogue" / f"{d}.flac" for d in DIALOGUES]
    dialogues = [d for d in dialogues if d.is_file() and d.with_suffix(".json").is_file()]
    for d in dialogues[: 1 if quick else None]:
        items.append(BenchItem(d.stem, (str(d),), _dialogue_text(d.with_suffix(".json")),
                               note="Piper-voiced AnnoMI counselling dialogue"))
    ami = [data / "ami-excerpts" / f"{a}.wav" for a in _AMI]
    ami = [a for a in ami if a.is_file()]
    if long and not quick and (dialogues or ami):
        # Varied speech, nothing looped: one dialogue, every AMI excerpt, the other dialogue.
        parts = [str(p) for p in dialogues[1:2] + ami + dialogues[:1]]
        items.append(BenchItem("long-varied", tuple(parts), None,
                               note="dialogue 131 + 13 AMI meeting excerpts + dialogue 119 (no full reference)"))
    if memory_minutes:
        parts = [str(p) for p in dialogues + ami]
        items.append(BenchItem(f"memory-{memory_minutes:g}min", tuple(parts), None, memory_minutes * 60.0,
                               note="dialogues and AMI excerpts repeated to length (memory only)"))
    if not items:
        raise NotFoundError(f"no benchmark audio under {data} (expected speech/, dialogue/, ami-excerpts/)")
    return items


def load_item_audio(item: BenchItem, gap_seconds: float = 1.0) -> np.ndarray:
    """Decode and join an item's parts (mono, 16 kHz) with short silences between them.

    With ``repeat_to_seconds`` the joined parts are repeated into one array of
    exactly that length, filled in place (no temporary copies).
    """
    gap = np.zeros(int(gap_seconds * SR), dtype=np.float32)
    pieces = []
    for part in item.parts:
        pieces.append(decode(part).mono)
        pieces.append(gap)
    pieces = pieces[:-1]
    if not item.repeat_to_seconds:
        audio = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
        return np.ascontiguousarray(audio, dtype=np.float32)
    out = np.empty(int(item.repeat_to_seconds * SR), dtype=np.float32)
    pos = 0
    while pos < len(out):
        for piece in pieces:
            n = min(len(piece), len(out) - pos)
            out[pos : pos + n] = piece[:n]
            pos += n
            if pos >= len(out):
                break
    return out


def write_item_wav(item: BenchItem, path: Path) -> BenchItem:
    """Write an item's audio as one 16-bit WAV file and return an item that reads it.

    The memory benchmark decodes this file in the measured process, as a user's
    60-minute upload would be.
    """
    import soundfile as sf

    audio = load_item_audio(item)
    sf.write(str(path), audio, SR, subtype="PCM_16")
    return BenchItem(item.name, (str(path),), item.reference, None, item.note)
