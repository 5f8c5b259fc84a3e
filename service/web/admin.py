"""User management for admins: create users, set passwords, assign trainees, delete users."""

from __future__ import annotations

import sqlite3

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from service.store.db import get_db
from service.store.storage import checkpoint, delete_session
from service.web.auth import (
    ROLES,
    create_user,
    end_sessions,
    role_required,
    set_password,
)
from service.web.passwords import password_problems

__all__ = ["bp"]

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _check_password(password: str, username: str, previous_hash: str | None = None) -> None:
    problems = password_problems(password, username=username, previous_hash=previous_hash)
    if problems:
        raise ValueError("; ".join(problems))


def _supervisor_id(value: str | None) -> int | None:
    if not value:
        return None
    row = get_db().execute(
        "SELECT id FROM users WHERE id = ? AND role = 'supervisor'", (value,)
    ).fetchone()
    if row is None:
        raise ValueError("the chosen supervisor does not exist")
    return int(row["id"])


@bp.route("/users")
@role_required("admin")
def users():
    rows = get_db().execute(
        "SELECT u.*, s.username AS supervisor FROM users u LEFT JOIN users s ON s.id = u.supervisor_id"
        " ORDER BY u.role, u.username"
    ).fetchall()
    supervisors = [r for r in rows if r["role"] == "supervisor"]
    return render_template("admin_users.html", users=rows, supervisors=supervisors, roles=ROLES)


@bp.route("/users", methods=["POST"])
@role_required("admin")
def create():
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    role = request.form.get("role", "trainee")
    try:
        if not username or len(username) > 64:
            raise ValueError("a user name needs 1 to 64 characters")
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        _check_password(password, username)
        supervisor = _supervisor_id(request.form.get("supervisor_id")) if role == "trainee" else None
        create_user(get_db(), username, password, role, supervisor)
        get_db().commit()
    except sqlite3.IntegrityError:
        flash(f"The user name {username!r} is taken.", "error")
    except ValueError as e:
        flash(f"Cannot create the user: {e}.", "error")
    else:
        flash(f"Created {role} {username!r}.", "info")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["POST"])
@role_required("admin")
def update(user_id: int):
    row = get_db().execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        abort(404)
    try:
        password = request.form.get("password", "")
        if password:
            _check_password(password, row["username"], row["password_hash"])
            set_password(get_db(), user_id, password)  # also ends the user's sessions
        role = request.form.get("role") or row["role"]
        if role != row["role"]:
            if role not in ROLES:
                raise ValueError(f"role must be one of {', '.join(ROLES)}")
            if user_id == current_user.id:
                raise ValueError("you cannot change your own role")
            supervisor = row["supervisor_id"] if role == "trainee" else None
            get_db().execute("UPDATE users SET role = ?, supervisor_id = ? WHERE id = ?", (role, supervisor, user_id))
            if row["role"] == "supervisor":
                get_db().execute("UPDATE users SET supervisor_id = NULL WHERE supervisor_id = ?", (user_id,))
            end_sessions(get_db(), user_id)
        if row["role"] == "trainee" and "supervisor_id" in request.form:
            get_db().execute(
                "UPDATE users SET supervisor_id = ? WHERE id = ?",
                (_supervisor_id(request.form.get("supervisor_id")), user_id),
            )
        get_db().commit()
    except ValueError as e:
        get_db().rollback()
        flash(f"Cannot update {row['username']!r}: {e}.", "error")
    else:
        flash(f"Updated {row['username']!r}.", "info")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/delete", methods=["POST"])
@role_required("admin")
def delete(user_id: int):
    if user_id == current_user.id:
        flash("You cannot delete your own account.", "error")
        return redirect(url_for("admin.users"))
    db = get_db()
    row = db.execute("SELECT username FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        abort(404)
    for s in db.execute("SELECT id FROM sessions WHERE trainee_id = ?", (user_id,)).fetchall():
        delete_session(db, current_app.instance_path, int(s["id"]))
    end_sessions(db, user_id)
    db.execute("DELETE FROM users WHERE id = ?", (user_id,))
    db.commit()
    checkpoint(db)
    flash(f"Deleted {row['username']!r} and their sessions.", "info")
    return redirect(url_for("admin.users"))
