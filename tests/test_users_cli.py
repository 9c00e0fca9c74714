"""``appliance users list`` and ``users set-password``: an admin who lost the password gets
back in from the box's shell, and the panel (the real web service) takes the new one."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import DOMAIN


def panel_login(box, email: str, password: str) -> int:
    """Log in to the running panel as a browser would; the HTTP status of the answer."""
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kw):
            return None
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    base = f"http://127.0.0.1:{box.web_port}"
    form = opener.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password,
                                   "next": "/"}).encode()
    try:
        return opener.open(f"{base}/login", data=body, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_users_list_shows_every_user_with_role_and_state(box):
    box.cli("users", "add", "--email", "Tom@Box.Example", "--name", "Tom", "--role", "agent",
            "--password", "tom-pw-12345")
    users = box.json("users", "list")
    assert [(u["email"], u["role"], u["active"]) for u in users] == [
        (f"admin@{DOMAIN}", "admin", True), ("Tom@box.example", "agent", True)]
    assert all(u["has_password"] for u in users)
    text = box.cli("users", "list").stdout.decode()
    assert f"admin@{DOMAIN}" in text and "agent" in text


def test_a_lost_admin_password_is_set_anew_and_the_panel_takes_it(box):
    box.start("web")
    assert panel_login(box, f"admin@{DOMAIN}", "admin-pw-123") == 303
    out = box.cli("users", "set-password", f"ADMIN@{DOMAIN}", "--password", "brand-new-pw-1")
    assert b"password of admin@box.example (admin) changed" in out.stdout
    assert panel_login(box, f"admin@{DOMAIN}", "admin-pw-123") == 401
    assert panel_login(box, f"admin@{DOMAIN}", "brand-new-pw-1") == 303


def test_set_password_asks_twice_when_no_password_is_given(box):
    box.cli("users", "set-password", f"admin@{DOMAIN}", input=b"typed-pw-12345\ntyped-pw-12345\n")
    differ = box.cli("users", "set-password", f"admin@{DOMAIN}", check=False,
                     input=b"typed-pw-12345\nother-pw-12345\n")
    assert differ.returncode == 1 and b"the two passwords differ" in differ.stderr
    box.start("web")
    assert panel_login(box, f"admin@{DOMAIN}", "typed-pw-12345") == 303


@pytest.mark.parametrize("email, password, error", [
    ("nobody@box.example", "long-enough-pw", b"is not a user; 'appliance users list'"),
    (f"admin@{DOMAIN}", "short", b"at least 10 characters"),
])
def test_set_password_refuses_with_the_reason(box, email, password, error):
    proc = box.cli("users", "set-password", email, "--password", password, check=False)
    assert proc.returncode == 1 and error in proc.stderr and b"Traceback" not in proc.stderr
