"""Load the weights of a speaker (voice) encoder without PyTorch.

The GE2E voice encoder of the PyPI package ``resemblyzer`` (0.1.4) ships its weights as
``resemblyzer/pretrained.pt``, saved by an old PyTorch in the *legacy* format: five pickles
one after the other (magic number, protocol version, system info, the checkpoint object,
the list of storage keys), then each storage's raw bytes, preceded by its element count
(int64). The checkpoint's tensors refer to storages by key ("persistent ids").

This module reads that format with a restricted unpickler: only ``collections.OrderedDict``,
``torch._utils._rebuild_tensor_v2`` and the ``torch.*Storage`` types are allowed as globals,
and they are replaced by NumPy stand-ins, so nothing in the file can run code. PyTorch is
never imported; neither is ``resemblyzer`` itself (it imports PyTorch): the file is found with
:func:`importlib.util.find_spec`.

The package is optional. Install it without its dependencies:
``pip install --no-deps resemblyzer==0.1.4`` (``scripts/setup.sh`` does).
"""

from __future__ import annotations

import collections
import importlib.util
import io
import logging
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import ModelUnavailableError

__all__ = ["find_voice_weights", "read_legacy_torch", "load_voice_weights", "VOICE_ENCODER_PACKAGE", "materialize",
           "package_file"]

logger = logging.getLogger(__name__)

VOICE_ENCODER_PACKAGE = "resemblyzer==0.1.4"
_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}
_cache: dict[str, dict[str, np.ndarray]] = {}


@dataclass(frozen=True)
class _StorageType:
    dtype: Any


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: Any
    size: int


@dataclass(frozen=True)
class _LazyTensor:
    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *_):
    return _LazyTensor(storage, int(storage_offset), tuple(int(s) for s in size), tuple(int(s) for s in stride))


class _Restricted(pickle.Unpickler):
    """Unpickler that allows only the few globals a PyTorch state dict needs."""

    def find_class(self, module: str, name: str):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a weights file")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, stype, key, _location, size = pid[:5]
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {stype!r}")
        if len(pid) > 5 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        return _StorageRef(str(key), stype.dtype, int(size))


def read_legacy_torch(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint saved by PyTorch's legacy (pre-1.6, non-zip) serializer.

    Parameters
    ----------
    path : str or Path
        The ``.pt`` file.

    Returns
    -------
    dict
        The checkpoint object with every tensor replaced by a NumPy array (nested dicts kept).

    Raises
    ------
    ValueError
        The file is not in that format, or it names a global that is not allowed.
    """
    data = Path(path).read_bytes()
    f = io.BytesIO(data)
    try:
        if _Restricted(f).load() != _MAGIC:
            raise ValueError(f"{path}: not a legacy PyTorch file (magic number)")
        _Restricted(f).load()  # protocol version
        _Restricted(f).load()  # system info
        obj = _Restricted(f).load()
        keys = _Restricted(f).load()
    except (pickle.UnpicklingError, EOFError) as e:
        raise ValueError(f"{path}: cannot read: {e}") from e
    refs: dict[str, _StorageRef] = {}

    def collect(o):
        if isinstance(o, _LazyTensor):
            refs[o.storage.key] = o.storage
        elif isinstance(o, dict):
            for v in o.values():
                collect(v)
        elif isinstance(o, (list, tuple)):
            for v in o:
                collect(v)

    collect(obj)
    storages: dict[str, np.ndarray] = {}
    pos = f.tell()
    for key in keys:
        n = int(np.frombuffer(data, dtype="<i8", count=1, offset=pos)[0])
        pos += 8
        ref = refs.get(str(key))
        dtype = np.dtype(ref.dtype if ref else np.float32).newbyteorder("<")
        if pos + n * dtype.itemsize > len(data):
            raise ValueError(f"{path}: truncated storage {key}")
        storages[str(key)] = np.frombuffer(data, dtype=dtype, count=n, offset=pos)
        pos += n * dtype.itemsize

    return materialize(obj, storages, path)


def materialize(obj: Any, storages: dict[str, np.ndarray], path: str | Path) -> Any:
    """``obj`` with every tensor stand-in replaced by a contiguous NumPy array cut from its storage.

    ``storages`` maps storage keys to flat arrays; a tensor that would run past its storage is an
    error (``path`` names the file in the message). Dicts, lists and tuples are rebuilt around them.
    """
    def build(o):
        if isinstance(o, _LazyTensor):
            buf = storages[o.storage.key]
            need = o.offset + sum((d - 1) * s for d, s in zip(o.shape, o.stride)) + 1 if all(o.shape) else 0
            if need > buf.size:
                raise ValueError(f"{path}: tensor runs past its storage {o.storage.key}")
            strides = tuple(s * buf.itemsize for s in o.stride)
            arr = np.lib.stride_tricks.as_strided(buf[o.offset:], shape=o.shape, strides=strides)
            return np.array(arr, dtype=buf.dtype.newbyteorder("="))  # a contiguous, writable copy
        if isinstance(o, dict):
            return {k: build(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return type(o)(build(v) for v in o)
        return o

    return build(obj)


def package_file(package: str, *parts: str) -> Path | None:
    """Path of a file inside an installed package, found without importing the package (None if absent)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        p = Path(loc).joinpath(*parts)
        if p.is_file():
            return p
    return None


def find_voice_weights() -> Path | None:
    """Path of ``resemblyzer/pretrained.pt`` if the package is installed (it is not imported)."""
    return package_file("resemblyzer", "pretrained.pt")


def load_voice_weights(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """The voice encoder's weights (``lstm.weight_ih_l0`` ... ``linear.bias``) as float32 arrays.

    Raises
    ------
    ModelUnavailableError
        No weights file: the optional package is not installed.
    """
    p = Path(path) if path is not None else find_voice_weights()
    if p is None or not p.is_file():
        raise ModelUnavailableError(
            f"no voice-encoder weights: install them with `pip install --no-deps {VOICE_ENCODER_PACKAGE}`")
    key = str(p.resolve())
    if key not in _cache:
        ckpt = read_legacy_torch(p)
        state = ckpt.get("model_state", ckpt) if isinstance(ckpt, dict) else None
        if not isinstance(state, dict) or "linear.weight" not in state:
            raise ValueError(f"{p}: no voice-encoder state dict in this file")
        _cache[key] = {k: np.asarray(v, dtype=np.float32) for k, v in state.items() if isinstance(v, np.ndarray)}
        logger.info("loaded voice-encoder weights from %s", p)
    return _cache[key]
