"""Hand-shaped cases for the classification corpus: auto-forwards, look-alikes, forwards of
forwards and as attachments, automated mail of every family, blocklist and follower rules.
``generate.py`` writes them out; each entry is (file, raw message text, label)."""
from __future__ import annotations

from generate import AGENT, BOX, crlf, html_only, label, plain

COMPANY = "support@widgets.example"
CUSTOMER = "Ravi Kumar <ravi.kumar@client.example>"
RAVI = "ravi.kumar@client.example"


def msg(head: str, body: str) -> str:
    return crlf(head.strip("\n") + "\n") + body


def auto_forwards() -> list[tuple[str, str, dict]]:
    base = (f"From: {CUSTOMER}\nTo: Widgets Support <{COMPANY}>\nSubject: Order 1189 not "
            "shipped\nDate: Wed, 18 Nov 2026 08:10:00 +0000\nMessage-ID: <ravi-{n}@client."
            "example>\n")
    text = plain("Order 1189 was paid a week ago but has not shipped.\n")
    af = {"kind": "auto_forward", "requester": RAVI, "automated": None}
    return [
        ("auto-srs.eml", msg("Received: from mx.widgets.example by help.example.com; Wed, 18 "
                             "Nov 2026 08:10:03 +0000\n" + base.format(n=1), text),
         label("auto-srs.eml", dict(af, reason_contains="SRS"), "Postfix + postsrsd forward",
               mail_from="SRS0=HhJ3=2A=client.example=ravi.kumar@widgets.example")),
        ("auto-srs1.eml", msg(base.format(n=2), text),
         label("auto-srs1.eml", af, "double forward, SRS1",
               mail_from="SRS1=Xy7t=relay.example==HhJ3=2A=client.example=ravi.kumar@"
                         "widgets.example")),
        ("auto-resent.eml", msg(f"Resent-From: {COMPANY}\nResent-To: {BOX}\nResent-Date: Wed, "
                                "18 Nov 2026 08:10:02 +0000\nResent-Message-ID: <r1@widgets.ex"
                                "ample>\n" + base.format(n=3), text),
         label("auto-resent.eml", dict(af, forwarder=COMPANY), "mutt/Sieve resend",
               mail_from=RAVI)),
        ("auto-exchange-marker.eml",
         msg("X-MS-Exchange-Organization-AutoForwarded: true\nX-MS-Exchange-Inbox-Rules-Loop: "
             f"{COMPANY}\n" + base.format(n=4), text),
         label("auto-exchange-marker.eml", dict(af, forwarder=COMPANY),
               "Exchange redirect rule keeps From", mail_from=COMPANY)),
        ("auto-sieve.eml", msg(f"X-Sieve-Redirected-From: {COMPANY}\n" + base.format(n=5),
                               text),
         label("auto-sieve.eml", af, "Dovecot Sieve redirect", mail_from=RAVI)),
        ("auto-postfix-alias.eml",
         msg("Received: from mail.client.example (mail.client.example [192.0.2.7])\n\tby "
             "mx.widgets.example (Postfix) with ESMTPS id 4Zx1\n\tfor <support@widgets.example>;"
             " Wed, 18 Nov 2026 08:10:01 +0000 (UTC)\n" + base.format(n=6), text),
         label("auto-postfix-alias.eml", dict(af, forwarder=COMPANY),
               "Postfix virtual alias support@ -> tickets@", mail_from=RAVI)),
        ("auto-x-original-to.eml", msg(f"X-Original-To: {COMPANY}\nDelivered-To: {COMPANY}\n"
                                       + base.format(n=7), text),
         label("auto-x-original-to.eml", af, "", mail_from=RAVI)),
        ("auto-configured-company.eml", msg(base.format(n=8), text),
         label("auto-configured-company.eml", af, "no traces, but the To is the configured "
               "company mailbox", mail_from=RAVI,
               context={"company_addresses": [COMPANY]})),
        ("auto-exchange-rewrite.eml", msg(
            "X-MS-Exchange-Organization-AutoForwarded: true\nX-MS-Exchange-Inbox-Rules-Loop: "
            f"{COMPANY}\nFrom: Widgets Support <{COMPANY}>\nTo: {BOX}\nSubject: FW: Order 1189"
            " not shipped\nDate: Wed, 18 Nov 2026 08:10:05 +0000\nMessage-ID: <AM0PR1@eurprd02"
            ".prod.outlook.example>\nThread-Topic: Order 1189 not shipped\n", plain(
                "\n\n________________________________\nFrom: \"Kumar, Ravi\" <ravi.kumar@client."
                "example>\nSent: Wednesday, November 18, 2026 8:10 AM\nTo: Widgets Support "
                f"<{COMPANY}>\nCc: Mia Chen <mia.chen@client.example>\nSubject: Order 1189 not "
                "shipped\n\nOrder 1189 was paid a week ago but has not shipped.\n")),
         label("auto-exchange-rewrite.eml", {"kind": "auto_forward", "requester": RAVI,
                                             "original_name": "Kumar, Ravi",
                                             "forwarder": COMPANY, "automated": None},
               "Exchange forward rule rewrote From to the mailbox", mail_from=COMPANY)),
        ("auto-exchange-rewrite-noloop.eml", msg(
            f"X-MS-Exchange-Organization-AutoForwarded: true\nFrom: {COMPANY}\nTo: {BOX}\n"
            "Subject: FW: Refund\nDate: Wed, 18 Nov 2026 08:11:05 +0000\nMessage-ID: <AM0PR2@"
            "eurprd02.prod.outlook.example>\n", plain(
                "\n________________________________\nFrom: ravi.kumar@client.example\nSent: "
                "Wednesday, November 18, 2026 8:10 AM\nTo: support\nSubject: Refund\n\nPlease "
                "refund order 1189.\n")),
         label("auto-exchange-rewrite-noloop.eml", {"kind": "auto_forward", "requester": RAVI},
               "the mailbox is inferred from the rewritten From", mail_from=COMPANY)),
    ]


def look_alikes() -> list[tuple[str, str, dict]]:
    head = ("From: Ben Carter <ben.carter@client.example>\nTo: {box}\nSubject: {s}\nDate: Wed,"
            " 18 Nov 2026 09:00:00 +0000\nMessage-ID: <ben-{n}@client.example>\n")
    direct = {"kind": "direct", "requester": "ben.carter@client.example", "automated": None}
    cases = [
        ("look-subject-forward.eml", "How do I forward invoices to you?",
         "Can I forward invoices from my phone? Who should I forward them to?\n"),
        ("look-forward-planning.eml", "Forward planning for Q3",
         "Here is our forward planning.\nFrom: the sales team\n"),
        ("look-sentence.eml", "Strange mail",
         "I received a Forwarded message from an unknown sender yesterday:\n"
         "it said my account is locked. Is that from you?\n"),
        ("look-reply-outlook.eml", "RE: Printer offline",
         "It works again, thanks.\n\n________________________________\nFrom: Help Desk <tickets"
         "@help.example.com>\nSent: Wednesday, November 18, 2026 8:30 AM\nTo: Ben Carter <ben."
         "carter@client.example>\nSubject: [#12] Printer offline\n\nPlease restart it.\n"),
        ("look-reply-aw.eml", "AW: Drucker offline",
         "Danke, läuft wieder.\n\n-----Ursprüngliche Nachricht-----\nVon: Help Desk [mailto:"
         "tickets@help.example.com]\nGesendet: Mittwoch, 18. November 2026 08:30\nAn: Ben "
         "Carter\nBetreff: [#12] Drucker offline\n\nBitte neu starten.\n"),
        ("look-reply-gmail.eml", "Re: Printer offline",
         "Thanks!\n\nOn Wed, 18 Nov 2026 at 08:30, Help Desk <tickets@help.example.com>\n"
         "wrote:\n> Please restart it.\n"),
        ("look-reply-quoting-forward.eml", "Re: Fwd: Printer offline",
         "Agreed.\n\nOn Wed, 18 Nov 2026 at 08:30, Olga <olga.ivanova@widgets.example> wrote:\n"
         "> ---------- Forwarded message ---------\n> From: Eve <eve@elsewhere.example>\n"
         "> Subject: Printer offline\n>\n> It is offline.\n"),
        ("look-reply-no-prefix.eml", "Printer offline",
         "Still broken.\n\nLe mer. 18 nov. 2026 à 08:30, Help Desk <tickets@help.example.com>"
         " a écrit :\n> Veuillez redémarrer.\n"),
    ]
    out = []
    for n, (file, subject, body) in enumerate(cases):
        out.append((file, msg(head.format(box=BOX, s=subject, n=n), plain(body)),
                    label(file, direct, "look-alike: not a forward", mail_from="ben.carter@"
                          "client.example")))
    return out


def special_forwards() -> list[tuple[str, str, dict]]:
    head = (f"From: {AGENT[0]} <{AGENT[1]}>\nTo: {BOX}\nSubject: {{s}}\nDate: Wed, 18 Nov 2026"
            " 09:10:00 +0000\nMessage-ID: <olga-{n}@widgets.example>\n")
    fwd_of_fwd = ("FYI\n\n---------- Forwarded message ---------\nFrom: Tom Baker <tom.baker@"
                  "client.example>\nDate: Tue, 17 Nov 2026 at 17:00\nSubject: Fwd: Broken key\n"
                  "To: Olga Ivanova <olga.ivanova@widgets.example>\n\n\nSee my customer's mail."
                  "\n\n---------- Forwarded message ---------\nFrom: Nina End <nina@end.example>"
                  "\nDate: Tue, 17 Nov 2026 at 16:00\nSubject: Broken key\nTo: Tom Baker <tom."
                  "baker@client.example>\n\nThe key is broken.\n")
    b = "----=_NextPart_000_0001"
    attached = (f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n"
                f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n"
                f"--{b}\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; "
                "filename=\"Broken key.eml\"\r\n\r\nFrom: \"Baker, Tom\" <tom.baker@client.examp"
                "le>\r\nTo: Olga Ivanova <olga.ivanova@widgets.example>\r\nCc: Amy Lee <amy.lee@"
                "client.example>\r\nSubject: Broken key\r\nDate: Tue, 17 Nov 2026 16:00:00 +0000"
                "\r\nMessage-ID: <tom-9@client.example>\r\n\r\nThe key is broken.\r\n"
                f"\r\n--{b}--\r\n")
    cc_block = ("\n\n-----Original Message-----\nFrom: Tom Baker <tom.baker@client.example>\n"
                "Sent: Tuesday, November 17, 2026 4:00 PM\nTo: Olga Ivanova\nCc: \"Lee, Amy\" "
                "<amy.lee@client.example>; noreply@client.example; tickets@help.example.com\n"
                "Subject: Broken key\n\nThe key is broken.\n")
    name_only = ("\n\n________________________________\nFrom: Tom Baker\nSent: Tuesday, November"
                 " 17, 2026 4:00 PM\nTo: Olga Ivanova\nSubject: Broken key\n\nBroken.\n")
    edited = ("Customer mail below.\n\n---------- Forwarded message ---------\nFrom: "
              "tom.baker@client.example\nDate: Tue, 17 Nov 2026 at 16:00\nSubject: Key\n\nHi\n")
    m = "manual_forward"
    tom = "tom.baker@client.example"
    return [
        ("fwd-of-fwd.eml", msg(head.format(s="Fwd: Fwd: Broken key", n=1), plain(fwd_of_fwd)),
         label("fwd-of-fwd.eml", {"kind": m, "requester": tom, "original_sender": tom},
               "the first block's From, not the innermost")),
        ("fwd-attachment.eml", msg(head.format(s="FW: Broken key", n=2), attached),
         label("fwd-attachment.eml", {"kind": m, "requester": tom, "original_name": "Baker, Tom",
                                      "followers": [tom, AGENT[1], "amy.lee@client.example"]},
               "Outlook 'forward as attachment'")),
        ("fwd-attachment-off.eml", msg(head.format(s="FW: Broken key", n=3), attached),
         label("fwd-attachment-off.eml", {"kind": m, "requester": AGENT[1],
                                          "original_sender": tom, "followers": [AGENT[1]]},
               "agent forwarding off", agent_forwarding=False)),
        ("fwd-original-cc.eml", msg(head.format(s="FW: Broken key", n=4), plain(cc_block)),
         label("fwd-original-cc.eml", {"kind": m, "requester": tom, "followers": [
             tom, AGENT[1], "amy.lee@client.example"]}, "original Cc people follow; noreply "
               "and the capture address do not")),
        ("fwd-not-agent.eml", msg(head.format(s="FW: Broken key", n=5), plain(cc_block)),
         label("fwd-not-agent.eml", {"kind": m, "requester": AGENT[1], "original_sender": tom},
               "agent forwarding on, but the forwarder is no agent", agents=[])),
        ("fwd-name-only.eml", msg(head.format(s="FW: Broken key", n=6), plain(name_only)),
         label("fwd-name-only.eml", {"kind": m, "requester": AGENT[1], "original_sender": None},
               "Exchange shows only a display name: fall back to the agent")),
        ("fwd-edited-subject.eml", msg(head.format(s="Customer issue", n=7), plain(edited)),
         label("fwd-edited-subject.eml", {"kind": m, "requester": tom, "original_name": None},
               "no prefix, but a Gmail block")),
        ("fwd-prefix-only.eml", msg(head.format(s="Fwd: Broken key", n=8), plain("See below\n")),
         label("fwd-prefix-only.eml", {"kind": m, "requester": AGENT[1]},
               "a forward prefix without a block")),
        ("fwd-original-blocked.eml", msg(head.format(s="Fwd: Offer", n=10), plain(
            "---------- Forwarded message ---------\nFrom: *Spammer* <deals@spam.example>\n"
            "Subject: Offer\n\nBuy now.\n")),
         label("fwd-original-blocked.eml", {"kind": m, "requester": AGENT[1],
                                            "original_sender": "deals@spam.example",
                                            "original_name": "Spammer"},
               "agent forwarding, but the original sender is blocklisted: the agent",
               context={"blocklist": ["*@spam.example"]})),
        ("fwd-own-notification.eml", msg(head.format(s="Fwd: [#4] Printer", n=11), plain(
            "Begin forwarded message:\n\nFrom: Help Desk <support@help.example.com>\n"
            "Subject: [#4] Printer\n\nA new reply.\n")),
         label("fwd-own-notification.eml", {"kind": m, "requester": AGENT[1]},
               "the original sender is the box itself: the agent")),
        ("fwd-html-outlook-mailto.eml", msg(head.format(s="WG: Schlüssel", n=9), html_only(
            "<p><b>Von:</b> Tom Baker &lt;<a href=\"mailto:tom.baker@client.example\">tom.baker"
            "@client.example</a>&gt;<br><b>Gesendet:</b> Dienstag, 17. November 2026 16:00<br>"
            "<b>An:</b> Olga<br><b>Betreff:</b> Schlüssel</p><p>Kaputt.</p>")),
         label("fwd-html-outlook-mailto.eml", {"kind": m, "requester": tom},
               "HTML-only, no separator line")),
    ]


def automated() -> list[tuple[str, str, dict]]:
    head = ("From: {f}\nTo: tickets@help.example.com\nSubject: {s}\nDate: Wed, 18 Nov 2026 "
            "10:00:00 +0000\nMessage-ID: <{n}@client.example>\n{x}")
    ben = "Ben Carter <ben.carter@client.example>"
    cases = [
        ("auto-x-autoreply.eml", ben, "Re: Printer", "X-Autoreply: yes\n", "auto_reply"),
        ("auto-x-autorespond.eml", ben, "Thanks for your mail", "X-Autorespond: yes\n",
         "auto_reply"),
        ("auto-precedence-auto-reply.eml", ben, "Away", "Precedence: auto_reply\n",
         "auto_reply"),
        ("auto-exchange-oof.eml", ben, "Automatic reply: Printer offline",
         "X-Auto-Response-Suppress: All\nThread-Topic: Printer offline\n", "auto_reply"),
        ("auto-exchange-oof-de.eml", ben, "Automatische Antwort: Drucker",
         "X-Auto-Response-Suppress: All\n", "auto_reply"),
        ("auto-precedence-bulk.eml", "News <news@shop.example>", "Sale", "Precedence: bulk\n",
         "bulk"),
        ("auto-precedence-junk.eml", "News <news@shop.example>", "Sale", "Precedence: junk\n",
         "bulk"),
        ("auto-list-unsubscribe.eml", "News <news@shop.example>", "Sale",
         "List-Unsubscribe: <https://shop.example/u/1>\n", "bulk"),
        ("auto-list-id.eml", "Dev <dev@lists.example>", "[dev] Release", "List-Id: <dev.lists."
         "example>\n", "bulk"),
        ("auto-loop-header.eml", "Help Desk <support@help.example.com>", "[#4] Printer",
         "X-Appliance-Loop: help.example.com\n", "loop"),
        ("auto-auto-submitted-no.eml", ben, "Printer", "Auto-Submitted: no\n", None),
    ]
    out = []
    for n, (file, sender, subject, extra, family) in enumerate(cases):
        text = msg(head.format(f=sender, s=subject, n=f"a{n}", x=extra), plain("Text.\n"))
        out.append((file, text, label(file, {"automated": family}, "", agents=[],
                                      agent_forwarding=False, mail_from="ben@client.example")))
    own = ("From: Help Desk <support@help.example.com>\nTo: tickets@help.example.com\nSubject: "
           "[#4] Printer\nDate: Wed, 18 Nov 2026 10:00:00 +0000\nMessage-ID: <appl.4.abcdefghij"
           "klmnopqrstuv@help.example.com>\n")
    out.append(("auto-own-message-id.eml", msg(own, plain("Hello\n")),
                label("auto-own-message-id.eml", {"automated": "loop"}, "", agents=[],
                      mail_from="support@help.example.com")))
    out.append(("auto-null-sender.eml", msg(head.format(f=ben, s="Away", n="ns", x=""),
                                            plain("I am away.\n")),
                label("auto-null-sender.eml", {"automated": "auto_reply"}, "MAIL FROM:<>",
                      agents=[], mail_from="<>")))
    return out + bounces()


def bounces() -> list[tuple[str, str, dict]]:
    b = "4ZxQ1m3Hvnz9sW.1763460000/mx.client.example"
    dsn = ("From: MAILER-DAEMON@mx.client.example (Mail Delivery System)\nTo: support@help."
           "example.com\nSubject: Undelivered Mail Returned to Sender\nDate: Wed, 18 Nov 2026 "
           "10:00:00 +0000\nMessage-Id: <20261118100000.4ZxQ1@mx.client.example>\nAuto-Submitt"
           "ed: auto-replied\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type="
           f"delivery-status;\n\tboundary=\"{b}\"\n")
    body = crlf(f"This is a MIME-encapsulated message.\n\n--{b}\nContent-Description: "
                "Notification\nContent-Type: text/plain; charset=us-ascii\n\nI'm sorry to have "
                f"to inform you that your message could not\nbe delivered.\n\n--{b}\nContent-"
                "Description: Delivery report\nContent-Type: message/delivery-status\n\n"
                "Reporting-MTA: dns; mx.client.example\n\nFinal-Recipient: rfc822; gone@client."
                f"example\nOriginal-Recipient: rfc822;gone@client.example\nAction: failed\n"
                f"Status: 5.1.1\n\n--{b}\nContent-Description: Undelivered Message Headers\n"
                "Content-Type: text/rfc822-headers\n\nFrom: Help Desk <support@help.example.com>"
                "\nTo: gone@client.example\nSubject: [#4] Printer\nMessage-ID: <appl.4.abcdefgh"
                f"ijklmnopqrst@help.example.com>\nX-Appliance-Loop: help.example.com\n\n--{b}--\n")
    exim = ("From: Mail Delivery System <Mailer-Daemon@mail.client.example>\nTo: support@help."
            "example.com\nSubject: Mail delivery failed: returning message to sender\nX-Failed-"
            "Recipients: gone@client.example\nAuto-Submitted: auto-replied\nMessage-Id: <E1vX@"
            "mail.client.example>\nDate: Wed, 18 Nov 2026 10:00:00 +0000\n")
    exim_body = plain("This message was created automatically by mail delivery software.\n\n"
                      "A message that you sent could not be delivered to one or more of its\n"
                      "recipients. This is a permanent error.\n\n  gone@client.example\n    "
                      "550 5.1.1 No such user\n\n------ This is a copy of the message, including "
                      "all the headers. ------\n\nMessage-ID: <appl.4.zyxwvutsrqponmlk@help."
                      "example.com>\nSubject: [#4] Printer\n\nPlease restart it.\n")
    want = {"automated": "bounce", "bounced_recipients": ["gone@client.example"]}
    return [
        ("bounce-postfix.eml", msg(dsn, body), label("bounce-postfix.eml", dict(
            want, bounced_message_ids=["<appl.4.abcdefghijklmnopqrst@help.example.com>"]),
            "Postfix DSN of our own mail", agents=[], mail_from="<>")),
        ("bounce-exim.eml", msg(exim, exim_body), label("bounce-exim.eml", dict(
            want, bounced_message_ids=["<appl.4.zyxwvutsrqponmlk@help.example.com>"]),
            "Exim bounce without a report part", agents=[], mail_from="")),
    ]


def blocklist_and_followers() -> list[tuple[str, str, dict]]:
    head = ("From: {f}\nTo: tickets@help.example.com{to}\nCc: {cc}\n{x}Subject: Question\n"
            "Date: Wed, 18 Nov 2026 11:00:00 +0000\nMessage-ID: <{n}@client.example>\n")
    text = plain("A question.\n")
    cases = [
        ("block-from-exact.eml", dict(f="Spam Bot <bot@spam.example>", to="", cc="Ann <ann@"
         "client.example>", x="Reply-To: Real Person <real@client.example>\n"),
         {"bot@spam.example"}, {"requester": "real@client.example"}),
        ("block-domain.eml", dict(f="Bot <x@spam.example>", to="", cc="Ann <ann@client.example>,"
         " other@spam.example", x=""), {"*@spam.example"},
         {"requester": None, "followers": ["ann@client.example"],
          "reason_contains": "no auto-reply"}),
        ("block-followers.eml", dict(
            f="Ben <ben@client.example>", to=", support@help.example.com",
            cc="no-reply@shop.example, postmaster@client.example, Eve <eve@spam.example>, "
               "Ann <ann@client.example>", x=""), {"*@spam.example"},
         {"requester": "ben@client.example",
          "followers": ["ben@client.example", "ann@client.example"]}),
        ("block-company-from.eml", dict(f=f"Widgets <{COMPANY}>", to="", cc="", x=""), set(),
         {"requester": None, "kind": "direct"}),
    ]
    out = []
    for n, (file, parts, blocked, expect) in enumerate(cases):
        ctx = {"blocklist": sorted(blocked), "company_addresses": [COMPANY]}
        out.append((file, msg(head.format(n=f"b{n}", **parts), text),
                    label(file, expect, "", agents=[], agent_forwarding=False,
                          mail_from="bounces@client.example", context=ctx)))
    return out


def hand_cases() -> tuple[dict[str, str], list[dict]]:
    everything = (auto_forwards() + look_alikes() + special_forwards() + automated()
                  + blocklist_and_followers())
    return ({f: t for f, t, _ in everything}, [lab for _, _, lab in everything])
