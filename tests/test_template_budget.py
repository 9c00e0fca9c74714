"""Template DoS (issue 11, point 7): templates render under a budget of steps, text and
time; the panel's preview is a POST with its CSRF token, answered at once with the budget's
reason while the web service keeps serving (over real HTTP against ``appliance web``); a
template that fails on real data fails only that automation run or relay email, with the
reason in the panel, and the message center goes on (the worker with the injected clock)."""
from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from conftest import DOMAIN, message
from test_message_center import Center, ticket

from appliance.helpdesk import conversation, people, templates
from appliance.outbound.render import RenderError, default_source, render_part
from appliance.helpdesk.sandbox import MAX_STEPS
from appliance.helpdesk.templates import sample_context

MC = "/admin/email/message-center"
ADMIN = (f"admin@{DOMAIN}", "admin-pw-123")
HEAVY = "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}"

# templates that would hold a thread for minutes or take gigabytes, each stopped at once
HOSTILE = {
    "nested loops": (HEAVY, "steps"),
    "empty nested loops": HEAVY.replace("x", ""),
    "filtered loop": "{% for i in range(10000) %}{% for j in range(10000) if j < 0 %}"
                     "{% endfor %}{% endfor %}",
    "recursive loop": "{% for x in [1] recursive %}{{ loop(range(100000)) }}{% endfor %}",
    "doubling macro": "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}"
                      "{% endmacro %}{{ f(40) }}",
    "string times a billion": ("{{ 'x' * 10**9 }}", "KB of text"),
    "huge power": ("{{ 10**1000000 }}", "bits"),
    "squaring in a loop": "{% set ns = namespace(n=3) %}{% for i in range(40) %}"
                          "{% set ns.n = ns.n * ns.n %}{% endfor %}{{ ns.n }}",
    "percent width": "{{ '%999999999s' % 'x' }}",
    "format width": "{{ '{:>999999999}'.format(1) }}",
    "ljust": "{{ 'x'.ljust(999999999) }}",
    "center filter": "{{ item.title|center(999999999) }}",
    "replace multiplies": "{{ ('abc' * 1000)|replace('', 'x' * 100000) }}",
    "doubling concat": "{% set ns = namespace(s='x') %}{% for i in range(60) %}"
                       "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "text of a big list": "{% set ns = namespace(s='x' * 500000) %}{{ [ns.s] * 1000 }}",
    "macro output in a loop": "{% macro m() %}{% for i in range(50000) %}" + "y" * 1000
                              + "{% endfor %}{% endmacro %}{{ m()|length }}",
    "join of many": "{{ range(100000)|map('string')|join('x' * 100000) }}",
    "list grows itself": "{% set l = [] %}{{ l.append(1) }}",
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_templates_stop_quickly_with_the_reason(name):
    source, reason = HOSTILE[name] if isinstance(HOSTILE[name], tuple) else (HOSTILE[name], "")
    start = time.monotonic()
    with pytest.raises(RenderError) as caught:
        render_part("body", source, sample_context())
    assert time.monotonic() - start < 1.5, name
    assert str(caught.value).startswith("body"), caught.value
    assert reason in str(caught.value)


def test_the_clock_stops_what_the_step_count_lets_through(monkeypatch):
    from appliance.helpdesk import sandbox
    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.01)
    with pytest.raises(RenderError, match="takes longer than 0.01 seconds"):
        render_part("body", "{% for i in range(90000) %}{{ i }}{% endfor %}", {})


def test_normal_templates_render_as_before():
    context = sample_context()
    big = "word " * 20000   # the relay shows a new message's text (quotes folded away)
    context["messages"] = [{**context["message"], "body": big, "text": big}] * 5  # 500 KB
    text = render_part("body", default_source("relay", "body"), context)
    assert text.count("word ") == 100000       # big data is no reason to refuse
    loops = "{% for m in messages %}{% for w in m.body.split()[:100] %}.{% endfor %}{% endfor %}"
    assert render_part("body", loops, context) == "." * 500


def test_saving_a_template_that_blows_the_budget_on_sample_data_is_refused(box):
    box.db()
    before = templates.get("relay")
    with pytest.raises(templates.TemplateError) as caught:
        templates.save("relay", "[#{{ item.id }}]", "Hi\n" + HEAVY)
    assert str(caught.value) == (f"body, line 2: the template needs more than {MAX_STEPS:,} "
                                 f"steps (loop turns, lookups, calls); loop over fewer things")
    with pytest.raises(templates.TemplateError, match="at most 20,000 characters"):
        templates.save("relay", "[#{{ item.id }}]", "x" * 20001)
    assert templates.get("relay") == before


def test_cli_preview_of_an_old_over_budget_template_says_why(box):
    from appliance.helpdesk.models import TemplateOverride
    box.db()
    TemplateOverride.create(name="relay", subject="x", body=HEAVY)   # saved before budgets
    proc = box.cli("templates", "show", "relay", "--preview", check=False)
    stderr = proc.stderr.decode()
    assert proc.returncode != 0 and "Traceback" not in stderr
    assert f"needs more than {MAX_STEPS:,} steps" in stderr


# --- over real HTTP against the running web service --------------------------------------

class Http:
    """A browser's part over a real socket: cookies kept, redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()))

    def request(self, path: str, data: dict | None = None, method: str | None = None
                ) -> tuple[int, str, float]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)
        start = time.monotonic()
        try:
            with self.opener.open(req, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        return status, text, time.monotonic() - start

    def csrf(self, path: str) -> str:
        page = self.request(path)[1]
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(self, email: str, password: str) -> "Http":
        token = self.csrf("/login")
        status, text, _ = self.request("/login", {"email": email, "password": password,
                                                  "csrf_token": token})
        assert status == 200 and "/logout" in text, text[:500]
        return self


@pytest.fixture
def web(running_box):
    box = running_box
    box.cli("users", "add", "--email", "agent@box.example", "--name", "Alice Agent",
            "--role", "agent", "--password", "agent-pw-12345")
    box.start("web")
    return Http(f"http://127.0.0.1:{box.web_port}")


def test_preview_is_a_post_with_csrf_and_a_heavy_loop_answers_at_once(web):
    admin = web.login(*ADMIN)
    preview = f"{MC}/templates/relay/preview"
    # the old GET, with a template in the query, is refused outright and renders nothing
    status, _, _ = admin.request(preview + "?" + urllib.parse.urlencode(
        {"subject": "x", "body": HEAVY}))
    assert status == 405
    assert admin.request(preview, {"subject": "x", "body": "y"})[0] == 403   # no token
    token = admin.csrf(f"{MC}/templates/relay")
    status, text, _ = admin.request(preview, {"subject": "Hi {{ requester.name }}",
                                              "body": "For {{ item.title }}",
                                              "csrf_token": token})
    assert status == 200 and "Hi Ben Carter" in text and "For Printer jammed" in text

    # four heavy previews at once (they froze every web thread for 39 s): each answers
    # with the budget's reason, and /healthz keeps answering fast meanwhile
    answers: list = []

    def heavy():
        answers.append(admin.request(preview, {"subject": "x", "body": HEAVY,
                                               "csrf_token": token}))
    threads = [threading.Thread(target=heavy) for _ in range(4)]
    for thread in threads:
        thread.start()
    health = []
    while any(t.is_alive() for t in threads):
        status, _, took = web.request("/healthz")
        health.append((status, took))
    for thread in threads:
        thread.join()
    assert len(answers) == 4
    for status, text, took in answers:
        assert status == 200 and "cannot be shown" in text
        assert f"needs more than {MAX_STEPS:,} steps" in text
        assert took < 10, took
    assert health and all(s == 200 for s, _ in health)
    assert max(took for _, took in health) < 3, health


def test_agents_preview_only_the_saved_text(web):
    agent = web.login("agent@box.example", "agent-pw-12345")
    token = agent.csrf(f"{MC}/templates/relay")
    preview = f"{MC}/templates/relay/preview"
    status, text, _ = agent.request(preview, {"csrf_token": token})
    assert status == 200 and "Printer jammed" in text
    assert agent.request(preview, {"body": HEAVY, "csrf_token": token})[0] == 403


# --- the message center with real data ---------------------------------------------------

@pytest.fixture
def center(box):
    c = Center(box)
    yield c
    from appliance import clock
    clock.set_source(None)
    c.db.close()


def panel_page(center, path: str) -> str:
    from appliance.webadmin.app import make_app
    from appliance.webadmin.testclient import Client
    client = Client(make_app(center.cfg))
    assert client.login(*ADMIN).status == 303
    return client.get(path).text


def test_auto_reply_failing_on_real_data_fails_that_run_and_the_next_ticket_is_answered(
        center):
    from appliance.helpdesk.models import AutomationRun, Item, Message
    # fine for the sample "Ben Carter", breaks for a requester known by one name only
    templates.save("auto_reply", "Re: {{ item.title }}",
                   "Dear {{ requester.name.split()[1] }},\n\nwe have your request.")
    center.receive(message(sender="cara@client.example", subject="Scanner").replace(
        b"From: Ben Carter <", b"From: Cara <"), sender="cara@client.example")
    cara = Item.select().order_by(Item.id.desc()).get()
    assert cara.requester.name == "Cara"
    assert [m.automation for m in cara.messages] == [None]   # no auto-reply posted
    run = AutomationRun.get(AutomationRun.automation == "A02", AutomationRun.item == cara)
    assert run.error.startswith("template auto_reply: body, line 1: ")
    assert "has no element 1" in run.error and run.outcome == f"failed: {run.error}"
    for _ in range(3):               # recorded once, not retried every second
        center.advance(1)
    assert AutomationRun.select().where(AutomationRun.item == cara).count() == 1

    ben = ticket(center, subject="Printer broken")          # the message center goes on
    [auto] = [m for m in ben.messages if m.automation == "A02"]
    assert auto.body == "Dear Carter,\n\nwe have your request."
    center.advance(60)
    assert ("ben@client.example", "relay_automated", f"[#{ben.id}] Printer broken") in \
        center.mails()
    assert Message.select().where(Message.item == cara, Message.automation.is_null(False)
                                  ).count() == 0

    page = panel_page(center, f"{MC}/automations/A02")
    shown = re.search(r'id="automation-failure".*?</p>', page, re.S).group(0)
    assert "Last failure:" in shown and f"#{cara.id}" in shown
    assert "has no element 1" in shown and "1 failed so far" in shown
    row = panel_page(center, MC).split('id="automation-A02"')[1].split("</tr>")[0]
    assert "Last failure:" in row
    page = panel_page(center, f"{MC}/templates/auto_reply")
    assert "A02 Auto-reply on new ticket: Last failure:" in page


def test_relay_over_budget_on_real_data_fails_that_email_and_others_go_out(center):
    from appliance.helpdesk.models import Automation
    from appliance.helpdesk.relaymodels import RelayEntry
    Automation.update(enabled=False).execute()
    # every word against every word: 49 turns for the sample, 250,000 for a long message
    templates.save("relay", "[#{{ item.id }}] {{ item.title }}",
                   "{% for m in messages %}{% for w in m.body.split() %}"
                   "{% for v in m.body.split() %}{% endfor %}{% endfor %}{% endfor %}"
                   "{{ message.body }}")
    maria = center.user("maria@acme.example", "Maria")
    long_one = ticket(center, subject="Logs")
    conversation.post(long_one, maria, "Please run these: " + "step " * 500)
    short_one = ticket(center, subject="Toner")
    conversation.post(short_one, maria, "Toner is on its way.")
    people.follow(short_one, maria)
    center.advance(61)
    assert center.mails() == [("ben@client.example", "relay", f"[#{short_one.id}] Toner")]
    [failed] = RelayEntry.select().where(RelayEntry.item == long_one)
    assert failed.state == "failed" and failed.mail is None
    assert failed.error == (f"template relay: body, line 1: the template needs more than "
                            f"{MAX_STEPS:,} steps (loop turns, lookups, calls); loop over "
                            f"fewer things")
    center.advance(61)
    assert len(center.mails()) == 1              # not retried every second
    shown = re.search(r'id="relay-failure".*?</p>', panel_page(center, MC), re.S).group(0)
    assert f"#{long_one.id}" in shown and f"more than {MAX_STEPS:,} steps" in shown


def test_upgraded_database_gets_the_failure_columns(tmp_path):
    import sqlite3

    from conftest import DATA

    from appliance.helpdesk import migrations
    from appliance.helpdesk.database import open_database
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript((DATA / "schema_v1.sql").read_text())
    con.close()
    database = open_database(path)
    assert migrations.version(database) >= 6
    for table in ("automationrun", "relayentry"):
        assert "error" in {c.name for c in database.get_columns(table)}
    database.close()
