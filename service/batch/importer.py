"""Import a ``listenwell batch`` output folder into the web service's storage.

The one importer, used by ``listenwell import-batch`` and the demo loader of ``serve --demo``.
With ``OUT_DIR/batch.json`` (see :mod:`service.batch.cohort` for the layout) each recording
that has a report becomes a session with the manifest's trainee and scenario and its audio
from the batch's input folder. Without it, every ``report.json`` below the folder is taken,
the trainee being the first folder name. Recordings without a report (failed before
analysis) are left out; importing the same folder again adds nothing twice.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import ParameterError
from service.store.db import connect, db_path, migrate
from service.store.storage import import_session

__all__ = ["AUDIO_SUFFIXES", "ImportResult", "import_batch_output"]

logger = logging.getLogger(__name__)
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".webm", ".aac")


@dataclass
class ImportResult:
    """Session ids added, the files imported before, and the files left out with why."""

    session_ids: list[int] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Found:
    """One report to import: its file, the session's title, trainee, scenario and audio (or None)."""

    report_path: Path
    title: str
    trainee: str
    scenario: str | None
    audio: Path | None


def _already_imported(instance: Path, trainee: str, title: str) -> bool:
    conn = connect(db_path(instance))
    try:
        migrate(conn)
        row = conn.execute(
            "SELECT 1 FROM sessions s JOIN users u ON u.id = s.trainee_id"
            " WHERE s.source = 'batch' AND s.title = ? AND u.username = ?",
            (title, trainee),
        ).fetchone()
        return row is not None
    finally:
        conn.close()


def _find_audio(folder: Path, report: dict) -> Path | None:
    """Audio beside the report, else the report's ``source`` when that file still exists."""
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file():
            return p
    source = report.get("source")
    if source and Path(source).is_file() and Path(source).suffix.lower() in AUDIO_SUFFIXES:
        return Path(source)
    return None


def _from_index(out: Path, index_path: Path, trainee: str | None, audio_root: Path | None,
                result: ImportResult) -> list[_Found]:
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ParameterError(f"{index_path} is not valid JSON: {e}") from e
    root = Path(audio_root or index.get("input_dir") or out)
    found = []
    for entry in index.get("recordings", []):
        rel = entry.get("file") or entry.get("folder") or ""
        folder = entry.get("folder")
        report_path = out / folder / "report.json" if folder else None
        if report_path is None or not report_path.is_file():
            result.left_out[rel] = entry.get("reason") or "no report"
            continue
        name = trainee or entry.get("trainee") or (rel.split("/")[0] if "/" in rel else "batch")
        audio = root / rel if rel and (root / rel).is_file() else None
        found.append(_Found(report_path, rel, name, entry.get("scenario") or None, audio))
    return found


def _from_folders(out: Path, trainee: str | None, audio_root: Path | None) -> list[_Found]:
    found = []
    for report_path in sorted(out.rglob("report.json")):
        rel = report_path.parent.relative_to(out)
        if any(part.startswith(".") for part in rel.parts):
            continue  # .partial-* folders of an unfinished batch
        name = trainee or (rel.parts[0] if len(rel.parts) > 1 else "batch")
        audio = Path(audio_root) / rel if audio_root is not None and (Path(audio_root) / rel).is_file() else None
        found.append(_Found(report_path, str(rel), name, None, audio))
    if not found:
        raise ParameterError(f"{out} is not a batch output folder: no batch.json and no report.json below it")
    return found


def import_batch_output(
    instance: str | Path,
    out_dir: str | Path,
    *,
    trainee: str | None = None,
    audio_root: str | Path | None = None,
) -> ImportResult:
    """Add every recording of a batch output folder that has a report as a session.

    ``trainee`` overrides the manifest's (or folder's) trainee for all; ``audio_root`` replaces
    the input folder recorded in ``batch.json`` (when the audio has moved).
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise ParameterError(f"{out} is not a folder")
    root = Path(audio_root) if audio_root is not None else None
    result = ImportResult()
    index_path = out / "batch.json"
    if index_path.is_file():
        found = _from_index(out, index_path, trainee, root, result)
    else:
        found = _from_folders(out, trainee, root)
    for f in found:
        try:
            report = json.loads(f.report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            logger.warning("skipping %s: %s", f.report_path, e)
            result.left_out[f.title] = f"unreadable report: {e}"
            continue
        if _already_imported(Path(instance), f.trainee, f.title):
            result.already.append(f.title)
            continue
        audio = f.audio or _find_audio(f.report_path.parent, report)
        sid = import_session(instance, f.trainee, audio, report, scenario_id=f.scenario, source="batch",
                             title=f.title)
        result.session_ids.append(sid)
    logger.info("imported %d session(s) from %s", len(result.session_ids), out)
    return result
