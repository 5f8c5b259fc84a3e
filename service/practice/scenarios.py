"""Practice scenarios: client situations, their client lines and the lines' audio.

Each scenario is one JSON file in ``samples/scenarios/`` (or the folder named by
``LISTENWELL_SCENARIOS``). Two formats are read (the full description, with an
example, is in ``docs/usage/practice.md``):

* **format 2, branching** (``"format": 2``): an ``opening`` line, ``beats`` whose
  ``variants`` are keyed (``when``) by what the helper just did (one of
  :data:`MOVES`; ``"otherwise"`` covers the moves no other variant names), each
  variant naming the ``next`` beat (``null``: the session ends after the
  trainee's reply), and a ``closing`` line said when the client would have to
  repeat herself (she leaves). ``heart: true`` marks the heart of the matter.
* **format 1, linear** (no ``beats``): ``lines``, played in order.

``good_listening``, ``avoid``, ``profile`` and ``feelings`` are the same in both.
A branching scenario also offers ``lines``: the listening path (the opening, then
each beat's ``reflection`` variant), so linear consumers keep working.

``audio`` paths are relative to the scenarios folder; a line whose audio file is
absent has ``audio=None`` (the web page then shows the text; ``listenwell
practice`` refuses, naming the script that makes the audio).
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.errors import ListenWellError, NotFoundError

__all__ = [
    "FORMAT_VERSION",
    "LINE_KINDS",
    "MOVES",
    "Beat",
    "Scenario",
    "ScenarioFormatError",
    "ScenarioLine",
    "default_folder",
    "get_scenario",
    "inside",
    "is_safe_id",
    "load_scenario_file",
    "load_scenarios",
    "title_key",
]

logger = logging.getLogger(__name__)

LINE_KINDS = ("opening", "follow_up", "closing")
#: What the helper just did, as read from the reply by the cue model (``analysis.cues.reply``).
MOVES = ("reflection", "open_question", "closed_question", "fixing", "backchannel", "other")
FORMAT_VERSION = 2
#: The one pattern for scenario, beat and line ids: they name folders and files, so nothing else.
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_MIN_VARIANTS, _MAX_VARIANTS = 2, 5


class ScenarioFormatError(ListenWellError):
    """A scenario file that is not valid JSON or misses a required field."""

    status_code = 500
    exit_code = 40
    kind = "bad_scenario"


@dataclass(frozen=True)
class ScenarioLine:
    """One client line: its text, the path of its audio (or None) and, in a branching
    scenario, its ``id``, the helper moves it answers (``when``), the ``next`` beat
    (None: the end) and whether it is the heart of the matter."""

    text: str
    kind: str = "follow_up"
    audio: Path | None = None
    id: str = ""
    when: tuple[str, ...] = ()
    next: str | None = None
    heart: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "kind": self.kind,
                             "audio": None if self.audio is None else str(self.audio)}
        if self.id:
            d.update(id=self.id, when=list(self.when), next=self.next, heart=self.heart)
        return d


@dataclass(frozen=True)
class Beat:
    """One step of the client's arc: the variants she may say, keyed by the helper's move."""

    id: str
    variants: tuple[ScenarioLine, ...]

    def variant_for(self, move: str) -> ScenarioLine:
        """The variant answering ``move`` (every move has exactly one; checked on load)."""
        for v in self.variants:
            if move in v.when:
                return v
        raise KeyError(move)  # pragma: no cover - the loader guarantees coverage

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "variants": [v.to_dict() for v in self.variants]}


@dataclass(frozen=True)
class Scenario:
    """A client situation to practise listening with."""

    id: str
    title: str
    profile: str
    feelings: tuple[str, ...]
    good_listening: tuple[str, ...]
    lines: tuple[ScenarioLine, ...]
    avoid: tuple[str, ...] = ()
    path: Path | None = None
    format: int = 1
    opening: ScenarioLine | None = None
    beats: tuple[Beat, ...] = ()
    closing: ScenarioLine | None = None

    @property
    def branching(self) -> bool:
        """True for a format-2 scenario (the client reacts to the helper's replies)."""
        return bool(self.beats)

    def beat(self, beat_id: str) -> Beat:
        for b in self.beats:
            if b.id == beat_id:
                return b
        raise KeyError(beat_id)

    @property
    def all_lines(self) -> tuple[ScenarioLine, ...]:
        """Every line the client may say (each once): what gets voiced."""
        if not self.branching:
            return self.lines
        out = [self.opening] + [v for b in self.beats for v in b.variants]
        return tuple(x for x in out + [self.closing] if x is not None)

    def line(self, line_id: str) -> ScenarioLine:
        for x in self.all_lines:
            if x.id == line_id:
                return x
        raise KeyError(line_id)

    @property
    def has_audio(self) -> bool:
        """True when every line has an audio file on disk."""
        lines = self.all_lines
        return bool(lines) and all(line.audio is not None for line in lines)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "id": self.id,
            "title": self.title,
            "profile": self.profile,
            "feelings": list(self.feelings),
            "good_listening": list(self.good_listening),
            "avoid": list(self.avoid),
            "lines": [line.to_dict() for line in self.lines],
            "format": self.format,
        }
        if self.branching:
            d.update(opening=self.opening.to_dict(), beats=[b.to_dict() for b in self.beats],
                     closing=self.closing.to_dict())
        return d


def default_folder() -> Path:
    """``LISTENWELL_SCENARIOS`` if set, else ``samples/scenarios`` in the source tree."""
    env = os.environ.get("LISTENWELL_SCENARIOS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "samples" / "scenarios"


def is_safe_id(value: Any) -> bool:
    """True for an id usable as a file name: 1-64 lower-case letters, digits and dashes, no dash first."""
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def inside(folder: str | os.PathLike, path: str | os.PathLike) -> Path | None:
    """``path`` resolved (relative to ``folder``), or None when it leaves ``folder`` or is not a path."""
    try:
        root = Path(folder).resolve()
        full = (root / path).resolve()
    except (ValueError, OSError):  # a NUL byte, a loop of links
        return None
    return full if full == root or root in full.parents else None


def _fail(path: Path, msg: str) -> ScenarioFormatError:
    return ScenarioFormatError(f"{path.name}: {msg}", path=str(path))


def _strings(data: dict, key: str, path: Path, required: bool = True) -> tuple[str, ...]:
    value = data.get(key, [] if not required else None)
    if value is None or not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, f"'{key}' must be a list of non-empty strings")
    if required and not value:
        raise _fail(path, f"'{key}' must not be empty")
    return tuple(v.strip() for v in value)


def _text(data: dict, key: str, path: Path) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"'{key}' must be a non-empty string")
    return value.strip()


def _audio(rel: Any, folder: Path, path: Path, where: str) -> Path | None:
    if not rel:
        return None
    if not isinstance(rel, str):
        raise _fail(path, f"{where}.audio must be a path (string)")
    candidate = inside(folder, rel) if not os.path.isabs(rel) else None
    if candidate is None:
        raise _fail(path, f"{where}.audio={rel!r} must be a relative path inside the scenario's folder")
    if candidate.is_file():
        return candidate
    logger.warning("%s: audio %s for %s is missing", path.name, rel, where)
    return None


def _line(item: Any, index: int, folder: Path, path: Path) -> ScenarioLine:
    if not isinstance(item, dict):
        raise _fail(path, f"lines[{index}] must be an object")
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _fail(path, f"lines[{index}].text must be a non-empty string")
    lid = item.get("id")
    if lid is not None and not is_safe_id(lid):  # it names the line's audio file when voiced
        raise _fail(path, f"lines[{index}].id={lid!r} must be lower-case letters, digits and dashes (at most 64)")
    kind = item.get("kind", "follow_up")
    if kind not in LINE_KINDS[:2]:
        raise _fail(path, f"lines[{index}].kind={kind!r} must be one of {', '.join(LINE_KINDS[:2])}")
    return ScenarioLine(text=text.strip(), kind=kind, audio=_audio(item.get("audio"), folder, path, f"lines[{index}]"))


def _branch_line(item: Any, where: str, kind: str, folder: Path, path: Path, *,
                 keyed: bool, ids: set[str]) -> ScenarioLine:
    """One line of a branching scenario (``where`` names it in errors)."""
    if not isinstance(item, dict):
        raise _fail(path, f"{where} must be an object with 'id' and 'text'")
    lid = item.get("id")
    if not is_safe_id(lid):
        raise _fail(path, f"{where}.id={lid!r} must be lower-case letters, digits and dashes")
    if lid in ids:
        raise _fail(path, f"line id {lid!r} is used twice")
    ids.add(lid)
    where = f"{where} ({lid})"
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _fail(path, f"{where}.text must be a non-empty string")
    when: tuple[str, ...] = ()
    if keyed:
        raw = item.get("when")
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise _fail(path, f"{where}.when must list the helper moves it answers: {', '.join(MOVES)} "
                              "or 'otherwise'")
        bad = [m for m in raw if m not in MOVES and m != "otherwise"]
        if bad:
            raise _fail(path, f"{where}.when has unknown move(s) {bad}; use {', '.join(MOVES)} or 'otherwise'")
        when = tuple(raw)
    nxt = item.get("next")
    if nxt is not None and not isinstance(nxt, str):
        raise _fail(path, f"{where}.next must be a beat id or null (the end)")
    heart = item.get("heart", False)
    if not isinstance(heart, bool):
        raise _fail(path, f"{where}.heart must be true or false")
    return ScenarioLine(text=text.strip(), kind=kind, audio=_audio(item.get("audio"), folder, path, where),
                        id=lid, when=when, next=nxt, heart=heart)


def _resolve_when(line: ScenarioLine, moves: tuple[str, ...]) -> ScenarioLine:
    from dataclasses import replace

    if "otherwise" not in line.when:
        return line
    return replace(line, when=tuple(m for m in line.when if m != "otherwise") + moves)


def _load_branching(data: dict, path: Path) -> tuple[ScenarioLine, tuple[Beat, ...], ScenarioLine]:
    folder = path.parent
    if data.get("format") != FORMAT_VERSION:
        raise _fail(path, f"a scenario with 'beats' needs \"format\": {FORMAT_VERSION} (got {data.get('format')!r})")
    ids: set[str] = set()
    opening = _branch_line(data.get("opening"), "opening", "opening", folder, path, keyed=False, ids=ids)
    closing = _branch_line(data.get("closing"), "closing", "closing", folder, path, keyed=False, ids=ids)
    if closing.next is not None:
        raise _fail(path, "closing.next must be null: the closing line ends the session")
    raw_beats = data.get("beats")
    if not isinstance(raw_beats, list) or not raw_beats:
        raise _fail(path, "'beats' must be a non-empty list")
    beats: list[Beat] = []
    beat_ids: set[str] = set()
    for i, rb in enumerate(raw_beats):
        if not isinstance(rb, dict):
            raise _fail(path, f"beats[{i}] must be an object with 'id' and 'variants'")
        bid = rb.get("id")
        if not is_safe_id(bid) or bid in beat_ids:
            raise _fail(path, f"beats[{i}].id={bid!r} must be a new id of lower-case letters, digits and dashes")
        beat_ids.add(bid)
        rv = rb.get("variants")
        if not isinstance(rv, list) or not _MIN_VARIANTS <= len(rv) <= _MAX_VARIANTS:
            raise _fail(path, f"beat {bid!r} must have {_MIN_VARIANTS} to {_MAX_VARIANTS} variants")
        variants = [_branch_line(v, f"beat {bid!r} variants[{j}]", "follow_up", folder, path, keyed=True, ids=ids)
                    for j, v in enumerate(rv)]
        named = [m for v in variants for m in v.when if m != "otherwise"]
        twice = sorted({m for m in named if named.count(m) > 1})
        if twice:
            raise _fail(path, f"beat {bid!r}: move(s) {twice} are answered by more than one variant")
        others = [v for v in variants if "otherwise" in v.when]
        if len(others) > 1:
            raise _fail(path, f"beat {bid!r}: only one variant may say 'otherwise'")
        rest = tuple(m for m in MOVES if m not in named)
        if rest and not others:
            raise _fail(path, f"beat {bid!r}: no variant answers {list(rest)} (add them to a 'when' or use 'otherwise')")
        beats.append(Beat(bid, tuple(_resolve_when(v, rest) for v in variants)))
    for line in [opening] + [v for b in beats for v in b.variants]:
        if line.next is not None and line.next not in beat_ids:
            raise _fail(path, f"line {line.id!r}: next={line.next!r} is not a beat (beats: {', '.join(sorted(beat_ids))})")
    if opening.next is None:
        raise _fail(path, "opening.next must name the first beat")
    reached, todo = set(), [opening.next]
    while todo:
        b = todo.pop()
        if b in reached:
            continue
        reached.add(b)
        todo += [v.next for v in next(x for x in beats if x.id == b).variants if v.next]
    lost = sorted(beat_ids - reached)
    if lost:
        raise _fail(path, f"beat(s) {lost} can never be reached from the opening")
    if not any(v.heart for b in beats for v in b.variants):
        raise _fail(path, "no line is marked \"heart\": true (the heart of the matter)")
    return opening, tuple(beats), closing


def _listening_path(opening: ScenarioLine, beats: tuple[Beat, ...]) -> tuple[ScenarioLine, ...]:
    """The opening, then each beat's reflection variant until the end (the linear view)."""
    path, seen, cur = [opening], set(), opening.next
    by_id = {b.id: b for b in beats}
    while cur is not None and cur not in seen:
        seen.add(cur)
        v = by_id[cur].variant_for("reflection")
        path.append(v)
        cur = v.next
    return tuple(path)


def load_scenario_file(path: str | os.PathLike) -> Scenario:
    """Read and check one scenario JSON file (format 1 or 2); errors name the file and the field."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise NotFoundError(f"no such scenario file: {path}", path=str(path)) from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ScenarioFormatError(f"{path.name} is not valid JSON: {e}", path=str(path)) from e
    if not isinstance(data, dict):
        raise ScenarioFormatError(f"{path.name} must hold a JSON object", path=str(path))
    sid = _text(data, "id", path)
    if not is_safe_id(sid):
        raise _fail(path, f"id={sid!r} must be lower-case letters, digits and dashes")
    fmt = data.get("format", 1)
    if fmt not in (1, FORMAT_VERSION):
        raise _fail(path, f"format={fmt!r} is not known (1: linear lines, {FORMAT_VERSION}: beats)")
    opening = closing = None
    beats: tuple[Beat, ...] = ()
    if "beats" in data or fmt == FORMAT_VERSION:
        opening, beats, closing = _load_branching(data, path)
        lines = _listening_path(opening, beats)
    else:
        raw = data.get("lines")
        if not isinstance(raw, list) or not raw:
            raise _fail(path, "'lines' must be a non-empty list (or give \"format\": 2 and 'beats')")
        lines = tuple(_line(item, i, path.parent, path) for i, item in enumerate(raw))
    return Scenario(
        id=sid,
        title=_text(data, "title", path),
        profile=_text(data, "profile", path),
        feelings=_strings(data, "feelings", path),
        good_listening=_strings(data, "good_listening", path),
        avoid=_strings(data, "avoid", path, required=False),
        lines=lines,
        path=path.resolve(),
        format=fmt,
        opening=opening,
        beats=beats,
        closing=closing,
    )


def title_key(title: str) -> str:
    """A title as compared for duplicates: case and spacing do not make two titles distinct."""
    return " ".join(str(title).casefold().split())


def load_scenarios(folder: str | os.PathLike | None = None) -> list[Scenario]:
    """All scenarios in ``folder`` (default :func:`default_folder`), sorted by id."""
    folder = Path(folder) if folder is not None else default_folder()
    if not folder.is_dir():
        raise NotFoundError(f"no scenarios folder at {folder}", path=str(folder))
    scenarios = [load_scenario_file(p) for p in sorted(folder.glob("*.json"))]
    seen: dict[str, Path] = {}
    titles: dict[str, Path] = {}
    for s in scenarios:
        if s.id in seen:
            raise ScenarioFormatError(f"scenario id {s.id!r} is used by both {seen[s.id].name} and {s.path.name}")
        seen[s.id] = s.path
        if title_key(s.title) in titles:  # a trainee picks by title: two alike cannot be told apart
            raise ScenarioFormatError(f"scenario title {s.title!r} is used by both {titles[title_key(s.title)].name} "
                                      f"and {s.path.name}: give one a different title")
        titles[title_key(s.title)] = s.path
    return sorted(scenarios, key=lambda s: s.id)


def get_scenario(scenario_id: str, folder: str | os.PathLike | None = None) -> Scenario:
    """The scenario with ``scenario_id``, or :class:`NotFoundError` listing the known ids."""
    scenarios = load_scenarios(folder)
    for s in scenarios:
        if s.id == scenario_id:
            return s
    known = ", ".join(s.id for s in scenarios) or "none"
    raise NotFoundError(f"no scenario {scenario_id!r}; known scenarios: {known}")
