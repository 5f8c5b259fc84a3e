"""The batch output folder on disk: one folder per recording, written all at once or not at all.

``OUT_DIR/<relative path of the recording>/`` holds ``report.json``,
``report.html``, ``report.txt`` and ``record.json`` (audio sha256, settings,
versions, status). A failed recording whose failure is a property of the file
itself (corrupt, empty, not audio, silent...) gets a folder with ``record.json``
only, so a rerun need not try it again. Folders are assembled under a
``.partial-*`` name and renamed into place with :func:`os.replace`; a crash
leaves at most a ``.partial-*``/``.old-*`` folder that the next run removes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from analysis.errors import ParameterError
from analysis.report.types import REPORT_VERSION

__all__ = [
    "RECORD_NAME",
    "RECORD_FORMAT",
    "CACHEABLE_FAILURES",
    "sha256_file",
    "settings_fingerprint",
    "software_version",
    "report_dir",
    "read_record",
    "is_up_to_date",
    "write_recording",
    "remove_recording",
    "atomic_write_text",
    "clean_partials",
    "OutputLock",
]

logger = logging.getLogger(__name__)

RECORD_NAME = "record.json"
RECORD_FORMAT = 1
PARTIAL_PREFIX = ".partial-"
OLD_PREFIX = ".old-"
# Failures caused by the file's own content: the same bytes fail the same way. ("audio_too_long"
# is not one: it depends on --max-duration, and checking it again costs only a header read.)
CACHEABLE_FAILURES = frozenset(
    {
        "bad_audio",
        "empty_file",
        "not_audio",
        "unsupported_format",
        "corrupt_audio",
        "zero_length_audio",
        "audio_too_short",
        "no_speech",
        "not_scored",
    }
)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def settings_fingerprint(settings: dict[str, Any]) -> str:
    """A short stable hash of a JSON-able settings dict (key order does not matter)."""
    text = json.dumps(settings, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def software_version() -> str:
    """``listenwell <package version> report <report version>``: a report from another version is redone."""
    from importlib import metadata

    try:
        pkg = metadata.version("listenwell")
    except metadata.PackageNotFoundError:
        pkg = "0+unknown"
    return f"listenwell {pkg} report {REPORT_VERSION}"


def report_dir(out_dir: str | os.PathLike, rel: str) -> Path:
    """The folder that holds one recording's outputs; refuses paths that leave ``out_dir``."""
    parts = Path(rel).parts
    if Path(rel).is_absolute() or ".." in parts or not parts:
        raise ParameterError(f"recording path {rel!r} must be relative and inside the input folder")
    return Path(out_dir).joinpath(*parts)


def read_record(out_dir: str | os.PathLike, rel: str) -> dict[str, Any] | None:
    """A recording's ``record.json``, or None when absent or unreadable."""
    path = report_dir(out_dir, rel) / RECORD_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_up_to_date(record: dict[str, Any] | None, sha256: str, fingerprint: str, version: str) -> bool:
    """True when a stored result matches the audio, settings and version and need not be redone."""
    if not record or record.get("format") != RECORD_FORMAT:
        return False
    same = (
        record.get("sha256") == sha256
        and record.get("settings_fingerprint") == fingerprint
        and record.get("version") == version
    )
    if not same:
        return False
    if record.get("status") == "done":
        return True
    return record.get("status") == "failed" and record.get("error_kind") in CACHEABLE_FAILURES


def _fsync_write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and :func:`os.replace`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{PARTIAL_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}")
    try:
        _fsync_write(tmp, text)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_recording(
    out_dir: str | os.PathLike, rel: str, record: dict[str, Any], files: dict[str, str]
) -> Path:
    """Write one recording's folder (``files`` name -> text, plus ``record.json``) atomically.

    The folder is built under a ``.partial-*`` name beside its final place and
    renamed in; an existing folder is first moved aside and removed after. At
    every moment the final folder is either complete or absent.
    """
    final = report_dir(out_dir, rel)
    final.parent.mkdir(parents=True, exist_ok=True)
    token = f"{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = final.with_name(PARTIAL_PREFIX + token)
    old = final.with_name(OLD_PREFIX + token)
    try:
        tmp.mkdir()
        for name, text in files.items():
            if name == RECORD_NAME or "/" in name:
                raise ParameterError(f"report file name {name!r} is not allowed")
            _fsync_write(tmp / name, text)
        record = dict(record, format=RECORD_FORMAT, files=sorted(files), written=_now())
        # record.json last: its presence marks a finished folder even inside tmp.
        _fsync_write(tmp / RECORD_NAME, json.dumps(record, indent=2, ensure_ascii=False))
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
    finally:
        for leftover in (tmp, old):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
    return final


def remove_recording(out_dir: str | os.PathLike, rel: str) -> bool:
    """Remove a recording's folder (moved aside first, so it vanishes at once); True if there was one."""
    final = report_dir(out_dir, rel)
    if not final.is_dir():
        return False
    old = final.with_name(f"{OLD_PREFIX}{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    os.replace(final, old)
    shutil.rmtree(old, ignore_errors=True)
    return True


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def clean_partials(out_dir: str | os.PathLike) -> int:
    """Remove ``.partial-*`` and ``.old-*`` leftovers of an interrupted run; returns how many."""
    root = Path(out_dir)
    if not root.is_dir():
        return 0
    removed = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in list(dirnames):
            if name.startswith((PARTIAL_PREFIX, OLD_PREFIX)):
                shutil.rmtree(Path(dirpath) / name, ignore_errors=True)
                dirnames.remove(name)
                removed += 1
        for name in filenames:
            if name.startswith(PARTIAL_PREFIX):
                (Path(dirpath) / name).unlink(missing_ok=True)
                removed += 1
    if removed:
        logger.info("removed %d leftover(s) of an interrupted run in %s", removed, root)
    return removed


@dataclass
class OutputLock:
    """An exclusive lock on an output folder so two batch runs never write into it at once."""

    out_dir: Path
    _fh: Any = None

    def __enter__(self) -> "OutputLock":
        import fcntl

        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.out_dir / ".batch.lock", "w")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._fh.close()
            raise ParameterError(
                f"another batch run is writing into {self.out_dir}; wait for it or choose another --out"
            ) from None
        return self

    def __exit__(self, *exc) -> None:
        import fcntl

        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()
