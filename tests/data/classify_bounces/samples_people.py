"""People writing about bounces, parcels and delivery: never automated."""
from __future__ import annotations

from generate import AGENT, BOX, add, b64, ew, person, qp, token

CUSTOMER = "Hannah Weiss <hannah.weiss@client.example>"
HANNAH = "hannah.weiss@client.example"


def head(n: int, subject: str, sender: str = CUSTOMER, extra: str = "",
         ctype: str = "text/plain; charset=utf-8", cte: str = "7bit") -> str:
    return (f"Return-Path: <{sender.split('<')[-1].rstrip('>')}>\n"
            f"Received: from mail.client.example (mail.client.example [192.0.2.7])\n"
            f"\tby mail.help.example.com (Postfix) with ESMTPS id P{n}\n"
            f"\tfor <{BOX}>; Tue, 2 Jun 2026 10:{n % 60:02d}:00 +0000 (UTC)\n"
            f"From: {sender}\nTo: Widgets Support <{BOX}>\nSubject: {subject}\n"
            f"Date: Tue, 2 Jun 2026 12:{n % 60:02d}:00 +0200\n"
            f"Message-ID: <{token(n)}@mail.client.example>\n"
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
            "Thunderbird/128.5.0\n"
            f"{extra}MIME-Version: 1.0\nContent-Type: {ctype}\n"
            f"Content-Transfer-Encoding: {cte}\n\n")


def negatives() -> None:
    d = person(HANNAH)
    add("person-pasted-qmail.eml", head(400, "my mail to bob bounced, see below") + """Hi,

my mail to bob@partner.example bounced, see below. Can you check whether his address in
your system is right?

> Hi. This is the qmail-send program at mail.partner.example.
> I'm afraid I wasn't able to deliver your message to the following addresses.
> This is a permanent error; I've given up. Sorry it didn't work out.
>
> <bob@partner.example>:
> Sorry, no mailbox here by that name. (#5.1.1)

Thanks, Hannah
""", d, "a person pasting a qmail transcript", mail_from=HANNAH)
    add("person-undeliverable-parcel.eml", head(401, "Undeliverable parcel") + """Hello,

the courier marked my parcel 4471-22 as undeliverable and returned it to sender. Please
send it again to the new address below.

Hannah Weiss
Hauptstr. 5, 10115 Berlin
""", d, "subject 'Undeliverable parcel' from a person", mail_from=HANNAH)
    add("person-auto-reply-broken.eml", head(402, "my automatic reply is broken") + """Hi,

since your update my automatic reply (out of office) is broken: it says "Delivery Status
Notification (Failure)" to everyone. How do I turn it off?
""", d, "a person whose subject mentions automatic replies and a DSN subject",
        mail_from=HANNAH)
    add("person-forwarded-words.eml", head(403, "Returned mail from your shop?") + """Hello,

I forwarded this to our postmaster already: your shop's confirmation mail was returned
to sender with "550 5.1.1 User unknown", although my address is right.
""", d, "a person using the words 'returned mail', 'postmaster' and an SMTP code",
        mail_from=HANNAH)
    add("person-delivery-failed-de.eml",
        head(404, ew("Zustellung fehlgeschlagen – Paket zurück"), cte="quoted-printable")
        + qp("Guten Tag,\n\ndie Zustellung meines Pakets ist fehlgeschlagen, es ging zurück "
             "an Sie. Bitte erneut senden.\n\nViele Grüße\nHannah Weiss\n"),
        d, "a German person: 'Zustellung fehlgeschlagen' about a parcel", mail_from=HANNAH)
    add("person-non-remis-fr.eml",
        head(405, ew("Colis non remis"), sender="Luc Martin <luc.martin@client.example>",
             cte="base64")
        + b64("Bonjour,\n\nmon colis n'a pas pu être remis, le livreur dit « adresse "
              "inconnue ». Pouvez-vous vérifier ?\n\nLuc\n"),
        person("luc.martin@client.example"), "a French person: 'Colis non remis'",
        mail_from="luc.martin@client.example")
    add("person-html-bounce-question.eml",
        head(406, "Why do my mails bounce?", ctype="text/html; charset=utf-8")
        + """<html><body><p>Hi team,</p><p>every mail I send to your support address comes back
with <i>Your message couldn't be delivered</i>. Here is the part I see:</p>
<blockquote>Delivery has failed to these recipients or groups:<br>
support@widgets.example</blockquote><p>Best, Hannah</p></body></html>
""", d, "HTML-only person mail quoting an Exchange NDR", mail_from=HANNAH)
    add("person-reply-to-undeliverable.eml",
        head(407, "Re: Undeliverable: [#77] Invoice", extra="In-Reply-To: <x77@help.example."
             "com>\n") + """Hi,

I got this "Undeliverable" message about my invoice, can you resend it to
hannah.w@client-new.example please?

On Tue, 2 Jun 2026 at 09:00, Microsoft Outlook <postmaster@client.example> wrote:
> Delivery has failed to these recipients or groups:
> hannah.weiss@client.example
""", d, "a reply quoting an NDR, Re: Undeliverable: subject", mail_from=HANNAH)
    add("person-postmaster-admin.eml",
        head(408, "Please whitelist our new mail server",
             sender="Postmaster <postmaster@client.example>") + """Hello,

we moved our mail to a new server (192.0.2.99). Please make sure your system accepts mail
from it; some of our users report that their mails bounce with 550 5.7.1.

Regards, IT team
""", person("postmaster@client.example"),
        "a person at postmaster@ asking about bounces: a weak sign and no report boilerplate",
        mail_from="postmaster@client.example")
    add("person-system-administrator.eml",
        head(409, "Undeliverable emails since Monday?",
             sender="System Administrator <it@client.example>") + """Hi,

since Monday our staff cannot reach you: they get undeliverable notices. Did you change
anything?
""", person("it@client.example"),
        "a person named 'System Administrator' asking about undeliverable mail",
        mail_from="it@client.example")
    add("person-report-domain-reply.eml",
        head(410, "Re: Report domain: help.example.com Submitter: google.example") + """Hi,

what are these reports and do I need to do anything about them?
""", d, "a person replying to a DMARC aggregate report's subject", mail_from=HANNAH)
    add("person-complaint.eml",
        head(411, "Complaint about message from your agent") + """Hello,

I want to file a complaint about the message your agent sent me yesterday. It was rude.
""", d, "a person's complaint: not a feedback report", mail_from=HANNAH)
    add("person-ja-fudatsu.eml",
        head(412, ew("荷物の不達について", "iso-2022-jp"),
             sender="Sato Yuki <sato.yuki@client.example>",
             ctype="text/plain; charset=ISO-2022-JP")
        + "注文した荷物が届きません。不達の理由を教えてください。\n".encode(
            "iso-2022-jp").decode("ascii") + "\n",
        person("sato.yuki@client.example"), "a Japanese person asking about an undelivered "
        "parcel (不達)", mail_from="sato.yuki@client.example")


def forwards() -> None:
    # an agent forwards a bounce to the box: a manual forward, not automated
    add("agent-forwards-bounce.eml", head(420, "Fwd: Undelivered Mail Returned to Sender",
                                          sender=f"Olga Ivanova <{AGENT}>") + """Can you check
this customer's address?

---------- Forwarded message ---------
From: Mail Delivery System <MAILER-DAEMON@mx1.client.example>
Date: Tue, 2 Jun 2026 at 09:12
Subject: Undelivered Mail Returned to Sender
To: <olga.ivanova@widgets.example>

This is the mail system at host mx1.client.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<max@client.example>: user unknown
""", person(AGENT, kind="manual_forward"),
        "an agent forwards a bounce by hand with agent forwarding off: a manual forward by "
        "the agent, not automated", mail_from=AGENT)
    # a customer attaches the bounce they got as a file
    b = f"------------{token(421)[:20]}"
    raw = head(421, "Your address bounces", ctype=f"multipart/mixed; boundary=\"{b}\"")
    raw += f"""This is a multi-part message in MIME format.
--{b}
Content-Type: text/plain; charset=UTF-8

Hi, I attach the bounce I got when writing to you.

--{b}
Content-Type: message/rfc822; name="Undelivered Mail Returned to Sender.eml"
Content-Disposition: attachment; filename="Undelivered Mail Returned to Sender.eml"

From: MAILER-DAEMON@mail.client.example (Mail Delivery System)
To: {HANNAH}
Subject: Undelivered Mail Returned to Sender
Date: Tue, 2 Jun 2026 08:00:00 +0000
Message-ID: <bounce-{token(421)}@mail.client.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="inner{token(421)[:6]}"

--inner{token(421)[:6]}
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--inner{token(421)[:6]}
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.client.example

Final-Recipient: rfc822; old@widgets.example
Action: failed
Status: 5.1.1

--inner{token(421)[:6]}--

--{b}--
"""
    add("person-attaches-bounce.eml", raw, person(HANNAH, kind="manual_forward"),
        "a customer attaches a bounce as a file: the report inside is not their own",
        mail_from=HANNAH)


negatives()
forwards()
