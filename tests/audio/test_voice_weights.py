"""The voice encoder's weights read without PyTorch (audio/voice_weights.py)."""

from __future__ import annotations

import pickle
import struct

import numpy as np
import pytest

from analysis.errors import ModelUnavailableError
from audio.voice_weights import find_voice_weights, load_voice_weights, read_legacy_torch

_MAGIC = 0x1950A86A20F9469CFC6C
NEEDS_WEIGHTS = pytest.mark.skipif(find_voice_weights() is None,
                                   reason="voice-encoder weights not installed: pip install --no-deps resemblyzer==0.1.4")


def _s(text: str) -> bytes:  # BINUNICODE
    b = text.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _legacy_file(tmp_path, global_line: bytes = b"ctorch._utils\n_rebuild_tensor_v2\n"):
    """A checkpoint {'w': tensor} in PyTorch's legacy format, written opcode by opcode:
    storage '0' holds 0..7 (float32); the tensor is offset 1, shape (3, 2), stride (1, 3)."""
    obj = (b"\x80\x02}" + _s("w") + global_line
           + b"((" + _s("storage") + b"ctorch\nFloatStorage\n" + _s("0") + _s("cpu") + b"K\x08Nt" + b"Q"
           + b"K\x01" + b"K\x03K\x02\x86" + b"K\x01K\x03\x86" + b"\x89" + b"ccollections\nOrderedDict\n)R" + b"tR"
           + b"s.")
    parts = [pickle.dumps(_MAGIC, protocol=2), pickle.dumps(1001, protocol=2),
             pickle.dumps({"little_endian": True}, protocol=2), obj, pickle.dumps(["0"], protocol=2),
             struct.pack("<q", 8) + np.arange(8, dtype="<f4").tobytes()]
    p = tmp_path / "w.pt"
    p.write_bytes(b"".join(parts))
    return p


def test_legacy_reader_known_tensor(tmp_path):
    w = read_legacy_torch(_legacy_file(tmp_path))["w"]
    assert w.dtype == np.float32 and w.shape == (3, 2)
    np.testing.assert_array_equal(w, [[1, 4], [2, 5], [3, 6]])
    w[0, 0] = 9.0  # a writable copy, not a view of the file's bytes


def test_legacy_reader_refuses_other_globals(tmp_path):
    p = _legacy_file(tmp_path, global_line=b"cos\nsystem\n")
    with pytest.raises(ValueError, match="os.system is not allowed"):
        read_legacy_torch(p)


def test_legacy_reader_refuses_other_files(tmp_path):
    p = tmp_path / "x.pt"
    p.write_bytes(pickle.dumps({"a": 1}, protocol=2))
    with pytest.raises(ValueError, match="not a legacy PyTorch file"):
        read_legacy_torch(p)


def test_missing_weights_say_what_to_install(tmp_path):
    with pytest.raises(ModelUnavailableError, match="pip install --no-deps resemblyzer==0.1.4"):
        load_voice_weights(tmp_path / "absent.pt")


@NEEDS_WEIGHTS
def test_resemblyzer_weights_shapes():
    w = load_voice_weights()
    assert w["lstm.weight_ih_l0"].shape == (1024, 40)
    for i in range(3):
        assert w[f"lstm.weight_hh_l{i}"].shape == (1024, 256)
        assert w[f"lstm.bias_ih_l{i}"].shape == (1024,) and w[f"lstm.bias_hh_l{i}"].shape == (1024,)
    assert w["lstm.weight_ih_l2"].shape == (1024, 256)
    assert w["linear.weight"].shape == (256, 256) and w["linear.bias"].shape == (256,)
    assert all(v.dtype == np.float32 and np.all(np.isfinite(v)) for v in w.values())
    assert 0.05 < float(np.abs(w["linear.weight"]).mean()) < 0.5  # trained weights, not zeros or garbage
