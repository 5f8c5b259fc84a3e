"""Read a transcript file for ``listenwell score``: JSON, plain text, or a CSV of turns.

Formats (chosen by content, not by name):

- JSON: a ListenWell report (``turns``), a ``Transcript`` (segments with a
  ``speaker``), or ``{"turns": [{"speaker", "text", "start", "end"}]}`` as in
  ``samples/dialogues/*.json`` and ``../shared/data/dialogue``.
- Plain text: one turn per line, ``Helper: ...`` / ``Client: ...`` (also
  ``Therapist``/``Counselor``/``Peer``/``T`` and ``Patient``/``C``);
  a line without a label continues the previous turn.
- CSV: a header with a speaker column (``speaker``, ``interlocutor``, ``role``)
  and a text column (``utterance_text``, ``text``, ``utterance``), as in
  AnnoMI; a ``transcript_id`` column selects one transcript.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from analysis.errors import NotFoundError, ParameterError
from analysis.schema import CLIENT, HELPER, Turn

__all__ = ["read_transcript", "parse_text", "parse_csv", "parse_json", "role_of"]

_HELPER_NAMES = {"helper", "therapist", "counselor", "counsellor", "peer", "supporter", "t", "h", "trainee",
                 "interviewer", "coach", "mentor"}
_CLIENT_NAMES = {"client", "patient", "c", "p", "member", "participant", "caller"}
_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z ]{0,20}?)\s*[:\-–]\s+(.*)$")


def role_of(name: str) -> str | None:
    """``"helper"``/``"client"`` for a known speaker name, else ``None``."""
    key = name.strip().lower()
    if key in _HELPER_NAMES:
        return HELPER
    if key in _CLIENT_NAMES:
        return CLIENT
    return None


def _turn(speaker: str, text: str, index: int, start: Any = None, end: Any = None, role: Any = None) -> Turn:
    return Turn(
        speaker=str(speaker),
        text=str(text).strip(),
        start=None if start is None else float(start),
        end=None if end is None else float(end),
        role=role if role in (HELPER, CLIENT) else role_of(str(speaker)),
        index=index,
    )


def parse_json(data: Any) -> list[Turn]:
    """Turns from a report, transcript or ``{"turns": [...]}`` JSON object."""
    if isinstance(data, list):
        data = {"turns": data}
    if not isinstance(data, dict):
        raise ParameterError("the JSON transcript must be an object with 'turns' or 'segments'")
    if isinstance(data.get("turns"), list):
        return [_turn(t.get("speaker", t.get("role", "")), t.get("text", ""), i, t.get("start"), t.get("end"),
                      t.get("role")) for i, t in enumerate(data["turns"]) if isinstance(t, dict)]
    if isinstance(data.get("segments"), list):
        return [_turn(s.get("speaker") or "speaker", s.get("text", ""), i, s.get("start"), s.get("end"))
                for i, s in enumerate(data["segments"]) if isinstance(s, dict)]
    raise ParameterError("the JSON transcript has neither 'turns' nor 'segments'")


def parse_text(text: str) -> list[Turn]:
    """Turns from ``Speaker: words`` lines (unlabelled lines continue the previous turn)."""
    turns: list[Turn] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _LINE.match(line)
        if m and (role_of(m.group(1)) or not turns or len(m.group(1).split()) <= 2):
            turns.append(_turn(m.group(1).strip(), m.group(2), len(turns)))
        elif turns:
            last = turns[-1]
            turns[-1] = _turn(last.speaker, last.text + " " + line.strip(), last.index, role=last.role)
        else:
            raise ParameterError(f"the first line has no 'Speaker:' label: {line.strip()[:60]!r}")
    return turns


def parse_csv(text: str, transcript_id: str | None = None) -> list[Turn]:
    """Turns from a CSV with speaker and text columns (AnnoMI's ``interlocutor``/``utterance_text``)."""
    reader = csv.DictReader(io.StringIO(text))
    cols = {c.lower(): c for c in (reader.fieldnames or [])}
    spk = next((cols[c] for c in ("interlocutor", "speaker", "role") if c in cols), None)
    txt = next((cols[c] for c in ("utterance_text", "text", "utterance") if c in cols), None)
    if spk is None or txt is None:
        raise ParameterError(f"the CSV needs a speaker column and a text column; it has {reader.fieldnames}")
    tid = cols.get("transcript_id")
    rows = list(reader)
    if tid is not None:
        ids = list(dict.fromkeys(r[tid] for r in rows))
        if transcript_id is None and len(ids) > 1:
            raise ParameterError(f"the CSV holds {len(ids)} transcripts: choose one with --transcript-id "
                                 f"(for example {', '.join(ids[:5])})")
        if transcript_id is not None:
            if transcript_id not in ids:
                raise NotFoundError(f"transcript_id {transcript_id!r} is not in the CSV")
            rows = [r for r in rows if r[tid] == transcript_id]
    return [_turn(r[spk], r[txt], i) for i, r in enumerate(rows)]


def read_transcript(path: str | Path, *, transcript_id: str | None = None) -> list[Turn]:
    """Read a transcript file (JSON, plain text or CSV, detected by content) into turns."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path} does not exist or is not a file", path=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ParameterError(f"{path.name} is not a UTF-8 text file", path=str(path)) from e
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            return parse_json(json.loads(text))
        except json.JSONDecodeError as e:
            raise ParameterError(f"{path.name} is not valid JSON: {e}", path=str(path)) from e
    first = text.splitlines()[0] if text.strip() else ""
    if "," in first and any(k in first.lower() for k in ("interlocutor", "utterance", "speaker", "text")):
        return parse_csv(text, transcript_id)
    return parse_text(text)
