"""Which recordings a batch covers and who is who: folder discovery plus an optional manifest CSV.

Every file under the input folder whose name ends in an audio extension is a
recording (hidden files and folders are skipped). A manifest CSV may name, per
file, the trainee, the scenario, the speaker set-up and the helper's channel or
speaker (``first``/``second`` in time, or a label such as ``spk1``); files it does not list get the trainee from their first sub-folder.
"""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import ParameterError

__all__ = [
    "AUDIO_EXTENSIONS",
    "SETUPS",
    "ManifestRow",
    "RecordingJob",
    "discover",
    "read_manifest",
    "build_jobs",
]

logger = logging.getLogger(__name__)

AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".webm")
SETUPS = ("auto", "stereo", "mono", "scripted")
DEFAULT_MANIFEST_NAME = "manifest.csv"

# Accepted header spellings (lower-cased, spaces and dashes read as underscores).
_COLUMNS = {
    "file": ("file", "path", "filename", "recording", "audio"),
    "trainee": ("trainee", "trainee_name", "name", "user"),
    "scenario": ("scenario", "scenario_id"),
    "setup": ("setup", "speaker_setup", "speakers", "mode"),
    "helper_channel": ("helper_channel", "channel"),
    "helper_speaker": ("helper_speaker", "helper"),
}


@dataclass(frozen=True)
class ManifestRow:
    """What the manifest says about one file (empty/None where it says nothing)."""

    file: str
    trainee: str = ""
    scenario: str = ""
    setup: str | None = None
    helper_channel: int | None = None
    helper_speaker: str | None = None


@dataclass(frozen=True)
class RecordingJob:
    """One recording to analyse: ``rel`` is its POSIX path relative to the input folder."""

    rel: str
    path: Path
    trainee: str = ""
    scenario: str = ""
    setup: str | None = None
    helper_channel: int | None = None
    helper_speaker: str | None = None
    missing: bool = False


def _is_audio_name(name: str) -> bool:
    return name.lower().endswith(AUDIO_EXTENSIONS)


def discover(
    input_dir: str | os.PathLike, exclude: Path | None = None, skip_dir: Path | None = None
) -> tuple[list[str], int]:
    """Audio files under ``input_dir`` (sorted POSIX relative paths) and the count of other files ignored.

    ``exclude`` (e.g. the manifest itself) is neither listed nor counted;
    ``skip_dir`` (e.g. the batch's own output folder) is not searched.
    """
    root = Path(input_dir)
    exclude = exclude.resolve() if exclude is not None else None
    skip = skip_dir.resolve() if skip_dir is not None else None
    if not root.is_dir():
        raise ParameterError(f"input folder {root} does not exist or is not a folder")
    found: list[str] = []
    ignored = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (skip is None or (Path(dirpath) / d).resolve() != skip)
        )
        for name in filenames:
            if name.startswith("."):
                continue
            if exclude is not None and (Path(dirpath) / name).resolve() == exclude:
                continue
            if _is_audio_name(name):
                found.append((Path(dirpath) / name).relative_to(root).as_posix())
            else:
                ignored += 1
    return sorted(found), ignored


def _canon(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def _column_map(headers: list[str], path: Path) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for h in headers:
        key = _canon(h)
        for field_name, spellings in _COLUMNS.items():
            if key in spellings and field_name not in mapping:
                mapping[field_name] = h
    if "file" not in mapping:
        raise ParameterError(
            f"manifest {path.name} needs a 'file' column (found: {', '.join(headers) or 'no header'})"
        )
    return mapping


def _parse_row(raw: dict[str, str], cols: dict[str, str], line: int, path: Path) -> ManifestRow:
    def get(name: str) -> str:
        col = cols.get(name)
        return (raw.get(col) or "").strip() if col else ""

    setup = get("setup").lower() or None
    if setup is not None and setup not in SETUPS:
        raise ParameterError(
            f"manifest {path.name} line {line}: setup={setup!r} must be one of {', '.join(SETUPS)}"
        )
    channel_text = get("helper_channel")
    channel = None
    if channel_text:
        try:
            channel = int(channel_text)
        except ValueError:
            raise ParameterError(
                f"manifest {path.name} line {line}: helper_channel={channel_text!r} must be 0, 1, ..."
            ) from None
        if channel < 0:
            raise ParameterError(f"manifest {path.name} line {line}: helper_channel={channel} is negative")
    return ManifestRow(
        file=get("file").replace("\\", "/"),
        trainee=get("trainee"),
        scenario=get("scenario"),
        setup=setup,
        helper_channel=channel,
        helper_speaker=_helper_speaker(get("helper_speaker")),
    )


def _helper_speaker(text: str) -> str | None:
    """The helper column: ``first``/``second`` (who talks first in time; resolved by the
    pipeline after the speakers are found) or a speaker label such as ``spk1``."""
    if not text:
        return None
    return text.lower() if text.lower() in ("first", "second") else text


def read_manifest(path: str | os.PathLike, input_dir: str | os.PathLike) -> dict[str, ManifestRow]:
    """Read a manifest CSV into rows keyed by POSIX path relative to ``input_dir``.

    File names may be relative to the input folder or absolute inside it.
    Raises :class:`ParameterError` naming the line for a bad value.
    """
    path = Path(path)
    root = Path(input_dir).resolve()
    if not path.is_file():
        raise ParameterError(f"manifest {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ParameterError(f"manifest {path.name} is not UTF-8 text: {e}") from e
    reader = csv.DictReader(text.splitlines())
    cols = _column_map(list(reader.fieldnames or []), path)
    rows: dict[str, ManifestRow] = {}
    for line, raw in enumerate(reader, start=2):
        row = _parse_row(raw, cols, line, path)
        if not row.file:
            continue
        target = Path(row.file)
        if target.is_absolute():
            try:
                rel = target.resolve().relative_to(root).as_posix()
            except ValueError:
                raise ParameterError(
                    f"manifest {path.name} line {line}: {row.file} is outside the input folder {root}"
                ) from None
        else:
            rel = Path(os.path.normpath(row.file)).as_posix()
            if rel.startswith("../"):
                raise ParameterError(f"manifest {path.name} line {line}: {row.file} is outside the input folder")
        if rel in rows:
            raise ParameterError(f"manifest {path.name} line {line}: {rel} is listed twice")
        rows[rel] = row
    return rows


def _default_trainee(rel: str) -> str:
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else ""


def build_jobs(
    input_dir: str | os.PathLike, manifest: str | os.PathLike | None = None, skip_dir: Path | None = None
) -> tuple[list[RecordingJob], int]:
    """Every recording to analyse, with manifest details merged in, and the count of ignored files.

    ``manifest=None`` uses ``INPUT_DIR/manifest.csv`` when it exists. A file the
    manifest lists but the folder lacks becomes a job with ``missing=True``.
    """
    root = Path(input_dir)
    if manifest is None and (root / DEFAULT_MANIFEST_NAME).is_file():
        manifest = root / DEFAULT_MANIFEST_NAME
    found, ignored = discover(root, exclude=Path(manifest) if manifest is not None else None, skip_dir=skip_dir)
    rows = read_manifest(manifest, root) if manifest is not None else {}
    jobs: list[RecordingJob] = []
    for rel in sorted(set(found) | set(rows)):
        row = rows.get(rel)
        jobs.append(
            RecordingJob(
                rel=rel,
                path=root / rel,
                trainee=(row.trainee if row and row.trainee else _default_trainee(rel)),
                scenario=row.scenario if row else "",
                setup=row.setup if row else None,
                helper_channel=row.helper_channel if row else None,
                helper_speaker=row.helper_speaker if row else None,
                missing=rel not in found,
            )
        )
    return jobs, ignored
