"""``listenwell eval STAGE DATA_DIR``: accuracy of each analysis stage on real data."""

from __future__ import annotations

import click

from service.cli.main import LazyGroup

__all__ = ["eval_group"]

STAGES = {
    "transcription": "service.cli.eval_transcription:transcription",
    "diarization": "service.cli.eval_diarization:diarization",
    "prosody": "service.cli.eval_prosody:prosody",
    "cues": "service.cli.eval_cues:cues",
    "index": "service.cli.eval_index:index",
    "claims": "service.cli.eval_claims:claims",
}


class _StageGroup(LazyGroup):
    lazy_commands = STAGES


@click.group("eval", cls=_StageGroup)
def eval_group():
    """Measure an analysis stage against reference data, or the report's claims on planted scripts."""
