"""``listenwell eval STAGE DATA_DIR``: accuracy of each analysis stage on real data."""

from __future__ import annotations

import importlib

import click

__all__ = ["eval_group"]

STAGES = {
    "transcription": "service.cli_eval_transcription:transcription",
    "diarization": "service.cli_eval_diarization:diarization",
    "prosody": "service.cli_eval_prosody:prosody",
    "cues": "service.cli_eval_cues:cues",
    "index": "service.cli_eval_index:index",
}


class _StageGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(STAGES)

    def get_command(self, ctx, name):
        target = STAGES.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name == module_name:
                return None
            raise
        return getattr(module, attr)


@click.group("eval", cls=_StageGroup)
def eval_group():
    """Measure an analysis stage against reference data (prints a table, writes JSON)."""
