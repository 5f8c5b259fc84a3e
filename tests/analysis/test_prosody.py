"""Prosody on synthetic signals with known answers (fast: no model, no speech synthesis)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from analysis.errors import ParameterError
from analysis.prosody.analyze import ProsodyOptions, ProsodyResult, prosody_by_speaker
from analysis.prosody.fillers import find_fillers
from analysis.prosody.pauses import bin_pauses, word_gaps
from analysis.prosody.pitch import frame_features, pitch_stats
from analysis.schema import CLIENT, HELPER, SpeechRegion, Turn, Word

SR = 16000


def tone(hz: float, seconds: float, db: float = -20.0, sr: int = SR) -> np.ndarray:
    """A sine whose RMS is ``db`` dBFS."""
    t = np.arange(int(seconds * sr)) / sr
    return (10 ** (db / 20) * math.sqrt(2) * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def voice(hz: float, seconds: float, db: float = -20.0, sr: int = SR) -> np.ndarray:
    """A voice-like harmonic complex (1/k amplitudes) at ``hz`` scaled to ``db`` dBFS RMS."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * k * hz * t) / k for k in range(1, 8) if k * hz < sr / 2)
    y = y / np.sqrt(np.mean(y**2)) * 10 ** (db / 20)
    return y.astype(np.float32)


def glide(f0: float, f1: float, seconds: float, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    f = f0 * (f1 / f0) ** (t / seconds)
    phase = 2 * np.pi * np.cumsum(f) / sr
    return (0.3 * np.sin(phase)).astype(np.float32)


def one_turn(y: np.ndarray, speaker: str = HELPER, text: str = "hello there", sr: int = SR) -> list[Turn]:
    return [Turn(speaker=speaker, role=speaker, text=text, start=0.0, end=len(y) / sr, index=0)]


# --- pitch and energy -------------------------------------------------------


def test_200hz_tone_reads_200hz_within_2_percent():
    ff = frame_features(tone(200.0, 2.0), SR)
    med, rng, sd = pitch_stats(ff.f0_hz)
    assert abs(med - 200.0) / 200.0 < 0.02
    assert ff.voiced.mean() > 0.9
    assert rng < 0.5 and sd < 0.2


@pytest.mark.parametrize("hz", [70.0, 110.0, 330.0])
def test_voice_like_complex_tracks_its_fundamental(hz):
    med, _, _ = pitch_stats(frame_features(voice(hz, 1.5), SR).f0_hz)
    assert abs(med - hz) / hz < 0.02


def test_glide_120_to_240_spans_12_semitones_within_1():
    _, rng, _ = pitch_stats(frame_features(glide(120.0, 240.0, 3.0), SR).f0_hz)
    assert abs(rng - 12.0) < 1.0


def test_silence_and_noise_are_unvoiced(rng):
    assert not frame_features(np.zeros(SR, dtype=np.float32), SR).voiced.any()
    noise = rng.normal(0, 0.1, SR * 2).astype(np.float32)
    assert frame_features(noise, SR).voiced.mean() < 0.02


def test_minus_20_db_tone_reads_minus_20_db():
    y = tone(200.0, 2.0, db=-20.0)
    r = prosody_by_speaker(y, SR, one_turn(y))
    assert r.speakers[0].energy_db == pytest.approx(-20.0, abs=0.3)
    assert r.speakers[0].pitch_median_hz == pytest.approx(200.0, rel=0.02)


def test_per_channel_helper_vs_client_level_and_pitch():
    helper = voice(120.0, 3.0, db=-20.0)
    client = voice(120.0 * 2 ** (4 / 12), 3.0, db=-26.0)
    gap = np.zeros(SR, dtype=np.float32)
    stereo = np.stack([np.concatenate([helper, gap, 0 * client]), np.concatenate([0 * helper, gap, client])])
    turns = [
        Turn(HELPER, "hi", 0.0, 3.0, HELPER, index=0),
        Turn(CLIENT, "hello", 4.0, 7.0, CLIENT, index=1),
    ]
    r = prosody_by_speaker(stereo, SR, turns, channels={HELPER: 0, CLIENT: 1})
    assert r.source == "channels"
    assert r.helper_minus_client_st == pytest.approx(-4.0, abs=0.2)
    assert r.helper_minus_client_db == pytest.approx(6.0, abs=0.5)
    assert r.speaker(HELPER).level_vs_other_db == pytest.approx(6.0, abs=0.5)
    # Same answer from the mono mix with turns as regions.
    m = prosody_by_speaker(stereo.sum(axis=0), SR, turns)
    assert m.source == "mono"
    assert m.helper_minus_client_st == pytest.approx(-4.0, abs=0.2)


def test_overlapping_regions_are_left_out_in_a_mono_mix():
    a, b = voice(110.0, 4.0), voice(220.0, 4.0)
    mix = np.concatenate([a[: 2 * SR], a[2 * SR :] + b[: 2 * SR], b[2 * SR :]])
    regions = [SpeechRegion(0.0, 4.0, "A"), SpeechRegion(2.0, 6.0, "B")]
    turns = [Turn("A", "x", 0.0, 4.0, HELPER, index=0), Turn("B", "y", 2.0, 6.0, CLIENT, index=1)]
    r = prosody_by_speaker(mix, SR, turns, regions)
    assert r.speaker("A").pitch_median_hz == pytest.approx(110.0, rel=0.02)
    assert r.speaker("B").pitch_median_hz == pytest.approx(220.0, rel=0.02)


def test_speaker_without_regions_is_measured_on_all_its_turns():
    a, b = voice(110.0, 2.0), voice(220.0, 2.0)
    y = np.concatenate([a, b, a, b])
    turns = [Turn("A", "x", 0.0, 2.0, HELPER, index=0), Turn("B", "y", 2.0, 4.0, CLIENT, index=1),
             Turn("A", "x", 4.0, 6.0, HELPER, index=2), Turn("B", "y", 6.0, 8.0, CLIENT, index=3)]
    regions = [SpeechRegion(0.0, 2.0, "A"), SpeechRegion(4.0, 6.0, "A")]
    r = prosody_by_speaker(y, SR, turns, regions)
    assert r.speaker("B").voiced_s == pytest.approx(4.0, abs=0.2)
    assert r.speaker("B").pitch_median_hz == pytest.approx(220.0, rel=0.02)
    assert r.turns[3].pitch_median_hz == pytest.approx(220.0, rel=0.02)


def test_monotone_flag():
    flat = voice(120.0, 3.0)
    lively = glide(100.0, 200.0, 3.0)
    r = prosody_by_speaker(np.concatenate([flat, lively]), SR, [
        Turn(HELPER, "a", 0.0, 3.0, HELPER, index=0), Turn(CLIENT, "b", 3.0, 6.0, CLIENT, index=1)])
    assert r.speaker(HELPER).monotone is True
    assert r.speaker(CLIENT).monotone is False


# --- pauses, rate, fillers ------------------------------------------------


def test_pauses_of_known_lengths_fall_in_the_right_bins():
    gaps = [0.15, 0.5, 1.5, 0.12, 0.8]  # brief, medium, long, brief, medium
    parts = [voice(120.0, 0.6)]
    for g in gaps:
        parts += [np.zeros(int(g * SR), dtype=np.float32), voice(120.0, 0.6)]
    y = np.concatenate(parts)
    r = prosody_by_speaker(y, SR, one_turn(y))
    p = r.turns[0].pauses
    assert (p.brief, p.medium, p.long) == (2, 2, 1)
    assert p.total_s == pytest.approx(sum(gaps), abs=0.05)
    assert p.longest_s == pytest.approx(1.5, abs=0.03)
    assert r.speakers[0].pauses == p


def test_pauses_are_found_over_background_noise(rng):
    gaps = [0.15, 0.5, 1.5]
    parts = [voice(120.0, 0.6)]
    for g in gaps:
        parts += [np.zeros(int(g * SR), dtype=np.float32), voice(120.0, 0.6)]
    y = np.concatenate(parts)
    y = y + rng.normal(0, 10 ** (-42 / 20), len(y)).astype(np.float32)  # noise 22 dB under the voice
    p = prosody_by_speaker(y, SR, one_turn(y)).turns[0].pauses
    assert (p.brief, p.medium, p.long) == (1, 1, 1)


def test_bins_and_word_gap_pauses():
    assert bin_pauses([0.05, 0.1, 0.199, 0.2, 1.0, 1.01]).to_dict() == {
        "brief": 2, "medium": 2, "long": 1, "total_s": pytest.approx(2.509), "longest_s": 1.01}
    words = [Word(0.0, 0.3, "a"), Word(0.45, 0.7, "b"), Word(2.0, 2.2, "c")]
    assert word_gaps(words) == pytest.approx([0.15, 1.3])


def test_rate_rushed_and_disclosure():
    text_fast = " ".join(["word"] * 20)  # 20 words in 6 s = 200 wpm
    turns = [
        Turn(CLIENT, "I feel so scared about tomorrow.", 0.0, 3.0, CLIENT, index=0),
        Turn(HELPER, text_fast, 3.5, 9.5, HELPER, index=1),
        Turn(CLIENT, "Okay then, we will see what the day brings us.", 10.0, 14.0, CLIENT, index=2),
        Turn(HELPER, " ".join(["word"] * 10), 14.5, 20.5, HELPER, index=3),  # 100 wpm
    ]
    r = prosody_by_speaker(None, SR, turns)
    t1, t3 = r.turns[1], r.turns[3]
    assert t1.wpm == pytest.approx(200.0) and t1.rushed is True and t1.after_disclosure is True
    assert t3.wpm == pytest.approx(100.0) and t3.rushed is False and t3.after_disclosure is False
    assert r.rushed_after_disclosure == (1,)
    assert r.turns[0].rushed is None  # too short to judge
    assert r.speaker(HELPER).wpm == pytest.approx(60 * 30 / 12)
    assert r.partial and any("no audio" in n for n in r.notes)
    # Explicit indices and a detector from the cues stage are honoured.
    assert prosody_by_speaker(None, SR, turns, disclosures={2}).rushed_after_disclosure == ()
    never = prosody_by_speaker(None, SR, turns, disclosures=lambda t: False)
    assert never.rushed_after_disclosure == ()
    slow = prosody_by_speaker(None, SR, turns, options=ProsodyOptions(rushed_wpm=250))
    assert slow.turns[1].rushed is False


def test_articulation_rate_excludes_pauses():
    words = tuple(Word(i * 1.0, i * 1.0 + 0.4, "w") for i in range(10))  # 0.6 s gaps
    t = Turn(HELPER, "w " * 10, 0.0, 9.4, HELPER, words=words, index=0)
    r = prosody_by_speaker(None, SR, [t]).turns[0]
    assert r.pauses.medium == 9
    assert r.wpm == pytest.approx(60 * 10 / 9.4)
    assert r.articulation_wpm == pytest.approx(60 * 10 / 4.0)


def test_fillers_with_times():
    texts = "Um, I was, like, you know, thinking. I like it. You know what happened? Uh".split()
    words = tuple(Word(float(i), i + 0.5, w) for i, w in enumerate(texts))
    t = Turn(HELPER, " ".join(texts), 0.0, 60.0, HELPER, words=words, index=4)
    found = find_fillers(t)
    assert [(f.text, f.start) for f in found] == [("um", 0.0), ("like", 3.0), ("you know", 4.0), ("uh", 14.0)]
    assert found[2].end == 5.5 and found[0].turn_index == 4
    r = prosody_by_speaker(None, SR, [t])
    assert r.speakers[0].fillers_per_min == pytest.approx(4.0)


# --- bad input, serialisation --------------------------------------------------


def test_all_silence_is_a_marked_partial_result():
    y = np.zeros(3 * SR, dtype=np.float32)
    r = prosody_by_speaker(y, SR, one_turn(y))
    assert r.partial and any("silent" in n for n in r.notes)
    assert math.isnan(r.speakers[0].pitch_median_hz)
    json.dumps(r.to_dict(), allow_nan=False)


def test_clipped_audio_is_noted():
    y = np.clip(voice(150.0, 2.0, db=0.0) * 4, -1, 1)
    r = prosody_by_speaker(y, SR, one_turn(y))
    assert r.partial and any("clipped" in n for n in r.notes)
    assert r.speakers[0].pitch_median_hz == pytest.approx(150.0, rel=0.03)


def test_very_low_level_is_noted():
    y = voice(150.0, 2.0, db=-52.0)
    r = prosody_by_speaker(y, SR, one_turn(y))
    assert r.partial and any("low level" in n for n in r.notes)
    assert r.speakers[0].energy_db == pytest.approx(-52.0, abs=0.5)


def test_telephone_band_audio_is_noted(rng):
    import soxr

    wide = voice(140.0, 2.0) + rng.normal(0, 0.01, 2 * SR).astype(np.float32)  # breath noise to 8 kHz
    ok = prosody_by_speaker(wide, SR, one_turn(wide))
    assert not ok.partial, ok.notes
    y8 = voice(140.0, 2.0, sr=8000) + rng.normal(0, 0.01, 2 * 8000).astype(np.float32)
    y = soxr.resample(y8, 8000, SR).astype(np.float32)
    r = prosody_by_speaker(y, SR, one_turn(y))
    assert r.partial and any("narrow-band" in n for n in r.notes)
    assert r.speakers[0].pitch_median_hz == pytest.approx(140.0, rel=0.02)
    # Native 8 kHz input works too.
    r8 = prosody_by_speaker(y8, 8000, one_turn(y8, sr=8000))
    assert r8.speakers[0].pitch_median_hz == pytest.approx(140.0, rel=0.02)


def test_empty_and_nan_audio_do_not_crash():
    r = prosody_by_speaker(np.zeros(0, dtype=np.float32), SR, one_turn(np.zeros(SR)))
    assert r.partial
    y = voice(150.0, 2.0)
    y[100:200] = np.nan
    assert prosody_by_speaker(y, SR, one_turn(y)).speakers[0].pitch_median_hz == pytest.approx(150, rel=0.02)


def test_bad_arguments_raise_parameter_error():
    with pytest.raises(ParameterError, match="shape"):
        prosody_by_speaker(np.zeros((2, 2, 2)), SR, [])
    with pytest.raises(ParameterError, match="sr="):
        prosody_by_speaker(np.zeros(10), 0, [])
    with pytest.raises(ParameterError, match="fmin_hz"):
        ProsodyOptions(fmin_hz=500)
    with pytest.raises(ParameterError, match="out of range"):
        prosody_by_speaker(np.zeros((2, SR)), SR, [], channels={HELPER: 3})


def test_round_trip_json_and_small_track():
    y = np.concatenate([voice(120.0, 30.0), np.zeros(SR, dtype=np.float32), voice(150.0, 30.0)])
    turns = [Turn(HELPER, "um hello", 0.0, 30.0, HELPER, index=0), Turn(CLIENT, "hi", 31.0, 61.0, CLIENT, index=1)]
    r = prosody_by_speaker(y, SR, turns, options=ProsodyOptions(track_max_points=500))
    track = r.tracks[0]
    assert 0 < len(track.times) <= 500 and len(track.f0_hz) == len(track.times)
    assert np.nanmedian(track.f0_hz) == pytest.approx(120.0, rel=0.02)
    assert max(track.times) <= 30.0 + 0.05
    text = json.dumps(r.to_dict(), allow_nan=False)
    back = ProsodyResult.from_dict(json.loads(text))
    assert back.to_dict() == r.to_dict()
    assert back.speaker(CLIENT).pitch_median_hz == pytest.approx(r.speaker(CLIENT).pitch_median_hz)


def test_a_fresh_process_never_imports_numba_or_librosa(tmp_path):
    """The librosa pitch trackers cost ~60 s of numba compiling per cold process; prosody avoids them."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from analysis.prosody.analyze import prosody_by_speaker\n"
        "from analysis.schema import Turn\n"
        "y = (0.1 * np.sin(2 * np.pi * 150 * np.arange(16000) / 16000)).astype(np.float32)\n"
        "r = prosody_by_speaker(y, 16000, [Turn('helper', 'hi there', 0.0, 1.0, 'helper')])\n"
        "assert abs(r.speakers[0].pitch_median_hz - 150) < 3\n"
        "print(sorted(m for m in ('numba', 'librosa') if m in sys.modules))\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_prosody_table_lists_each_speaker():
    from analysis.report.prosody_table import prosody_table

    helper, client = voice(120.0, 3.0, db=-20.0), voice(150.0, 3.0, db=-26.0)
    y = np.concatenate([helper, client])
    turns = [Turn(HELPER, "I hear you", 0.0, 3.0, HELPER, index=0), Turn(CLIENT, "um okay", 3.0, 6.0, CLIENT, index=1)]
    table = prosody_table(prosody_by_speaker(y, SR, turns).to_dict())
    lines = table.splitlines()
    assert lines[1].startswith("helper (helper)") and " 120.0 " in lines[1] and "-20.0" in lines[1]
    assert lines[2].startswith("client (client)") and "monotone" in lines[2]
    assert "helper vs client: level +6." in table and "pitch -3.9 semitones" in table
    assert prosody_table(None) == "Voice: not measured."
