"""``listenwell serve``, ``listenwell init-db`` and ``listenwell import-batch``."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from analysis.errors import ParameterError
from service.store.db import connect, db_path, migrate
from service.store.storage import create_session, import_session, store_audio
from service.web.app import create_app, default_instance_dir
from service.web.auth import create_user, ensure_admin
from service.web.dask_jobs import DaskAnalyze
from service.web.jobs import enqueue
from service.web.upload_check import sweep_temp
from service.web.upload_worker import warm_up

__all__ = [
    "import_batch",
    "import_batch_folder",
    "init_db",
    "load_demo",
    "proxy_settings",
    "run_server",
    "serve",
    "server_threads",
    "shutdown",
]

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".ogg", ".opus", ".webm", ".aac")
DEMO_USERS = (("demo-supervisor", "supervisor"), ("demo-trainee", "trainee"))
DEMO_PASSWORD = "demo-password"

_instance_option = click.option(
    "--instance",
    "instance",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="LISTENWELL_INSTANCE",
    default=None,
    help="Instance folder (database, audio). Default: $LISTENWELL_INSTANCE or ~/.local/share/listenwell.",
)


def _instance(instance: Path | None) -> Path:
    path = (instance or default_instance_dir()).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _prepare(instance: Path) -> None:
    """Create/upgrade the database and the first admin (printing a generated password once)."""
    conn = connect(db_path(instance))
    try:
        version = migrate(conn)
    finally:
        conn.close()
    import os

    password = ensure_admin(str(db_path(instance)), os.environ.get("LISTENWELL_ADMIN_PASSWORD"),
                            os.environ.get("LISTENWELL_PASSWORD_HASH") or None)
    click.echo(f"database: {db_path(instance)} (schema version {version})")
    if password:
        click.echo(f"created user 'admin' with password: {password}  (shown once: note it now)")


def _find_audio(folder: Path, report: dict) -> Path | None:
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file():
            return p
    source = report.get("source")
    if source and Path(source).is_file() and Path(source).suffix.lower() in AUDIO_SUFFIXES:
        return Path(source)
    return None


def _import_one(instance: Path, report_path: Path, trainee: str, audio: Path | None,
                scenario: str | None, title: str) -> int | None:
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        logger.warning("skipping %s: %s", report_path, e)
        return None
    if audio is None:
        audio = _find_audio(report_path.parent, report)
    return import_session(instance, trainee, audio, report, scenario_id=scenario, source="batch", title=title)


def import_batch_folder(instance: Path, out_dir: Path, trainee: str | None = None,
                        audio_root: Path | None = None) -> list[int]:
    """Import a ``listenwell batch`` output folder; return the new session ids.

    With ``batch.json`` (see :mod:`service.batch.cohort`): every recording whose status is
    done, with its trainee, scenario and audio (``input_dir``/``file``, or
    ``audio_root``/``file``). Without it: every ``report.json`` below ``out_dir``,
    the trainee being the first folder name. ``trainee`` overrides the trainee.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ParameterError(f"{out_dir} is not a folder")
    ids: list[int | None] = []
    index = out_dir / "batch.json"
    if index.is_file():
        try:
            batch = json.loads(index.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ParameterError(f"{index} is not valid JSON: {e}") from e
        root = Path(audio_root or batch.get("input_dir") or out_dir)
        for rec in batch.get("recordings", []):
            if rec.get("status") != "done" or not rec.get("folder"):
                continue
            report_path = out_dir / rec["folder"] / "report.json"
            if not report_path.is_file():
                continue
            audio = root / rec["file"] if rec.get("file") and (root / rec["file"]).is_file() else None
            ids.append(_import_one(instance, report_path, trainee or rec.get("trainee") or "batch", audio,
                                   rec.get("scenario"), str(rec.get("file") or rec["folder"])))
        return [i for i in ids if i is not None]
    for report_path in sorted(out_dir.rglob("report.json")):
        rel = report_path.parent.relative_to(out_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue  # .partial-* folders of an unfinished batch
        name = trainee or (rel.parts[0] if len(rel.parts) > 1 else "batch")
        audio = None
        if audio_root is not None and (Path(audio_root) / rel).is_file():
            audio = Path(audio_root) / rel
        ids.append(_import_one(instance, report_path, name, audio, None, str(rel)))
    return [i for i in ids if i is not None]


def _queue_demo_dialogues(instance: Path, trainee_id: int) -> list[int]:
    """Queue real analyses of the bundled stereo dialogues (helper on the left channel)."""
    folder = ROOT / "samples" / "dialogues"
    ids = []
    conn = connect(db_path(instance))
    try:
        for wav in sorted(folder.glob("*.stereo.wav")):
            name, mime, duration = store_audio(instance, wav)
            sid = create_session(conn, trainee_id=trainee_id, created_by=None, audio_name=name, audio_mime=mime,
                                 duration=duration, source="demo", title=wav.name.split(".")[0].replace("-", " "),
                                 speaker_setup="stereo", helper_channel=0)
            enqueue(conn, sid)
            ids.append(sid)
        conn.commit()
    finally:
        conn.close()
    return ids


def load_demo(instance: Path) -> list[int]:
    """Demo users, plus demo sessions: reports from ``samples/demo`` (a batch output folder) when
    present, else the bundled dialogues queued for analysis (done about a minute after start)."""
    conn = connect(db_path(instance))
    try:
        sup = conn.execute("SELECT id FROM users WHERE username = ? COLLATE NOCASE", (DEMO_USERS[0][0],)).fetchone()
        sup_id = sup["id"] if sup else create_user(conn, DEMO_USERS[0][0], DEMO_PASSWORD, "supervisor")
        row = conn.execute("SELECT id FROM users WHERE username = ? COLLATE NOCASE", (DEMO_USERS[1][0],)).fetchone()
        trainee_id = row["id"] if row else create_user(conn, DEMO_USERS[1][0], DEMO_PASSWORD, "trainee", sup_id)
        conn.commit()
        if conn.execute("SELECT 1 FROM sessions WHERE trainee_id = ?", (trainee_id,)).fetchone():
            return []  # already loaded
    finally:
        conn.close()
    demo = ROOT / "samples" / "demo"
    if demo.is_dir():
        return import_batch_folder(instance, demo, trainee=DEMO_USERS[1][0])
    return _queue_demo_dialogues(instance, trainee_id)


def server_threads(cpus: int | None = None) -> int:
    """Waitress request threads for this machine: 4 per core, at least 8, at most 64.

    Requests are short (pages, JSON, audio ranges) and mostly wait on SQLite or the
    disk; analyses never run on these threads (they are in the durable job queue).
    """
    import os

    cpus = cpus or os.cpu_count() or 1
    return max(8, min(64, 4 * cpus))


def proxy_settings(environ: dict | None = None) -> dict:
    """Waitress's reverse-proxy options from ``LISTENWELL_PROXY_HOPS`` and ``LISTENWELL_TRUSTED_PROXY``.

    With N hops, waitress takes the client address from the N-th ``X-Forwarded-For`` entry from
    the right (and the scheme and host from ``X-Forwarded-Proto``/``-Host``), but only on
    connections from the trusted proxy's address (default 127.0.0.1; ``*`` trusts every peer);
    from any other peer those headers are dropped. {} when no proxy is configured.
    """
    import os

    env = os.environ if environ is None else environ
    hops = int(env.get("LISTENWELL_PROXY_HOPS") or 0)
    if hops <= 0:
        return {}
    return {"trusted_proxy": env.get("LISTENWELL_TRUSTED_PROXY") or "127.0.0.1", "trusted_proxy_count": hops,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"},
            "clear_untrusted_proxy_headers": True}


def run_server(app, host: str, port: int, threads: int | None = None) -> None:
    """Serve ``app`` with waitress until SIGTERM/SIGINT; then stop the job workers and sweep temp files."""
    import signal

    from waitress import create_server

    threads = threads or server_threads()
    server = create_server(app, host=host, port=port, threads=threads, ident="waitress",
                           channel_timeout=120, connection_limit=200, **proxy_settings())

    def _stop(signum, frame):  # waitress's loop ends on SystemExit and shuts its threads down
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, _stop)
    click.echo(f"ListenWell on http://{host}:{port}/  (waitress, {threads} threads, instance {app.instance_path})")
    try:
        server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutdown(app)


def shutdown(app) -> None:
    """Stop the app's job workers and remove its temporary upload files."""
    runner = app.extensions.get("listenwell_jobs")
    if runner is not None:
        runner.stop(timeout=5.0)
    close = getattr(app.config.get("ANALYZE"), "close", None)
    if close is not None:
        close()
    sweep_temp(app.instance_path)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int)
@_instance_option
@click.option("--workers", default=None, type=int,
              help="Analyses run at once (default: 1 here; with --scheduler, the cluster's thread count).")
@click.option("--threads", default=None, type=int,
              help="Web request threads (default: 4 per CPU core, 8 to 64).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:8786",
              help="Send analyses to this Dask scheduler instead of running them here.")
@click.option("--demo", is_flag=True, help="Add demo users and the bundled demo reports.")
def serve(host: str, port: int, instance: Path | None, workers: int | None, threads: int | None,
          scheduler: str | None, demo: bool) -> None:
    """Start the web service (on this machine only, by default) on the waitress WSGI server."""
    instance = _instance(instance)
    _prepare(instance)
    if demo:
        ids = load_demo(instance)
        click.echo(f"demo: log in as demo-trainee or demo-supervisor, password {DEMO_PASSWORD}"
                   f" ({len(ids)} session(s) added)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: other machines can reach this service; it has no TLS of its"
                   " own, so put it behind a reverse proxy with HTTPS (docs/usage/security.md)", err=True)
    config: dict = {"INSTANCE_DIR": instance, "JOB_WORKERS": 1 if workers is None else workers, "DB_PER_THREAD": True,
                    "PROXY_IN_SERVER": True}  # waitress reads X-Forwarded-* (proxy_settings), not ProxyFix
    if scheduler:
        analyze = DaskAnalyze(scheduler)
        config.update(JOB_SCHEDULER=scheduler, ANALYZE=analyze)
        if workers is None:
            config["JOB_WORKERS"] = analyze.capacity()
        click.echo(f"analyses go to the Dask scheduler at {scheduler} ({config['JOB_WORKERS']} at once)")
    app = create_app(config)

    warm_up()  # the upload checker's fork server starts now, not at the first upload
    run_server(app, host, port, threads)


@click.command("init-db")
@_instance_option
def init_db(instance: Path | None) -> None:
    """Create or upgrade the database; create the first admin."""
    _prepare(_instance(instance))


@click.command("import-batch")
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_instance_option
@click.option("--trainee", default=None, help="Trainee for every report (default: first folder name).")
@click.option("--audio-root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="The batch's input folder, to find each recording's audio.")
def import_batch(out_dir: Path, instance: Path | None, trainee: str | None, audio_root: Path | None) -> None:
    """Import a ``listenwell batch`` output folder (report.json per recording) into the service."""
    instance = _instance(instance)
    _prepare(instance)
    ids = import_batch_folder(instance, out_dir, trainee, audio_root)
    click.echo(f"imported {len(ids)} session(s) into {instance}")
