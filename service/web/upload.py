"""Audio upload (supervisors for their trainees, trainees for themselves), checked by content."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage

from analysis.errors import (
    AudioTooLongError,
    ListenWellError,
    ParameterError,
    QueueFullError,
    UnsupportedFormatError,
)
from service.store.db import get_db
from service.store.storage import audio_dir, audio_extension, audio_path, create_session
from service.web.auth import visible_trainees
from service.web.jobs import enqueue, notify_runner
from service.web.queue_limits import QueueRoom
from service.web.upload_check import check_audio, save_upload
from service.web.upload_worker import check_audio_in_worker

__all__ = [
    "ALLOWED_EXTENSIONS",
    "SPEAKER_SETUPS",
    "accept_audio",
    "bp",
    "human_bytes",
    "human_seconds",
    "queue_session",
]

logger = logging.getLogger(__name__)
bp = Blueprint("upload", __name__)

ALLOWED_EXTENSIONS = ("wav", "flac", "mp3", "m4a", "mp4", "aac", "ogg", "oga", "opus", "webm")
SPEAKER_SETUPS = ("auto", "stereo", "mono")


def human_bytes(n: float) -> str:
    """``1.5 MB``, ``50 kB``: a size for messages."""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def human_seconds(s: float) -> str:
    """``45 s`` or ``12.5 min``: a duration for messages."""
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


def accept_audio(file: FileStorage | None,
                 admit: Callable[[float], None] | None = None) -> tuple[str, str, float]:
    """Check an uploaded file (name, size, content, duration) and store it under a generated name.

    ``admit(duration_seconds)``, when given, runs once the length is known and before the file is
    stored; it refuses by raising. Returns ``(audio_name, mime, duration_seconds)``; raises a
    ListenWellError with a message for the user, and then nothing is stored.
    """
    if file is None or not file.filename:
        raise ParameterError("Choose an audio file to upload.")
    shown = Path(file.filename.replace("\\", "/")).name[:80]
    ext = shown.rsplit(".", 1)[-1].lower() if "." in shown else ""
    if ext not in ALLOWED_EXTENSIONS:
        raise UnsupportedFormatError(
            f"{shown}: files ending '.{ext}' are not accepted; upload audio in one of: "
            + ", ".join(ALLOWED_EXTENSIONS) if ext else
            f"{shown} has no file extension; upload audio in one of: " + ", ".join(ALLOWED_EXTENSIONS)
        )

    limit_bytes = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        tmp = save_upload(file.stream, current_app.instance_path, limit_bytes)
    except AudioTooLongError:
        raise AudioTooLongError(f"{shown} is over the limit of {human_bytes(limit_bytes)}.") from None
    try:
        check = check_audio_in_worker if current_app.config.get("UPLOAD_CHECK_IN_WORKER", True) else check_audio
        info = check(tmp, shown, float(current_app.config["MAX_AUDIO_SECONDS"]),
                           float(current_app.config["MIN_AUDIO_SECONDS"]),
                           float(current_app.config.get("UPLOAD_CHECK_SECONDS", 20.0)))
        duration = info.duration
        if admit is not None:
            admit(float(duration))
        ext_out, mime = audio_extension(info.format_name)
        name = f"{uuid.uuid4().hex}.{ext_out}"
        os.replace(tmp, audio_dir(current_app.instance_path) / name)
        return name, mime, float(duration)
    finally:
        tmp.unlink(missing_ok=True)


def queue_session(room: QueueRoom | None = None, **fields) -> tuple[int, int]:
    """Create a session row and queue its analysis; return ``(session_id, job_id)``.

    With ``room``, the trainee's queue is checked again in the same transaction (another upload may
    have filled it meanwhile); when it is full the stored audio is removed and QueueFullError raised.
    """
    db = get_db()
    if room is not None:
        if db.in_transaction:
            db.commit()
        db.execute("BEGIN IMMEDIATE")
        try:
            room.check(db, float(fields.get("duration") or 0.0))
        except QueueFullError:
            db.rollback()
            stored = audio_path(current_app.instance_path, fields.get("audio_name"))
            if stored is not None:
                stored.unlink(missing_ok=True)
            raise
    session_id = create_session(db, created_by=current_user.id, **fields)
    job_id = enqueue(db, session_id)
    db.commit()
    notify_runner(current_app)
    return session_id, job_id


def _trainees() -> list:
    return visible_trainees(current_user)


def _speaker_fields(form) -> dict:
    setup = form.get("speaker_setup", "auto")
    if setup not in SPEAKER_SETUPS:
        raise ParameterError(f"speaker set-up {setup!r} must be one of {', '.join(SPEAKER_SETUPS)}")
    out: dict = {"speaker_setup": setup}
    if setup == "stereo":
        channel = form.get("helper_channel", "0")
        if channel not in ("0", "1"):
            raise ParameterError("the helper's channel must be left (0) or right (1)")
        out["helper_channel"] = int(channel)
    elif setup == "mono":
        who = form.get("helper_speaker", "")
        if who not in ("", "first", "second"):
            raise ParameterError("the helper must be the first or the second speaker, or unknown")
        out["helper_speaker"] = who or None
    return out


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload():
    trainees = _trainees()
    if request.method == "POST":
        try:
            trainee_id = int(request.form.get("trainee_id", "0"))
            names = {int(t["id"]): t["username"] for t in trainees}
            if trainee_id not in names:
                raise ParameterError("Choose one of your trainees.")
            speakers = _speaker_fields(request.form)
            room = QueueRoom(trainee_id, None if trainee_id == int(current_user.id) else names[trainee_id],
                             float(current_app.config["QUEUED_MINUTES_PER_USER"]))
            room.check(get_db(), None)  # a full queue refuses at once, before the file is read
            name, mime, duration = accept_audio(request.files.get("audio"),
                                                admit=lambda seconds: room.check(get_db(), seconds))
            title = request.form.get("title", "").strip()[:200] or "uploaded session"
            session_id, _ = queue_session(
                trainee_id=trainee_id, audio_name=name, audio_mime=mime, duration=duration,
                source="upload", title=title, **speakers, room=room,
                source_name=getattr(request.files.get("audio"), "filename", None),  # shown as the source
            )
        except (ListenWellError, ValueError) as e:
            message = e.message if isinstance(e, ListenWellError) else "Choose one of your trainees."
            flash(message, "error")
            status = e.status_code if isinstance(e, ListenWellError) else 400
            return render_template("upload.html", trainees=trainees), status
        flash("Uploaded: the analysis is queued.", "info")
        return redirect(url_for("reports.session_page", session_id=session_id))
    return render_template("upload.html", trainees=trainees)
