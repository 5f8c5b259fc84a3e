"""Log-in, roles (trainee, supervisor, admin) and the permission rules used by every page."""

from __future__ import annotations

import logging
import secrets
import sqlite3
from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
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

__all__ = [
    "bp",
    "User",
    "ROLES",
    "init_app",
    "ensure_admin",
    "create_user",
    "hash_password",
    "role_required",
    "visible_trainee_ids",
    "can_view_session",
    "can_manage_session",
    "session_or_404",
]

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."
ROLES = ("trainee", "supervisor", "admin")


class User(UserMixin):
    """The logged-in user, as read from the ``users`` table."""

    def __init__(self, row: sqlite3.Row):
        self.id = int(row["id"])
        self.username = row["username"]
        self.role = row["role"]
        self.supervisor_id = row["supervisor_id"]

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    row = get_db().execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return User(row) if row else None


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
        if conn.execute("SELECT 1 FROM users WHERE username = ?", (name,)).fetchone():
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
    """The session row if it exists (404) and the current user may see it (403)."""
    row = get_db().execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        abort(404)
    if not can_view_session(current_user, row):
        abort(403)
    return row


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("reports.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        row = get_db().execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        if row and row["password_hash"] and check_password_hash(row["password_hash"], password):
            login_user(User(row))
            return redirect(_safe_next(request.args.get("next")))
        flash("Unknown user name or wrong password.", "error")
        return render_template("login.html"), 401
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
