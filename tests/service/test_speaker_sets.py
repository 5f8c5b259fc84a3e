"""The hard speaker sets (service/eval/speaker_sets.py) and their evaluation."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from service.eval.speaker_sets import CLIPS, SAMPLE_RATE, add_room_and_noise, build_sets, load_sets, telephone

SR = SAMPLE_RATE


def _level_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-20)


def test_telephone_band():
    t = np.arange(2 * SR) / SR
    for f, kept in ((1000.0, True), (5000.0, False), (150.0, False)):
        x = (0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32)
        y = telephone(x)
        assert y.shape == x.shape
        loss = _level_db(x[SR // 2: -SR // 2]) - _level_db(y[SR // 2: -SR // 2])
        assert (abs(loss) < 3.0) if kept else (loss > 12.0), (f, loss)


def test_room_and_noise_snr():
    rng = np.random.default_rng(0)
    t = np.arange(4 * SR) / SR
    speech = (0.1 * np.sin(2 * np.pi * 220 * t) * (t % 1 < 0.6)).astype(np.float32)
    dry = add_room_and_noise([speech], rng, room=False, snr_db=None)
    assert np.allclose(dry, speech, atol=1e-6)
    noisy = add_room_and_noise([speech], np.random.default_rng(1), room=False, snr_db=15.0)
    noise = noisy - speech
    active = np.abs(speech) > 1e-4
    snr = _level_db(speech[active]) - _level_db(noise)
    assert snr == pytest.approx(15.0, abs=1.0)
    wet = add_room_and_noise([speech], np.random.default_rng(2), room=True, snr_db=None)
    silent_after = (t % 1 > 0.7) & (t % 1 < 0.75)  # the echo tail rings into the pauses
    assert np.abs(wet[silent_after]).mean() > 10 * np.abs(speech[silent_after]).mean()


def test_clip_list_has_both_halves_and_every_set():
    groups = {(c.group, c.split) for c in CLIPS}
    for g in ("similar-f", "similar-m", "phone", "short", "noisy", "one-voice", "listener"):
        assert (g, "dev") in groups and (g, "test") in groups
    dev_voices = {v for c in CLIPS if c.split == "dev" for v in c.voices}
    test_voices = {v for c in CLIPS if c.split == "test" for v in c.voices}
    assert not dev_voices & test_voices  # the test half uses other voices
    assert all(20 <= c.seconds <= 40 for c in CLIPS if c.group == "short")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_listener_clip_gives_the_second_voice_a_small_share():
    """In a ``listener`` clip the second voice speaks 5-25 % of the time, mostly backchannels."""
    from service.eval.speaker_sets import _dialogue

    spec = next(c for c in CLIPS if c.name == "dev-listener-m")
    assert spec.listener and spec.voices[0].engine == "espeak"
    tracks, regions = _dialogue(spec)
    talk = {v: sum(r.end - r.start for r in regions if r.speaker == v) for v in ("v0", "v1")}
    assert 0.05 <= talk["v1"] / (talk["v0"] + talk["v1"]) <= 0.25, talk
    assert len(tracks) == 2 and tracks[0].size == tracks[1].size
    minor = [r.end - r.start for r in regions if r.speaker == "v1"]
    major = [r.end - r.start for r in regions if r.speaker == "v0"]
    assert sum(d < 1.2 for d in minor) >= len(minor) / 2  # mostly "Yeah.", "Mm, okay." ...
    assert np.median(major) > 1.5 and len(major) > 2 * len(minor)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_built_short_clip_is_diarized_into_two(tmp_path):
    """A 32 s espeak-ng clip of two male voices: built, scored, two speakers, low DER."""
    from service.eval.diarization import eval_hard_sets, summarise

    manifest = build_sets(tmp_path, names={"dev-short-m", "dev-one-m"})
    assert [m["name"] for m in manifest] == ["dev-short-m", "dev-one-m"]
    assert [m["name"] for m in load_sets(tmp_path)] == ["dev-short-m", "dev-one-m"]
    rttm = (tmp_path / "dev-short-m.rttm").read_text(encoding="utf-8").splitlines()
    assert {line.split()[7] for line in rttm} == {"v0", "v1"}
    items = eval_hard_sets(tmp_path, manifest)
    short = next(i for i in items if i.name == "dev-short-m")
    assert short.n_ref == 2 and short.n_hyp == 2 and short.score.der < 0.15
    assert short.extra["split"] == "dev"
    one = next(i for i in items if i.name == "dev-one-m")
    assert one.n_ref == 1
    s = summarise(items)
    assert "hard/dev" in s and "hard+ami-2spk" in s
