"""Per-user limits on the job queue, checked before anything is stored.

``QUEUED_MINUTES_PER_USER`` (default 120): minutes of audio a trainee may have waiting or being
analysed. A new upload or practice recording for that trainee is refused (429) when it would pass the
limit; one recording is always accepted when nothing of theirs waits, so a recording longer than the
limit (up to ``MAX_AUDIO_SECONDS``) can still be analysed. ``VOICINGS_PER_USER`` (default 3):
scenarios a supervisor may have waiting to be voiced.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from analysis.errors import QueueFullError
from service.web.job_queue import queued_audio_seconds, queued_voicings

__all__ = ["QueueRoom", "amount", "check_voicing_room"]


def amount(seconds: float) -> str:
    """``45 s`` or ``118 minutes``: an amount of audio for messages."""
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} minutes"


@dataclass(frozen=True)
class QueueRoom:
    """Room in ``owner_id``'s queue for one more recording.

    ``owner_name``: shown when someone else uploads for them (None: the uploader is the owner).
    ``limit_minutes``: 0 or less turns the limit off. ``again``: what to do later ("Upload it").
    """

    owner_id: int
    owner_name: str | None
    limit_minutes: float
    again: str = "Upload it"

    def check(self, conn: sqlite3.Connection, seconds: float | None) -> None:
        """Raise :class:`QueueFullError` when ``seconds`` more audio (None: not measured yet) does not fit."""
        if self.limit_minutes <= 0:
            return
        limit = self.limit_minutes * 60.0
        queued = queued_audio_seconds(conn, self.owner_id)
        if queued <= 0 or (queued < limit and (seconds is None or queued + seconds <= limit)):
            return
        who = "You have" if self.owner_name is None else f"{self.owner_name} has"
        this = "" if seconds is None else f", and this recording is {amount(seconds)}"
        raise QueueFullError(f"{who} {amount(queued)} waiting to be analysed{this}; the limit is "
                             f"{self.limit_minutes:g} minutes. {self.again} when some have finished.")


def check_voicing_room(conn: sqlite3.Connection, user_id: int, limit: int) -> None:
    """Raise :class:`QueueFullError` when ``user_id`` already has ``limit`` scenarios waiting to be voiced."""
    if limit > 0 and queued_voicings(conn, user_id) >= limit:
        raise QueueFullError(f"You have {limit} scenario{'s' if limit != 1 else ''} waiting to be voiced; "
                             "add this one when one of them is done.")
