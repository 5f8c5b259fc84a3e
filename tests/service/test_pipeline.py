"""The pipeline on real audio (real faster-whisper) and on text, with its partial-report paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis.errors import ListenWellError, NotAudioError, ParameterError
from analysis.schema import CLIENT, HELPER, Turn
from audio.decode import decode_array
import service.pipeline as P
from service.pipeline import (
    AnalysisSettings,
    analyze_audio,
    analyze_file,
    score_transcript,
)

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "dialogues"


def test_settings_are_checked_up_front():
    with pytest.raises(ParameterError, match="setup"):
        AnalysisSettings(setup="quad")
    with pytest.raises(ParameterError, match="helper_channel"):
        AnalysisSettings(helper_channel=-1)


def test_silence_gives_partial_report_with_no_speech_note():
    decoded = decode_array(np.zeros(16000 * 3, dtype=np.float32), 16000, source="silence")
    stages = []
    report = analyze_audio(decoded, AnalysisSettings(), progress=lambda s, f: stages.append((s, f)))
    assert report.partial and report.index is None
    assert any("No speech" in n for n in report.notes)
    assert ("transcribe", 1.0) in stages


def test_stereo_setup_on_mono_audio_is_a_parameter_error():
    decoded = decode_array(np.zeros(16000, dtype=np.float32), 16000)
    with pytest.raises(ParameterError, match="two-channel"):
        analyze_audio(decoded, AnalysisSettings(setup="stereo"))


def test_not_audio_is_a_typed_error(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("Helper: hello\nClient: hi\n")
    with pytest.raises(ListenWellError) as info:
        analyze_file(bad)
    assert isinstance(info.value, (NotAudioError, ListenWellError))


def test_score_transcript_with_named_helper():
    turns = [Turn("Sam", "I feel so ashamed that I used again."), Turn("Alex", "That sounds really painful."),
             Turn("Sam", "It is."), Turn("Alex", "What has it been like since?")]
    report = score_transcript(turns, AnalysisSettings(helper_speaker="Alex"))
    assert [t.role for t in report.turns] == [CLIENT, HELPER, CLIENT, HELPER]
    assert report.helper_speaker == "Alex" and report.kind == "text"
    assert report.subscores["voice"].score is None and report.index is not None


def test_real_pipeline_on_bundled_poor_sample():
    """End to end with real Whisper: the poor helper's stereo role-play."""
    stages: dict[str, list[float]] = {}
    report = analyze_file(SAMPLES / "jumps-to-fixes.stereo.wav", AnalysisSettings(helper_channel=0),
                          progress=lambda s, f: stages.setdefault(s, []).append(f))
    for name in ("decode", "transcribe", "speakers", "cues", "scoring"):
        assert name in stages and stages[name][-1] == 1.0, name
    assert all(a <= b for a, b in zip(stages["transcribe"], stages["transcribe"][1:]))
    roles = {t.role for t in report.turns}
    assert roles == {HELPER, CLIENT}
    helper_text = " ".join(t.text for t in report.turns if t.role == HELPER).lower()
    assert "sponsor" in helper_text and "meeting" in helper_text
    assert report.index is not None and report.index < 45
    assert report.subscores["hold_back"].score < 50
    assert any("sponsor" in e.quote.lower() for e in report.subscores["hold_back"].evidence)
    assert all(e.start is not None for e in report.subscores["hold_back"].evidence)
    assert report.duration == pytest.approx(60.4, abs=0.5)
    assert set(report.stage_seconds) >= {"decode", "transcribe", "cues", "scoring"}


def _sample(name: str, seconds: float):
    import json

    from audio.decode import decode

    decoded = decode(SAMPLES / f"{name}.stereo.wav")
    n = int(seconds * decoded.sample_rate)
    truth = json.loads((SAMPLES / f"{name}.json").read_text())
    return decoded.channels[:, :n], [t for t in truth["turns"] if t["end"] <= seconds]


def test_scripted_practice_uses_the_client_timeline():
    """The mic carries only the helper; the client's lines come from the known timeline."""
    channels, truth = _sample("jumps-to-fixes", 26.0)
    mic = decode_array(channels[0], 16000, source="mic")
    timeline = [{"start": t["start"], "end": t["end"], "text": t["text"]} for t in truth if t["speaker"] == CLIENT]
    report = analyze_audio(mic, AnalysisSettings(), client_timeline=timeline)
    assert report.settings["setup_used"] == "scripted" and report.helper_speaker == HELPER
    client = [t for t in report.turns if t.role == CLIENT]
    assert len(client) == len(timeline) and client[0].text == timeline[0]["text"]
    assert any("sponsor" in t.text.lower() for t in report.turns if t.role == HELPER)
    assert report.timing is not None and len(report.timing.interruptions) >= 1


def test_silent_helper_channel_gives_clear_partial_report():
    channels, _ = _sample("listens-well", 20.0)
    channels = channels.copy()
    channels[0] = 0.0
    report = analyze_audio(decode_array(channels, 16000, source="client only"), AnalysisSettings(helper_channel=0))
    assert report.partial
    assert any("helper" in n.lower() and "never speaks" in n.lower() for n in report.notes), report.notes
    assert report.subscores["reflect_validate"].score is None


def test_channel_transcripts_merge_in_time_order_with_speakers():
    from analysis.schema import Segment, Transcript, Word
    from analysis.speakers.channels import merge_channel_transcripts

    def tr(channel, items):
        segs = tuple(Segment(a, b, t, words=(Word(a, b, t, 0.9),)) for a, b, t in items)
        return Transcript(segments=segs, duration=10.0, channel=channel, info={"seconds": 1.5})

    merged = merge_channel_transcripts([tr(0, [(0.0, 1.0, "Hi."), (3.0, 4.0, "Go on.")]),
                                        tr(1, [(0.5, 2.5, "Hello there.")])], ["ch0", "ch1"])
    assert [w.text for w in merged.words] == ["Hi.", "Hello there.", "Go on."]  # overlapped speech kept
    assert [w.speaker for w in merged.words] == ["ch0", "ch1", "ch0"]
    assert [s.speaker for s in merged.segments] == ["ch0", "ch1", "ch0"] and merged.info["seconds"] == 3.0


def test_leaked_and_unsure_words_are_dropped():
    from analysis.schema import SpeechRegion, Word
    from analysis.speakers.activity import SpeakerActivity
    from analysis.speakers.channels import drop_bleed_words, drop_unsure_vocalisations

    activity = SpeakerActivity(regions=(SpeechRegion(0.0, 3.0, "ch0"), SpeechRegion(4.0, 8.0, "ch1")),
                               speakers=("ch0", "ch1"), source="channels", duration=8.0)
    words = [Word(0.5, 0.9, "mine", 0.9, "ch0"), Word(5.0, 5.4, "leak", 0.6, "ch0"),
             Word(3.2, 3.4, "edge", 0.9, "ch0"), Word(5.0, 5.4, "theirs", 0.9, "ch1")]
    kept, n = drop_bleed_words(words, activity)
    assert n == 1 and [w.text for w in kept] == ["mine", "edge", "theirs"]
    words = [Word(1.0, 1.2, "In", 0.5, "ch0"), Word(1.2, 1.5, "mem.", 0.08, "ch0"),  # an unsure "mm-hmm"
             Word(1.0, 1.4, "Yeah.", 0.9, "ch1"),  # sure: kept
             Word(5.0, 5.3, "So", 0.2, "ch0"), Word(5.3, 5.6, "what", 0.3, "ch0"), Word(5.6, 5.9, "now", 0.3, "ch0"),
             Word(5.9, 6.2, "then?", 0.9, "ch0")]  # four words: a real utterance, kept
    kept, n = drop_unsure_vocalisations(words)
    assert n == 2 and [w.text for w in kept] == ["Yeah.", "So", "what", "now", "then?"]


def test_stereo_transcribes_each_channel_with_one_progress_scale():
    """Two channels, one transcribe stage: progress rises 0 -> 1 once, passing the halfway mark."""
    channels, truth = _sample("jumps-to-fixes", 26.0)
    seen: list[float] = []
    report = analyze_audio(decode_array(channels, 16000, source="cut"), AnalysisSettings(helper_channel=0, prosody=False),
                           progress=lambda s, f: seen.append(f) if s == "transcribe" else None)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and all(a <= b for a, b in zip(seen, seen[1:]))
    assert any(0.45 <= f <= 0.55 for f in seen)
    client = [t for t in report.turns if t.role == CLIENT]
    assert len(truth) == 4 and len(client) == 3  # the cut also holds the start of the third client turn (24.9 s)
    assert all(w.speaker == "ch1" for t in client for w in t.words)


def test_packed_speech_maps_times_back():
    from analysis.schema import Segment, Transcript, Word
    from analysis.speakers.channels import pack_speech, unpack_transcript

    sr = 100
    audio = np.arange(20 * sr, dtype=np.float32)
    packed = pack_speech(audio, sr, [(2.0, 3.0), (3.5, 4.0), (10.0, 12.0)], pad=0.3, join=1.0, gap=0.5)
    # (1.7-4.3) joined (0.5 s apart), then 9.7-12.3; 0.5 s of silence between them
    assert packed.pieces == ((0.0, 1.7, 2.6), (3.1, 9.7, 2.6)) and packed.audio.shape[0] == int(5.7 * sr)
    assert packed.audio[0] == 170 and packed.audio[int(3.1 * sr)] == 970 and packed.audio[int(2.8 * sr)] == 0
    assert packed.to_original(0.3) == 2.0 and packed.to_original(3.4) == 10.0 and packed.to_original(2.9) == 4.3
    tr = Transcript(segments=(Segment(3.2, 3.9, "Go on.", words=(Word(3.2, 3.5, "Go"), Word(3.5, 3.9, "on."))),),
                    duration=5.7)
    back = unpack_transcript(tr, packed)
    assert [(w.start, w.end) for w in back.words] == [(9.8, 10.1), (10.1, 10.5)]
    assert back.segments[0].start == 9.8 and back.duration == 20.0


def test_mono_analysis_runs_silero_once_for_both_stages(monkeypatch):
    """Transcription and diarization share one VAD pass, with the intervals two passes gave."""
    import faster_whisper.vad as fw_vad

    import audio.vad as vad
    from audio.decode import decode

    x = decode(SAMPLES / "listens-well.wav").mono[: 40 * 16000]
    two_pass = vad.speech_intervals(x, 16000)  # what diarization got from its own pass
    calls = {"probs": 0, "fw": 0, "intervals": []}
    probs, fw, intervals = vad.speech_probabilities, fw_vad.get_speech_timestamps, vad.speech_intervals

    def count_probs(*a, **k):
        calls["probs"] += 1
        return probs(*a, **k)

    def count_fw(*a, **k):
        calls["fw"] += 1
        return fw(*a, **k)

    def keep_intervals(*a, **k):
        calls["intervals"].append(intervals(*a, **k))
        return calls["intervals"][-1]

    monkeypatch.setattr(vad, "speech_probabilities", count_probs)
    monkeypatch.setattr(fw_vad, "get_speech_timestamps", count_fw)
    monkeypatch.setattr(vad, "speech_intervals", keep_intervals)
    monkeypatch.setattr(P, "speech_intervals", keep_intervals)  # the pipeline's own name for it
    report = analyze_audio(decode_array(x, 16000, source="mono"), AnalysisSettings(prosody=False))
    assert report.settings["setup_used"] == "mono" and len(report.turns) >= 4
    assert calls["probs"] == 1 and calls["fw"] == 0
    assert calls["intervals"] == [two_pass] and len(two_pass) >= 3
