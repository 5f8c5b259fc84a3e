"""The figures of the interleaved speaker-speed experiments (service/bench/speakers.py)."""

import pytest

from service.bench.speakers import interleaved_figures, load_average


def test_interleaved_figures_keep_the_fastest_of_each_and_its_ratio_to_the_fastest_transcription():
    runs = [{"transcription": 10.0, "a": 1.5, "b": 2.0, "a_info": "x"},
            {"transcription": 8.0, "a": 1.2, "b": 2.4}]
    fig = interleaved_figures(runs, ["transcription", "a", "b"])
    assert fig["fastest_seconds"] == {"transcription": 8.0, "a": 1.2, "b": 2.0}
    assert fig["ratio_to_transcription"] == {"a": 0.15, "b": 0.25}
    assert fig["per_repeat_ratio"] == [{"a": 0.15, "b": 0.2}, {"a": 0.15, "b": 0.3}]


def test_load_average_is_three_rounded_figures():
    avg = load_average()
    assert len(avg) == 3 and all(x == pytest.approx(round(x, 2)) and x >= 0 for x in avg)
