"""Practice scenarios: client situations with scripted client lines and their audio.

Each scenario is one JSON file in ``samples/scenarios/`` (or the folder named by
``LISTENWELL_SCENARIOS``)::

    {
      "id": "relapse-shame",
      "title": "Shame after a relapse",
      "profile": "Who the client is, in a few sentences.",
      "feelings": ["shame", "fear of disappointing people"],
      "good_listening": ["Reflect the shame before anything else", "..."],
      "avoid": ["Rushing to a relapse-prevention plan", "..."],
      "lines": [
        {"kind": "opening", "text": "...", "audio": "relapse-shame/01.flac"},
        {"kind": "follow_up", "text": "...", "audio": "relapse-shame/02.flac"}
      ]
    }

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
    "Scenario",
    "ScenarioLine",
    "ScenarioFormatError",
    "default_folder",
    "load_scenario_file",
    "load_scenarios",
    "get_scenario",
    "LINE_KINDS",
]

logger = logging.getLogger(__name__)

LINE_KINDS = ("opening", "follow_up")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class ScenarioFormatError(ListenWellError):
    """A scenario file that is not valid JSON or misses a required field."""

    status_code = 500
    exit_code = 40
    kind = "bad_scenario"


@dataclass(frozen=True)
class ScenarioLine:
    """One scripted client line: its text and the path of its audio (or None)."""

    text: str
    kind: str = "follow_up"
    audio: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "kind": self.kind, "audio": None if self.audio is None else str(self.audio)}


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

    @property
    def has_audio(self) -> bool:
        """True when every line has an audio file on disk."""
        return bool(self.lines) and all(line.audio is not None for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "profile": self.profile,
            "feelings": list(self.feelings),
            "good_listening": list(self.good_listening),
            "avoid": list(self.avoid),
            "lines": [line.to_dict() for line in self.lines],
        }


def default_folder() -> Path:
    """``LISTENWELL_SCENARIOS`` if set, else ``samples/scenarios`` in the source tree."""
    env = os.environ.get("LISTENWELL_SCENARIOS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / "samples" / "scenarios"


def _strings(data: dict, key: str, path: Path, required: bool = True) -> tuple[str, ...]:
    value = data.get(key, [] if not required else None)
    if value is None or not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ScenarioFormatError(f"{path.name}: '{key}' must be a list of non-empty strings", path=str(path))
    if required and not value:
        raise ScenarioFormatError(f"{path.name}: '{key}' must not be empty", path=str(path))
    return tuple(v.strip() for v in value)


def _text(data: dict, key: str, path: Path) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ScenarioFormatError(f"{path.name}: '{key}' must be a non-empty string", path=str(path))
    return value.strip()


def _line(item: Any, index: int, folder: Path, path: Path) -> ScenarioLine:
    if not isinstance(item, dict):
        raise ScenarioFormatError(f"{path.name}: lines[{index}] must be an object", path=str(path))
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ScenarioFormatError(f"{path.name}: lines[{index}].text must be a non-empty string", path=str(path))
    kind = item.get("kind", "follow_up")
    if kind not in LINE_KINDS:
        raise ScenarioFormatError(
            f"{path.name}: lines[{index}].kind={kind!r} must be one of {', '.join(LINE_KINDS)}", path=str(path)
        )
    audio = None
    rel = item.get("audio")
    if rel:
        candidate = (folder / rel).resolve()
        if candidate.is_file():
            audio = candidate
        else:
            logger.warning("%s: audio %s for line %d is missing", path.name, rel, index)
    return ScenarioLine(text=text.strip(), kind=kind, audio=audio)


def load_scenario_file(path: str | os.PathLike) -> Scenario:
    """Read and check one scenario JSON file."""
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
    if not _ID_RE.match(sid):
        raise ScenarioFormatError(
            f"{path.name}: id={sid!r} must be lower-case letters, digits and dashes", path=str(path)
        )
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise ScenarioFormatError(f"{path.name}: 'lines' must be a non-empty list", path=str(path))
    return Scenario(
        id=sid,
        title=_text(data, "title", path),
        profile=_text(data, "profile", path),
        feelings=_strings(data, "feelings", path),
        good_listening=_strings(data, "good_listening", path),
        avoid=_strings(data, "avoid", path, required=False),
        lines=tuple(_line(item, i, path.parent, path) for i, item in enumerate(lines)),
        path=path.resolve(),
    )


def load_scenarios(folder: str | os.PathLike | None = None) -> list[Scenario]:
    """All scenarios in ``folder`` (default :func:`default_folder`), sorted by id."""
    folder = Path(folder) if folder is not None else default_folder()
    if not folder.is_dir():
        raise NotFoundError(f"no scenarios folder at {folder}", path=str(folder))
    scenarios = [load_scenario_file(p) for p in sorted(folder.glob("*.json"))]
    seen: dict[str, Path] = {}
    for s in scenarios:
        if s.id in seen:
            raise ScenarioFormatError(f"scenario id {s.id!r} is used by both {seen[s.id].name} and {s.path.name}")
        seen[s.id] = s.path
    return sorted(scenarios, key=lambda s: s.id)


def get_scenario(scenario_id: str, folder: str | os.PathLike | None = None) -> Scenario:
    """The scenario with ``scenario_id``, or :class:`NotFoundError` listing the known ids."""
    scenarios = load_scenarios(folder)
    for s in scenarios:
        if s.id == scenario_id:
            return s
    known = ", ".join(s.id for s in scenarios) or "none"
    raise NotFoundError(f"no scenario {scenario_id!r}; known scenarios: {known}")
