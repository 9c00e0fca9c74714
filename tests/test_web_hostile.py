"""The panel against hostile clients, over real HTTP to the running ``appliance web``:
links in mail come from ``web.public_url`` whatever the Host header says, the login's
``next`` never leaves the site, login and reset limits hold under 60 parallel requests
without locking the real user out, forwarded headers are believed from the trusted proxy
only, and the database, its WAL and the ini are the service user's alone (issue 11)."""
from __future__ import annotations

import html
import http.client
import re
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode, urlsplit

import pytest
from conftest import Box, appliance, sqlite_only

from appliance.webadmin.throttle import LIMITS, delay_after

ADMIN = ("admin@box.example", "admin-pw-123")


class Http:
    """A browser-like client: its own source address on loopback, cookies kept, the CSRF
    token read from the last page."""

    def __init__(self, port: int, source: str = "127.0.0.1") -> None:
        self.port, self.source = port, source
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []
        self.page = ""

    def request(self, method: str, path: str, data: dict | None = None,
                headers: dict | None = None) -> http.client.HTTPResponse:
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                         source_address=(self.source, 0))
        body = urlencode(data).encode() if data is not None else None
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Content-Length"] = str(len(body))
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        con.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for key, value in sent.items():
            con.putheader(key, value)
        con.endheaders(body)
        response = con.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        con.close()
        self.set_cookies = response.headers.get_all("Set-Cookie") or []
        for value in self.set_cookies:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        if "csrf_token" in response.text:
            self.page = response.text
        return response

    def csrf(self) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.page).group(1)

    def post(self, path: str, data: dict, **kw) -> http.client.HTTPResponse:
        return self.request("POST", path, {**data, "csrf_token": self.csrf()}, **kw)

    def login(self, email: str, password: str, **kw) -> http.client.HTTPResponse:
        self.request("GET", "/login", **kw)
        return self.post("/login", {"email": email, "password": password}, **kw)

    def cookie_line(self, name: str) -> str:
        return next(c for c in self.set_cookies if c.startswith(name + "="))


@pytest.fixture
def web(tmp_path):
    box = Box(tmp_path / "box").init()
    box.start("web")
    yield box
    box.stop_all()


def last_mail_text(box: Box) -> str:
    from appliance.webadmin.mailview import parse
    raw = box.query("SELECT raw FROM outgoingmail ORDER BY id DESC LIMIT 1")[0][0]
    return parse(bytes(raw)).text


def mails_with_reset_links(box: Box) -> int:
    return sum(b"/password-reset/" in bytes(raw)
               for (raw,) in box.query("SELECT raw FROM outgoingmail"))


# --- point 3: links from web.public_url, next stays on the site -------------------------

FORGED_HOSTS = ["127.0.0.1:@evil.example", "desk.example.org:@evil.example", "evil.example",
                "box.example:80@evil.example"]


def test_reset_and_invitation_links_come_from_the_public_url_never_from_host(tmp_path):
    box = Box(tmp_path / "box").init("--public-url", "https://help.box.example/")
    box.start("web")
    link = re.compile(r"^https://help\.box\.example/password-reset/[\w-]+\r?$", re.M)
    try:
        # two reset requests are free (LIMITS["reset"]): the two worst Host headers
        for host in FORGED_HOSTS[:2]:
            client = Http(box.web_port)
            client.request("GET", "/password-reset", headers={"Host": host})
            response = client.post("/password-reset", {"email": ADMIN[0]},
                                   headers={"Host": host})
            assert response.status == 200, response.text
            text = last_mail_text(box)
            assert "evil" not in text and link.search(text), text
        admin = Http(box.web_port, "127.0.0.2")
        assert admin.login(*ADMIN, headers={"Host": FORGED_HOSTS[0]}).status == 303
        for n, host in enumerate(FORGED_HOSTS):
            admin.request("GET", "/admin/users", headers={"Host": host})
            response = admin.post("/admin/users", {"email": f"new{n}@box.example",
                                                   "name": "Nia", "role": "agent"},
                                  headers={"Host": host})
            assert response.status == 303, response.text
            text = last_mail_text(box)   # the account_created invitation
            assert "evil" not in text and link.search(text), text
    finally:
        box.stop_all()


def test_without_public_url_option_links_use_the_web_listen_address(web):
    assert f"public_url = http://127.0.0.1:{web.web_port}/" in web.ini.read_text()
    client = Http(web.web_port)
    client.request("GET", "/password-reset")
    client.post("/password-reset", {"email": ADMIN[0]},
                headers={"Host": "127.0.0.1:@evil.example"})
    text = last_mail_text(web)
    assert "evil" not in text
    assert f"http://127.0.0.1:{web.web_port}/password-reset/" in text


def test_init_refuses_a_public_url_with_a_user_part(tmp_path):
    proc = appliance("init", "--data-dir", str(tmp_path / "b"), "--domain", "box.example",
                     "--public-url", "http://desk.example.org:@evil.example/", check=False)
    assert proc.returncode != 0 and b"--public-url must be" in proc.stderr
    assert not (tmp_path / "b" / "appliance.ini").exists()


HOSTILE_NEXT = ["/\t/evil.example/", "//evil.example/", "/\\evil.example/",
                "https://evil.example/", "\t//evil.example/", "/\r\n/evil.example/",
                " //evil.example/", "/\x00/evil.example/", "\\\\evil.example/",
                "http:evil.example", "/%09/evil.example/"]


def test_login_next_never_leaves_the_site(web):
    site = f"127.0.0.1:{web.web_port}"
    for target in HOSTILE_NEXT:
        for as_shown in (True, False):   # the form as shown, and as an attacker posts it
            client = Http(web.web_port)
            page = client.request("GET", "/login?next=" + quote(target, safe="/%")).text
            shown = html.unescape(re.search(r'name="next" value="([^"]*)"', page).group(1))
            sent = shown if as_shown else target
            response = client.post("/login", {"email": ADMIN[0], "password": ADMIN[1],
                                              "next": sent})
            assert response.status == 303, response.text
            location = urlsplit(response.getheader("Location"))
            assert location.netloc == site and not location.path.startswith("//"), \
                (target, response.getheader("Location"))
    client = Http(web.web_port)
    client.request("GET", "/login?next=/admin/dns")
    response = client.post("/login", {"email": ADMIN[0], "password": ADMIN[1],
                                      "next": "/admin/dns"})
    assert response.getheader("Location") == f"http://{site}/admin/dns"


# --- point 6: login and reset limits, atomic, no lockout ----------------------------------

def parallel(calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_60_parallel_wrong_logins_from_one_address_check_at_most_its_limit(web):
    limit = LIMITS["login"].per_address
    clients = [Http(web.web_port, "127.0.0.5") for _ in range(60)]
    for client in clients:
        client.request("GET", "/login")
    # a different account each time: only the per-address limit applies
    statuses = parallel([lambda c=c, i=i: c.post("/login", {"email": f"x{i}@box.example",
                                                            "password": "wrong"}).status
                         for i, c in enumerate(clients)])
    assert statuses.count(401) == limit and statuses.count(429) == 60 - limit
    # that address is locked, the account is not: the real user elsewhere gets in
    locked = Http(web.web_port, "127.0.0.5").login(*ADMIN)
    assert locked.status == 429 and int(locked.getheader("Retry-After")) > 60
    assert "from your address" in locked.text
    assert Http(web.web_port, "127.0.0.6").login(*ADMIN).status == 303


def test_60_parallel_wrong_logins_on_one_account_are_slowed_and_the_user_still_gets_in(web):
    limits = LIMITS["login"]
    clients = [Http(web.web_port, f"127.0.1.{i + 1}") for i in range(60)]
    for client in clients:
        client.request("GET", "/login")
    started = time.monotonic()
    statuses = parallel([lambda c=c: c.post("/login", {"email": ADMIN[0],
                                                       "password": "wrong"}).status
                         for c in clients])
    elapsed = time.monotonic() - started
    checked = statuses.count(401)
    assert checked + statuses.count(429) == 60
    # each password check was reserved in the database first: their times keep the
    # schedule (free ones, then 1 s, 2 s, ... apart), however the requests raced
    times = sorted(datetime.fromisoformat(at).timestamp() for (at,) in web.query(
        "SELECT at FROM loginattempt WHERE account = ? AND kind = 'login'", ADMIN[0]))
    assert len(times) == checked
    assert limits.free_per_account <= checked <= limits.free_per_account + 1 + elapsed
    for n in range(limits.free_per_account, checked):
        assert times[n] - times[n - 1] >= delay_after(limits, n) - 0.01
    # the real user, from another address, with the right password: in after a short wait
    user = Http(web.web_port, "127.0.2.1")
    response = user.login(*ADMIN)
    if response.status == 429:
        wait = int(response.getheader("Retry-After"))
        assert wait <= limits.max_delay and "Try again in" in response.text
        time.sleep(wait)
        response = user.post("/login", {"email": ADMIN[0], "password": ADMIN[1]})
    assert response.status == 303 and "appliance_session" in user.cookies


def test_60_parallel_reset_requests_mail_at_most_the_limit(web):
    limits = LIMITS["reset"]
    clients = [Http(web.web_port, f"127.0.3.{i + 1}") for i in range(60)]
    for client in clients:
        client.request("GET", "/password-reset")
    statuses = parallel([lambda c=c: c.post("/password-reset",
                                            {"email": ADMIN[0]}).status for c in clients])
    assert statuses.count(200) == limits.free_per_account
    assert statuses.count(429) == 60 - limits.free_per_account
    assert mails_with_reset_links(web) == limits.free_per_account
    # one address asking for many accounts is cut at its own limit
    flood = [Http(web.web_port, "127.0.4.1") for _ in range(30)]
    for client in flood:
        client.request("GET", "/password-reset")
    statuses = parallel([lambda c=c, i=i: c.post("/password-reset",
                                                 {"email": f"n{i}@box.example"}).status
                         for i, c in enumerate(flood)])
    assert statuses.count(200) == limits.per_address


# --- point 8: behind the reverse proxy -----------------------------------------------------

def test_secure_cookie_and_client_address_from_the_trusted_proxy(tmp_path):
    box = Box(tmp_path / "box").init()
    box.set_ini("web", "trusted_proxy", "127.0.0.1")
    box.set_ini("web", "trusted_proxy_headers", "x-forwarded-for x-forwarded-proto")
    box.start("web")
    try:
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        client = Http(box.web_port)
        client.request("GET", "/login", headers=proxied)
        assert "Secure" in client.cookie_line("appliance_form")
        assert client.post("/login", {"email": ADMIN[0], "password": ADMIN[1]},
                           headers=proxied).status == 303
        assert "Secure" in client.cookie_line("appliance_session")
        assert box.query("SELECT address FROM websession") == [("203.0.113.7",)]
        # plain http through the proxy: no Secure flag (the browser would drop the cookie)
        plain = Http(box.web_port)
        plain.request("GET", "/login", headers={"X-Forwarded-Proto": "http"})
        assert "Secure" not in plain.cookie_line("appliance_form")
        # another peer is no proxy: its forwarded headers are dropped
        other = Http(box.web_port, "127.0.0.9")
        other.request("GET", "/login", headers=proxied)
        assert "Secure" not in other.cookie_line("appliance_form")
        # the per-address limit falls on the forwarded client, not on the proxy
        for i in range(LIMITS["login"].per_address):
            assert Http(box.web_port).login(f"x{i}@box.example", "wrong",
                                            headers=proxied).status == 401
        assert Http(box.web_port).login(*ADMIN, headers=proxied).status == 429
        assert Http(box.web_port).login(*ADMIN, headers={
            "X-Forwarded-For": "203.0.113.8"}).status == 303
        # a peer that is not the proxy escapes nothing with a new X-Forwarded-For each time
        for i in range(LIMITS["login"].per_address):
            assert Http(box.web_port, "127.0.0.9").login(f"y{i}@box.example", "wrong", headers={
                "X-Forwarded-For": f"198.51.100.{i}"}).status == 401
        assert Http(box.web_port, "127.0.0.9").login(*ADMIN, headers={
            "X-Forwarded-For": "198.51.100.200"}).status == 429
    finally:
        box.stop_all()


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_metrics_refuse_a_remote_client_forwarded_by_a_proxy(tmp_path, trusted):
    box = Box(tmp_path / "box").init()
    box.set_ini("web", "trusted_proxy", trusted)
    box.set_ini("web", "metrics_token", "")
    box.start("web")
    try:
        client = Http(box.web_port)
        assert client.request("GET", "/metrics").status == 200     # loopback, direct
        for headers in ({"X-Forwarded-For": "203.0.113.9"},
                        {"Forwarded": "for=203.0.113.9;proto=https"},
                        {"X-Forwarded-Proto": "https"}):
            assert client.request("GET", "/metrics", headers=headers).status == 403, headers
    finally:
        box.stop_all()


def test_metrics_token_still_works_behind_the_trusted_proxy(tmp_path):
    box = Box(tmp_path / "box").init()
    box.set_ini("web", "trusted_proxy", "127.0.0.1")
    box.set_ini("web", "metrics_token", "s3cret-token")
    box.start("web")
    try:
        client = Http(box.web_port)
        forwarded = {"X-Forwarded-For": "203.0.113.9"}
        assert client.request("GET", "/metrics", headers=forwarded).status == 403
        assert client.request("GET", "/metrics", headers={
            **forwarded, "Authorization": "Bearer s3cret-token"}).status == 200
    finally:
        box.stop_all()


def test_a_bad_trusted_proxy_setting_stops_the_web_service_with_the_reason(tmp_path):
    box = Box(tmp_path / "box").init()
    box.set_ini("web", "trusted_proxy", "proxy.example")
    proc = box.cli("web", check=False)
    assert proc.returncode != 0 and b"web.trusted_proxy must be the proxy's IP" in proc.stderr
    assert b"Traceback" not in proc.stderr


# --- point 8: secrets are 0600 --------------------------------------------------------------

def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@sqlite_only
def test_database_its_wal_and_the_ini_are_the_service_users_alone(web):
    assert Http(web.web_port).login(*ADMIN).status == 303   # the web service wrote
    db = web.root / "appliance.db"
    for path in (web.ini, db, db.with_name("appliance.db-wal"),
                 db.with_name("appliance.db-shm")):
        assert path.exists() and mode(path) == 0o600, (path, oct(mode(path)))


@sqlite_only
def test_an_older_group_readable_database_is_tightened_when_opened(tmp_path):
    box = Box(tmp_path / "box").init()
    db = box.root / "appliance.db"
    db.chmod(0o640)
    box.cli("settings", "get", "outbound.mode")
    assert mode(db) == 0o600
    backup = tmp_path / "backup"
    box.cli("backup", str(backup))
    appliance("restore", str(backup), "--data-dir", str(tmp_path / "restored"))
    for name in ("appliance.ini", "appliance.db"):
        assert mode(tmp_path / "restored" / name) == 0o600, name
