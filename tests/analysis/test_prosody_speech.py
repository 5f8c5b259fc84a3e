"""Prosody on real speech: Piper-synthesised lines with known pitch shift and known timing,
transcribed by the real Whisper model; and the shared voiced dialogues when present."""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis.prosody.analyze import prosody_by_speaker
from analysis.prosody.pitch import frame_features
from analysis.prosody.rate import assign_words
from analysis.schema import CLIENT, HELPER, Turn

synth = pytest.importorskip("service.synth.voice")

SCRIPT = [
    {"speaker": HELPER, "text": "Thanks for coming in today. What has been on your mind this week?", "gap": 0.0},
    {"speaker": CLIENT, "text": "Honestly, I have been feeling really scared about going back to work, "
                                "and I keep thinking that everyone will be watching me.", "gap": 0.5},
    {"speaker": HELPER, "text": "It sounds like going back feels frightening, and you worry about being judged.",
     "gap": 0.7},
    {"speaker": CLIENT, "text": "Yes. That is exactly it. I just want things to feel normal again.", "gap": 0.5},
]


def _truth_turns(truth: dict) -> list[Turn]:
    return [Turn(t["speaker"], t["text"], t["start"], t["end"], t["speaker"], index=i)
            for i, t in enumerate(truth["turns"])]


def _truth_wpm(truth: dict, speaker: str) -> float:
    turns = [t for t in truth["turns"] if t["speaker"] == speaker]
    return 60.0 * sum(len(t["text"].split()) for t in turns) / sum(t["end"] - t["start"] for t in turns)


@pytest.fixture(scope="module")
def dialogue():
    try:
        return synth.synthesize_dialogue(SCRIPT, name="prosody-test")
    except Exception as e:  # the voice package is a test extra
        pytest.skip(f"Piper synthesis unavailable: {e}")


def test_client_voice_is_four_semitones_above_the_helper(dialogue):
    """The same utterance shifted up 4 semitones (as service.synth.voice makes the client voice) reads +4 st."""
    import librosa

    line = "I have been feeling really scared about going back to work. Everyone will be watching me."
    h, sr = synth.synthesize_line(line, HELPER)
    c = librosa.effects.pitch_shift(h, sr=sr, n_steps=4.0, res_type="soxr_hq").astype(np.float32)
    gap = np.zeros(sr // 2, dtype=np.float32)
    y = np.concatenate([h, gap, c])
    t_h, t_c = len(h) / sr, (len(h) + len(gap)) / sr
    turns = [Turn(HELPER, line, 0.0, t_h, HELPER, index=0), Turn(CLIENT, line, t_c, len(y) / sr, CLIENT, index=1)]
    r = prosody_by_speaker(y, sr, turns)
    # Medians are over each voice's own voiced frames, which differ a little: about +-1 st.
    assert r.helper_minus_client_st == pytest.approx(-4.0, abs=1.2), r.notes
    # Frame by frame, where both are voiced, the tracker reads the shift to within a fifth of a semitone
    # (4.09 here; 4.15 in another environment, where the synthesised samples differ slightly).
    fh, fc = frame_features(h, sr), frame_features(c, sr)
    n = min(len(fh.f0_hz), len(fc.f0_hz))
    both = fh.voiced[:n] & fc.voiced[:n]
    assert both.sum() > 50
    assert np.median(12 * np.log2(fc.f0_hz[:n][both] / fh.f0_hz[:n][both])) == pytest.approx(4.0, abs=0.2)
    assert 70 < r.speaker(HELPER).pitch_median_hz < 160  # a male voice
    assert not r.partial, r.notes


def test_rates_from_whisper_words_within_10_percent_of_truth(dialogue):
    from audio.transcribe import TranscribeOptions, transcribe

    truth = dialogue.truth
    transcript = transcribe(dialogue.mono, TranscribeOptions(device="cpu"))
    turns = assign_words(_truth_turns(truth), transcript.words)
    r = prosody_by_speaker(dialogue.stereo, dialogue.sample_rate, turns, channels={HELPER: 0, CLIENT: 1})
    for spk in (HELPER, CLIENT):
        want = _truth_wpm(truth, spk)
        got = r.speaker(spk).wpm
        assert abs(got - want) / want < 0.10, (spk, got, want)
        assert r.speaker(spk).articulation_wpm >= got
    # The helper's reply right after the client's disclosure is marked as such.
    assert r.turns[2].after_disclosure and not r.turns[0].after_disclosure
    assert r.source == "channels" and len(r.tracks) == 2


def test_shared_dialogue_pitch_and_rates(shared_data):
    """First 90 s of the voiced AnnoMI dialogue: client higher than helper, rates equal truth text."""
    import soundfile as sf

    folder = shared_data / "dialogue"
    truth = json.loads((folder / "annomi119-high.json").read_text())
    y, sr = sf.read(folder / "annomi119-high.stereo.flac", dtype="float32", frames=90 * 16000)
    turns = [t for t in _truth_turns(truth) if t.end <= 90.0]
    r = prosody_by_speaker(y.T, sr, turns, channels={HELPER: 0, CLIENT: 1})
    assert 2.5 < -r.helper_minus_client_st < 6.0
    for spk in (HELPER, CLIENT):
        mine = [t for t in turns if t.speaker == spk]
        want = 60.0 * sum(len(t.text.split()) for t in mine) / sum(t.duration for t in mine)
        assert r.speaker(spk).wpm == pytest.approx(want, rel=1e-6)
        assert r.speaker(spk).pauses.count > 0
    assert any(f.text == "um" for f in r.speaker(CLIENT).fillers)


def test_eval_prosody_cli_on_a_written_dialogue(dialogue, tmp_path):
    from click.testing import CliRunner

    from service.cli.main import main

    synth.write_dialogue(dialogue, tmp_path, "tiny", fmt="flac")
    out = tmp_path / "prosody.json"
    res = CliRunner().invoke(main, ["eval", "prosody", str(tmp_path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    row = json.loads(out.read_text())["dialogues"][0]
    assert abs(row["helper"]["wpm_error_pct"]) < 10 and abs(row["client"]["wpm_error_pct"]) < 10
    assert row["client"]["pitch_median_hz"] > row["helper"]["pitch_median_hz"]
    assert "helper-client pitch" in res.output


def test_eval_prosody_cli_missing_data_is_a_clean_error(tmp_path):
    from click.testing import CliRunner

    from service.cli.main import main

    res = CliRunner().invoke(main, ["eval", "prosody", str(tmp_path)])
    assert res.exit_code == 30 and "no NAME.json" in res.output


def test_telephone_band_speech_keeps_its_pitch_and_is_marked(dialogue):
    """Speech band-limited to 300-3400 Hz at 8 kHz, upsampled back: pitch holds, result is marked."""
    import soxr
    from scipy.signal import butter, sosfiltfilt

    line = "I have been feeling really scared about going back to work. Everyone will be watching me."
    y, sr = synth.synthesize_line(line, HELPER)
    band = sosfiltfilt(butter(6, [300, 3400], btype="band", fs=sr, output="sos"), y).astype(np.float32)
    phone = soxr.resample(soxr.resample(band, sr, 8000), 8000, sr).astype(np.float32)
    wide = prosody_by_speaker(y, sr, [Turn(HELPER, line, 0.0, len(y) / sr, HELPER)])
    narrow = prosody_by_speaker(phone, sr, [Turn(HELPER, line, 0.0, len(phone) / sr, HELPER)])
    assert not wide.partial, wide.notes
    assert narrow.partial and any("narrow-band" in n for n in narrow.notes)
    assert narrow.speakers[0].pitch_median_hz == pytest.approx(wide.speakers[0].pitch_median_hz, rel=0.05)
