"""Run the web service's analyses on a Dask cluster (``listenwell serve --scheduler tcp://HOST:8786``).

The durable queue stays in the service's database (:mod:`service.web.jobs`): a
job thread claims a job, sends the recording's bytes and the session's speaker
set-up to the cluster, waits for the report and stores it. If the web process
stops mid-job, the job is still ``running`` in the database; the next start puts
it back in the queue and sends it again. Workers need the same ListenWell
installation (``pip install listenwell``) and nothing else: no shared disk.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis.errors import ListenWellError
from service.web.jobs import _default_analyze

__all__ = ["DaskAnalyze", "analyze_bytes"]

logger = logging.getLogger(__name__)


def analyze_bytes(data: bytes, suffix: str, session: dict[str, Any]) -> dict[str, Any]:
    """Runs on a Dask worker: analyse one recording given as bytes; return the report dict.

    A ListenWellError (bad audio) comes back as ``{"__error__": message}`` so the
    job fails with the user's message instead of a Dask traceback.
    """
    with tempfile.TemporaryDirectory(prefix="listenwell-dask-") as tmp:
        path = Path(tmp) / f"recording{suffix}"
        path.write_bytes(data)
        try:
            return _default_analyze(path, session, lambda stage, fraction: None)
        except ListenWellError as e:
            return {"__error__": e.message.replace(str(path), "the recording").replace(path.name, "the recording")}


class DaskAnalyze:
    """An ``ANALYZE`` callable for :class:`service.web.jobs.JobRunner` that uses a Dask scheduler."""

    def __init__(self, scheduler: str, connect_timeout: float = 10.0, attempts: int = 3,
                 wait_for_cluster: float = 600.0):
        self.scheduler = scheduler
        self.connect_timeout = connect_timeout
        self.attempts = attempts
        self.wait_for_cluster = wait_for_cluster
        self._client = None
        self._lock = threading.Lock()

    def client(self):
        """The shared ``distributed.Client`` (connected on first use)."""
        from distributed import Client

        with self._lock:
            if self._client is None or self._client.status not in ("running", "connecting"):
                self._client = Client(self.scheduler, timeout=self.connect_timeout, set_as_default=False)
            return self._client

    def capacity(self) -> int:
        """Threads the cluster offers now (at least 1)."""
        try:
            return max(1, sum(self.client().nthreads().values()))
        except OSError:
            return 1

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _connected(self, progress: Callable[[str, float], None]):
        give_up = time.monotonic() + self.wait_for_cluster
        delay = 1.0
        while True:
            try:
                return self.client()
            except OSError as e:
                if time.monotonic() > give_up:
                    raise ListenWellError(f"the analysis cluster cannot be reached ({e}); try again later") from e
                progress("waiting for the analysis cluster", 0.0)
                logger.warning("Dask scheduler %s unreachable (%s); retrying in %.0f s", self.scheduler, e, delay)
                time.sleep(delay)
                delay = min(30.0, delay * 2)

    def __call__(self, path: Path, session: dict[str, Any], progress: Callable[[str, float], None]) -> dict[str, Any]:
        data = Path(path).read_bytes()
        last: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            client = self._connected(progress)
            progress("analysing on the cluster", 0.05)
            future = client.submit(analyze_bytes, data, Path(path).suffix, session, pure=False, retries=0)
            try:
                result = future.result()
            except Exception as e:  # noqa: BLE001 - a lost worker, a dropped connection: send it again
                last = e
                logger.warning("Dask analysis attempt %d of %d failed: %s", attempt, self.attempts, e)
                continue
            finally:
                future.release()
            if isinstance(result, dict) and "__error__" in result:
                raise ListenWellError(result["__error__"])
            return result
        raise ListenWellError(f"the analysis cluster failed {self.attempts} times: {type(last).__name__}: {last}")
