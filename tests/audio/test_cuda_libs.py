"""The [gpu] extra's CUDA libraries are found and loaded by full path; nothing changes without a GPU."""

from __future__ import annotations

import ctypes
import importlib
import shutil
import subprocess
import sys

import pytest

from audio import cuda_libs
from audio.cuda_libs import cuda_library_dirs, has_nvidia_driver, preload_cuda_libraries

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None or sys.platform != "linux", reason="needs gcc on Linux")


def _fake_wheels(root):
    """site/nvidia/{cublas,cudnn}/lib with real (tiny) shared libraries named as in the wheels."""
    libs = {"cublas": ["libcublasLt.so.12", "libcublas.so.12"], "cudnn": ["libcudnn.so.9", "libcudnn_ops.so.9"]}
    for package, names in libs.items():
        lib = root / "nvidia" / package / "lib"
        lib.mkdir(parents=True)
        for name in names:
            symbol = "lw_fake_" + name.split(".so")[0].replace("lib", "", 1)
            src = lib / f"{symbol}.c"
            src.write_text(f"int {symbol}(void) {{ return 42; }}\n")
            subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib / name), str(src)], check=True)
            src.unlink()
    return root


@pytest.fixture
def wheels(tmp_path, monkeypatch):
    site = _fake_wheels(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    for mod in [m for m in sys.modules if m == "nvidia" or m.startswith("nvidia.")]:
        monkeypatch.delitem(sys.modules, mod)
    importlib.invalidate_caches()
    monkeypatch.setattr(cuda_libs, "_LOADED", {})
    return site


def test_library_folders_of_the_wheels_are_found(wheels):
    dirs = cuda_library_dirs()
    assert dirs == [wheels / "nvidia" / "cublas" / "lib", wheels / "nvidia" / "cudnn" / "lib"]


def test_preload_loads_every_library_in_order_and_globally(wheels):
    loaded = preload_cuda_libraries(driver=True)
    names = [p.rsplit("/", 1)[1] for p in loaded]
    assert names == ["libcublasLt.so.12", "libcublas.so.12", "libcudnn.so.9", "libcudnn_ops.so.9"]
    # RTLD_GLOBAL: the symbols are visible to libraries loaded later (as CTranslate2 will be)
    assert ctypes.CDLL(None).lw_fake_cudnn_ops() == 42
    assert preload_cuda_libraries(driver=True) == []  # once per process


def test_without_a_driver_nothing_is_loaded(wheels):
    assert preload_cuda_libraries(driver=False) == []
    assert cuda_libs._LOADED == {}


def test_this_machine_without_gpu_is_unchanged(monkeypatch):
    """No NVIDIA driver here: device "auto" is the CPU and no library is loaded."""
    if has_nvidia_driver():
        pytest.skip("this machine has an NVIDIA driver")
    from audio.transcribe import select_device

    monkeypatch.setattr(cuda_libs, "_LOADED", {})
    assert select_device("auto") == "cpu"
    assert cuda_libs._LOADED == {}
