"""Audio upload (supervisors for their trainees, trainees for themselves), checked by content."""

from __future__ import annotations

import logging
import os
import uuid
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
    UnsupportedFormatError,
)
from service.store.db import get_db
from service.store.storage import audio_dir, audio_extension, create_session
from service.web.auth import visible_trainees
from service.web.jobs import enqueue, notify_runner
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


def accept_audio(file: FileStorage | None) -> tuple[str, str, float]:
    """Check an uploaded file (name, size, content, duration) and store it under a generated name.

    Returns ``(audio_name, mime, duration_seconds)``; raises a ListenWellError with
    a message for the user, and then nothing is stored.
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
        ext_out, mime = audio_extension(info.format_name)
        name = f"{uuid.uuid4().hex}.{ext_out}"
        os.replace(tmp, audio_dir(current_app.instance_path) / name)
        return name, mime, float(duration)
    finally:
        tmp.unlink(missing_ok=True)


def queue_session(**fields) -> tuple[int, int]:
    """Create a session row and queue its analysis; return ``(session_id, job_id)``."""
    db = get_db()
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
            if trainee_id not in {int(t["id"]) for t in trainees}:
                raise ParameterError("Choose one of your trainees.")
            speakers = _speaker_fields(request.form)
            name, mime, duration = accept_audio(request.files.get("audio"))
        except (ListenWellError, ValueError) as e:
            message = e.message if isinstance(e, ListenWellError) else "Choose one of your trainees."
            flash(message, "error")
            status = e.status_code if isinstance(e, ListenWellError) else 400
            return render_template("upload.html", trainees=trainees), status
        title = request.form.get("title", "").strip()[:200] or "uploaded session"
        session_id, _ = queue_session(
            trainee_id=trainee_id, audio_name=name, audio_mime=mime, duration=duration,
            source="upload", title=title, **speakers,
            source_name=getattr(request.files.get("audio"), "filename", None),  # shown as the source
        )
        flash("Uploaded: the analysis is queued.", "info")
        return redirect(url_for("reports.session_page", session_id=session_id))
    return render_template("upload.html", trainees=trainees)
