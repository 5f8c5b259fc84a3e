"""``listenwell serve``: the web service (waitress), optionally with demo users and reports."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from service.batch.importer import import_batch_output
from service.cli.instance import instance_option, prepare_instance, resolve_instance
from service.store.db import connect, db_path
from service.store.storage import create_session, store_audio
from service.web.app import create_app
from service.web.auth import create_user
from service.web.dask_jobs import DaskAnalyze
from service.web.jobs import enqueue
from service.web.upload_check import sweep_temp
from service.web.upload_worker import warm_up

__all__ = [
    "load_demo",
    "proxy_settings",
    "run_server",
    "serve",
    "server_threads",
    "shutdown",
]

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
DEMO_USERS = (("demo-supervisor", "supervisor"), ("demo-trainee", "trainee"))
DEMO_PASSWORD = "demo-password"

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
        return import_batch_output(instance, demo, trainee=DEMO_USERS[1][0]).session_ids
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
@instance_option
@click.option("--workers", default=None, type=int,
              help="Jobs (analyses, scenario voicing) run at once (default: 1 here; with --scheduler, the cluster's "
                   "thread count), plus one express worker for recordings of at most 2 minutes; 0 runs no jobs.")
@click.option("--threads", default=None, type=int,
              help="Web request threads (default: 4 per CPU core, 8 to 64).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:8786",
              help="Send analyses to this Dask scheduler instead of running them here.")
@click.option("--demo", is_flag=True, help="Add demo users and the bundled demo reports.")
def serve(host: str, port: int, instance: Path | None, workers: int | None, threads: int | None,
          scheduler: str | None, demo: bool) -> None:
    """Start the web service (on this machine only, by default) on the waitress WSGI server."""
    instance = resolve_instance(instance)
    prepare_instance(instance)
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


