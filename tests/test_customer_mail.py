"""Issue 16, point 3: mail customers are glad to read, shown on the bytes the box composes
(parsed with the email package).

Dates read "Wed, 2 Dec 2026, 09:59" in the admin's timezone and language; a relay email
shows the new messages in full and the earlier ones a line each, never an automatic one,
every message without the history its mail client quoted; a subject carries one ``[#N]``
and one ``Re:``; HTML tables arrive as aligned text; the text part and the HTML part say
the same words.  In-process on a real SQLite file with the frozen clock (the message
center's harness), then end to end over SMTP to the running box and a loopback sink."""
from __future__ import annotations

import email
import re
import smtplib
from datetime import datetime, timezone
from email import policy

import pytest
import test_message_center
from conftest import DOMAIN, message, needs_chromium, relaying, wait_for
from test_message_center import ticket

from appliance import addresses, dates
from appliance.helpdesk import conversation, people, settingstore, templates
from appliance.helpdesk.bodytext import html_to_text
from appliance.helpdesk.models import Automation, Item
from appliance.helpdesk.subjects import tagged
from appliance.helpdesk.worker import Worker
from appliance.outbound.models import OutgoingMail, OutgoingRecipient
from appliance.outbound.render import Appearance

center = test_message_center.center
BEN = "ben@client.example"
MARIA = "maria@acme.example"
ADMIN_LOGIN = (f"admin@{DOMAIN}", "admin-pw-123")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
# Wednesday, 2 December 2026, 08:59:55 UTC: 09:59 in Berlin, 17:59 in Tokyo
MOMENT = datetime(2026, 12, 2, 8, 59, 55, tzinfo=timezone.utc)


# -- helpers ---------------------------------------------------------------------------

def parts(raw: bytes) -> tuple[email.message.EmailMessage, str, str]:
    """The composed mail, its text part and its HTML part."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    return (msg, msg.get_body(("plain",)).get_content().replace("\r\n", "\n"),
            msg.get_body(("html",)).get_content())


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def same_words(raw: bytes) -> str:
    """The text part, after checking that the HTML part, turned into text, says the same
    words in the same order (whitespace and punctuation aside)."""
    _, text, html = parts(raw)
    assert words(html_to_text(html)) == words(text)
    return text


def sent_to(address: str, kind: str | None = None) -> list[bytes]:
    rows = (OutgoingMail.select().join(OutgoingRecipient)
            .where(OutgoingRecipient.email == address).order_by(OutgoingMail.id))
    return [bytes(r.raw) for r in rows if kind is None or r.kind == kind]


def configure(center, **values: str) -> None:
    """Settings changed as the admin does, read by a fresh worker (its mailer caches)."""
    assert settingstore.store({k.replace("__", "."): v for k, v in values.items()}) == {}
    center.worker = Worker(center.cfg)


def reply(to_raw: bytes, body: str, message_id: str, subject: str | None = None,
          extra: str = "") -> bytes:
    """Ben's mail client answering ``to_raw``: threading headers, Gmail's attribution line
    and the text quoted with "> "."""
    msg, text, _ = parts(to_raw)
    quoted = "\n".join("> " + line for line in text.splitlines())
    return (f"From: Ben Carter <{BEN}>\r\nTo: tickets@{DOMAIN}\r\n"
            f"Subject: {subject or 'Re: ' + msg['Subject']}\r\nMessage-ID: {message_id}\r\n"
            f"In-Reply-To: {msg['Message-ID']}\r\nReferences: {msg['Message-ID']}\r\n{extra}"
            f"Date: Wed, 2 Dec 2026 10:05:00 +0100\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\r\n"
            f"On Wed, Dec 2, 2026 at 9:59 AM Support <support@{DOMAIN}> wrote:\r\n\r\n"
            f"{quoted}\r\n").replace("\r\n", "\n").replace("\n", "\r\n").encode()


# -- 1. dates in the admin's timezone and language -------------------------------------

@pytest.mark.parametrize("tz, language, shown", [
    ("UTC", "en", "Wed, 2 Dec 2026, 08:59"),
    ("Europe/Berlin", "en", "Wed, 2 Dec 2026, 09:59"),
    ("Europe/Berlin", "de", "Mi., 2. Dez. 2026, 09:59"),
    ("Asia/Tokyo", "fr", "mer. 2 déc. 2026, 17:59"),
])
def test_the_relay_writes_dates_in_the_admins_timezone_and_language(center, tz, language,
                                                                    shown):
    configure(center, appearance__timezone=tz, appearance__language=language)
    Automation.update(enabled=False).execute()
    center.clock.current = MOMENT
    item = ticket(center)
    maria = center.user(MARIA, "Maria")
    conversation.post(item, maria, "We sent a technician.")
    center.advance(61)
    [raw] = sent_to(BEN, "relay")
    _, text, html = parts(raw)
    assert f"Maria wrote on {shown}:" in text
    assert f"- Ben Carter, {shown}: Please help." in text
    assert f"Maria wrote on {shown}:" in html_to_text(html)
    assert not ISO.search(text) and not ISO.search(html)
    same_words(raw)


def test_every_template_writes_its_dates_the_same_way(box):
    box.db()
    look = Appearance.load(lambda key: {"appearance.timezone": "Europe/Berlin",
                                        "appearance.language": "de"}.get(
        key, settingstore.current(key, DOMAIN)))
    context = templates.sample_context()
    context["item"]["due_at"] = context["message"]["created_at"] = MOMENT.isoformat()
    context["messages"] = [context["message"]]
    for template in templates.all_templates():
        rendered = templates.render(template.name, context, look)
        for part in (rendered.subject, rendered.text, rendered.html):
            assert not ISO.search(part), (template.name, part)
    due = templates.render("task_due_soon", context, look).text
    assert "is due on Mi., 2. Dez. 2026, 09:59." in due
    relayed = templates.render("relay", context, look).text
    assert "Ben Carter wrote on Mi., 2. Dez. 2026, 09:59:" in relayed


def test_one_formatting_function_for_moments_and_iso_text():
    assert dates.when(MOMENT, "Europe/Berlin", "en") == "Wed, 2 Dec 2026, 09:59"
    assert dates.when("2026-12-02T00:59:55+00:00", "Europe/Berlin") == "Wed, 2 Dec 2026, 01:59"
    assert dates.when("2026-12-02T00:59:55", "UTC", "de") == "Mi., 2. Dez. 2026, 00:59"
    assert dates.when("2026-07-01T12:00:00+00:00", "Europe/Berlin", "nl") == \
        "wo 1 jul 2026, 14:00"   # summer time
    assert dates.when("", "UTC") == "" and dates.when(None) == ""
    assert dates.when("not a date") == "not a date"


def test_unknown_timezone_or_language_is_refused_in_words_and_nothing_changes(box):
    bad = box.cli("settings", "set", "appearance.timezone", "Mars/Olympus", check=False)
    said = bad.stderr.decode()
    assert bad.returncode != 0 and "Traceback" not in said
    assert "appearance.timezone must be a timezone name such as Europe/Berlin" in said
    assert "'Mars/Olympus' is not one the box knows" in said
    assert box.cli("settings", "get", "appearance.timezone").stdout.decode().strip() == "UTC"
    box.cli("settings", "set", "appearance.timezone", "America/New_York")
    assert box.cli("settings", "get", "appearance.timezone").stdout.decode().strip() == \
        "America/New_York"
    bad = box.cli("settings", "set", "appearance.language", "klingon", check=False)
    assert bad.returncode != 0
    assert "appearance.language must be one of en, de, fr, es, nl" in bad.stderr.decode()
    assert box.cli("settings", "get", "appearance.language").stdout.decode().strip() == "en"


def test_the_appearance_tab_chooses_timezone_and_language(box):
    from appliance import config
    from appliance.webadmin.app import make_app
    from appliance.webadmin.testclient import Client
    box.db()
    admin = Client(make_app(config.load(box.ini)))
    assert admin.login(*ADMIN_LOGIN).status == 303
    page = admin.get("/admin/email/appearance").text
    assert '<label for="f-appearance__timezone">Timezone of dates</label>' in page
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in page
    assert '<option value="UTC" selected>UTC</option>' in page
    assert '<option value="de">Deutsch (de)</option>' in page
    form = {"appearance__company_name": "Acme", "appearance__display_name": "{agent} at "
            "{company}", "appearance__header": "", "appearance__signature": "The team",
            "appearance__brand_color": "#112233", "appearance__language": "de"}
    bad = admin.post("/admin/email/appearance", {**form, "appearance__timezone": "Nowhere"})
    assert bad.status == 400
    assert "must be a timezone name such as Europe/Berlin" in bad.text
    assert '<option value="Nowhere" selected>Nowhere</option>' in bad.text  # kept as typed
    assert 'value="#112233"' in bad.text                                   # nothing lost
    assert settingstore.current("appearance.language", DOMAIN) == "en"      # nothing stored
    ok = admin.post("/admin/email/appearance", {**form, "appearance__timezone": "Asia/Tokyo"})
    assert ok.status == 303
    assert settingstore.current("appearance.timezone", DOMAIN) == "Asia/Tokyo"
    assert settingstore.current("appearance.language", DOMAIN) == "de"
    assert '<option value="Asia/Tokyo" selected>' in admin.get("/admin/email/appearance").text
    preview = admin.get("/admin/email/appearance/preview?appearance__timezone=Europe/Berlin"
                        "&appearance__language=en").text
    assert re.search(r"wrote on \w{3}, \d{1,2} \w{3} \d{4}, \d\d:\d\d:", preview)
    assert not ISO.search(preview)


# -- 2. the relay: new messages in full, the history a line each, no robots, no quotes --

def test_the_relay_shows_new_messages_in_full_history_a_line_each_without_automatic_ones(
        center):
    center.clock.current = MOMENT
    item = ticket(center, message_id="<t1@client.example>")
    center.advance(60)
    [auto_reply] = sent_to(BEN, "relay_automated")        # A02, relayed to Ben
    assert "thank you for your request" in same_words(auto_reply)
    # Ben's mailbox answers with an out-of-office reply: on the item, never told again
    center.receive(reply(auto_reply, "I am out of the office until Monday.",
                         "<ooo1@client.example>", extra="Auto-Submitted: auto-replied\r\n"))
    assert Item.get_by_id(item.id).messages.count() == 3
    maria = center.user(MARIA, "Maria")
    conversation.post(item, maria, "We sent a technician.")
    center.advance(61)
    answer = sent_to(BEN, "relay")[-1]
    # Ben answers it the way mail clients do: his words on top, everything quoted below
    center.receive(reply(answer, "Thanks, the technician fixed it.\n\nBen",
                         "<r1@client.example>"))
    center.advance(61)
    [to_maria] = sent_to(MARIA, "relay")
    text = same_words(to_maria)
    new, earlier = text.split("Earlier messages:")
    assert "Thanks, the technician fixed it.\n\nBen" in new
    assert "wrote:" not in new and "> " not in new          # his quote folded away
    assert "We sent a technician." not in new
    conversation.post(item, maria, "Glad it works. I am closing the ticket.\n\nMaria")
    center.advance(61)
    last = sent_to(BEN, "relay")[-1]
    text = same_words(last)
    new, earlier = text.split("Earlier messages:\n")
    assert new.startswith("Support\n\nMaria wrote on Wed, 2 Dec 2026, ")  # the company first
    assert "Glad it works. I am closing the ticket.\n\nMaria" in new
    lines = earlier.split("\n-----")[0].strip().splitlines()
    assert [re.sub(r", Wed, 2 Dec 2026, \d\d:\d\d:", ":", line) for line in lines] == [
        "- Ben Carter: Thanks, the technician fixed it. Ben",
        "- Maria: We sent a technician.",
        "- Ben Carter: Please help."]
    for robot in ("thank you for your request", "out of the office", "Automation A02"):
        assert robot not in text                           # never an automatic message
    assert "> " not in text and "wrote:" not in earlier


def test_a_long_message_is_one_line_of_its_first_words_in_the_history(center):
    Automation.update(enabled=False).execute()
    body = " ".join(f"word{n}" for n in range(40))
    item = ticket(center, body=body)
    maria = center.user(MARIA, "Maria")
    conversation.post(item, maria, "Noted.")
    center.advance(61)
    text = same_words(sent_to(BEN, "relay")[-1])
    [line] = [li for li in text.splitlines() if li.startswith("- Ben Carter")]
    assert line.endswith(": " + " ".join(f"word{n}" for n in range(12)) + " …")


# -- 3. one [#N] per subject ----------------------------------------------------------

@pytest.mark.parametrize("written, sent", [
    ("Re: [#1] Printer", "[#9] Re: Printer"),
    ("AW: [#6] Re: [#6] Printer", "[#9] Re: Printer"),
    ("[#6] Re: [#1] Printer", "[#9] Re: Printer"),
    ("RE: RE: AW: SV: Printer", "[#9] Re: Printer"),
    ("WG: [#2] Angebot", "[#9] Fwd: Angebot"),
    ("[#9] Assigned to you: Re: AW: Printer", "[#9] Assigned to you: Re: Printer"),
    ("[#9] Due soon: Part I: the plan", "[#9] Due soon: Part I: the plan"),
    ("Printer [#9]", "[#9] Printer"),
])
def test_the_subject_tag_function_keeps_one_tag_and_one_prefix(written, sent):
    assert tagged(9, written) == sent


def test_mail_about_an_item_carries_its_tag_once_and_its_replies_still_thread(center):
    # client.example vouches for its mail (SPF), so a subject tag alone may thread
    center.box.set_dns({"client.example": {"TXT": "v=spf1 ip4:192.0.2.7 -all"}})
    configure(center)
    item = ticket(center, subject="AW: [#6] Re: [#6] Printer broken",
                  message_id="<s1@client.example>")
    assert item.title == "AW: [#6] Re: [#6] Printer broken"     # #6 is no item here
    center.advance(60)
    maria = center.user(MARIA, "Maria")
    conversation.post(item, maria, "We sent a technician.")
    center.advance(61)
    for raw in sent_to(BEN):
        msg, _, _ = parts(raw)
        assert msg["Subject"] == f"[#{item.id}] Re: Printer broken"
    for template in templates.all_templates():    # every template, with a tagged title
        context = templates.sample_context()
        context["item"]["title"] = "Re: [#7] AW: [#7] Printer"
        subject = templates.render(template.name, context, Appearance.defaults()).subject
        if template.spec.kind != "system_email":
            assert subject.count("[#") == 1 and subject.startswith("[#42] "), subject
            assert subject.count("Re:") == 1 and "AW:" not in subject, subject
    # Ben answers by subject tag alone (no In-Reply-To): it threads into the item
    center.receive(message(subject=f"Re: [#{item.id}] Re: Printer broken", body="Thanks!",
                           message_id="<s2@client.example>"))
    assert [m.body for m in Item.get_by_id(item.id).messages][-1] == "Thanks!"
    assert Item.select().count() == 1


# -- 4. HTML tables as aligned text -----------------------------------------------------

def test_an_html_table_reaches_a_follower_as_aligned_text(center):
    Automation.update(enabled=False).execute()
    item = ticket(center, message_id="<h0@client.example>")
    maria = center.user(MARIA, "Maria")
    conversation.post(item, maria, "Which address do we send the toner to?")
    center.advance(61)
    [asked] = sent_to(BEN, "relay")
    msg, _, _ = parts(asked)
    html = ("<p>Here you go:</p><table><tr><td><b>Name</b></td><td>Yusuf Buyer</td></tr>"
            "<tr><td><b>Street</b></td><td>Hauptstr. 5</td></tr></table><p>Ben</p>")
    center.receive((f"From: Ben Carter <{BEN}>\r\nTo: tickets@{DOMAIN}\r\n"
                    f"Subject: Re: {msg['Subject']}\r\nMessage-ID: <h1@client.example>\r\n"
                    f"In-Reply-To: {msg['Message-ID']}\r\nMIME-Version: 1.0\r\n"
                    f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n").encode())
    center.advance(61)
    [raw] = sent_to(MARIA, "relay")
    text = same_words(raw)
    assert "Name    Yusuf Buyer\nStreet  Hauptstr. 5" in text
    assert "NameYusuf" not in text and "NameYusuf" not in parts(raw)[2]


# -- 5. the text part and the HTML part say the same ------------------------------------

def test_every_email_says_the_same_in_its_text_and_html_parts(center):
    from appliance.helpdesk.models import db
    ben = people.get(addresses.Person(BEN, "Ben Carter"))
    item = ticket(center)
    center.advance(60)
    [auto_reply] = sent_to(BEN, "relay_automated")
    assert "thank you for your request" in same_words(auto_reply)
    maria = center.user(MARIA, "Maria")
    conversation.post(item, maria, "We sent a technician.\n\n> quoted\n\nMaria")
    center.advance(61)
    assert "We sent a technician." in same_words(sent_to(BEN, "relay")[-1])
    configure(center, appearance__header="Our hotline: 0800 123",
              appearance__company_name="Acme Support")
    mailer = center.worker.mailer
    for template in templates.all_templates():          # each system and automated email
        context = templates.sample_context()
        if template.spec.kind == "system_email":
            del context["item"]
        with db.atomic():
            mail = mailer.send(to=ben, subject_source=template.subject,
                               body_source=template.body, context=context,
                               kind=template.name, item=item if "item" in context else None)
        text = same_words(bytes(mail.raw))
        assert "Acme Support" in text and "Our hotline: 0800 123" in text, template.name


# -- end to end: SMTP in, an agent's answers, relays out to a loopback sink -------------

def _wait_mail(box, address: str, count: int) -> list[bytes]:
    got = wait_for(lambda: (lambda mails: mails if len(mails) >= count else None)(
        [r.data for r in list(box.sink.received) if address in r.rcpt_tos]),
        timeout=30, interval=0.1)
    return got


def _send(box, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", box.smtp_port, timeout=30) as smtp:
        smtp.sendmail(BEN, [f"tickets@{DOMAIN}"], raw)


def test_end_to_end_dates_one_tag_collapsed_history_without_robots_folded_quotes(box):
    with relaying(box, "mta", "worker", agent=(MARIA, "pw-maria-1"),
                  appearance__timezone="Europe/Berlin", appearance__language="de"):
        _send(box, message(subject="Re: [#7] Printer broken", body="Please help.",
                           message_id="<e1@client.example>"))
        [auto_reply] = _wait_mail(box, BEN, 1)            # the A02 auto-reply, relayed
        [item] = box.json("items", "list")
        assert parts(auto_reply)[0]["Subject"] == f"[#{item['id']}] Re: Printer broken"
        _send(box, reply(auto_reply, "I am out of the office until Monday.",
                         "<e2@client.example>", extra="Auto-Submitted: auto-replied\r\n"))
        wait_for(lambda: len(box.json("items", "show", str(item["id"]))["messages"]) == 3)
        box.cli("items", "reply", str(item["id"]), "--author", MARIA, "--body",
                "We sent a technician.")
        answer = _wait_mail(box, BEN, 2)[-1]
        _send(box, reply(answer, "Thanks, the technician fixed it.", "<e3@client.example>"))
        [to_maria] = _wait_mail(box, MARIA, 1)
        assert "Thanks, the technician fixed it." in same_words(to_maria)
        assert "> We sent" not in parts(to_maria)[1]
        box.cli("items", "reply", str(item["id"]), "--author", MARIA, "--body",
                "Glad it works. Closing.")
        last = _wait_mail(box, BEN, 3)[-1]
        shown = box.json("items", "show", str(item["id"]))
    msg, text, html = parts(last)
    assert msg["Subject"] == f"[#{item['id']}] Re: Printer broken"     # one tag, one Re:
    closing = shown["messages"][-1]
    assert closing["body"] == "Glad it works. Closing."
    when = dates.when(closing["created_at"], "Europe/Berlin", "de")
    assert re.fullmatch(r"\w\w\., \d{1,2}\. \w+\.? \d{4}, \d\d:\d\d", when)
    assert f"Maria wrote on {when}:\n\nGlad it works. Closing." in text
    assert not ISO.search(text) and not ISO.search(html)
    earlier = text.split("Earlier messages:\n")[1].split("\n-----")[0].splitlines()
    assert [line.split(": ", 1)[1] for line in earlier] == [
        "Thanks, the technician fixed it.", "We sent a technician.", "Please help."]
    assert all(re.match(r"- (Ben Carter|Maria), \w\w\., \d", line) for line in earlier)
    for robot in ("thank you for your request", "out of the office"):
        assert robot not in text                                        # no auto-replies
    assert "> " not in text and "wrote:" not in text.split("Earlier messages:")[1]
    assert words(html_to_text(html)) == words(text)


# -- the Appearance tab in a real browser ----------------------------------------------

@needs_chromium
def test_the_appearance_tab_in_chromium_previews_and_saves_the_date_style(box, browser):
    box.start("web")
    base = f"http://127.0.0.1:{box.web_port}"
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/admin/email/appearance")
    page.fill("#email", ADMIN_LOGIN[0])
    page.fill("#password", ADMIN_LOGIN[1])
    page.click("button[type=submit].primary")
    page.wait_for_url(base + "/admin/email/appearance")
    page.select_option("#f-appearance__language", "de")
    page.select_option("#f-appearance__timezone", "Europe/Berlin")
    frame = page.frame_locator("#preview")
    # the sample message's date, in German, before anything is saved
    frame.locator("text=/wrote on \\w\\w\\., \\d{1,2}\\. /").first.wait_for(timeout=5000)
    assert box.cli("settings", "get", "appearance.language").stdout.strip() == b"en"
    page.click("#appearance-form button[type=submit]")
    page.wait_for_selector(".flash")
    assert box.cli("settings", "get", "appearance.language").stdout.strip() == b"de"
    assert box.cli("settings", "get", "appearance.timezone").stdout.strip() == \
        b"Europe/Berlin"
    assert page.locator("#f-appearance__timezone").input_value() == "Europe/Berlin"
    assert errors == []
