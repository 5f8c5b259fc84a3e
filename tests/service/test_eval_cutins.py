"""Cut-in precision and recall as `listenwell eval diarization` prints them."""

from __future__ import annotations

from service.cli.eval_diarization import cutin_scores
from service.eval.der import DiarizationScore
from service.eval.diarization import EvalItem


def _item(group, name, mode, planted, found, false):
    return EvalItem(group, name, mode, DiarizationScore(10.0, 0.0, 0.0, 0.0, {}), 2, 2, 0.1,
                    {"interruptions_planted": planted, "interruptions_found": found,
                     "interruption_false_alarms": false})


def test_cutin_scores_split_dev_and_test_and_pool():
    items = [_item("cutins", "annomi119-high-cutins0", "mono", 6, 5, 1),
             _item("cutins", "annomi131-low-cutins0", "mono", 5, 3, 0),
             _item("cutins", "annomi131-low-cutins1", "mono", 5, 4, 0),
             _item("fixtures", "interruptions", "mono", 2, 2, 0),
             _item("fixtures", "interruptions", "stereo", 2, 2, 0)]
    s = cutin_scores(items)
    assert s["cutins/dev"] == {"planted": 6, "hits": 5, "false_alarms": 1, "precision": 0.833, "recall": 0.833}
    assert s["cutins/test"]["recall"] == 0.7 and s["cutins/test"]["precision"] == 1.0
    assert s["cutins/all"]["planted"] == 16 and s["cutins/all"]["hits"] == 12
    assert s["fixtures"]["planted"] == 2  # stereo rows are not counted
    assert cutin_scores([_item("cutins", "x", "mono", 0, 0, 0)])["cutins/test"]["precision"] is None
