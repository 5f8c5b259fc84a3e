"""Browser practice stores both sides: ch0 the trainee's mic, ch1 the client's lines as played.

Known answers: a synthetic tone placed by :func:`place_client_lines`, and a real
submission (Flask test client) of a browser-style WebM (tests/data/formats/jfk4_live.webm,
no duration in its header) with a client timeline; the stored WAV is read back
and its header parsed.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from service.practice.recording import place_client_lines
from tests.web_fixtures import app, instance, login, world  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
LIVE_WEBM = ROOT / "tests" / "data" / "formats" / "jfk4_live.webm"
LINE0 = ROOT / "samples" / "scenarios" / "relapse-shame" / "opening.flac"
SR = 16000


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def test_clips_land_at_their_times_and_the_mic_is_untouched():
    mic = np.full(3 * SR, 0.1, dtype=np.float32)
    tone = (0.5 * np.sin(2 * np.pi * 200 * np.arange(SR // 2) / SR)).astype(np.float32)
    out = place_client_lines(mic, [(1.0, tone), (2.75, tone), (5.0, tone)], SR)
    assert out.shape == (2, int(3.25 * SR))  # the second clip runs 0.25 s past the mic; the third is left out
    np.testing.assert_array_equal(out[0, :mic.size], mic)
    assert not out[0, mic.size:].any()
    np.testing.assert_array_equal(out[1, SR:SR + tone.size], tone)
    np.testing.assert_array_equal(out[1, int(2.75 * SR):], tone)
    assert not out[1, :SR].any() and not out[1, SR + tone.size:int(2.75 * SR)].any()


def _wav_header(path: Path) -> dict:
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
    assert struct.unpack("<I", raw[4:8])[0] == len(raw) - 8
    pos, chunks = 12, {}
    while pos + 8 <= len(raw):
        cid, size = raw[pos:pos + 4], struct.unpack("<I", raw[pos + 4:pos + 8])[0]
        chunks[cid] = (pos + 8, size)
        pos += 8 + size + (size & 1)
    fmt_at, _ = chunks[b"fmt "]
    _, channels, rate, _, block, bits = struct.unpack("<HHIIHH", raw[fmt_at:fmt_at + 16])
    return {"channels": channels, "rate": rate, "bits": bits, "data_bytes": chunks[b"data"][1], "block": block}


def test_practice_submission_stores_both_sides(app, world, instance):  # noqa: F811
    from audio.decode import decode
    from service.store.db import connect, db_path

    c = app.test_client()
    login(c, "alice")
    timeline = [{"start": 0.5, "end": 5.9, "line": 0}, {"start": 7.0, "end": 12.05, "line": 2}]
    form = {"scenario_id": "relapse-shame", "consent": "yes", "client_timeline": json.dumps(timeline),
            "audio": (io.BytesIO(LIVE_WEBM.read_bytes()), "recording.webm")}
    r = c.post("/practice/submit", data=form, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_data(as_text=True)
    sid = r.get_json()["session_id"]
    row = connect(db_path(instance)).execute("SELECT * FROM sessions WHERE id = ?", (sid,)).fetchone()
    assert row["audio_mime"] == "audio/wav" and row["helper_channel"] == 0 and row["speaker_setup"] == "scripted"
    stored = instance / "audio" / row["audio_name"]
    assert not list((instance / "audio").glob("*.webm"))  # the uploaded WebM is not kept beside the WAV
    header = _wav_header(stored)
    assert header == {"channels": 2, "rate": SR, "bits": 16, "block": 4,
                      "data_bytes": header["data_bytes"]}
    data, _ = sf.read(stored, dtype="float32", always_2d=True)
    assert header["data_bytes"] == data.shape[0] * 4  # the header's length is the real length
    line0 = sf.read(LINE0, dtype="float32")[0]
    # line 0 starts inside the 4 s recording and runs on to 0.5 + 5.38 s; line 2 (at 7 s) is past its end
    assert data.shape[0] == int(0.5 * SR) + line0.size
    mic, client = data[:, 0], data[:, 1]
    assert not client[:int(0.5 * SR)].any()
    placed = client[int(0.5 * SR):]
    assert abs(_rms(placed) - _rms(line0)) < 0.01 * _rms(line0) + 1e-4  # the client's line, at its time
    assert np.corrcoef(placed, line0)[0, 1] > 0.99
    trainee = decode(LIVE_WEBM).mono
    n = min(trainee.size, mic.size)
    assert np.corrcoef(mic[:n], trainee[:n])[0, 1] > 0.99  # channel 0 is the trainee's mic
    assert not mic[trainee.size + 160:].any()
    audio = c.get(f"/sessions/{sid}/audio")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    assert audio.get_data()[:4] == b"RIFF"


def test_submission_without_played_lines_is_the_mic_alone(app, world, instance):  # noqa: F811
    from service.store.db import connect, db_path

    c = app.test_client()
    login(c, "alice")
    form = {"scenario_id": "relapse-shame", "consent": "yes", "client_timeline": "[]",
            "audio": (io.BytesIO(LIVE_WEBM.read_bytes()), "recording.webm")}
    r = c.post("/practice/submit", data=form, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_data(as_text=True)
    row = connect(db_path(instance)).execute("SELECT * FROM sessions WHERE id = ?",
                                             (r.get_json()["session_id"],)).fetchone()
    info = sf.info(instance / "audio" / row["audio_name"])
    assert info.channels == 1 and info.format == "WAV" and row["speaker_setup"] == "auto"
    assert row["duration"] == pytest.approx(info.duration, abs=0.01) and 3.9 < info.duration < 4.2


def test_a_cut_line_ends_where_she_stopped_and_the_next_begins_with_oh_okay(tmp_path):
    """Barge-in in the browser: the timeline marks the cut line (``cut``: no end slack) and the line
    after it (``after_cut_in``: "Oh. Okay." first); both are kept by :func:`parse_timeline`."""
    from service.practice.cut_in import CUT_IN_AUDIO, with_cut_in_lead
    from service.practice.recording import write_practice_wav
    from service.practice.scenarios import get_scenario
    from service.web.practice import parse_timeline

    lines = get_scenario("relapse-shame").all_lines
    text = json.dumps([{"start": 0.5, "end": 2.0, "line": 0, "cut": True},
                       {"start": 4.0, "end": 9.0, "line": 1, "after_cut_in": True, "reply_start": 1.9}])
    timeline = parse_timeline(text, lines)
    assert timeline[0]["cut"] is True and "after_cut_in" not in timeline[0]
    assert timeline[1]["after_cut_in"] is True and "cut" not in timeline[1]
    assert timeline[1]["text"] == "Oh. Okay. " + lines[1].text
    mic = tmp_path / "mic.wav"
    sf.write(mic, np.zeros(10 * SR, np.float32), SR)
    lead, _ = sf.read(CUT_IN_AUDIO, dtype="float32")
    write_practice_wav(mic, timeline, lambda i: lines[i].audio, tmp_path / "both.wav",
                       after_cut_in=lambda clip: with_cut_in_lead(clip, lead))
    both, _ = sf.read(tmp_path / "both.wav", dtype="float32")
    opening, _ = sf.read(lines[0].audio, dtype="float32")
    client = both[:, 1]
    np.testing.assert_allclose(client[int(0.5 * SR):2 * SR], opening[:int(1.5 * SR)], atol=1e-4)
    assert not client[2 * SR:4 * SR].any()  # stopped at 2.0 s: no slack after a cut
    np.testing.assert_allclose(client[4 * SR:4 * SR + lead.size], lead, atol=1e-4)  # "Oh. Okay." first
