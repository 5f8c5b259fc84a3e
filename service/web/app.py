"""The ListenWell web service: application factory (flaskr style, one blueprint per feature)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, jsonify, render_template, request

from service.practice.added import check_added, sweep_work_folders
from service.store import db
from service.store.storage import secure_instance
from service.web import admin, api, auth, jobs, practice, progress, reports, scenario_admin, upload
from service.web.dask_jobs import DaskAnalyze
from service.web.extensions import BoundedIntConverter, csp_nonce, csrf, security_headers
from service.web.upload_check import sweep_temp

__all__ = ["create_app", "default_instance_dir"]

WEB = Path(__file__).resolve().parents[2] / "web"


def default_instance_dir() -> Path:
    """``LISTENWELL_INSTANCE``, else ``$XDG_DATA_HOME/listenwell`` (``~/.local/share/listenwell``)."""
    env = os.environ.get("LISTENWELL_INSTANCE")
    if env:
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return (Path(base) / "listenwell").resolve()


def _env_float(name: str, default: float) -> float:
    """A number from the environment (``default`` when unset or empty)."""
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else float(default)


def _secret_key(instance: Path) -> str:
    """A random key kept in the instance folder (readable by the owner only)."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


BAD_FORM_MESSAGE = (
    "The upload could not be read: its file name is not in UTF-8, or the form arrived damaged. "
    "Rename the file with plain letters and digits (for example session-1.wav) and upload it again."
)


def _check_form():
    """A multipart POST whose parts could not be read (a non-UTF-8 file name): say so, before CSRF does."""
    multipart = request.method == "POST" and request.mimetype == "multipart/form-data"
    if multipart and (request.content_length or 0) > 0 and not request.form and not request.files:
        if request.path.startswith("/api/") or request.path == "/practice/submit":
            return jsonify(error="bad_form", message=BAD_FORM_MESSAGE), 400
        return render_template("error.html", code=400, message=BAD_FORM_MESSAGE), 400
    return None


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; ``test_config`` overrides settings (``INSTANCE_DIR``, ``JOB_WORKERS`` ...)."""
    test_config = dict(test_config or {})
    instance = Path(test_config.pop("INSTANCE_DIR", None) or default_instance_dir()).resolve()

    secure_instance(instance)  # 0700 folders, 0600 files, whatever the umask
    sweep_temp(instance)  # uploads left by a process that was killed mid-check
    check_added(instance)  # an added scenario with an unsafe id or path is refused, with its reason logged
    if test_config.get("START_JOBS", True):
        sweep_work_folders(instance)  # voicings a stopped process left half done (their jobs run again)
    app = Flask(
        __name__,
        instance_path=str(instance),
        template_folder=str(WEB / "templates"),
        static_folder=str(WEB / "static"),
    )
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    app.config.from_mapping(
        DATABASE=str(instance / "listenwell.sqlite3"),
        MAX_CONTENT_LENGTH=100 * 1024 * 1024,  # bytes per request
        MAX_AUDIO_SECONDS=60 * 60.0,
        MIN_AUDIO_SECONDS=1.0,
        JOB_WORKERS=1,
        # the job runner (service/web/jobs.py): an extra worker for analyses of at most this many seconds
        # of audio (0: none); how much the workers lower their CPU priority; CTranslate2 threads per
        # analysis (0: one per core)
        EXPRESS_LANE_SECONDS=_env_float("LISTENWELL_EXPRESS_LANE_SECONDS", 120.0),
        JOB_NICE=int(_env_float("LISTENWELL_JOB_NICE", 10)),
        JOB_CPU_THREADS=int(_env_float("LISTENWELL_JOB_CPU_THREADS", 0)),
        # per-user limits (service/web/queue_limits.py): minutes of audio a trainee may have waiting to be
        # analysed (0: no limit), scenarios a supervisor may have waiting to be voiced
        QUEUED_MINUTES_PER_USER=_env_float("LISTENWELL_QUEUED_MINUTES_PER_USER", 120.0),
        VOICINGS_PER_USER=3,
        # practice decisions (POST /practice/<id>/next) running at once, per user and in all (0: one per core)
        PRACTICE_DECISIONS_PER_USER=int(_env_float("LISTENWELL_PRACTICE_DECISIONS_PER_USER", 1)),
        PRACTICE_DECISIONS_AT_ONCE=int(_env_float("LISTENWELL_PRACTICE_DECISIONS_AT_ONCE", 0)),
        # rendered report pages kept in memory (service/web/page_cache.py); 0 turns it off
        REPORT_PAGE_CACHE=int(os.environ.get("LISTENWELL_REPORT_PAGE_CACHE", "128")),
        ANALYZE=None,  # None: service.pipeline.analyze_file
        VOICE=None,  # None: service.practice.added.voice_and_store
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("LISTENWELL_SECURE_COOKIES", "0") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        ADMIN_PASSWORD=os.environ.get("LISTENWELL_ADMIN_PASSWORD"),
        PASSWORD_HASH_METHOD=os.environ.get("LISTENWELL_PASSWORD_HASH") or None,
        # log-in sessions: end after this long without a request / this long after log-in
        SESSION_IDLE_SECONDS=float(os.environ.get("LISTENWELL_SESSION_IDLE_SECONDS") or 30 * 60),
        SESSION_MAX_SECONDS=float(os.environ.get("LISTENWELL_SESSION_MAX_SECONDS") or 12 * 3600),
        # log-in throttling: failures allowed per account from one address / per client address /
        # per account from all addresses (each address adds at most the first figure), then doubling waits
        LOGIN_FREE_FAILURES_USER=5,
        LOGIN_FREE_FAILURES_ADDR=20,
        LOGIN_FREE_FAILURES_ACCOUNT=50,
        LOGIN_DELAY_BASE=1.0,
        LOGIN_DELAY_CAP=15 * 60.0,
    )
    app.config.update(test_config)
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)

    db.init_app(app)
    app.before_request(_check_form)  # before CSRF's own check, so a bad file name gets its own message
    csrf.init_app(app)
    app.add_template_global(csp_nonce)
    hops = int(os.environ.get("LISTENWELL_PROXY_HOPS") or app.config.get("PROXY_HOPS", 0) or 0)
    if hops and not app.config.get("PROXY_IN_SERVER"):
        # another WSGI server behind a reverse proxy: the client address (log-in throttling) comes from
        # X-Forwarded-For; under `listenwell serve` waitress reads it itself (serve.proxy_settings)
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    auth.init_app(app)
    for module in (auth, reports, upload, practice, progress, api, admin, scenario_admin):
        app.register_blueprint(module.bp)
    api.register_errors(app)
    app.after_request(security_headers)
    scheduler = app.config.get("JOB_SCHEDULER") or os.environ.get("LISTENWELL_SCHEDULER")
    if scheduler and app.config.get("ANALYZE") is None:
        app.config["ANALYZE"] = DaskAnalyze(scheduler)  # analyses run on the Dask cluster; the queue stays here
    practice.init_app(app)
    if app.config.get("START_JOBS", True):
        jobs.init_app(app)
    return app
