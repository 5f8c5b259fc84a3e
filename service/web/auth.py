"""Log-in, roles (trainee, supervisor, admin) and the permission rules used by every page.

Log-in sessions live in the database (``login_sessions``): the signed cookie holds
only a random token, so logging out, a password reset, a role change or deleting
the user ends all of that user's sessions at once (:func:`end_sessions`). A
session also ends after ``SESSION_IDLE_SECONDS`` without a request and
``SESSION_MAX_SECONDS`` after log-in.

Failed log-ins are counted per account name from one client address, per
address, and per account from anywhere with a higher ceiling (``login_failures``,
:class:`LoginThrottle`); past a few failures each further try waits twice as long
("try again in N s", HTTP 429). Wrong current passwords on ``/account/password``
count the same way. An unknown user name costs the same time as a
known one: a dummy hash is verified.
"""

from __future__ import annotations

import logging
import math
import secrets
import sqlite3
import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from werkzeug.security import check_password_hash, generate_password_hash

from service.store.db import connect, get_db
from service.web.extensions import csrf
from service.web.passwords import password_problems

__all__ = [
    "ROLES",
    "LoginThrottle",
    "User",
    "bp",
    "can_manage_session",
    "can_view_session",
    "create_user",
    "end_sessions",
    "ensure_admin",
    "find_user",
    "hash_password",
    "init_app",
    "role_required",
    "session_or_404",
    "set_password",
    "start_session",
    "try_login",
    "visible_trainee_ids",
]

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."
ROLES = ("trainee", "supervisor", "admin")


class User(UserMixin):
    """The logged-in user, as read from the ``users`` table, with its log-in session token."""

    def __init__(self, row: sqlite3.Row, token: str | None = None):
        self.id = int(row["id"])
        self.username = row["username"]
        self.role = row["role"]
        self.supervisor_id = row["supervisor_id"]
        self.token = token

    def get_id(self) -> str:
        # Flask-Login keeps this in the signed cookie: the session token, never the bare user id.
        return self.token or ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


def start_session(conn, user_id: int) -> str:
    """Record a new log-in session for ``user_id``; return its random token (caller commits)."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    conn.execute("INSERT INTO login_sessions (token, user_id, created_at, last_seen) VALUES (?, ?, ?, ?)",
                 (token, user_id, now, now))
    return token


def end_sessions(conn, user_id: int) -> int:
    """End every log-in session of ``user_id`` (all browsers); return how many (caller commits)."""
    return conn.execute("DELETE FROM login_sessions WHERE user_id = ?", (user_id,)).rowcount


def set_password(conn, user_id: int, password: str) -> None:
    """Set a new password and end the user's sessions (caller commits)."""
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hash_password(password), user_id))
    end_sessions(conn, user_id)


def find_user(conn, username: str) -> sqlite3.Row | None:
    """The user called ``username``, case-insensitively ("Alice" is "alice")."""
    return conn.execute("SELECT * FROM users WHERE username = ? COLLATE NOCASE", (username.strip(),)).fetchone()


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    if not token:
        return None
    db = get_db()
    row = db.execute(
        "SELECT u.*, s.created_at AS s_created, s.last_seen AS s_seen FROM login_sessions s"
        " JOIN users u ON u.id = s.user_id WHERE s.token = ?", (token,)
    ).fetchone()
    if row is None:
        return None
    now = time.time()
    idle = float(current_app.config["SESSION_IDLE_SECONDS"])
    lifetime = float(current_app.config["SESSION_MAX_SECONDS"])
    if now - row["s_seen"] > idle or now - row["s_created"] > lifetime:
        db.execute("DELETE FROM login_sessions WHERE token = ?", (token,))
        db.commit()
        return None
    if now - row["s_seen"] > min(60.0, idle / 4):
        db.execute("UPDATE login_sessions SET last_seen = ? WHERE token = ?", (now, token))
        db.commit()
    return User(row, token)


def hash_password(password: str, method: str | None = None) -> str:
    """werkzeug's salted hash (scrypt by default; ``PASSWORD_HASH_METHOD`` overrides)."""
    if method is None:
        try:
            method = current_app.config.get("PASSWORD_HASH_METHOD")
        except RuntimeError:  # outside an app context
            method = None
    return generate_password_hash(password, method=method or "scrypt")


def create_user(conn, username: str, password: str | None, role: str, supervisor_id: int | None = None,
                method: str | None = None) -> int:
    """Insert a user with a hashed password; return its id (caller commits)."""
    if role not in ROLES:
        raise ValueError(f"role={role!r} must be one of {ROLES}")
    pw_hash = hash_password(password, method) if password else None
    cur = conn.execute(
        "INSERT INTO users (username, password_hash, role, supervisor_id) VALUES (?, ?, ?, ?)",
        (username.strip(), pw_hash, role, supervisor_id),
    )
    return int(cur.lastrowid)


def ensure_admin(database: str, password: str | None = None, method: str | None = None) -> str | None:
    """Create the first admin when there is none; return its password if one was generated."""
    conn = connect(database)
    try:
        if conn.execute("SELECT 1 FROM users WHERE role = 'admin'").fetchone():
            return None
        generated = None
        if not password:
            password = generated = secrets.token_urlsafe(12)
        name = "admin"
        if conn.execute("SELECT 1 FROM users WHERE username = ? COLLATE NOCASE", (name,)).fetchone():
            name = f"admin-{secrets.token_hex(2)}"
        create_user(conn, name, password, "admin", method=method)
        conn.commit()
        if generated:
            logger.warning("created user %r with password %s (shown once: note it now)", name, generated)
        return generated
    finally:
        conn.close()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    csrf.exempt(api_login)
    ensure_admin(app.config["DATABASE"], app.config.get("ADMIN_PASSWORD"), app.config.get("PASSWORD_HASH_METHOD"))


def role_required(*roles: str) -> Callable:
    """Decorator: log-in required, and one of ``roles``."""

    def deco(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return deco


def visible_trainee_ids(user) -> list[int] | None:
    """Trainee ids ``user`` may see: None means all (admin)."""
    if user.role == "admin":
        return None
    if user.role == "supervisor":
        rows = get_db().execute(
            "SELECT id FROM users WHERE role = 'trainee' AND supervisor_id = ?", (user.id,)
        ).fetchall()
        return [int(r["id"]) for r in rows]
    return [int(user.id)]


def visible_trainees(user) -> list[sqlite3.Row]:
    """The trainees (id, username) ``user`` may see, by name."""
    ids = visible_trainee_ids(user)
    sql = "SELECT id, username FROM users WHERE role = 'trainee'"
    args: list = []
    if ids is not None:
        sql += f" AND id IN ({','.join('?' * len(ids)) or 'NULL'})"
        args = ids
    return get_db().execute(sql + " ORDER BY username", args).fetchall()


def can_view_session(user, session: sqlite3.Row) -> bool:
    ids = visible_trainee_ids(user)
    return ids is None or int(session["trainee_id"]) in ids


def can_manage_session(user, session: sqlite3.Row) -> bool:
    """Delete: the trainee who owns it, their supervisor, or an admin."""
    return can_view_session(user, session)


def can_comment(user, session: sqlite3.Row) -> bool:
    """Comments: the trainee's supervisor or an admin."""
    return user.role in ("supervisor", "admin") and can_view_session(user, session)


def session_or_404(session_id: int) -> sqlite3.Row:
    """The session row if it exists and the current user may see it; else 404, the same answer for
    both (a 403 would tell which session ids exist)."""
    row = get_db().execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None or not can_view_session(current_user, row):
        abort(404)
    return row


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("reports.index")


class LoginThrottle:
    """Failed log-ins counted per (account, address), per address and per account, with doubling waits.

    After ``free`` failures for a key, each further failure locks it for
    ``base * 2**(failures - free)`` seconds, at most ``cap``; a count is forgotten
    ``forget`` seconds after its last failure.

    * ``pair`` (an account from one address, ``free_user``): stops one address guessing one password.
    * ``addr`` (``free_addr``): stops one address trying many names.
    * ``user`` (the account from anywhere, ``free_account``, higher): stops guessing spread over
      many addresses. One address adds at most ``free_user`` failures to it per ``forget`` period,
      so no single address can lock an account for everyone else.

    A successful log-in clears its ``pair`` and ``user`` counts (not the address's).
    """

    def __init__(self, conn, free_user: int = 5, free_addr: int = 20, base: float = 1.0, cap: float = 900.0,
                 forget: float = 3600.0, free_account: int = 50):
        self.conn = conn
        self.free = {"pair": free_user, "addr": free_addr, "user": free_account}
        self.base, self.cap, self.forget = base, cap, forget

    @staticmethod
    def keys(username: str, address: str | None) -> list[str]:
        """The keys of one try: ``[pair, addr, user]``."""
        name, addr = username.strip().lower(), address or "unknown"
        return [f"pair:{addr} {name}", f"addr:{addr}", f"user:{name}"]

    def wait_seconds(self, keys: list[str], now: float | None = None) -> int:
        """Seconds until a log-in may be tried again (0: now)."""
        now = time.time() if now is None else now
        marks = ",".join("?" * len(keys))
        row = self.conn.execute(f"SELECT MAX(locked_until) FROM login_failures WHERE key IN ({marks})",
                                keys).fetchone()
        until = row[0] or 0.0
        return math.ceil(until - now) if until > now else 0

    def _count(self, key: str, now: float) -> int:
        row = self.conn.execute("SELECT failures, last_at FROM login_failures WHERE key = ?", (key,)).fetchone()
        failures = 1 if row is None or now - row["last_at"] > self.forget else int(row["failures"]) + 1
        free = self.free[key.split(":", 1)[0]]
        locked = now + min(self.cap, self.base * 2 ** (failures - free)) if failures >= free else 0.0
        self.conn.execute(
            "INSERT INTO login_failures (key, failures, last_at, locked_until) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at,"
            " locked_until = excluded.locked_until", (key, failures, now, locked))
        return failures

    def failed(self, keys: list[str], now: float | None = None) -> int:
        """Count a failure for each key; return the wait now imposed (seconds)."""
        now = time.time() if now is None else now
        pair = self._count(keys[0], now)
        for key in keys[1:]:
            if key.startswith("user:") and pair > self.free["pair"]:
                continue  # this address has had its share of the account's failures
            self._count(key, now)
        self.conn.commit()
        return self.wait_seconds(keys, now)

    def succeeded(self, keys: list[str]) -> None:
        self.conn.executemany("DELETE FROM login_failures WHERE key = ?",
                              [(k,) for k in keys if not k.startswith("addr:")])
        self.conn.commit()


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash of a random password with the service's method, verified for unknown names."""
    method = current_app.config.get("PASSWORD_HASH_METHOD") or "scrypt"
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _DUMMY_HASHES[method]


def _throttle() -> LoginThrottle:
    cfg = current_app.config
    return LoginThrottle(get_db(), cfg["LOGIN_FREE_FAILURES_USER"], cfg["LOGIN_FREE_FAILURES_ADDR"],
                         cfg["LOGIN_DELAY_BASE"], cfg["LOGIN_DELAY_CAP"],
                         free_account=cfg["LOGIN_FREE_FAILURES_ACCOUNT"])


def try_login(username: str, password: str) -> tuple[User | None, int]:
    """Check a log-in; returns ``(user, 0)`` on success, ``(None, wait_seconds)`` otherwise.

    The password is verified against a dummy hash when the name is unknown or has
    no password, so both cost the same time. While a wait is imposed nothing is verified.
    """
    throttle = _throttle()
    keys = throttle.keys(username, request.remote_addr)
    wait = throttle.wait_seconds(keys)
    if wait:
        return None, wait
    row = find_user(get_db(), username) if username else None
    stored = row["password_hash"] if row is not None and row["password_hash"] else None
    ok = check_password_hash(stored or _dummy_hash(), password) and stored is not None
    if not ok:
        return None, throttle.failed(keys)
    throttle.succeeded(keys)
    db = get_db()
    token = start_session(db, int(row["id"]))
    db.commit()
    return User(row, token), 0


def _wait_message(wait: int) -> str:
    return f"Too many failed log-ins. Try again in {wait} s."


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        before = _throttle().wait_seconds(LoginThrottle.keys(username, request.remote_addr))
        user, wait = try_login(username, password)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        if before:
            return _too_many("login.html", before)
        flash("Unknown user name or wrong password."
              + (f" Too many failed log-ins: try again in {wait} s." if wait else ""), "error")
        return render_template("login.html"), 401
    return render_template("login.html")


@bp.post("/api/login")
def api_login():
    """JSON log-in for scripts: ``{"username", "password"}``; sets the session cookie.

    CSRF-exempt (see init_app) but JSON only: a cross-site form cannot send
    ``application/json`` without the browser asking this server first.
    """
    if not request.is_json:
        return jsonify(error="bad_request", message="send JSON: {\"username\": ..., \"password\": ...}"), 415
    data = request.get_json(silent=True) or {}
    username = str(data.get("username", "")).strip()
    password = str(data.get("password", ""))
    before = _throttle().wait_seconds(LoginThrottle.keys(username, request.remote_addr))
    user, wait = try_login(username, password)
    if user is not None:
        login_user(user)
        return jsonify(user=user.username, role=user.role)
    if before:
        response = jsonify(error="too_many_requests", message=_wait_message(before), retry_after=before)
        response.status_code = 429
        response.headers["Retry-After"] = str(before)
        return response
    return jsonify(error="unauthorized", message="Unknown user name or wrong password.", retry_after=wait), 401


def _too_many(template: str, wait: int):
    flash(_wait_message(wait), "error")
    response = current_app.make_response((render_template(template), 429))
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password: every other browser is logged out, this one logs in anew.

    A wrong current password counts as a failed log-in of this account from this address
    (a stolen session cannot guess the password without limit); the new one must pass the policy.
    """
    if request.method == "POST":
        current = request.form.get("current_password", "")
        new = request.form.get("new_password", "")
        db = get_db()
        throttle = _throttle()
        keys = throttle.keys(current_user.username, request.remote_addr)
        wait = throttle.wait_seconds(keys)
        if wait:
            return _too_many("account.html", wait)
        row = db.execute("SELECT * FROM users WHERE id = ?", (current_user.id,)).fetchone()
        if not (row["password_hash"] and check_password_hash(row["password_hash"], current)):
            wait = throttle.failed(keys)
            flash("Your current password is not right." + (f" Try again in {wait} s." if wait else ""), "error")
            return render_template("account.html"), 400
        problems = password_problems(new, username=row["username"], previous_hash=row["password_hash"])
        if problems:
            flash(f"Choose another new password: {'; '.join(problems)}.", "error")
            return render_template("account.html"), 400
        set_password(db, current_user.id, new)  # ends all of this user's sessions
        token = start_session(db, current_user.id)
        db.commit()
        login_user(User(row, token))
        flash("Password changed. Every other browser is logged out.", "info")
        return redirect(url_for("reports.index"))
    return render_template("account.html")


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        db = get_db()
        end_sessions(db, current_user.id)
        db.commit()
    logout_user()
    flash("You are logged out (on every device).", "info")
    return redirect(url_for("auth.login"))
