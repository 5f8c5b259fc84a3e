"""Reading transcripts for ``listenwell score``: plain text, CSV of turns, JSON."""

from __future__ import annotations

import json

import pytest

from analysis.errors import NotFoundError, ParameterError
from analysis.schema import CLIENT, HELPER
from service.transcript_io import read_transcript


def test_plain_text_with_labels_and_continuation(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("Client: I used again.\nIt was awful.\n\nHelper: That sounds hard.\nT: What happened?\n")
    turns = read_transcript(p)
    assert [t.role for t in turns] == [CLIENT, HELPER, HELPER]
    assert turns[0].text == "I used again. It was awful."
    assert turns[1].start is None


def test_csv_like_annomi(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("transcript_id,interlocutor,utterance_text\n1,therapist,How are you?\n1,client,Fine.\n"
                 "2,therapist,Hello.\n")
    with pytest.raises(ParameterError, match="--transcript-id"):
        read_transcript(p)
    turns = read_transcript(p, transcript_id="1")
    assert [(t.role, t.text) for t in turns] == [(HELPER, "How are you?"), (CLIENT, "Fine.")]
    with pytest.raises(NotFoundError):
        read_transcript(p, transcript_id="9")


def test_json_turns_and_report(tmp_path):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"turns": [{"speaker": "helper", "text": "Hi", "start": 0.5, "end": 1.0},
                                       {"speaker": "client", "text": "Hey", "start": 1.2, "end": 1.5}]}))
    turns = read_transcript(p)
    assert [t.role for t in turns] == [HELPER, CLIENT] and turns[0].start == 0.5


def test_bad_files(tmp_path):
    with pytest.raises(NotFoundError):
        read_transcript(tmp_path / "missing.txt")
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(ParameterError, match="not valid JSON"):
        read_transcript(p)
    p = tmp_path / "bin.txt"
    p.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ParameterError):
        read_transcript(p)
    p = tmp_path / "nolabel.txt"
    p.write_text("just some words with no speaker\n")
    with pytest.raises(ParameterError, match="Speaker"):
        read_transcript(p)


def test_client_timeline_formats():
    from service.pipeline_stages import timeline_items

    assert timeline_items([[3, 4, "hi"], {"start": 0, "end": 0.5, "text": "a"}, (1, 2)]) == [
        (0.0, 0.5, "a"), (1.0, 2.0, ""), (3.0, 4.0, "hi")]
    for bad in ([["x", 2]], [{"start": 2}], [[3, 1]]):
        with pytest.raises(ParameterError):
            timeline_items(bad)
