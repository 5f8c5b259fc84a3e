"""Issue 21, items 2, 3 and 6: proxy addresses, lock-outs and the password policy, on a real server.

The server runs with ``LISTENWELL_PROXY_HOPS=1`` as behind the documented reverse proxy: the test
client (127.0.0.1) plays the proxy and names the client address in ``X-Forwarded-For``.
"""

from __future__ import annotations

import pytest
import requests

from service.store.db import connect, db_path
from service.web.auth import create_user
from tests.security.live import log_in, make_users, start_server
from tests.web_fixtures import FAST_HASH, PASSWORD


def _login(url: str, name: str, password: str, addr: str | None = None) -> int:
    headers = {"X-Forwarded-For": addr} if addr else {}
    return requests.post(url + "/api/login", json={"username": name, "password": password}, headers=headers,
                         timeout=30).status_code


def _add_user(instance, name: str) -> None:
    conn = connect(db_path(instance))
    create_user(conn, name, PASSWORD, "trainee", method=FAST_HASH)
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    instance = tmp_path_factory.mktemp("proxy") / "instance"
    make_users(instance)
    server = start_server(instance, "--workers", "0", env={"LISTENWELL_PROXY_HOPS": "1"})
    yield server
    server.stop()


def test_forwarded_addresses_are_throttled_apart(proxied):
    """Before: every failure counted against the proxy (127.0.0.1), so 20 locked everyone out."""
    for i in range(22):
        _login(proxied.url, f"guess{i}", "wrong", "203.0.113.7")
    assert _login(proxied.url, "guess99", "wrong", "203.0.113.7") == 429  # that address is held
    assert _login(proxied.url, "alice", PASSWORD, "198.51.100.2") == 200  # another one is not


def test_an_untrusted_peer_cannot_choose_its_address(tmp_path):
    instance = tmp_path / "instance"
    make_users(instance)
    server = start_server(instance, "--workers", "0",
                          env={"LISTENWELL_PROXY_HOPS": "1", "LISTENWELL_TRUSTED_PROXY": "192.0.2.250"})
    try:
        codes = [_login(server.url, f"guess{i}", "wrong", f"203.0.113.{i}") for i in range(21)]
        assert codes[:20] == [401] * 20 and codes[-1] == 429  # all counted against 127.0.0.1
    finally:
        server.stop()


def test_one_address_cannot_lock_a_named_user_out(proxied):
    """Before: wrong passwords for a name from anywhere made the right one answer 429 everywhere."""
    _add_user(proxied.instance, "trainee1")
    codes = [_login(proxied.url, "trainee1", "wrong", "203.0.113.50") for _ in range(30)]
    assert codes[:5] == [401] * 5 and codes[-1] == 429
    assert _login(proxied.url, "trainee1", PASSWORD, "203.0.113.50") == 429  # the guesser's address waits
    assert _login(proxied.url, "trainee1", PASSWORD, "198.51.100.9") == 200  # the trainee's own does not


def test_guessing_spread_over_many_addresses_meets_the_account_ceiling(proxied):
    _add_user(proxied.instance, "trainee2")
    for a in range(12):  # 12 addresses x 5 tries = 60 > 50 failures for the account
        for _ in range(5):
            _login(proxied.url, "trainee2", "wrong", f"192.0.2.{a}")
    assert _login(proxied.url, "trainee2", PASSWORD, "198.51.100.77") == 429


def test_account_password_is_throttled(proxied):
    """Before: /account/password verified any number of wrong current passwords."""
    _add_user(proxied.instance, "trainee3")
    s = log_in(proxied.url, "trainee3")
    codes = [s.post(proxied.url + "/account/password",
                    data={"current_password": f"wrong-{i}", "new_password": "quiet-river-lamp-42"},
                    timeout=30).status_code for i in range(8)]
    assert codes[:5] == [400] * 5 and codes[-1] == 429
    r = s.post(proxied.url + "/account/password",
               data={"current_password": PASSWORD, "new_password": "quiet-river-lamp-42"}, timeout=30)
    assert r.status_code == 429 and "Try again in" in r.text and int(r.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("n, new, why", [
    (0, "12345678", "at least 10 characters"),
    (1, "password", "at least 10 characters"),
    (2, " " * 12, "too easy to guess"),
    (3, "1234567890", "too easy to guess"),
    (4, "passwordpassword", "too easy to guess"),
    (5, "policy5-is-me", "user name"),
    (6, PASSWORD, "differ from the current one"),
])
def test_password_policy_on_the_account_page(proxied, n, new, why):
    """Before: 12345678, password, eight spaces, one's own name and the same password were accepted."""
    name = f"policy{n}"
    _add_user(proxied.instance, name)
    s = log_in(proxied.url, name)
    r = s.post(proxied.url + "/account/password", data={"current_password": PASSWORD, "new_password": new},
               timeout=30)
    assert r.status_code == 400 and why in r.text, r.text[:500]
    assert _login(proxied.url, name, PASSWORD, "198.51.100.200") == 200  # unchanged


def test_a_good_new_password_is_accepted(proxied):
    _add_user(proxied.instance, "trainee5")
    s = log_in(proxied.url, "trainee5")
    r = s.post(proxied.url + "/account/password",
               data={"current_password": PASSWORD, "new_password": "quiet-river-lamp-42"}, timeout=30)
    assert r.status_code == 200 and "Password changed" in r.text
    assert _login(proxied.url, "trainee5", "quiet-river-lamp-42", "198.51.100.201") == 200
