"""The ListenWell web service: application factory (flaskr style, one blueprint per feature)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

__all__ = ["create_app", "default_instance_dir", "csrf"]

WEB = Path(__file__).resolve().parents[2] / "web"
csrf = CSRFProtect()


def default_instance_dir() -> Path:
    """``LISTENWELL_INSTANCE``, else ``$XDG_DATA_HOME/listenwell`` (``~/.local/share/listenwell``)."""
    env = os.environ.get("LISTENWELL_INSTANCE")
    if env:
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return (Path(base) / "listenwell").resolve()


def _secret_key(instance: Path) -> str:
    """A random key kept in the instance folder (readable by the owner only)."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


# Nothing a page loads may come from, or be sent to, another machine.
CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; ``test_config`` overrides settings (``INSTANCE_DIR``, ``JOB_WORKERS`` ...)."""
    test_config = dict(test_config or {})
    instance = Path(test_config.pop("INSTANCE_DIR", None) or default_instance_dir()).resolve()
    from service.store.storage import secure_instance
    from service.web.upload_check import sweep_temp

    secure_instance(instance)  # 0700 folders, 0600 files, whatever the umask
    sweep_temp(instance)  # uploads left by a process that was killed mid-check
    app = Flask(
        __name__,
        instance_path=str(instance),
        template_folder=str(WEB / "templates"),
        static_folder=str(WEB / "static"),
    )
    app.config.from_mapping(
        DATABASE=str(instance / "listenwell.sqlite3"),
        MAX_CONTENT_LENGTH=100 * 1024 * 1024,  # bytes per request
        MAX_AUDIO_SECONDS=60 * 60.0,
        MIN_AUDIO_SECONDS=1.0,
        JOB_WORKERS=1,
        ANALYZE=None,  # None: service.pipeline.analyze_file
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("LISTENWELL_SECURE_COOKIES", "0") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        ADMIN_PASSWORD=os.environ.get("LISTENWELL_ADMIN_PASSWORD"),
        PASSWORD_HASH_METHOD=os.environ.get("LISTENWELL_PASSWORD_HASH") or None,
    )
    app.config.update(test_config)
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)

    from service.store import db
    from service.web import admin, api, auth, jobs, practice, progress, reports, upload

    db.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    for module in (auth, reports, upload, practice, progress, api, admin):
        app.register_blueprint(module.bp)
    api.register_errors(app)
    app.after_request(_security_headers)
    if app.config.get("START_JOBS", True):
        jobs.init_app(app)
    return app
