"""Practice scenarios a supervisor adds in the web UI: checked, voiced locally, stored privately.

An added scenario lives in the instance folder, one owner-only folder per scenario::

    <instance>/scenarios/<id>/scenario.json   the scenario (format 1 or 2), audio paths filled in
    <instance>/scenarios/<id>/<line-id>.flac  each client line, voiced with Piper on import
    <instance>/scenarios/<id>/added.json      who added it and when

:func:`check_scenario` checks the text with the same loader as the bundled scenarios
(:func:`service.practice.scenarios.load_scenario_file`) in well under a second; the web page does that
in the request and queues the rest as a voicing job. :func:`voice_and_store` (the job) voices every
line with the build-time code (:func:`service.practice.voicing.voice_scenario_lines`) in a temporary
folder under ``<instance>/tmp`` and renames that folder into place: a scenario is stored whole or not
at all. :func:`import_scenario` does both at once.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.errors import ListenWellError
from service.practice.scenarios import Scenario, inside, is_safe_id, load_scenario_file, load_scenarios, title_key
from service.practice.voicing import scenario_lines, voice_scenario_lines
from service.store.storage import private_dir, private_file, temp_dir

__all__ = [
    "MAX_LINES",
    "MAX_LINE_CHARS",
    "MAX_SCENARIO_BYTES",
    "CheckedScenario",
    "ScenarioImportError",
    "WORK_PREFIX",
    "added_info",
    "added_root",
    "all_scenarios",
    "check_added",
    "check_scenario",
    "delete_added",
    "find_scenario",
    "import_scenario",
    "is_added",
    "load_added",
    "sweep_work_folders",
    "voice_and_store",
]

logger = logging.getLogger(__name__)

MAX_SCENARIO_BYTES = 100_000
MAX_LINES = 40  # voicing takes about a second a line on two cores
MAX_LINE_CHARS = 500
_FILE = "scenario.json"
_INFO = "added.json"
WORK_PREFIX = "scenario-"  # <instance>/tmp/scenario-*: a scenario being checked or voiced


class ScenarioImportError(ListenWellError):
    """A scenario that cannot be added; ``errors`` lists every reason in plain words."""

    status_code = 400
    exit_code = 2
    kind = "bad_scenario"

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = list(errors)


def added_root(instance: str | os.PathLike) -> Path:
    """``<instance>/scenarios`` (owner-only, created on demand)."""
    return private_dir(Path(instance) / "scenarios")


def _load_checked(folder: Path) -> Scenario:
    """One added scenario, refused (:class:`ListenWellError`) unless its folder is named by its own safe id."""
    if not is_safe_id(folder.name) or folder.is_symlink():
        raise ListenWellError(f"folder name {folder.name!r} is not a scenario id")
    scenario = load_scenario_file(folder / _FILE)  # audio paths must stay inside the folder
    if scenario.id != folder.name:
        raise ListenWellError(f"its id {scenario.id!r} is not its folder's name {folder.name!r}")
    return scenario


def _added_folders(instance: str | os.PathLike) -> list[Path]:
    root = Path(instance) / "scenarios"
    return [d for d in sorted(root.iterdir()) if (d / _FILE).is_file()] if root.is_dir() else []


def load_added(instance: str | os.PathLike) -> list[Scenario]:
    """The scenarios added in this instance, sorted by id (an unreadable or unsafe one is left out)."""
    out = []
    for d in _added_folders(instance):
        try:
            out.append(_load_checked(d))
        except ListenWellError:
            pass  # named once, at start-up, by check_added
    return out


def check_added(instance: str | os.PathLike) -> list[str]:
    """At start-up: every added scenario that is refused (a bad id, a path leaving its folder), logged
    as an error naming the folder and the reason; returns those messages."""
    refused = []
    for d in _added_folders(instance):
        try:
            _load_checked(d)
        except ListenWellError as e:
            refused.append(f"added scenario in {d} refused: {e.message}; fix or remove that folder")
            logger.error("%s", refused[-1])
    return refused


def is_added(scenario: Scenario, instance: str | os.PathLike) -> bool:
    """True for a scenario stored in this instance (one a supervisor added), not a bundled one."""
    root = (Path(instance) / "scenarios").resolve()
    return scenario.path is not None and root in scenario.path.parents


def all_scenarios(bundled_folder: str | os.PathLike | None, instance: str | os.PathLike) -> list[Scenario]:
    """The bundled scenarios, then the added ones (an added id that clashes is left out, logged)."""
    try:
        bundled = load_scenarios(bundled_folder)
    except ListenWellError as e:
        logger.warning("no bundled practice scenarios: %s", e)
        bundled = []
    ids = {s.id for s in bundled}
    titles = {title_key(s.title) for s in bundled}
    added = []
    for s in load_added(instance):
        if s.id in ids:
            logger.warning("added scenario %r clashes with a bundled one; left out", s.id)
        elif title_key(s.title) in titles:
            logger.warning("added scenario %r has the title %r of another scenario; left out", s.id, s.title)
        else:
            added.append(s)
            titles.add(title_key(s.title))
    return bundled + added


def find_scenario(scenario_id: str, bundled_folder: str | os.PathLike | None,
                  instance: str | os.PathLike) -> Scenario | None:
    """The bundled or added scenario with this id, or None."""
    return next((s for s in all_scenarios(bundled_folder, instance) if s.id == scenario_id), None)


def added_info(scenario: Scenario) -> dict[str, Any]:
    """Who added ``scenario`` and when (``{"user_id", "username", "added"}``); {} if not recorded."""
    try:
        return json.loads((scenario.path.parent / _INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError, AttributeError):
        return {}


def _parse(text: str, taken: set[str], titles: dict[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    if not text.strip():
        raise ScenarioImportError(["Paste the scenario's JSON or choose a .json file."])
    if len(text.encode("utf-8")) > MAX_SCENARIO_BYTES:
        raise ScenarioImportError([f"The scenario is larger than {MAX_SCENARIO_BYTES // 1000} kB."])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ScenarioImportError([f"This is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}."]) from e
    if not isinstance(data, dict):
        raise ScenarioImportError(["The scenario must be one JSON object ({ ... })."])
    errors = []
    sid = data.get("id")
    if isinstance(sid, str) and sid in taken:
        errors.append(f"The id {sid!r} is already used by another scenario: choose a new id.")
    title = data.get("title")
    if isinstance(title, str) and title_key(title) in (titles or {}):
        errors.append(f"The title {title.strip()!r} is already used by the scenario {titles[title_key(title)]!r}: "
                      "trainees choose by title, so give this one a different title.")
    return data, errors


def _check_lines(data: dict[str, Any]) -> list[str]:
    lines = scenario_lines(data)
    errors = []
    if len(lines) > MAX_LINES:
        errors.append(f"The scenario has {len(lines)} client lines; at most {MAX_LINES} can be voiced.")
    long = [x.get("id") or x.get("text", "")[:30] for x in lines if len(str(x.get("text", ""))) > MAX_LINE_CHARS]
    if long:
        errors.append(f"Line(s) {long} are longer than {MAX_LINE_CHARS} characters: split them.")
    return errors


@dataclass(frozen=True)
class CheckedScenario:
    """A scenario that passed every check (not voiced yet): its JSON text (no ``audio`` paths) and what a
    page shows of it while it is voiced."""

    text: str
    id: str
    title: str
    lines: int


def check_scenario(instance: str | os.PathLike, text: str, *, bundled_folder: str | os.PathLike | None,
                   pending: Iterable[tuple[str, str]] = ()) -> CheckedScenario:
    """Check a scenario given as JSON text, quickly and without voicing it.

    The same loader as the bundled scenarios, a new id and title (bundled, added, or ``pending``: the
    ``(id, title)`` of scenarios queued for voicing), at most :data:`MAX_LINES` lines of at most
    :data:`MAX_LINE_CHARS` characters. Raises :class:`ScenarioImportError` listing every reason.
    """
    known = all_scenarios(bundled_folder, instance)
    pending = list(pending)
    taken = {s.id for s in known} | {sid for sid, _ in pending}
    titles = {title_key(s.title): s.id for s in known} | {title_key(t): sid for sid, t in pending}
    data, errors = _parse(text, taken, titles)
    for line in _lines_or_empty(data):
        line.pop("audio", None)  # never trust paths from outside: every line is voiced here
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=temp_dir(instance)))
    try:
        (work / _FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        try:
            scenario = load_scenario_file(work / _FILE)
        except ListenWellError as e:
            errors.append(_plain(e.message))
        if not errors:
            errors += _check_lines(data)
        if errors:
            raise ScenarioImportError(errors)
        return CheckedScenario(json.dumps(data, ensure_ascii=False), scenario.id, scenario.title,
                               len(scenario.all_lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def voice_and_store(instance: str | os.PathLike, checked_text: str, *, bundled_folder: str | os.PathLike | None,
                    user_id: int, username: str,
                    progress: Callable[[int, int], None] | None = None) -> tuple[Scenario, float]:
    """Voice a checked scenario's lines and store it; returns it and the voicing time (s).

    The checks run again first (an id or title may have been taken since it was queued). The lines are
    voiced in a temporary folder under ``<instance>/tmp`` that is renamed into place at the end: the
    scenario is stored whole or not at all, whatever fails or stops on the way. ``progress(done, total)``
    is called after each line.
    """
    checked = check_scenario(instance, checked_text, bundled_folder=bundled_folder)
    data = json.loads(checked.text)
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=temp_dir(instance)))
    try:
        t0 = time.perf_counter()
        voice_scenario_lines(data, work, default_prefix="", progress=progress)
        seconds = time.perf_counter() - t0
        (work / _FILE).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (work / _INFO).write_text(json.dumps({"user_id": int(user_id), "username": username,
                                              "added": time.strftime("%Y-%m-%d %H:%M")}), encoding="utf-8")
        scenario = load_scenario_file(work / _FILE)
        if not scenario.has_audio:  # pragma: no cover - voicing wrote every file or raised
            raise ScenarioImportError(["Some lines could not be voiced."])
        for f in work.iterdir():
            private_file(f)
        final = added_root(instance) / scenario.id
        try:
            os.rename(work, final)  # atomic; fails if another job added the same id meanwhile
        except OSError as e:
            raise ScenarioImportError([f"The id {scenario.id!r} was just added by someone else."]) from e
        private_dir(final)
        logger.info("scenario %r added by %s (%d lines voiced in %.1f s)", scenario.id, username,
                    len(scenario.all_lines), seconds)
        return load_scenario_file(final / _FILE), seconds
    finally:
        shutil.rmtree(work, ignore_errors=True)


def import_scenario(instance: str | os.PathLike, text: str, *, bundled_folder: str | os.PathLike | None,
                    user_id: int, username: str) -> tuple[Scenario, float]:
    """Check, voice and store a scenario given as JSON text at once (no job queue); returns it and the
    voicing time (s). Raises :class:`ScenarioImportError` (nothing stored) as :func:`check_scenario`."""
    checked = check_scenario(instance, text, bundled_folder=bundled_folder)
    return voice_and_store(instance, checked.text, bundled_folder=bundled_folder, user_id=user_id,
                           username=username)


def sweep_work_folders(instance: str | os.PathLike) -> int:
    """At start-up: remove the work folders of voicings a stopped process left half done; return how many.

    Their jobs are queued again (:func:`service.web.jobs.recover_interrupted`) and start afresh."""
    folder = Path(instance) / "tmp"
    stale = [d for d in folder.glob(WORK_PREFIX + "*") if d.is_dir()] if folder.is_dir() else []
    for d in stale:
        shutil.rmtree(d, ignore_errors=True)
    if stale:
        logger.info("removed %d half-voiced scenario folder(s) from %s", len(stale), folder)
    return len(stale)


def _lines_or_empty(data: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        return scenario_lines(data)
    except (KeyError, TypeError, AttributeError):
        return []  # the loader names what is missing


def _plain(message: str) -> str:
    """The loader's message without the temporary file's name."""
    prefix = f"{_FILE}: "
    return message[len(prefix):] if message.startswith(prefix) else message.replace(_FILE, "the scenario")


def delete_added(instance: str | os.PathLike, scenario_id: str) -> bool:
    """Remove an added scenario (JSON and audio); False when no added scenario has this id."""
    root = Path(instance) / "scenarios"
    folder = inside(root, scenario_id) if is_safe_id(scenario_id) else None
    if folder is None or folder.parent != root.resolve() or not (folder / _FILE).is_file():
        return False
    doomed = Path(tempfile.mkdtemp(prefix="deleted-", dir=temp_dir(instance))) / scenario_id
    os.rename(folder, doomed)  # gone from the list at once, then removed
    shutil.rmtree(doomed.parent, ignore_errors=True)
    return True
