"""The admin panel in-process: every route through the WSGI app with a real SQLite
database made by ``appliance init`` (login, roles, CSRF, headers, sessions, rate limit,
escaping, and what each page does)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import Box

from appliance import clock
from appliance.webadmin.testclient import Client

ADMIN = ("admin@box.example", "admin-pw-123")
AGENT = ("agent@box.example", "agent-pw-12345")
HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>'

GET_ROUTES = ["/", "/items", "/items/1", "/admin/email/outgoing", "/admin/email/outgoing/1",
              "/admin/email/incoming", "/admin/email/incoming/1",
              "/admin/email/appearance", "/admin/email/appearance/preview",
              "/admin/email/message-center", "/admin/blocklist", "/admin/capture",
              "/admin/dns", "/account", "/items/1/messages/1/frame",
              "/admin/email/outgoing/1/frame", "/admin/email/incoming/1/frame",
              "/admin/email/message-center/templates/relay",
              "/admin/email/message-center/automations/A02", "/admin/users"]
# agents may look at the message center; everything else under /admin is for admins
ADMIN_GETS = [r for r in GET_ROUTES if r.startswith("/admin")
              and not r.startswith("/admin/email/message-center")]
POST_ROUTES = ["/logout", "/items/1/messages", "/items/1/status", "/items/1/followers",
               "/items/1/followers/remove", "/admin/email/outgoing/settings",
               "/admin/email/outgoing/test", "/admin/email/incoming/1/retry",
               "/admin/email/appearance", "/admin/blocklist", "/admin/blocklist/remove",
               "/admin/capture/agent-forwarding", "/account/tokens",
               "/account/tokens/1/delete", "/account/password", "/items/1/fields",
               "/admin/email/message-center/templates/relay",
               "/admin/email/message-center/templates/relay/preview",
               "/admin/email/message-center/templates/relay/reset",
               "/admin/email/message-center/templates/account_created/enabled",
               "/admin/email/message-center/automations/A02",
               "/admin/email/message-center/automations/A02/enabled",
               "/admin/users", "/admin/users/1/deactivate", "/admin/users/1/activate",
               "/admin/settings/relay"]
# agents may preview the saved text of a template (their own text: test_template_budget.py)
ADMIN_POSTS = [r for r in POST_ROUTES if r.startswith("/admin") and not r.endswith("/preview")]


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("web") / "box").init()
    box.cli("users", "add", "--email", AGENT[0], "--name", "Alice Agent", "--role", "agent",
            "--password", AGENT[1])
    from appliance import config
    from appliance.webadmin.app import make_app
    box.db()
    cfg = config.load(box.ini)
    box.cfg = cfg
    box.app = make_app(cfg)
    box.item = make_item(title="Printer broken", requester="ben@client.example",
                         body="The printer on floor 2 is jammed.")
    make_incoming(box)
    make_outgoing(box)
    yield box
    box.stop_all()


@pytest.fixture(autouse=True)
def fresh_limits():
    from appliance.helpdesk.logins import LoginAttempt
    LoginAttempt.delete().execute()
    yield
    clock.set_source(None)


def make_item(title, requester, body, name=None, type_name="ticket"):
    from appliance.helpdesk import people
    from appliance import addresses
    from appliance.helpdesk.models import Item, ItemType, Message
    person = people.get(addresses.Person(requester, name))
    item = Item.create(type=ItemType.get(name=type_name), title=title, requester=person,
                       description=body)
    Message.create(item=item, author=person, body=body)
    people.follow(item, person)
    return item


def make_incoming(box, action="created", subject="Printer broken", from_name="Ben Carter",
                  item=None, spool_id=None, error=None):
    from appliance.helpdesk.models import IncomingMail
    decision = {"kind": "direct", "requester": {"email": "ben@client.example",
                                                "name": from_name},
                "forwarder": None, "original_sender": None, "automated": None,
                "followers": [{"email": "ben@client.example", "name": from_name}],
                "reasons": ["The sender wrote to the capture address directly."]}
    return IncomingMail.create(spool_id=spool_id or f"s{clock.now().timestamp()}-{subject}",
                               received_at=clock.now(), mail_from="ben@client.example",
                               rcpt_tos=["tickets@box.example"],
                               from_email="ben@client.example", from_name=from_name,
                               subject=subject, message_id=f"<{subject[:10]}@client.example>",
                               action=action, item=item, decision=decision,
                               auth={"spf": "pass", "dkim": "none", "dmarc": "fail"},
                               reasons=["A new ticket was created."], error=error)


def make_outgoing(box, subject="[#1] Printer broken", html_extra=""):
    from appliance.outbound.mailer import Mailer
    from appliance.helpdesk.models import db
    from appliance.helpdesk import people
    from appliance import addresses
    with db.atomic():
        return Mailer(box.cfg).send(
            to=people.get(addresses.Person("ben@client.example", "Ben Carter")),
            subject_source=subject, body_source="We are on it." + html_extra, context={},
            kind="system")


def login(panel, who=ADMIN, **kw) -> Client:
    client = Client(panel.app, **kw)
    response = client.login(*who)
    assert response.status == 303, response.text
    return client


def mail_text(raw) -> str:
    from appliance.webadmin.mailview import parse
    return parse(bytes(raw)).text


def csp(response) -> str:
    return response.header("Content-Security-Policy") or ""


# --- login required, roles, CSRF --------------------------------------------------------

@pytest.mark.parametrize("path", GET_ROUTES)
def test_every_page_needs_a_login(panel, path):
    response = Client(panel.app).get(path)
    assert response.status == 303
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("path", POST_ROUTES)
def test_every_form_target_needs_a_login(panel, path):
    anonymous = Client(panel.app)
    anonymous.get("/login")  # has a form token, still no session
    response = anonymous.post(path, {"body": "x", "status": "closed", "pattern": "a@b.example"})
    assert response.status == 401


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_agents_cannot_open_admin_pages(panel, path):
    response = login(panel, AGENT).get(path)
    assert response.status == 403
    assert "only admins" in response.text


@pytest.mark.parametrize("path", ADMIN_POSTS)
def test_agents_cannot_change_settings(panel, path):
    from appliance.helpdesk.models import Blocked
    agent = login(panel, AGENT)
    agent.get("/items")
    response = agent.post(path, {"pattern": "agent-was-here@x.example", "enabled": "true"})
    assert response.status == 403
    assert not Blocked.select().where(Blocked.pattern == "agent-was-here@x.example").exists()


def test_agents_work_items(panel):
    agent = login(panel, AGENT)
    assert agent.get("/items").status == 200
    assert agent.get(f"/items/{panel.item.id}").status == 200
    page = agent.get("/items").text
    assert "Email settings" not in page  # the admin menu is not offered


@pytest.mark.parametrize("path", POST_ROUTES)
def test_every_form_target_refuses_a_missing_or_wrong_csrf_token(panel, path):
    from appliance.helpdesk.models import Blocked
    admin = login(panel)
    for token in (None, "forged-token"):
        data = {"pattern": "csrf-attack@x.example"}
        if token:
            data["csrf_token"] = token
        response = admin.post(path, data, csrf=False)
        assert response.status == 403, path
        assert "CSRF" in response.text
    assert not Blocked.select().where(Blocked.pattern == "csrf-attack@x.example").exists()
    assert admin.get("/items").status == 200  # still logged in: logout was refused too


def test_login_form_needs_its_token(panel):
    client = Client(panel.app)
    response = client.post("/login", {"email": ADMIN[0], "password": ADMIN[1]}, csrf=False)
    assert response.status == 403
    assert "appliance_session" not in client.cookies


# --- sessions ---------------------------------------------------------------------------

def test_session_cookie_is_httponly_samesite_and_secure_over_tls(panel):
    plain = Client(panel.app)
    plain.login(*ADMIN)
    cookie = [c for c in plain.last.headers_named("Set-Cookie")
              if c.startswith("appliance_session=")][0]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie and "Max-Age" not in cookie  # a browser-session cookie
    tls = Client(panel.app, scheme="https")
    tls.login(*ADMIN)
    cookie = [c for c in tls.last.headers_named("Set-Cookie")
              if c.startswith("appliance_session=")][0]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_sessions_live_in_the_database_and_the_cookie_is_only_a_key(panel):
    from appliance.helpdesk.logins import WebSession, digest
    client = login(panel)
    secret = client.cookies["appliance_session"]
    assert WebSession.get_or_none(WebSession.key_hash == digest(secret)) is not None
    assert WebSession.get_or_none(WebSession.key_hash == secret) is None
    client.cookies["appliance_session"] = secret[:-2] + "xx"
    assert client.get("/items").status == 303


def test_idle_session_expires(panel):
    frozen = clock.FrozenClock(clock.now())
    clock.set_source(frozen)
    client = login(panel)
    frozen.advance(29 * 60)
    assert client.get("/items").status == 200   # activity keeps it alive
    frozen.advance(29 * 60)
    assert client.get("/items").status == 200
    frozen.advance(31 * 60)
    response = client.get("/items")
    assert response.status == 303 and "expired=1" in response.location
    assert "session ended" in client.get(response.location).text


def test_logout_ends_the_session(panel):
    from appliance.helpdesk.logins import WebSession, digest
    client = login(panel)
    secret = client.cookies["appliance_session"]
    client.get("/items")
    assert client.post("/logout").location == "/login"
    assert WebSession.get_or_none(WebSession.key_hash == digest(secret)) is None
    client.cookies["appliance_session"] = secret  # a stolen copy is useless now
    assert client.get("/items").status == 303


def test_login_redirects_only_inside_the_panel(panel):
    for target, expected in (("/admin/dns", "/admin/dns"), ("//evil.example/x", "/"),
                             ("https://evil.example/", "/"), ("/\\evil.example", "/")):
        client = Client(panel.app)
        client.get("/login")
        response = client.post("/login", {"email": ADMIN[0], "password": ADMIN[1],
                                          "next": target})
        assert response.location == expected


# --- rate limit -------------------------------------------------------------------------

def test_failed_logins_slow_the_account_down_but_never_lock_the_real_user_out(panel):
    from appliance.webadmin.throttle import LIMITS
    limits = LIMITS["login"]
    frozen = clock.FrozenClock(clock.now())
    clock.set_source(frozen)
    for attempt in range(limits.free_per_account):   # the first few are free
        client = Client(panel.app, remote_addr=f"10.0.0.{attempt}")
        assert client.login(ADMIN[0], "wrong").status == 401
    delay = 1
    for attempt in range(12):   # then each waits twice as long, up to max_delay
        client = Client(panel.app, remote_addr=f"10.0.1.{attempt}")
        response = client.login(ADMIN[0], "wrong")
        assert response.status == 429 and "Try again in" in response.text
        assert int(response.header("Retry-After")) == delay   # and no password checked
        frozen.advance(delay)
        assert Client(panel.app, remote_addr=f"10.0.2.{attempt}").login(
            ADMIN[0], "wrong").status == 401
        delay = min(delay * 2, int(limits.max_delay))
    assert delay == limits.max_delay
    # the real user, from another address, waits at most max_delay and gets in
    user = Client(panel.app, remote_addr="10.0.3.1")
    response = user.login(*ADMIN)
    assert response.status == 429 and int(response.header("Retry-After")) <= limits.max_delay
    assert "appliance_session" not in user.cookies
    frozen.advance(int(response.header("Retry-After")))
    assert user.login(*ADMIN).status == 303
    assert Client(panel.app).login(*AGENT).status == 303  # other accounts are not slowed


def test_login_is_rate_limited_per_address(panel):
    for attempt in range(20):
        client = Client(panel.app, remote_addr="10.9.9.9")
        assert client.login(f"nobody{attempt}@x.example", "wrong").status == 401
    assert Client(panel.app, remote_addr="10.9.9.9").login(*ADMIN).status == 429
    assert Client(panel.app, remote_addr="10.9.9.10").login(*ADMIN).status == 303


# --- headers and escaping ---------------------------------------------------------------

def test_security_headers_on_pages_errors_and_static_files(panel):
    admin = login(panel)
    for response in (admin.get("/items"), admin.get("/no/such/page"),
                     admin.get("/static/panel.css"), Client(panel.app).get("/login")):
        policy = csp(response)
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.header("X-Content-Type-Options") == "nosniff"
        assert response.header("Referrer-Policy") == "same-origin"


def test_pages_have_no_inline_script_or_handlers(panel):
    admin = login(panel)
    for path in GET_ROUTES + ["/login", "/password-reset"]:
        response = admin.get(path)
        assert response.status == 200, path
        page = response.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert not re.search(r"\son[a-z]+\s*=", page), path
        assert "javascript:" not in page, path


def test_hostile_subjects_names_and_bodies_are_escaped(panel):
    from appliance.helpdesk.models import Message
    item = make_item(title="Help " + HOSTILE, requester="evil@client.example",
                     name='Eve "><script>alert(3)</script>', body="Body " + HOSTILE)
    Message.create(item=item, author=item.requester, body="x",
                   body_html='<p>Hi<script>alert(4)</script><a href="javascript:alert(5)">'
                             'click</a><img src=x onerror="alert(6)"></p>')
    make_incoming(panel, subject="Mail " + HOSTILE, from_name="Eve " + HOSTILE, item=item)
    make_outgoing(panel, subject="Out <script>alert(7)</script>")
    admin = login(panel)
    pages = {path: admin.get(path) for path in (
        "/items", f"/items/{item.id}", "/items?q=help", "/admin/email/incoming",
        "/admin/email/incoming?q=mail", "/admin/email/outgoing")}
    for path, response in pages.items():
        assert response.status == 200, path
        assert "<script>alert" not in response.text, path
        assert "<img src=x" not in response.text, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[f"/items/{item.id}"].text
    # the HTML of a mail is sanitised and served only into a sandboxed frame
    message = item.messages.order_by(Message.id.desc()).first()
    assert 'sandbox title' in pages[f"/items/{item.id}"].text
    frame = admin.get(f"/items/{item.id}/messages/{message.id}/frame")
    assert "<script" not in frame.text and "javascript:" not in frame.text
    assert "onerror" not in frame.text and "click</a>" in frame.text
    assert "sandbox" in csp(frame) and "script-src" not in csp(frame)
    assert "default-src 'none'" in csp(frame)


# --- items ------------------------------------------------------------------------------

def test_items_list_filters_and_full_text_search(panel):
    make_item(title="Invoice question", requester="carla@acme.example", body="Where is "
              "invoice 4711?", type_name="task")
    admin = login(panel)
    assert "Invoice question" in admin.get("/items?q=4711").text          # message body
    assert "Invoice question" in admin.get("/items?q=invoi").text         # prefix
    assert "Invoice question" not in admin.get("/items?q=printer").text
    assert "Printer broken" in admin.get("/items?q=printer").text
    assert "Invoice question" in admin.get("/items?type=task").text
    assert "Printer broken" not in admin.get("/items?type=task").text
    assert "Invoice question" in admin.get("/items?requester=carla@acme.example").text
    assert "Printer broken" not in admin.get("/items?requester=carla").text
    opened = admin.get(f"/items?q=%23{panel.item.id}")   # "#N" opens item N
    assert opened.location == f"/items/{panel.item.id}"
    assert "Printer broken" in admin.get(opened.location).text
    assert "Nothing matches" in admin.get("/items?q=zzzqqq").text
    assert "Nothing matches" in admin.get("/items?q=%22%27()*").text  # no FTS syntax error


def test_opening_an_item_marks_its_messages_seen(panel):
    from appliance.helpdesk import people
    from appliance.helpdesk.models import Message, Seen
    item = make_item(title="Seen test", requester="dora@client.example", body="hello")
    agent = people.find(AGENT[0])
    assert not Seen.select().where(Seen.person == agent).join(Message).where(
        Message.item == item).exists()
    login(panel, AGENT).get(f"/items/{item.id}")
    seen = Seen.select().join(Message).where(Message.item == item, Seen.person == agent)
    assert seen.count() == item.messages.count() == 1


def test_reply_and_internal_note(panel):
    from appliance.helpdesk.models import Message
    item = make_item(title="Reply test", requester="erin@client.example", body="hi")
    agent = login(panel, AGENT)
    agent.get(f"/items/{item.id}")
    response = agent.post(f"/items/{item.id}/messages", {"body": "We replace the drum.",
                                                         "kind": "reply"})
    assert response.status == 303
    agent.get(f"/items/{item.id}")
    agent.post(f"/items/{item.id}/messages", {"body": "Drum costs 80 EUR", "kind": "note"})
    messages = list(item.messages.order_by(Message.id))
    assert [(m.body, m.internal) for m in messages[1:]] == [
        ("We replace the drum.", False), ("Drum costs 80 EUR", True)]
    assert all(m.author.email == AGENT[0] for m in messages[1:])
    page = agent.get(f"/items/{item.id}").text
    assert page.count('class="message internal"') == 1
    assert "Internal note: agents only" in page
    assert agent.post(f"/items/{item.id}/messages", {"body": " ", "kind": "reply"}).status \
        == 303
    assert item.messages.count() == 3


def test_item_page_shows_the_item_it_may_belong_to_and_who_is_copied(panel):
    """A mail that named an item without proving it belongs there is a new item linked to
    it; the page says so and lists the people copied, not following.  Adding one by hand
    makes them a follower."""
    from appliance import addresses
    from appliance.helpdesk import people
    from appliance.helpdesk.models import Copied, Item
    first = make_item(title="Original", requester="orig@client.example", body="x")
    item = make_item(title="Re: [#1] Original", requester="orig@client.example", body="y")
    Item.update(may_belong_to=first).where(Item.id == item.id).execute()
    mallory = people.get(addresses.Person("mallory@evil.example", "Mallory"))
    Copied.create(item=item, person=mallory, state="pending",
                  reason="named in mail whose sender is not authenticated")
    admin = login(panel)
    page = admin.get(f"/items/{item.id}").text
    assert 'id="may-belong-to"' in page and f'href="/items/{first.id}"' in page
    assert 'id="copied"' in page and "mallory@evil.example" in page
    assert "after your answer" in page
    assert 'id="may-belong-to"' not in admin.get(f"/items/{first.id}").text
    admin.post(f"/items/{item.id}/followers", {"email": "mallory@evil.example"})
    assert "mallory@evil.example" in [p.email for p in people.followers(item)]
    assert not Copied.select().where(Copied.item == item).exists()


def test_status_and_followers(panel):
    from appliance.helpdesk import people
    from appliance.helpdesk.models import Item
    item = make_item(title="Status test", requester="finn@client.example", body="hi")
    admin = login(panel)
    admin.get(f"/items/{item.id}")
    admin.post(f"/items/{item.id}/status", {"status": "pending"})
    assert Item.get_by_id(item.id).status == "pending"
    admin.get(f"/items/{item.id}")
    assert admin.post(f"/items/{item.id}/status", {"status": "bogus"}).status == 400
    admin.get(f"/items/{item.id}")
    admin.post(f"/items/{item.id}/followers", {"email": "Gus@Client.Example"})
    assert "gus@client.example" in [p.email.lower() for p in people.followers(item)]
    admin.get(f"/items/{item.id}")
    admin.post(f"/items/{item.id}/followers/remove", {"email": "finn@client.example"})
    assert "finn@client.example" not in [p.email for p in people.followers(item)]


# --- outgoing ---------------------------------------------------------------------------

def test_outgoing_log_search_paging_and_details(panel):
    admin = login(panel)
    page = admin.get("/admin/email/outgoing").text
    assert "ben@client.example" in page and "badge-queued" in page
    assert "Printer broken" in admin.get("/admin/email/outgoing?q=ben@client.example").text
    assert "No mail sent yet" not in admin.get("/admin/email/outgoing?q=printer").text
    assert "Nothing matches" in admin.get("/admin/email/outgoing?q=nobody-at-all").text
    assert "Nothing matches" in admin.get("/admin/email/outgoing?status=bounced").text
    from appliance.outbound.models import OutgoingMail
    mail = OutgoingMail.select().order_by(OutgoingMail.id).first()
    detail = admin.get(f"/admin/email/outgoing/{mail.id}").text
    assert "badge-pass" in detail and "rsa-sha256" in detail   # DKIM verified
    assert "DKIM-Signature:" in detail and "We are on it." in detail
    events = detail.split('id="events"')[1].split("</ol>")[0]
    assert events.index("badge-signed") < events.index("badge-queued")  # newest first
    frame = admin.get(f"/admin/email/outgoing/{mail.id}/frame")
    assert "We are on it." in frame.text and "sandbox" in csp(frame)
    assert admin.get("/admin/email/outgoing/999999").status == 404


def test_outgoing_paging(panel):
    for n in range(55):
        make_outgoing(panel, subject=f"Paging {n}")
    admin = login(panel)
    first = admin.get("/admin/email/outgoing").text
    assert first.count("View details") == 50 and 'rel="next"' in first
    second = admin.get("/admin/email/outgoing?page=2").text
    assert 'rel="prev"' in second and "Paging 0<" in second


def test_own_smtp_server_settings_and_password_never_shown(panel):
    from appliance.helpdesk.settingstore import current as setting
    admin = login(panel)
    admin.get("/admin/email/outgoing")
    response = admin.post("/admin/email/outgoing/settings", {
        "own_smtp": "on", "host": "smtp.acme.example", "port": "99999",
        "security": "tls", "username": "box", "password": "pw-secret-1",
        "from_address": "help@acme.example"})
    assert response.status == 400   # named as the page labels it (Server, Port)
    assert "Server and port must be host:port, e.g. smtp.example.com:587" in response.text
    assert setting("outbound.mode", "box.example") == "direct"   # nothing half-saved
    admin.get("/admin/email/outgoing")
    response = admin.post("/admin/email/outgoing/settings", {
        "own_smtp": "on", "host": "smtp.acme.example", "port": "465", "security": "tls",
        "username": "box", "password": "pw-secret-1", "from_address": "help@acme.example"})
    assert response.status == 303
    assert setting("outbound.smarthost", "box.example") == "smtp.acme.example:465"
    assert setting("outbound.password", "box.example") == "pw-secret-1"
    page = admin.get("/admin/email/outgoing").text
    assert "pw-secret-1" not in page and "saved; leave empty to keep it" in page
    assert "forget to set your email address" not in page
    admin.post("/admin/email/outgoing/settings", {   # empty password keeps the saved one
        "host": "smtp.acme.example", "port": "465", "security": "tls", "username": "box",
        "password": "", "from_address": "support@box.example"})
    assert setting("outbound.password", "box.example") == "pw-secret-1"
    assert setting("outbound.mode", "box.example") == "direct"
    assert "forget to set your email address" in admin.get("/admin/email/outgoing").text


def test_send_test_reports_each_step_against_a_loopback_server(panel):
    from smtpsinks import Sink
    from appliance.helpdesk.models import Setting
    admin = login(panel)
    with Sink() as sink:
        admin.get("/admin/email/outgoing")
        admin.post("/admin/email/outgoing/settings", {
            "own_smtp": "on", "host": "127.0.0.1", "port": str(sink.port),
            "security": "none", "username": "", "from_address": "support@box.example",
            "clear_password": "on"})
        response = admin.post("/admin/email/outgoing/test", {"to": "ben@client.example"})
        assert response.status == 200
        steps = re.findall(r'<li class="(\w+)"><span class="step">([^<]*)', response.text)
        assert ("ok", "MAIL FROM:&lt;support@box.example&gt;") in steps
        assert ("ok", "RCPT TO:&lt;ben@client.example&gt;") in steps
        assert "Every step passed" in response.text
        assert sink.connections >= 1 and not sink.received   # nothing delivered
        sink.behaviour.rcpt["ben@client.example"] = "550 5.1.1 no such user"
        admin.get("/admin/email/outgoing")
        failed = admin.post("/admin/email/outgoing/test", {"to": "ben@client.example"}).text
        assert "The test failed" in failed and "550 5.1.1 no such user" in failed
    Setting.delete().where(Setting.key.startswith("outbound.")).execute()


# --- incoming ---------------------------------------------------------------------------

def test_incoming_log_details_and_retry(panel):
    from appliance.mta.spool import Envelope, Spool
    spool = Spool(panel.cfg.spool_dir).ensure()
    raw = (b"From: Hal <hal@client.example>\r\nTo: tickets@box.example\r\n"
           b"Subject: Broken one\r\nMessage-ID: <broken@client.example>\r\n\r\nBody text\r\n")
    entry = spool.write(Envelope("hal@client.example", ["tickets@box.example"]), raw)
    spool.fail(entry)
    row = make_incoming(panel, action="failed", subject="Broken one", spool_id=entry,
                        error="the worker crashed on it")
    admin = login(panel)
    listing = admin.get("/admin/email/incoming?action=failed").text
    assert "Broken one" in listing and "badge-failed" in listing
    assert "Broken one" in admin.get("/admin/email/incoming?q=broken").text
    detail = admin.get(f"/admin/email/incoming/{row.id}").text
    for text in ("Direct: the sender wrote", "The sender wrote to the capture address",
                 "the worker crashed on it", "badge-pass", "badge-fail", "Body text",
                 "Message-ID: &lt;broken@client.example&gt;", ">Retry<"):
        assert text in detail, text
    response = admin.post(f"/admin/email/incoming/{row.id}/retry")
    assert response.status == 303
    assert entry in spool.pending()
    again = admin.get(response.location)
    assert "no longer in the failed queue" not in again.text
    assert "Queued again" in again.text


# --- appearance, blocklist, capture, DNS, message center --------------------------------

def test_appearance_saves_through_the_settings_table_and_previews_a_real_email(panel):
    from appliance.helpdesk.settingstore import current as setting
    admin = login(panel)
    page = admin.get("/admin/email/appearance").text
    assert "Accent colour of HTML emails" in page   # help text from appliance.settings
    preview = admin.get("/admin/email/appearance/preview?appearance__company_name=Acme+Ltd"
                        "&appearance__brand_color=%23ff0000&appearance__signature="
                        "Cheers%2C+%7Bcompany%7D")
    assert "Acme Ltd" in preview.text and "#ff0000" in preview.text
    assert "Cheers, Acme Ltd" in preview.text and "sandbox" in csp(preview)
    response = admin.post("/admin/email/appearance", {
        "appearance__company_name": "Acme Ltd", "appearance__display_name": "{agent} {oops}",
        "appearance__header": "", "appearance__signature": "x",
        "appearance__brand_color": "red"})
    assert response.status == 400
    assert "may use only {agent} and {company}" in response.text
    assert "must be a colour like #2563eb" in response.text
    assert setting("appearance.company_name", "box.example") == "Support"
    admin.post("/admin/email/appearance", {
        "appearance__company_name": "Acme Ltd", "appearance__display_name": "{agent} at "
        "{company}", "appearance__header": "Hello", "appearance__signature": "The {company} "
        "team", "appearance__brand_color": "#112233"})
    assert setting("appearance.brand_color", "box.example") == "#112233"
    assert "#112233" in admin.get("/admin/email/appearance/preview").text


def test_blocklist(panel):
    from appliance.helpdesk.models import Blocked
    admin = login(panel)
    page = admin.get("/admin/blocklist").text
    assert "add mailboxes that are not people" in page.lower()
    admin.post("/admin/blocklist", {"pattern": "NoReply@Vendor.Example"})
    admin.post("/admin/blocklist", {"pattern": "*@alerts.example"})
    assert {"noreply@vendor.example", "*@alerts.example"} <= {b.pattern for b in Blocked}
    bad = admin.post("/admin/blocklist", {"pattern": "not an address"})
    assert bad.status == 400 and "not an address or a *@domain pattern" in bad.text
    admin.get("/admin/blocklist")
    admin.post("/admin/blocklist/remove", {"pattern": "*@alerts.example"})
    assert "*@alerts.example" not in {b.pattern for b in Blocked}


def test_capture_addresses_and_agent_forwarding_switch(panel):
    from appliance.helpdesk.settingstore import current as setting
    admin = login(panel)
    page = admin.get("/admin/capture").text
    for text in ("tickets@box.example", "tasks@box.example", "Gmail and Google Workspace",
                 "Microsoft 365 and Exchange", "Postfix", "Any other provider",
                 "Manual forward", "Agent forwarding is off"):
        assert text in page, text
    admin.post("/admin/capture/agent-forwarding", {"enabled": "true"})
    assert setting("intake.agent_forwarding", "box.example") == "true"
    assert "Agent forwarding is on" in admin.get("/admin/capture").text
    admin.post("/admin/capture/agent-forwarding", {"enabled": "false"})
    assert setting("intake.agent_forwarding", "box.example") == "false"


def test_capture_page_lists_the_support_alias_and_forwards_from_the_admins_mailbox(panel):
    from appliance.helpdesk import settingstore
    admin = login(panel)
    page = admin.get("/admin/capture").text
    assert "<code>support@box.example</code> <span" in page   # the alias, explained
    # Examples never tell the admin to forward from the box's own domain.
    assert "support@yourcompany.example support@yourcompany.example, tickets@box.example" \
        in page
    assert "support@box.example support@box.example" not in page
    settingstore.store({"outbound.from_address": "help@acme.example"})
    try:
        page = admin.get("/admin/capture").text
        assert "help@acme.example help@acme.example, tickets@box.example" in page
        assert "support@box.example" not in page
    finally:
        settingstore.store({"outbound.from_address": "support@box.example"})


def test_dns_page_checks_each_record_through_the_resolver(panel):
    from appliance.webadmin.dnscheck import records
    wanted = {r.type + " " + r.name: r for r in records(panel.cfg)}
    dkim = next(r for r in wanted.values() if "._domainkey." in r.name)
    panel.set_dns({dkim.name: {"TXT": [dkim.value]},
                   "box.example": {"MX": [[10, "other.example"]],
                                   "TXT": ["v=spf1 -all"]}})
    page = login(panel).get("/admin/dns").text
    rows = dict(re.findall(r'<tr class="state-(\w+)">\s*<td><code>([^<]+)</code>', page))
    states = {name: state for state, name in rows.items()}
    assert states[dkim.name] == "published"
    assert states["box.example"] == "different"      # MX points elsewhere
    assert states["_dmarc.box.example"] == "missing"
    assert "other.example" in page


# --- password reset ---------------------------------------------------------------------

def test_password_reset_by_system_email(panel):
    from appliance.outbound.models import OutgoingMail
    from appliance.helpdesk.logins import WebSession
    panel.cli("users", "add", "--email", "reset@box.example", "--name", "Rita",
              "--role", "agent", "--password", "old-password-1")
    other = login(panel, ("reset@box.example", "old-password-1"))
    client = Client(panel.app)
    client.get("/password-reset")
    assert "an email with a link is on its way" in client.post(
        "/password-reset", {"email": "reset@box.example"}).text
    mail = OutgoingMail.select().order_by(OutgoingMail.id.desc()).first()
    assert mail.kind == "system" and "reset@box.example" in [r.email for r in mail.recipients]
    link = re.search(re.escape(panel.cfg.public_url.rstrip("/")) + r"(/password-reset/[\w-]+)",
                     mail_text(mail.raw))
    assert link, mail_text(mail.raw)
    path = link.group(1)
    client.get(path)
    assert "at least 10" in client.post(path, {"password": "short", "again": "short"}).text
    client.get(path)
    response = client.post(path, {"password": "new-password-2", "again": "new-password-2"})
    assert response.location == "/login"
    assert client.login("reset@box.example", "old-password-1").status == 401
    assert client.login("reset@box.example", "new-password-2").status == 303
    assert other.get("/items").status == 303          # old sessions ended
    assert "not valid any more" in Client(panel.app).get(path).text   # single use
    # unknown addresses get the same answer and no mail
    count = OutgoingMail.select().count()
    anonymous = Client(panel.app)
    anonymous.get("/password-reset")
    assert "on its way" in anonymous.post("/password-reset", {"email": "x@y.example"}).text
    assert OutgoingMail.select().count() == count
    assert WebSession.select().count() >= 1


def test_reset_links_never_point_at_a_forged_host(panel):
    from appliance.outbound.models import OutgoingMail
    client = Client(panel.app)
    client.get("/password-reset")
    client.post("/password-reset", {"email": ADMIN[0]},
                headers={"Host": "desk.example.org:@evil.example"})
    text = mail_text(OutgoingMail.select().order_by(OutgoingMail.id.desc()).first().raw)
    assert "evil" not in text, text
    assert f"{panel.cfg.public_url}password-reset/" in text   # web.public_url, set at init


# --- API --------------------------------------------------------------------------------

def test_api_tokens_and_documents(panel):
    from appliance.helpdesk.views import incoming_json, item_full, item_summary
    from appliance.helpdesk.models import IncomingMail, Item
    agent = login(panel, AGENT)
    agent.get("/account")
    page = agent.post("/account/tokens", {"name": "reports"}).text
    token = re.search(r'<code class="secret">(apl_[\w-]+)</code>', page).group(1)
    assert token not in agent.get("/account").text   # shown once
    api = Client(panel.app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/items").status == 401
    assert api.get("/api/items").json()["error"].startswith("send an API token")
    assert api.get("/api/items", headers={"Authorization": "Bearer nope"}).status == 401
    docs = api.get("/api/items?limit=500", headers=bearer).json()
    newest = Item.select().order_by(Item.created_at.desc(), Item.id.desc()).first()
    assert docs[0] == item_summary(newest)
    assert api.get(f"/api/items/{panel.item.id}", headers=bearer).json() == \
        item_full(Item.get_by_id(panel.item.id))
    assert api.get("/api/items?q=printer", headers=bearer).json()
    assert api.get("/api/items/999999", headers=bearer).status == 404
    assert api.get("/api/mail/incoming", headers=bearer).status == 403   # agent
    assert "set-cookie" not in {k.lower() for k, _ in api.last.headers}
    admin = login(panel)
    admin.get("/account")
    admin_token = re.search(r'<code class="secret">(apl_[\w-]+)</code>',
                            admin.post("/account/tokens", {"name": "ops"}).text).group(1)
    admin_bearer = {"Authorization": f"Bearer {admin_token}"}
    incoming = api.get("/api/mail/incoming", headers=admin_bearer).json()
    first = IncomingMail.select().order_by(IncomingMail.received_at.desc(),
                                           IncomingMail.id.desc()).first()
    assert incoming[0] == incoming_json(first)
    outgoing = api.get("/api/mail/outgoing", headers=admin_bearer).json()
    assert {"id", "to", "subject", "status", "created_at", "item_id"} <= set(outgoing[0])
    one = api.get(f"/api/mail/outgoing/{outgoing[0]['id']}", headers=admin_bearer).json()
    assert "DKIM-Signature" in one["raw"] and one["events"]
    # revoking ends it
    from appliance.helpdesk.logins import ApiToken
    token_row = ApiToken.get(ApiToken.name == "reports")
    agent.get("/account")
    agent.post(f"/account/tokens/{token_row.id}/delete")
    assert api.get("/api/items", headers=bearer).status == 401


def test_healthz_stays_open(panel):
    response = Client(panel.app).get("/healthz")
    assert response.status in (200, 503)
    assert "database" in response.text


def test_session_cookie_unused_by_the_api(panel):
    admin = login(panel)
    assert admin.get("/api/items").status == 401


def test_expired_reset_token(panel):
    frozen = clock.FrozenClock(clock.now())
    clock.set_source(frozen)
    from appliance.outbound.models import OutgoingMail
    client = Client(panel.app)
    client.get("/password-reset")
    client.post("/password-reset", {"email": AGENT[0]})
    text = mail_text(OutgoingMail.select().order_by(OutgoingMail.id.desc()).first().raw)
    path = re.search(r"(/password-reset/[\w-]+)", text).group(1)
    frozen.advance(timedelta(hours=1, seconds=1).total_seconds())
    assert "not valid any more" in client.get(path).text
