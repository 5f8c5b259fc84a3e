"""Find the CUDA 12 runtime libraries of the ``[gpu]`` extra so CTranslate2 can use the GPU.

PyPI's CTranslate2 needs cuBLAS (CUDA 12) and cuDNN 9 at run time. ``pip install
-e .[gpu]`` brings them as the ``nvidia-cublas-cu12`` and ``nvidia-cudnn-cu12``
wheels, which put the libraries in ``site-packages/nvidia/*/lib``, a folder the
dynamic loader does not search. :func:`preload_cuda_libraries` loads them by full
path (``RTLD_GLOBAL``) before the model is created, so no ``LD_LIBRARY_PATH`` is
needed. Without an NVIDIA driver, or without the wheels, it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import logging
import os
import sys
from pathlib import Path

__all__ = ["LIBRARY_ORDER", "cuda_library_dirs", "has_nvidia_driver", "preload_cuda_libraries"]

logger = logging.getLogger(__name__)

# wheel package -> library name prefixes, in load order (cuBLASLt before cuBLAS; cuDNN's parts after cuDNN)
LIBRARY_ORDER = (
    ("nvidia.cuda_runtime", ("libcudart.so",)),
    ("nvidia.cublas", ("libcublasLt.so", "libcublas.so")),
    ("nvidia.cudnn", ("libcudnn.so", "libcudnn_")),
)
_LOADED: dict[str, ctypes.CDLL] = {}


def cuda_library_dirs() -> list[Path]:
    """``lib`` folders of the installed nvidia-* wheels (empty when none is installed)."""
    dirs = []
    for package, _ in LIBRARY_ORDER:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        for root in list(spec.submodule_search_locations or []):
            lib = Path(root) / "lib"
            if lib.is_dir():
                dirs.append(lib)
    return dirs


def has_nvidia_driver() -> bool:
    """True when this machine has an NVIDIA driver (``libcuda``), so a GPU may be used."""
    if sys.platform == "win32":
        return ctypes.util.find_library("nvcuda") is not None
    return ctypes.util.find_library("cuda") is not None or Path("/dev/nvidiactl").exists()


def preload_cuda_libraries(dirs: list[Path] | None = None, *, driver: bool | None = None) -> list[str]:
    """Load the wheels' CUDA libraries by full path; return the files loaded (none without a driver).

    On Windows the folders are added with ``os.add_dll_directory`` instead.
    """
    if not (has_nvidia_driver() if driver is None else driver):
        return []
    dirs = cuda_library_dirs() if dirs is None else dirs
    loaded: list[str] = []
    for folder in dirs:
        if sys.platform == "win32":  # pragma: no cover - Windows only
            os.add_dll_directory(str(folder))
            loaded.append(str(folder))
            continue
        names = sorted(p.name for p in folder.iterdir() if ".so" in p.name)
        for _, prefixes in LIBRARY_ORDER:
            for prefix in prefixes:
                for name in names:
                    full = str(folder / name)
                    if not name.startswith(prefix) or full in _LOADED:
                        continue
                    try:
                        _LOADED[full] = ctypes.CDLL(full, mode=ctypes.RTLD_GLOBAL)
                        loaded.append(full)
                    except OSError as e:
                        logger.warning("could not load %s: %s", full, e)
    if loaded:
        logger.info("preloaded %d CUDA librar%s from the [gpu] extra", len(loaded), "y" if len(loaded) == 1 else "ies")
    return loaded
