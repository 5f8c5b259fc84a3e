"""Run the upload check in a separate worker process with a hard time limit.

The check (:func:`service.web.upload_check.check_audio`) walks the whole container
with FFmpeg. A hostile or broken file could make the decoder hang inside C code
or crash the process; run in the web process, that would hold a server thread or
take the server down. Here each check runs in a child process started from a
fork server (which has the audio modules loaded already, so a check starts in
milliseconds). The child is killed when it passes its time limit, and a child
that dies is reported as a file that could not be checked; either way the upload
is refused with a clear message and nothing is stored.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import threading
from typing import Any

from analysis import errors
from analysis.errors import CorruptAudioError, ListenWellError

__all__ = ["CHECK", "call_in_worker", "check_audio_in_worker", "warm_up"]

logger = logging.getLogger(__name__)
CHECK = "service.web.upload_check:check_audio"
_CONTEXT: dict[str, Any] = {}
_LOCK = threading.Lock()


def _context():
    with _LOCK:
        if "ctx" not in _CONTEXT:
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            ctx = multiprocessing.get_context(method)
            if method == "forkserver":
                ctx.set_forkserver_preload(["__main__", "av", "audio.decode", "audio.containers", "service.web.upload_check"])
            _CONTEXT["ctx"] = ctx
        return _CONTEXT["ctx"]


def _resolve(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _child(conn, target: str, args: tuple, kwargs: dict) -> None:
    try:
        result = _resolve(target)(*args, **kwargs)
        conn.send(("ok", result))
    except ListenWellError as e:
        conn.send(("refused", type(e).__name__, e.message))
    except BaseException as e:  # noqa: BLE001 - anything else is reported, not raised in the child
        conn.send(("failed", type(e).__name__, str(e)))
    finally:
        conn.close()


def call_in_worker(target: str, *args, time_limit: float, name: str = "the file", **kwargs):
    """``target(*args, **kwargs)`` (``"module:function"``) in a child process, killed after ``time_limit`` s.

    A ListenWellError raised there is raised here with its class and message. A
    child that passes the limit, dies or fails otherwise gives a CorruptAudioError
    that names ``name`` (never a server path).
    """
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, target, args, kwargs), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(time_limit):
            raise CorruptAudioError(f"{name} could not be checked in time; upload a shorter or a simpler recording")
        try:
            answer = parent.recv()
        except EOFError:
            answer = ("died",)
    finally:
        parent.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if answer[0] == "ok":
        return answer[1]
    if answer[0] == "refused":
        cls = getattr(errors, answer[1], None)
        if not (isinstance(cls, type) and issubclass(cls, ListenWellError)):
            cls = CorruptAudioError
        raise cls(answer[2])
    logger.warning("upload check of %s ended without an answer: %s (exit code %s)", name, answer, proc.exitcode)
    raise CorruptAudioError(f"{name} could not be checked: reading it stopped the checker. "
                            "Convert it to WAV or FLAC and upload it again.")


def check_audio_in_worker(path, name: str, max_seconds: float, min_seconds: float = 0.0,
                          time_limit: float = 20.0):
    """:func:`~service.web.upload_check.check_audio` in a worker process (hard limit: ``time_limit`` + 5 s)."""
    return call_in_worker(CHECK, str(path), name, max_seconds, min_seconds, time_limit,
                          time_limit=time_limit + 5.0, name=name)


def warm_up() -> threading.Thread:
    """Start the fork server (it loads FFmpeg once) on a background thread; returns the thread."""
    def work() -> None:
        try:
            call_in_worker("builtins:len", "", time_limit=60.0)
        except Exception:  # the first upload starts it instead
            logger.warning("warming up the upload checker failed", exc_info=True)
    thread = threading.Thread(target=work, name="listenwell-upload-warm-up", daemon=True)
    thread.start()
    return thread
