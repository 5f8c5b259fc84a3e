"""The ``listenwell`` command line: one group, subcommands loaded on demand.

Each feature keeps its commands in its own module (``service/cli/*.py``); this
file only lists them, so ``listenwell --help`` stays fast and one broken
feature never hides the others.
"""

from __future__ import annotations

import importlib
import logging
import os

import click

from analysis.errors import ListenWellError
from audio.models import cache_dir

__all__ = ["main", "LazyGroup"]

# name -> "module:attribute"
COMMANDS = {
    "transcribe": "service.cli.transcribe:transcribe",
    "bench": "service.cli.bench:bench",
    "analyze": "service.cli.analyze:analyze",
    "score": "service.cli.score:score",
    "eval": "service.cli.eval:eval_group",
    "batch": "service.cli.batch:batch",
    "serve": "service.cli.serve:serve",
    "init-db": "service.cli.init_db:init_db",
    "import-batch": "service.cli.import_batch:import_batch",
    "record": "service.cli.record:record",
    "practice": "service.cli.practice:practice",
    "devices": "service.cli.devices:devices",
    "scenarios": "service.cli.scenarios:scenarios",
    "demo": "service.cli.demo:demo",
}


def _setup_runtime_env() -> None:
    """Point numba's cache at a writable user folder (librosa compiles on first use)."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        os.environ["NUMBA_CACHE_DIR"] = str(cache_dir() / "numba")


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use from ``lazy_commands``."""

    lazy_commands: dict[str, str] = {}

    def list_commands(self, ctx):
        return sorted(self.lazy_commands)

    def get_command(self, ctx, name):
        target = self.lazy_commands.get(name)
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


class GuardedGroup(LazyGroup):
    """The top-level group: turns a ListenWellError into one line and its exit code."""

    lazy_commands = COMMANDS

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ListenWellError as e:
            click.echo(f"error: {e.message}", err=True)
            ctx.exit(e.exit_code)


@click.group(cls=GuardedGroup)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """ListenWell: private listening-skills practice feedback, on this machine."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    _setup_runtime_env()


if __name__ == "__main__":  # pragma: no cover
    main()
