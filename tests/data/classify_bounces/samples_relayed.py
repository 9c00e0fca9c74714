"""Gateway and filter bounces from addresses of their own, bounces relayed by lists, list
mail known only by a list server's header, and out-of-office subjects written without
diacritics; and the people's mail each of those rules must leave alone."""
from __future__ import annotations

from generate import BOX, OWN, add, bounce, ew, our_id, person, returned, token

DATE = "Wed, 10 Jun 2026 08:{m:02d}:00 +0000"


def mail(n: int, sender: str, subject: str, body: str, extra: str = "", to: str = OWN,
         ctype: str = "text/plain; charset=us-ascii", return_path: str = "") -> str:
    """A message; its Return-Path is the From address unless given."""
    return_path = return_path or "<" + sender.split("<")[-1].strip().rstrip(">") + ">"
    return (f"Return-Path: {return_path}\n"
            f"Received: from gw{n}.relay.example (gw{n}.relay.example [192.0.2.{n % 250}])\n"
            f"\tby mail.help.example.com (Postfix) with ESMTP id R{token(n)[:8].upper()}\n"
            f"\tfor <{to}>; {DATE.format(m=n % 60)}\n"
            f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: {DATE.format(m=n % 60)}\n"
            f"Message-ID: <{token(n)}@relay.example>\n{extra}MIME-Version: 1.0\n"
            f"Content-Type: {ctype}\n\n{body}")


def with_copy(n: int, text: str, rcpt: str) -> tuple[str, str]:
    """A text report with the returned message attached: (content type, body)."""
    b = f"----=_gw{token(n)[:12]}"
    body = (f"This is a multi-part message in MIME format.\n\n--{b}\nContent-Type: text/plain; "
            f"charset=us-ascii\n\n{text}\n--{b}\nContent-Type: message/rfc822\n\n"
            f"{returned(n, rcpt, 'Your order', DATE.format(m=n % 60))}\n--{b}--\n")
    return f'multipart/mixed; boundary="{b}"', body


def gateways() -> None:
    """Rule bounce-report: the product writes from its own address, not MAILER-DAEMON."""
    n = 900
    ctype, body = with_copy(n, "****** Message from MailGuard Content Gateway ******\n\n"
                               "The following mail could not be delivered.\nReason:  Mailbox "
                               "unavailable (550 5.1.1).\n\n*****   End of message   *****\n",
                            "erik@nordhaus.example")
    add("gateway-scanner-returned.eml",
        mail(n, "mailguard@gw.nordhaus.example", "Mail could not be delivered", body,
             ctype=ctype),
        bounce("mailguard@gw.nordhaus.example", "bounce-report",
               bounced_message_ids=[our_id(n)]),
        "virus-scanner gateway, own address, returned message attached",
        mail_from="mailguard@gw.nordhaus.example")
    n = 901
    add("gateway-antivirus-recipients.eml",
        mail(n, "AntiVirus_for_Mail_Gateways@ops.quarz.example",
             ew("Delivery failure notification"),
             f"Your message with Subject: [#{n}] Your order....\ncould not be delivered to the "
             "following recipients:\n\nmara.quarz@quarz.example\n\nPlease do not resend your "
             "original message.\nDelivery attempts will continue to be made for 5 day(s).\n"),
        bounce("antivirus_for_mail_gateways@ops.quarz.example", "bounce-report",
               bounced_recipients=["mara.quarz@quarz.example"]),
        "antivirus gateway: encoded subject, failed recipient named below the sentence",
        mail_from="AntiVirus_for_Mail_Gateways@ops.quarz.example")
    n = 902
    add("gateway-re-non-remis-fr.eml",
        mail(n, "Passerelle.Messagerie@banque-sud.example",
             f"RE: [#{n}] Votre facture : non remis (delivery failed)",
             "***********************************************\nVotre message n'a pas pu etre "
             "delivre a\nluc.martin@banque-sud.example\n******************************"
             "*****************\nYour message could not be delivered to\nluc.martin@banque-"
             "sud.example\n***********************************************\n"),
        bounce("passerelle.messagerie@banque-sud.example", "bounce-report",
               bounced_recipients=["luc.martin@banque-sud.example"]),
        "a French gateway puts RE: before its bounce subject",
        mail_from="Passerelle.Messagerie@banque-sud.example")
    n = 903
    ctype, body = with_copy(n, "This message was created automatically by mail delivery "
                               "software.\n\nA message that you sent could not be delivered "
                               "to one or more of its recipients.\nThe recipient is not a valid "
                               "user of the system.\n", "tom@werft.example")
    add("gateway-ndr-address.eml",
        mail(n, "ndr@werft.example", "Mail delivery failed: returning message to sender", body,
             ctype=ctype),
        bounce("ndr@werft.example", "bounce-report", bounced_message_ids=[our_id(n)]),
        "Exim-style report sent from an ndr@ address", mail_from="ndr@werft.example")
    n = 904
    add("gateway-non-delivery-report.eml",
        mail(n, "<admin@lists.velo.example>", "Non-Delivery: Your message awaits approval",
             "--- Non-Delivery Report ---\nThe email below could not be delivered to the "
             "following user:\n\n\"Kim Berg\" <kim.berg@velo.example>\n\nOld message:\n"
             "Your mail with the subject Your order is being held.\n"),
        bounce("admin@lists.velo.example", "bounce-report",
               bounced_recipients=["kim.berg@velo.example"]),
        "an Exchange connector's Non-Delivery Report from admin@",
        mail_from="admin@lists.velo.example")
    n = 905
    add("gateway-failed-recipients-block.eml",
        mail(n, "Mail_Transport_Service@hafen.example", "Returned Mail - Error During Delivery",
             "------ Failed Recipients ------\n<ole@hafen.example>: Requested action not taken: "
             "mailbox unavailable. [SMTP Error Code 550]\n-------- Returned Mail --------\n"
             f"To: ole@hafen.example\nSubject: [#{n}] Your order\n"),
        bounce("mail_transport_service@hafen.example", "bounce-report",
               bounced_recipients=["ole@hafen.example"]),
        "an SMTP service's 'Failed Recipients' block",
        mail_from="Mail_Transport_Service@hafen.example")
    n = 906
    add("quoted-system-administrator.eml",
        mail(n, '<"System Administrator"@mx.kelp.example>', "Delivery Failure",
             "Could not deliver message to the following recipient(s):\n\nFailed Recipient: "
             "nina@kelp.example\nReason: Remote host said: 550 5.1.1 User unknown\n",
             return_path="<>"),
        bounce(None, "bounce-report", bounced_recipients=["nina@kelp.example"]),
        "From <\"System Administrator\"@host>: a mail system's name as quoted local part "
        "(no usable address, so no requester)")


def relayed() -> None:
    """Bounces a list relays (List-*, Precedence: bulk, Sender list-owner): still bounces,
    and their requester is the mail system, not the list in Reply-To or Sender."""
    lists = ("Sender: shop-talk-owner@lists.help.example.com\n"
             "Reply-To: shop-talk@lists.help.example.com\nPrecedence: bulk\n"
             "List-Id: Shop talk <shop-talk.lists.help.example.com>\n"
             "X-Mailman-Version: 2.1.39\nX-BeenThere: shop-talk@lists.help.example.com\n")
    n = 910
    add("relayed-processing-error.eml",
        mail(n, "MAILER-DAEMON@mail.fjord.example", "Processing Error",
             "Intended recipient: sven@fjord.example\n\nThe following mail has been returned "
             "because it encountered an error\nwhile being processed.  Please try to resend "
             "this message.\n\n--------RETURNED MAIL FOLLOWS--------\nMessage removed\n",
             extra=lists, return_path="<shop-talk-bounces@lists.help.example.com>"),
        bounce("mailer-daemon@mail.fjord.example", "bounce-sender"),
        "an old provider's report relayed by a list: bounce wins over bulk")
    n = 911
    add("relayed-no-valid-recipients.eml",
        mail(n, "<MAILER-DAEMON@air.example>", "mail failed, returning to sender",
             "|------------------------- Message log follows: -------------------------|\n"
             " no valid recipients were found for this message\n|------------------------- "
             "Failed addresses follow: ---------------------|\n pia@air.example ... unknown "
             "host\n", extra=lists, return_path="<shop-talk-bounces@lists.help.example.com>"),
        bounce("mailer-daemon@air.example", "bounce-sender"),
        "a report whose words are neither in the subject tables nor usual boilerplate")
    n = 912
    add("relayed-notes-reply-to.eml",
        mail(n, "Postmaster@lindner.example", "DELIVERY FAILURE: User jl (jl@lindner.example) "
             "not listed in Domino Directory",
             f"Your message\n\n  Subject: [#{n}] Your order\n\nwas not delivered to:\n\n  "
             "jl@lindner.example\n\nbecause:\n\n  User jl (jl@lindner.example) not listed in "
             "Domino Directory\n", extra="Reply-To: orders@customer-shop.example\n",
             return_path="<>"),
        bounce("postmaster@lindner.example", "bounce-sender",
               bounced_recipients=["jl@lindner.example"]),
        "Notes copies the returned message's Reply-To: the requester is still the bounce's "
        "sender")


def lists() -> None:
    """List mail known by a list server's header other than List-Id/List-Unsubscribe."""
    n = 920
    add("list-digest-request-address.eml",
        mail(n, "garden-request@lists.flora.example", "Garden digest, Vol 4 #12 - 3 msgs",
             "Send Garden mailing list submissions to\n\tgarden@lists.flora.example\n\n"
             "Today's Topics:\n\n   1. Roses (Ina)\n", to=BOX, return_path="<garden-bounces@"
             "lists.flora.example>", extra="Sender: garden-admin@lists.flora.example\n"
             "X-Mailman-Version: 2.0.4\n"),
        {"kind": "direct", "requester": None, "automated": "bulk",
         "rules_include": ["list-headers"]},
        "a Mailman digest: only X-Mailman-Version; From and Sender are the list's own",
        mail_from="garden-bounces@lists.flora.example", rcpt=[BOX])
    n = 921
    add("list-post-beenthere.eml",
        mail(n, "Ina Roth <ina.roth@flora.example>", "Roses in June",
             "Does anyone know a supplier for old roses?\n\nIna\n", to=BOX,
             return_path="<garden-bounces@lists.flora.example>",
             extra="Sender: garden-bounces@lists.flora.example\nX-BeenThere: garden@lists."
                   "flora.example\nList-Post: <mailto:garden@lists.flora.example>\n"),
        {"kind": "direct", "requester": "ina.roth@flora.example", "automated": "bulk",
         "rules_include": ["list-headers"]},
        "a person's post through a list with X-BeenThere and List-Post: list mail, the author "
        "requests", mail_from="garden-bounces@lists.flora.example", rcpt=[BOX])
    n = 922
    add("list-fml-headers.eml",
        mail(n, "Kenji Sato <kenji@sato.example>", "[tea:01234] New leaves",
             "The first flush arrived today.\n", to=BOX,
             extra="X-ML-Name: tea\nX-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]\n"
                   "X-Mail-Count: 01234\n"),
        {"kind": "direct", "requester": "kenji@sato.example", "automated": "bulk",
         "rules_include": ["list-headers"]},
        "fml list mail: X-ML-Name and X-MLServer", mail_from="tea-admin@sato.example",
        rcpt=[BOX])
    n = 923
    add("list-owner-notice-ezmlm.eml",
        mail(n, "owner-birds@lists.aves.example", "Your subscription to birds",
             "Your address was subscribed to the birds list.\n", to=BOX,
             extra="Mailing-List: contact birds-help@lists.aves.example; run by ezmlm\n"),
        {"kind": "direct", "requester": None, "automated": "bulk",
         "rules_include": ["list-headers"]},
        "an ezmlm notice from owner-LIST@: the list's own address is no requester",
        mail_from="birds-return-1@lists.aves.example", rcpt=[BOX])


def plain_auto_replies() -> None:
    """Out-of-office subjects without their diacritics, as gateways and old clients send."""
    for n, (subject, sender, note) in enumerate([
            ("Arpus biroja atrasanas automatiska atbilde: Your order", "Ilze Ozola "
             "<ilze@ozola.example>", "Latvian Outlook out-of-office prefix, no diacritics"),
            ("Automaticka odpoved: Your order", "Petr Novak <petr@novak.example>",
             "Czech automatic reply without diacritics"),
            ("Odpowiedz automatyczna: Your order", "Ewa Nowak <ewa@nowak.example>",
             "Polish automatic reply without diacritics"),
            ("Sjalfvirkt svar: Your order", "Jon Jonsson <jon@jonsson.example>",
             "Icelandic automatic reply without diacritics"),
            ("In afara biroului: Your order", "Ana Pop <ana@pop.example>",
             "Romanian out-of-office without diacritics"),
            ("Hazon kivul: Your order", "Zsofia Kiss <zsofia@kiss.example>",
             "Hungarian out-of-office without diacritics")], start=930):
        add(f"plain-oof-{n}.eml",
            mail(n, sender, f"{subject} [#{n}]", "I am out of the office until Monday.\n",
                 to=BOX, return_path=f"<{sender.split('<')[1].rstrip('>')}>",
                 extra=f"In-Reply-To: {our_id(n)}\n"),
            {"kind": "direct", "requester": sender.split("<")[1].rstrip(">"),
             "automated": "auto_reply", "rules_include": ["out-of-office"]}, note,
            mail_from=sender.split("<")[1].rstrip(">"), rcpt=[BOX])


def people() -> None:
    """People's mail the rules above must leave alone."""
    hannah = "Hannah Weiss <hannah.weiss@client.example>"
    addr = "hannah.weiss@client.example"

    def mine(n: int, subject: str, body: str, sender: str = hannah, extra: str = "") -> str:
        return mail(n, sender, subject, body, to=BOX, extra=extra,
                    return_path=f"<{sender.split('<')[-1].rstrip('>')}>")
    add("person-re-mail-delivery-failed.eml",
        mine(940, "RE: Mail delivery failed", "Hi,\n\nI got the message below twice, is my "
             "address wrong in your system?\n\n> A message that you sent could not be "
             "delivered to one or more of its recipients.\n> hannah.weiss@client.example\n"),
        person(addr), "a person's reply to a bounce, own words first", mail_from=addr)
    add("person-fwd-gateway-report.eml",
        mine(941, "Fwd: Mail could not be delivered", "****** Message from MailGuard Content "
             "Gateway ******\n\nThe following mail could not be delivered.\n\nTo: "
             "ole@hafen.example\n"),
        person(addr, kind="manual_forward"),
        "a person forwards a gateway's report with nothing above it: a forward prefix",
        mail_from=addr)
    add("person-quoted-system-administrator.eml",
        mine(942, "Undeliverable emails since Monday?", "Hi,\n\nsince Monday our staff cannot "
             "reach you: they get undeliverable notices. Did you change anything?\n",
             sender='<"System Administrator"@client.example>'),
        person("it@client.example"), "a person writing from <\"System Administrator\"@host> "
        "about bounces: never a bounce; the From has no usable address, the envelope's is the "
        "requester", mail_from="it@client.example")
    add("person-processing-error.eml",
        mine(943, "Processing error on my order", "Hello,\n\nyour shop says 'processing "
             "error' and my mail has been returned because of it, twice.\n"),
        person(addr), "a person writing a relayed report's words", mail_from=addr)
    add("person-request-address-direct.eml",
        mine(944, "Quote for 40 chairs", "Hello,\n\nplease send a quote for 40 chairs.\n",
             sender="Sales Desk <sales-request@client.example>"),
        person("sales-request@client.example"),
        "a -request address on direct mail (no list header) is a person's",
        mail_from="sales-request@client.example")
    add("person-display-name-address.eml",
        mine(945, "Invoice 2231", "Hello,\n\nwhere is invoice 2231?\n",
             sender="hannah@old-client.example <hannah.weiss@client.example>"),
        person(addr), "an unquoted display name that is an address: the mailbox in angle "
        "brackets requests", mail_from=addr)
    add("person-encoded-comma-name.eml",
        mine(946, "Invoice 2232", "Hello,\n\nand invoice 2232?\n",
             sender=f"{ew('Weiß, Hannah', 'iso-8859-1')} <hannah.weiss@client.example>"),
        person(addr), "an encoded display name holding a comma", mail_from=addr)
    add("person-re-automaticka-odpoved.eml",
        mine(947, "Re: Automaticka odpoved: Your order", "Hi,\n\nyour auto-reply says you are "
             "away; who handles my order meanwhile?\n"),
        person(addr), "a person answering an auto-reply written without diacritics",
        mail_from=addr)


gateways()
relayed()
lists()
plain_auto_replies()
people()
