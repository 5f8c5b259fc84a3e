"""The voice encoder is built at the edge and is on unless switched off (service/voices.py)."""

from __future__ import annotations

import pytest

import service.voices as voices
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
    embed = voices.voice_embedder()
    import numpy as np

    e = embed(np.zeros(16000 * 2, dtype=np.float32), 16000, [(0.0, 1.6)])
    assert e.shape == (1, 256) and float(np.abs(e).sum()) == 0.0  # silence: no voiceprint, not NaN
