"""The password policy for every new or changed password (the admin's user page, one's own account page).

At least :data:`MIN_LENGTH` characters, not the user name (nor containing it), not the password it
replaces, and not easy to guess: zxcvbn (offline; dictionaries of common passwords, names and
words, keyboard patterns, repeats, dates) must score it at least :data:`MIN_SCORE` of 4.
Existing passwords keep working (the demo accounts' ``demo-password`` too): the policy is checked
only when a password is set.
"""

from __future__ import annotations

from werkzeug.security import check_password_hash

__all__ = ["MIN_LENGTH", "MIN_SCORE", "password_problems"]

MIN_LENGTH = 10
MIN_SCORE = 3  # zxcvbn: "safely unguessable", about 10**8 guesses or more
_MAX_LENGTH = 256  # zxcvbn's time grows with length; longer passwords are not needed


def password_problems(password: str, *, username: str, previous_hash: str | None = None) -> list[str]:
    """What is wrong with ``password`` as ``username``'s new password, in plain words ([] if none)."""
    from zxcvbn import zxcvbn

    if len(password) < MIN_LENGTH:
        return [f"the password needs at least {MIN_LENGTH} characters"]
    if len(password) > _MAX_LENGTH:
        return [f"the password may have at most {_MAX_LENGTH} characters"]
    name = username.strip().lower()
    if name and name in password.lower():
        return ["the password must not be or contain the user name"]
    if previous_hash and check_password_hash(previous_hash, password):
        return ["the new password must differ from the current one"]
    result = zxcvbn(password, user_inputs=[name, "listenwell"])
    if result["score"] < MIN_SCORE:
        hint = result["feedback"].get("warning") or "it is too easy to guess"
        return [f"the password is too easy to guess ({hint.rstrip('.')}); a few unrelated words work well"]
    return []
