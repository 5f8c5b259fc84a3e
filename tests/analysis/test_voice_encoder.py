"""The NumPy voice encoder and the voiceprint one-vs-two decision (analysis/speakers/voice_encoder.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.errors import ParameterError
from analysis.speakers.diarize import DiarizeOptions, diarize
from analysis.speakers.voice_encoder import (
    VoiceEncoder,
    mel_power,
    pick_windows,
    speech_windows,
    two_voice_split,
    window_labels,
)
from audio.decode import decode
from audio.vad import speech_intervals
from audio.voice_weights import find_voice_weights, load_voice_weights
from tests.paths import SHARED_DATA, TEST_DATA

NEEDS_WEIGHTS = pytest.mark.skipif(find_voice_weights() is None,
                                   reason="voice-encoder weights not installed: pip install --no-deps resemblyzer==0.1.4")


def test_mel_matches_librosa():
    import librosa

    x = np.random.default_rng(1).standard_normal(12345).astype(np.float32) * 0.1
    ref = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, n_mels=40, pad_mode="reflect").T
    got = mel_power(x)
    assert got.shape == ref.shape == (1 + 12345 // 160, 40)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * float(ref.max()))


def _sig(v):
    return 1.0 / (1.0 + math.exp(-v))


def test_lstm_forward_matches_a_step_by_step_reference():
    """A 3-layer LSTM of 2 units, computed unit by unit with PyTorch's equations (gates i, f, g, o)."""
    rng = np.random.default_rng(0)
    H, D, T, E = 2, 40, 5, 3
    w = {}
    for layer in range(3):
        w[f"lstm.weight_ih_l{layer}"] = rng.normal(0, 0.3, (4 * H, D if layer == 0 else H)).astype(np.float32)
        w[f"lstm.weight_hh_l{layer}"] = rng.normal(0, 0.3, (4 * H, H)).astype(np.float32)
        w[f"lstm.bias_ih_l{layer}"] = rng.normal(0, 0.3, 4 * H).astype(np.float32)
        w[f"lstm.bias_hh_l{layer}"] = rng.normal(0, 0.3, 4 * H).astype(np.float32)
    w["linear.weight"] = rng.normal(0, 0.5, (E, H)).astype(np.float32)
    w["linear.bias"] = np.array([0.3, -5.0, 0.2], dtype=np.float32)  # unit 1 is cut to 0 by the ReLU
    x = rng.random((T, D)).astype(np.float32)
    seq = [list(map(float, row)) for row in x]
    for layer in range(3):
        Wi, Wh = w[f"lstm.weight_ih_l{layer}"], w[f"lstm.weight_hh_l{layer}"]
        b = w[f"lstm.bias_ih_l{layer}"] + w[f"lstm.bias_hh_l{layer}"]
        h, c, out = [0.0] * H, [0.0] * H, []
        for xt in seq:
            pre = [sum(Wi[r, j] * xt[j] for j in range(len(xt))) + sum(Wh[r, j] * h[j] for j in range(H)) + b[r]
                   for r in range(4 * H)]
            i = [_sig(pre[u]) for u in range(H)]
            f = [_sig(pre[H + u]) for u in range(H)]
            g = [math.tanh(pre[2 * H + u]) for u in range(H)]
            o = [_sig(pre[3 * H + u]) for u in range(H)]
            c = [f[u] * c[u] + i[u] * g[u] for u in range(H)]
            h = [o[u] * math.tanh(c[u]) for u in range(H)]
            out.append(h)
        seq = out
    e = [max(0.0, sum(w["linear.weight"][r, j] * h[j] for j in range(H)) + w["linear.bias"][r]) for r in range(E)]
    e = np.array(e) / np.linalg.norm(e)
    got = VoiceEncoder(w).forward(np.stack([x, x[::-1]]))
    assert got.shape == (2, E)
    np.testing.assert_allclose(got[0], e, atol=1e-5)
    assert got[0, 1] == 0.0 and not np.allclose(got[1], got[0])  # order matters: a recurrent net
    np.testing.assert_allclose(VoiceEncoder(w, blas_threads=None).forward(np.stack([x, x[::-1]])), got, atol=1e-6)
    with pytest.raises(ParameterError, match="blas_threads"):
        VoiceEncoder(w, blas_threads=0)


def test_two_voice_split_known_groups():
    rng = np.random.default_rng(3)
    a, b = np.eye(8)[0], np.eye(8)[0] * 0.6 + np.eye(8)[1] * 0.8  # cosine(a, b) = 0.6
    X = np.vstack([a + rng.normal(0, 0.01, (12, 8)), b + rng.normal(0, 0.01, (5, 8))])
    lab, sim = two_voice_split(X)
    assert sim == pytest.approx(0.6, abs=0.02)
    assert len(set(lab[:12])) == 1 and len(set(lab[12:])) == 1 and lab[0] != lab[12]
    assert two_voice_split(X[:3]) == (pytest.approx(np.zeros(3)), 1.0)  # too few to split


def test_speech_windows():
    wins = speech_windows([(0.0, 0.5), (1.0, 2.2), (3.0, 6.0)], window=1.6, step=0.8)
    assert wins[0] == (1.0, 2.2)  # short run: one window of its own; 0.5 s run skipped
    assert wins[1:] == [(3.0, 4.6), (3.8, 5.4), (4.4, 6.0)]
    assert len(speech_windows([(0, 100)], max_windows=10)) == 10


def test_window_labels_majority_and_stability():
    frames = np.array([0] * 50 + [1] * 50)  # 2 s of 20 ms frames: cluster 0, then cluster 1
    lab, stab = window_labels(frames, [(0.0, 0.6), (0.8, 1.2), (0.9, 1.5), (1.2, 1.8), (1.9, 2.5)], 0.02)
    assert lab.tolist() == [0, 0, 1, 1, 1]  # (0.8, 1.2): a tie goes to the lower label
    assert stab.tolist() == pytest.approx([1.0, 0.5, 25 / 30, 1.0, 1.0])  # the last one is cut at the end


def test_pick_windows_bounded_per_cluster_spread_and_stable():
    lab = np.array([0] * 10 + [1] * 3)
    stab = np.full(13, 0.9)
    # 10 windows of cluster 0 in 4 runs ([0-2], [3-5], [6-7], [8-9]): the middle of each; cluster 1 keeps its 3
    assert pick_windows(lab, stab, 4).tolist() == [1, 4, 6, 8, 10, 11, 12]
    stab[0] = stab[7] = 1.0  # a stabler window wins its run
    assert pick_windows(lab, stab, 4).tolist() == [0, 4, 7, 8, 10, 11, 12]
    assert pick_windows(lab, stab, 1).tolist() == [7, 11]  # one run: of the two stablest, the nearer the middle
    assert pick_windows(lab, stab, 50).tolist() == list(range(13))


def test_pick_windows_spreads_over_time_with_interleaved_clusters():
    lab = np.array([0, 1] * 50)  # 100 windows taking turns
    keep = pick_windows(lab, np.ones(100), 5)
    assert len(keep) == 10 and (lab[keep] == 0).sum() == 5 and (lab[keep] == 1).sum() == 5
    for c in (0, 1):  # one from each fifth of the recording
        assert sorted(k // 20 for k in keep[lab[keep] == c]) == [0, 1, 2, 3, 4]


def test_pick_windows_bad_input():
    with pytest.raises(ParameterError, match="per_label"):
        pick_windows(np.zeros(3, int), np.ones(3), 0)
    with pytest.raises(ParameterError, match="differ in shape"):
        pick_windows(np.zeros(3, int), np.ones(4), 2)


def _voice(path, seconds=None):
    d = decode(TEST_DATA / path)
    x = d.channels.mean(axis=0)
    return (x if seconds is None else x[: int(seconds * d.sample_rate)]), d.sample_rate


@NEEDS_WEIGHTS
def test_same_voice_closer_than_different_voices():
    enc = VoiceEncoder(load_voice_weights())
    piper, sr = _voice("practice/reflective-replies.flac")  # one synthetic (Piper) voice, 25 s
    jfk, sr2 = _voice("jfk.flac")  # a man speaking, 11 s
    assert sr == sr2 == 16000

    def print_of(x, a, b):
        e = enc.embed_segments(x, sr, [(t, t + 1.6) for t in np.arange(a, b - 1.6, 0.8)]).mean(axis=0)
        return e / np.linalg.norm(e)

    first, second = print_of(piper, 0, 12), print_of(piper, 12, 24.8)
    other = print_of(jfk, 0, 11)
    same, diff = float(first @ second), float(first @ other)
    assert same > 0.9, same
    assert diff < 0.75, diff


@NEEDS_WEIGHTS
def test_voiceprints_confirm_two_different_voices():
    """The Piper voice and JFK taking turns: MFCC clusters say two, the voiceprints confirm it for sure."""
    enc = VoiceEncoder(load_voice_weights())
    piper, sr = _voice("practice/reflective-replies.flac")
    jfk, _ = _voice("jfk.flac")
    gap = np.zeros(int(0.6 * sr), dtype=np.float32)
    turns = [piper[: 6 * sr], gap, 0.5 * jfk[: 5 * sr], gap, piper[6 * sr: 13 * sr], gap, 0.5 * jfk[5 * sr:], gap,
             piper[13 * sr:]]
    mix = np.concatenate(turns).astype(np.float32)
    two = diarize(mix, sr, speech=speech_intervals(mix, sr), voice_embedder=enc.embed_segments)
    assert two.n_speakers_detected == 2 and two.info["voice_similarity"] < DiarizeOptions().voice_sure_below
    assert not two.uncertain_count
    # JFK's first stretch (6.6-11.6 s) is mostly given to the second speaker
    jfk_part = sum(min(r.end, 11.6) - max(r.start, 6.6) for r in two.regions
                   if r.speaker == "spk1" and r.end > 6.6 and r.start < 11.6)
    assert jfk_part > 3.0


@NEEDS_WEIGHTS
def test_bounded_voiceprint_sample_still_confirms_two_voices():
    """With voice_per_cluster=4 at most 8 windows are embedded (of 20 in the speech), spread over the
    recording, taken from the full window grid; they still say two different voices for sure."""
    enc = VoiceEncoder(load_voice_weights())
    piper, sr = _voice("practice/reflective-replies.flac")
    jfk, _ = _voice("jfk.flac")
    gap = np.zeros(int(0.6 * sr), dtype=np.float32)
    mix = np.concatenate([piper[: 6 * sr], gap, 0.5 * jfk[: 5 * sr], gap, piper[6 * sr: 13 * sr], gap,
                          0.5 * jfk[5 * sr:], gap, piper[13 * sr:]]).astype(np.float32)
    speech = speech_intervals(mix, sr)
    seen: list[list[tuple[float, float]]] = []

    def embed(x, rate, wins):
        seen.append(list(wins))
        return enc.embed_segments(x, rate, wins)

    opts = DiarizeOptions(voice_per_cluster=4)
    two = diarize(mix, sr, opts, speech=speech, voice_embedder=embed)
    grid = speech_windows(speech, window=opts.voice_window, step=opts.voice_step)
    assert len(seen) == 1 and len(grid) == 20
    wins = seen[0]
    assert 6 <= len(wins) <= 8 and set(wins) <= set(grid) and wins == sorted(wins)
    end = mix.size / sr
    assert wins[0][0] < end / 4 and wins[-1][1] > 3 * end / 4  # spread over the recording, not its start
    assert two.n_speakers_detected == 2 and two.info["voice_similarity"] < opts.voice_sure_below
    diarize(mix, sr, DiarizeOptions(voice_per_cluster=0), speech=speech, voice_embedder=embed)
    assert seen[1] == grid  # 0: every window, as before


@NEEDS_WEIGHTS
def test_voiceprints_of_one_voice_make_the_split_unsure():
    """One Piper voice (two practice files, 20 s of speech): the MFCC clusters split it in two for sure;
    its voiceprints are alike (0.87-0.93), so the split is kept but marked unsure, with the note."""
    enc = VoiceEncoder(load_voice_weights())
    a, sr = _voice("practice/reflective-replies.flac")
    b, _ = _voice("practice/fixing-replies.flac")
    piper = np.concatenate([a, b])
    speech = speech_intervals(piper, sr)
    mfcc = diarize(piper, sr, speech=speech)
    assert mfcc.n_speakers_detected == 2 and mfcc.uncertain_count  # MFCC: two, close voices
    vp = diarize(piper, sr, speech=speech, voice_embedder=enc.embed_segments)
    o = DiarizeOptions()
    assert o.voice_sure_below <= vp.info["voice_similarity"] < o.voice_two_below
    assert vp.n_speakers_detected == 2 and vp.uncertain_count
    assert any("voiceprint similarity" in n and "say whether the helper speaks first" in n for n in vp.notes)


@NEEDS_WEIGHTS
@pytest.mark.skipif(not (SHARED_DATA / "dialogue" / "annomi119-high.stereo.flac").is_file(),
                    reason="needs ../shared/data/dialogue")
def test_voiceprints_overrule_a_split_of_one_voice():
    """The helper's channel of a synthesised dialogue (one voice, 2 minutes, 162 windows): MFCC statistics
    split it in two. Every window's voiceprint: alike beyond voice_one_above, one speaker, not unsure.
    The bounded sample (32 per MFCC cluster, 62 windows): a little less alike (0.93-0.95), one speaker,
    flagged unsure (docs/evaluation/speakers-hard-sets.md, "Bounded sample")."""
    d = decode(SHARED_DATA / "dialogue" / "annomi119-high.stereo.flac")
    x, sr = d.channels[0], d.sample_rate
    speech = speech_intervals(x, sr)
    assert diarize(x, sr, speech=speech).n_speakers_detected == 2
    embed = VoiceEncoder(load_voice_weights()).embed_segments
    o = DiarizeOptions()
    every = diarize(x, sr, DiarizeOptions(voice_per_cluster=0), speech=speech, voice_embedder=embed)
    assert every.info["voice_similarity"] >= o.voice_one_above
    assert every.n_speakers_detected == 1 and every.speakers == ("spk0",) and not every.uncertain_count
    bounded = diarize(x, sr, speech=speech, voice_embedder=embed)
    assert o.voice_two_below <= bounded.info["voice_similarity"] < o.voice_one_above
    assert bounded.n_speakers_detected == 1 and bounded.uncertain_count
