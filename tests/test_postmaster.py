"""RFC 5321 4.5.1: ``postmaster@DOMAIN`` and the bare ``<Postmaster>`` are accepted (never
for another domain), and what comes in for the postmaster goes to the admins as a signed
mail of the box with the original attached, never an item, at most 20 an hour."""
from __future__ import annotations

import email
import email.policy
import json
import smtplib

import dkim
from conftest import DOMAIN, message, wait_for
from smtpsinks import Sink

POSTMASTER = f"postmaster@{DOMAIN}"


def rcpt_replies(box, *addresses: str) -> list[int]:
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.ehlo("client.example")
        smtp.mail("reporter@client.example")
        return [smtp.docmd("RCPT", f"TO:<{a}>")[0] for a in addresses]


def send(box, rcpts: list[str], raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("reporter@client.example", rcpts, raw)


def incoming(box, message_id: str) -> dict:
    return wait_for(lambda: next((r for r in box.json("mail", "incoming")
                                  if r["message_id"] == message_id
                                  and r["action"] != "failed"), None), timeout=15)


def dkim_verifies(box, raw: bytes) -> bool:
    txt = {r["name"].rstrip(".") + ".": r["value"] for r in box.json("dkim", "dns")
           if r["type"] == "TXT"}
    return dkim.verify(raw, dnsfunc=lambda name, timeout=5: txt.get(name.decode(), "").encode())


def test_rcpt_postmaster_of_the_box_is_accepted_and_never_relayed(box):
    box.start("mta")
    assert rcpt_replies(box, POSTMASTER, f"PostMaster@{DOMAIN.upper()}", "Postmaster",
                        "postmaster") == [250, 250, 250, 250]
    # Not a relay: another domain's postmaster, and the routing tricks, stay refused.
    assert rcpt_replies(box, "postmaster@other.example", f"postmaster@other.example@{DOMAIN}",
                        f"postmaster%other.example@{DOMAIN}", f"someone@{DOMAIN}") \
        == [550, 553, 553, 550]


def test_ingest_accepts_the_postmaster_by_the_same_rules(box):
    raw = message(to=POSTMASTER, message_id="<pipe-pm@client.example>")
    for rcpt in ("Postmaster", f"POSTMASTER@{DOMAIN}"):
        box.cli("ingest", "--rcpt", rcpt, "--mail-from", "reporter@client.example", input=raw)
    envelopes = [json.loads(p.read_bytes().split(b"\n", 1)[0])
                 for p in sorted((box.root / "spool" / "new").iterdir())]
    assert [e["rcpt_tos"] for e in envelopes] == [[POSTMASTER], [POSTMASTER]]
    refused = box.cli("ingest", "--rcpt", "postmaster@other.example", input=raw, check=False)
    assert refused.returncode == 67 and b"Relaying denied" in refused.stderr


def test_mail_to_the_postmaster_goes_to_the_admins_with_the_original_attached(box):
    box.cli("users", "add", "--email", "ops@company.example", "--name", "Olga Ops",
            "--role", "admin", "--password", "pw-olga-123")
    box.cli("users", "add", "--email", "maria@company.example", "--name", "Maria",
            "--role", "agent", "--password", "pw-maria-123")
    original = message(subject="Your server sends spam", sender="abuse@isp.example",
                       to=POSTMASTER, message_id="<pm1@isp.example>",
                       body="Gr\u00fc\u00dfe: see the log below.")
    with Sink() as sink:
        box.deliver_to(sink)
        box.start("mta")
        box.start("worker")
        send(box, ["Postmaster"], original)
        [got] = wait_for(lambda: sink.received, timeout=20)
    assert sorted(got.rcpt_tos) == ["admin@box.example", "ops@company.example"]
    assert got.mail_from == f"support@{DOMAIN}"
    assert dkim_verifies(box, got.data)
    msg = email.message_from_bytes(got.data, policy=email.policy.default)
    assert msg["Subject"] == f"Postmaster mail for {DOMAIN}: Your server sends spam"
    assert msg["From"].addresses[0].addr_spec == f"support@{DOMAIN}"
    assert msg["Auto-Submitted"] == "auto-generated"
    text = msg.get_body(("plain",)).get_content()
    assert "abuse@isp.example" in text and "reporter@client.example" in text
    assert "<pm1@isp.example>" in text and "127.0.0.1" in text
    [attached] = list(msg.iter_attachments())
    assert attached.get_content_type() == "message/rfc822"
    assert original in got.data   # byte for byte, as it came
    assert attached.get_content()["Message-ID"] == "<pm1@isp.example>"

    row = incoming(box, "<pm1@isp.example>")
    assert row["action"] == "ignored" and row["item_id"] is None
    assert (f"Mail to {POSTMASTER}: delivered to the admins (admin@box.example, "
            "ops@company.example); no item is created.") in row["reasons"]
    assert box.json("items", "list") == []


def test_mail_to_tickets_and_the_postmaster_makes_the_item_and_a_copy(box):
    box.cli("automations", "disable", "A02")
    with Sink() as sink:
        box.deliver_to(sink)
        box.start("mta")
        box.start("worker")
        send(box, [f"tickets@{DOMAIN}", POSTMASTER],
             message(subject="Printer broken", message_id="<both@client.example>"))
        [got] = wait_for(lambda: sink.received, timeout=20)
    assert got.rcpt_tos == ["admin@box.example"]
    assert email.message_from_bytes(got.data)["Subject"] == \
        f"Postmaster mail for {DOMAIN}: Printer broken"
    row = incoming(box, "<both@client.example>")
    assert row["action"] == "created" and row["item_id"]
    assert f"Mail also to {POSTMASTER}: delivered to the admins (admin@box.example)." \
        in row["reasons"]
    [item] = box.json("items", "list")
    assert item["title"] == "Printer broken"


def test_no_active_admin_is_said_in_the_log(box):
    box.db()
    from appliance.helpdesk.models import User
    User.update(active=False).execute()
    with Sink() as sink:
        box.deliver_to(sink)
        box.start("mta")
        box.start("worker")
        send(box, [POSTMASTER], message(to=POSTMASTER, message_id="<nobody@client.example>"))
        row = incoming(box, "<nobody@client.example>")
    assert row["action"] == "ignored" and sink.received == []
    assert any("there is no active admin" in r and "kept in the incoming log only" in r
               for r in row["reasons"]), row["reasons"]
    assert box.json("items", "list") == []


def test_the_admins_get_at_most_20_postmaster_mails_an_hour(box):
    with Sink() as sink:
        box.deliver_to(sink)
        box.start("mta")
        box.start("worker")
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            for n in range(21):
                smtp.sendmail("flood@hostile.example", [POSTMASTER], message(
                    subject=f"flood {n}", to=POSTMASTER, message_id=f"<f{n}@hostile.example>"))
        last = incoming(box, "<f20@hostile.example>")
        assert last["action"] == "ignored"
        assert any("not delivered: 20 postmaster mails went to the admins in the last hour"
                   in r and "kept in the incoming log only" in r for r in last["reasons"])
        wait_for(lambda: len(sink.received) >= 20, timeout=30)
        sent = [m for m in box.json("mail", "outgoing") if m["subject"].startswith("Postmaster")]
        assert len(sent) == 20 and not any(m["subject"].endswith("flood 20") for m in sent)

        # An hour later (the worker's clock moved on, no sleeping) the admins hear again.
        box.stop("worker")
        box.start("worker", env={"APPLIANCE_CLOCK_OFFSET": "3700"})
        send(box, [POSTMASTER], message(subject="later", to=POSTMASTER,
                                        message_id="<later@hostile.example>"))
        wait_for(lambda: len(sink.received) == 21, timeout=30)
    subjects = [email.message_from_bytes(r.data)["Subject"] for r in sink.received]
    assert subjects[-1] == f"Postmaster mail for {DOMAIN}: later"
    assert f"Postmaster mail for {DOMAIN}: flood 20" not in subjects
