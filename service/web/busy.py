"""Bounded work inside requests: at most N at once per user and M at once in all, refused at once beyond.

A practice decision (``POST /practice/<id>/next``) transcribes the trainee's reply (at most 60 s of
audio) in the request: bounded work, so it stays there. What must not happen is sixteen of them
holding every server thread while ``/login`` waits. :class:`WorkGate` admits a decision only while the
user has fewer than ``per_user`` and the server fewer than ``total`` running; any other is answered
at once (429 for the user's own limit, 503 for the server's) with a ``Retry-After``, and the practice
page sends it again after that wait.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

__all__ = ["Busy", "WorkGate"]


class Busy(Exception):
    """Refused: ``scope`` is ``"user"`` (the user's own limit) or ``"server"`` (the server's)."""

    def __init__(self, scope: str):
        super().__init__(scope)
        self.scope = scope


class WorkGate:
    """Counts work in progress per key and in all; never waits."""

    def __init__(self, per_user: int, total: int):
        self.per_user = max(1, int(per_user))
        self.total = max(1, int(total))
        self._lock = threading.Lock()
        self._running: Counter[Hashable] = Counter()

    def running(self, key: Hashable | None = None) -> int:
        """Work in progress for ``key`` (or in all)."""
        with self._lock:
            return self._running[key] if key is not None else sum(self._running.values())

    @contextmanager
    def admit(self, key: Hashable) -> Iterator[None]:
        """Hold one place for ``key`` while the block runs; raise :class:`Busy` at once when there is none."""
        with self._lock:
            if self._running[key] >= self.per_user:
                raise Busy("user")
            if sum(self._running.values()) >= self.total:
                raise Busy("server")
            self._running[key] += 1
        try:
            yield
        finally:
            with self._lock:
                self._running[key] -= 1
                if self._running[key] <= 0:
                    del self._running[key]
