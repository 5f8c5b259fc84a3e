"""Replies streamed from the practice page, heard with the terminal's end-of-turn rule.

While the trainee answers, the page sends her microphone in chunks (16 kHz mono 16-bit PCM) to
``/practice/<id>/next``. Each chunk goes into a :class:`ReplyStream`: the terminal loop's own
:class:`audio.devices.turn_taking.ReplyListener` (energy end of speech, tiny.en on a fitted window
at each pause, the end of turn decided from the transcript so far and the final pitch:
:mod:`audio.devices.turn_end`), on the clock of the audio received. When the listener says the turn
is over, the route picks the client's line at once (in the same call), so the page waits for no
timer of its own.

:class:`OpenTurns` keeps at most one open turn per trainee (a new one replaces the old; one left
idle for ``idle_s`` is dropped). Work per call is bounded: one chunk of at most
:data:`MAX_CHUNK_S`, fed in the terminal's 20 ms blocks, so at most one transcription per pause in it.
:func:`line_cues` gives the page what it needs to play a line as the terminal does: where the
voice starts (the lead silence is skipped), where it ends (the interruption guard), and the gaps
between her words (barge-in stops there).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from analysis.errors import ParameterError
from audio.devices.barge_in import word_gaps
from audio.devices.endpoint import speech_bounds
from audio.devices.turn_taking import LEAD_KEEP_S, ReplyListener, TurnTakingOptions

__all__ = ["BROWSER_TURNS", "MAX_CHUNK_S", "OpenTurn", "OpenTurns", "ReplyStream", "line_cues"]

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
MAX_CHUNK_S = 2.0
"""The most audio one call may carry (s)."""
BROWSER_TURNS = replace(TurnTakingOptions(), max_reply_s=60.0)
"""The terminal's turn-taking (``service.practice.run.LIVE_TURNS``: the defaults), a reply at most 60 s."""


class ReplyStream:
    """One reply as the page sends it: chunks at sample offsets into the terminal's listener.

    ``feed(at, pcm)``: ``at`` is the offset (samples since the turn began) of the chunk's first
    sample; a chunk sent again (its answer was lost) is fed only from where the last one ended,
    and a gap is refused. ``ended``, ``end_reason`` and :meth:`heard` read the listener.
    """

    def __init__(self, transcribe_fn: Callable[[np.ndarray], Any], options: TurnTakingOptions = BROWSER_TURNS,
                 prepare: Callable[[str], Any] | None = None):
        self.options = options
        self.listener = ReplyListener(transcribe_fn, options, SAMPLE_RATE, background=False, prepare=prepare)
        self.received = 0

    @property
    def ended(self) -> bool:
        return self.listener.ended

    @property
    def end_reason(self) -> str:
        return self.listener.end_reason

    def feed(self, at: int, pcm: np.ndarray) -> bool:
        """Add a chunk (float32 mono at 16 kHz) that starts ``at`` samples into the turn; returns ``ended``."""
        if at < 0 or at > self.received:
            raise ParameterError(f"a chunk at sample {at} does not follow the {self.received} samples heard so far")
        pcm = np.asarray(pcm, dtype=np.float32).reshape(-1)[self.received - at:]
        block = max(1, int(self.options.block_s * SAMPLE_RATE))
        for i in range(0, pcm.size, block):
            self.received += min(block, pcm.size - i)
            if self.listener.feed(pcm[i:i + block]):
                break
        return self.listener.ended

    def heard(self) -> str:
        """The reply's transcript once ended ("" when nobody spoke); at most one more pass."""
        transcript, _ = self.listener.transcript()
        return "" if transcript is None else transcript.text.strip()

    @property
    def speech_start_s(self) -> float | None:
        """Where her voice began, seconds into the turn (None: she said nothing)."""
        return self.listener.det.speech_start if self.listener.det.started else None


@dataclass
class OpenTurn:
    """A turn the page is streaming: the lines said before it, and what was read ahead."""

    token: str
    scenario_id: str
    said: tuple[str, ...]
    touched: float
    stream: ReplyStream | None = None
    cut_in: bool = False
    moves: dict[str, Any] = field(default_factory=dict)


class OpenTurns:
    """At most one open turn per user, by token; idle ones are dropped after ``idle_s``."""

    def __init__(self, idle_s: float = 120.0, clock: Callable[[], float] = time.monotonic):
        self.idle_s = idle_s
        self.clock = clock
        self._by_user: dict[int, OpenTurn] = {}
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        for user in [u for u, t in self._by_user.items() if now - t.touched > self.idle_s]:
            del self._by_user[user]

    def open(self, user_id: int, scenario_id: str, said: tuple[str, ...]) -> str:
        """A new turn for this user (replacing any earlier one); returns its token."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            token = secrets.token_urlsafe(12)
            self._by_user[user_id] = OpenTurn(token, scenario_id, tuple(said), now)
            return token

    def get(self, user_id: int, token: str) -> OpenTurn | None:
        """The user's open turn with this token (None: unknown, replaced or expired)."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            turn = self._by_user.get(user_id)
            if turn is None or not secrets.compare_digest(turn.token, token):
                return None
            turn.touched = now
            return turn

    def close(self, user_id: int, token: str) -> None:
        with self._lock:
            turn = self._by_user.get(user_id)
            if turn is not None and turn.token == token:
                del self._by_user[user_id]

    def __len__(self) -> int:
        return len(self._by_user)


def line_cues(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> dict[str, Any]:
    """How the page plays a line (seconds into its clip): ``skip_s`` (start there: the lead silence
    cut to what the terminal keeps), ``speech_end_s`` (her last word ends) and ``gaps`` (between her
    words, ``[[start, end], ...]``)."""
    onset, offset = speech_bounds(audio, sample_rate)
    return {"skip_s": round(max(0.0, onset - LEAD_KEEP_S), 3), "speech_end_s": round(offset, 3),
            "gaps": [[a, b] for a, b in word_gaps(audio, sample_rate)]}
