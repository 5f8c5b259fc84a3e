"""Import a finished ``listenwell batch`` output folder into the web service's storage.

Reads ``OUT_DIR/batch.json`` (see :mod:`service.batch.cohort` for the layout) so each
session gets the manifest's trainee and scenario and its audio from the batch's
input folder. Recordings without a report (failed before analysis) are left
out; importing the same folder again adds nothing twice.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import ParameterError
from service.store.db import connect, db_path, migrate
from service.store.storage import import_session

__all__ = ["ImportResult", "import_batch_output"]

logger = logging.getLogger(__name__)


@dataclass
class ImportResult:
    """Session ids added, and the files left out with why."""

    session_ids: list[int] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)


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


def import_batch_output(
    instance: str | Path,
    out_dir: str | Path,
    *,
    trainee: str | None = None,
    audio_root: str | Path | None = None,
    include_unscored: bool = True,
) -> ImportResult:
    """Add every recording of a batch output folder that has a report as a session.

    ``trainee`` overrides the manifest's trainee for all; ``audio_root`` replaces
    the input folder recorded in ``batch.json`` (when the audio has moved).
    ``include_unscored=False`` leaves out reports without an index (silence...).
    """
    out = Path(out_dir)
    index_path = out / "batch.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ParameterError(f"{out} is not a finished batch output folder (no readable batch.json: {e})") from e
    root = Path(audio_root) if audio_root is not None else Path(index.get("input_dir", ""))
    result = ImportResult()
    for entry in index.get("recordings", []):
        rel = entry["file"]
        folder = entry.get("folder")
        report_path = out / folder / "report.json" if folder else None
        if report_path is None or not report_path.is_file():
            result.left_out[rel] = entry.get("reason") or "no report"
            continue
        report = json.loads(report_path.read_text(encoding="utf-8"))
        if report.get("index") is None and not include_unscored:
            result.left_out[rel] = entry.get("reason") or "no index"
            continue
        name = trainee or entry.get("trainee") or (rel.split("/")[0] if "/" in rel else "batch")
        if _already_imported(Path(instance), name, rel):
            result.already.append(rel)
            continue
        audio = root / rel
        sid = import_session(instance, name, audio if audio.is_file() else None, report,
                             scenario_id=entry.get("scenario") or None, source="batch", title=rel)
        result.session_ids.append(sid)
    logger.info("imported %d session(s) from %s", len(result.session_ids), out)
    return result
