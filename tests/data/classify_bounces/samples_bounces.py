"""Bounces and delay notices, one function per mail system; each registers its samples."""
from __future__ import annotations

from generate import (OWN, add, b64, bounce, dsn, ew, our_id, qp, returned,
                      token)


EXCHANGE = "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e"


def postfix() -> None:
    date = "Tue, 3 Mar 2026 09:14:02 +0100 (CET)"
    host = "mx1.client.example"
    for n, (rcpt, diag, note) in enumerate([
            ("gone@client.example", "550 5.1.1 <gone@client.example>: Recipient address "
             "rejected: User unknown in virtual mailbox table", "user unknown"),
            ("full@client.example", "552 5.2.2 <full@client.example>: Mailbox full",
             "mailbox full")], start=101):
        b = f"4Q{token(n)[:8].upper()}.{n}/{host}"
        raw = f"""Return-Path: <>
Received: from {host} ({host} [192.0.2.10])
\tby mail.help.example.com (Postfix) with ESMTPS id 4Q8m
\tfor <{OWN}>; {date}
Received: by {host} (Postfix)
\tid 4Q{token(n)[:8].upper()}; {date}
Date: {date}
From: MAILER-DAEMON@{host} (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {OWN}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{b}"
Content-Transfer-Encoding: 8bit
Message-Id: <20260303081402.4Q{token(n)[:8].upper()}@{host}>

This is a MIME-encapsulated message.

--{b}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host {host}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<{rcpt}>: host 127.0.0.1[127.0.0.1] said: {diag} (in reply to RCPT TO command)

--{b}
Content-Description: Delivery report
Content-Type: message/delivery-status

{dsn(host, [(rcpt, "failed", "5.1.1" if n == 101 else "5.2.2", diag)],
     arrival=date, queue="4Q" + token(n)[:8].upper())}
--{b}
Content-Description: Undelivered Message
Content-Type: message/rfc822

{returned(n, rcpt, "Your invoice", date)}
--{b}--
"""
        add(f"postfix-{note.replace(' ', '-')}.eml", raw,
            bounce(f"mailer-daemon@{host}", "delivery-report", bounced_recipients=[rcpt],
                   bounced_message_ids=[our_id(n)]),
            f"Postfix DSN, {note}", rcpt=[OWN])
    # Postfix delay warning with only the headers of the message
    n = 103
    b = f"7G2k.{n}/mx2.client.example"
    raw = f"""Return-Path: <>
Date: Wed, 4 Mar 2026 13:00:11 +0000 (UTC)
From: MAILER-DAEMON@mx2.client.example (Mail Delivery System)
Subject: Delayed Mail (still being retried)
To: {OWN}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"
Message-Id: <20260304130011.7G2K@mx2.client.example>

--{b}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx2.client.example.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 4 hour(s).
It will be retried until it is 5 day(s) old.

<slow@partner.example>: connect to mx.partner.example[203.0.113.9]:25: Connection
    timed out

--{b}
Content-Description: Delivery report
Content-Type: message/delivery-status

{dsn("mx2.client.example", [("slow@partner.example", "delayed", "4.4.1",
                             "connect to mx.partner.example: Connection timed out")])}
--{b}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{returned(n, "slow@partner.example", "Status of your order", "Wed, 4 Mar 2026 08:58:40 +0000",
          headers_only=True)}
--{b}--
"""
    add("postfix-delayed.eml", raw,
        bounce("mailer-daemon@mx2.client.example", "delivery-report",
               bounced_recipients=["slow@partner.example"], bounced_message_ids=[our_id(n)]),
        "Postfix delay warning with text/rfc822-headers", mail_from="")


def sendmail() -> None:
    # old Sendmail, no MIME at all
    n = 110
    raw = f"""Return-Path: <MAILER-DAEMON>
Received: from localhost (localhost)
\tby legacy.client.example (8.9.3/8.9.3) id KAA01234;
\tFri, 6 Mar 2026 10:02:17 -0500 (EST)
Date: Fri, 6 Mar 2026 10:02:17 -0500 (EST)
From: Mail Delivery Subsystem <MAILER-DAEMON@legacy.client.example>
Message-Id: <202603061502.KAA01234@legacy.client.example>
To: <{OWN}>
Subject: Returned mail: User unknown

The original message was received at Fri, 6 Mar 2026 10:02:15 -0500 (EST)
from mail.help.example.com [198.51.100.25]

   ----- The following addresses had permanent fatal errors -----
<jsmith@legacy.client.example>

   ----- Transcript of session follows -----
... while talking to local delivery:
>>> RCPT To:<jsmith@legacy.client.example>
<<< 550 5.1.1 <jsmith@legacy.client.example>... User unknown
550 <jsmith@legacy.client.example>... User unknown

   ----- Original message follows -----

{returned(n, "jsmith@legacy.client.example", "Password reset", "Fri, 6 Mar 2026 15:02:14 +0000")}"""
    add("sendmail-old-plain.eml", raw,
        bounce("mailer-daemon@legacy.client.example", "bounce-sender",
               bounced_recipients=["jsmith@legacy.client.example"],
               bounced_message_ids=[our_id(n)]),
        "Sendmail 8.9 plain-text bounce with transcript, no MIME", mail_from="")
    # Sendmail 8.14 with DSN, Auto-Submitted (failure)
    n = 111
    b = f"62AFx{n}.1772803337/relay.client.example"
    raw = f"""Return-Path: <>
Date: Fri, 6 Mar 2026 16:22:17 +0100
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.client.example>
Message-Id: <202603061522.62AFx{n}@relay.client.example>
To: <{OWN}>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{b}"
Subject: Returned mail: see transcript for details
Auto-Submitted: auto-generated (failure)

This is a MIME-encapsulated message

--{b}

The original message was received at Fri, 6 Mar 2026 16:22:15 +0100
from mail.help.example.com [198.51.100.25]

   ----- The following addresses had permanent fatal errors -----
<m.weber@client.example>
    (reason: 550 5.7.1 Relaying denied)

   ----- Transcript of session follows -----
... while talking to smtp.client.example.:
>>> DATA
<<< 550 5.7.1 Relaying denied
550 5.1.1 <m.weber@client.example>... User unknown
<<< 503 5.0.0 Need RCPT (recipient)

--{b}
Content-Type: message/delivery-status

{dsn("relay.client.example", [("m.weber@client.example", "failed", "5.7.1",
                               "550 5.7.1 Relaying denied")], remote="smtp.client.example")}
--{b}
Content-Type: message/rfc822

{returned(n, "m.weber@client.example", "Repair quote", "Fri, 6 Mar 2026 15:22:14 +0000")}
--{b}--
"""
    add("sendmail-dsn-failure.eml", raw,
        bounce("mailer-daemon@relay.client.example", "failure-auto-submitted",
               bounced_recipients=["m.weber@client.example"], bounced_message_ids=[our_id(n)]),
        "Sendmail 8.14 DSN with Auto-Submitted: auto-generated (failure)")
    # Sendmail delay warning, plain text with a failure comment only in Auto-Submitted
    n = 112
    raw = f"""Return-Path: <>
Date: Sat, 7 Mar 2026 04:30:02 -0800
From: Mail Delivery Subsystem <MAILER-DAEMON@mail.partner.example>
Message-Id: <202603071230.v27CU2Aa{n}@mail.partner.example>
To: <{OWN}>
Subject: Warning: could not send message for past 4 hours
Auto-Submitted: auto-generated (warning-timeout)

    **********************************************
    **      THIS IS A WARNING MESSAGE ONLY      **
    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **
    **********************************************

The original message was received at Sat, 7 Mar 2026 00:25:40 -0800
from mail.help.example.com [198.51.100.25]

   ----- Transcript of session follows -----
<ana@partner.example>... Deferred: Connection timed out with mx.partner.example.
Warning: message still undelivered after 4 hours
Will keep trying until message is 5 days old

   ----- Original message follows -----
{returned(n, "ana@partner.example", "Shipping date", "Sat, 7 Mar 2026 08:25:39 +0000")}"""
    add("sendmail-warning-delay.eml", raw,
        bounce("mailer-daemon@mail.partner.example", "bounce-sender",
               bounced_recipients=["ana@partner.example"], bounced_message_ids=[our_id(n)]),
        "Sendmail 4-hour delay warning")


def exim() -> None:
    n = 120
    raw = f"""Return-path: <>
Envelope-to: {OWN}
Received: from mail by mx.hoster.example with local (Exim 4.96)
\tid 1vX2aB-000Abc-1Q
\tfor {OWN}; Mon, 9 Mar 2026 11:20:04 +0000
X-Failed-Recipients: p.novak@hoster.example
Auto-Submitted: auto-replied
From: Mail Delivery System <Mailer-Daemon@mx.hoster.example>
To: {OWN}
References: {our_id(n)}
Content-Type: multipart/report; report-type=delivery-status; boundary=1773055204-eximdsn-{n}
MIME-Version: 1.0
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1vX2aB-000Abc-1Q@mx.hoster.example>
Date: Mon, 09 Mar 2026 11:20:04 +0000

--1773055204-eximdsn-{n}
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  p.novak@hoster.example
    host mx.hoster.example [192.0.2.44]
    SMTP error from remote mail server after RCPT TO:<p.novak@hoster.example>:
    550 5.1.1 <p.novak@hoster.example>: Recipient address rejected: User unknown

--1773055204-eximdsn-{n}
Content-type: message/delivery-status

{dsn("mx.hoster.example", [("p.novak@hoster.example", "failed", "5.0.0",
                            "550 5.1.1 User unknown")], remote="mx.hoster.example")}
--1773055204-eximdsn-{n}
Content-type: message/rfc822

{returned(n, "p.novak@hoster.example", "Your account", "Mon, 09 Mar 2026 11:20:03 +0000")}
--1773055204-eximdsn-{n}--
"""
    add("exim-dsn.eml", raw,
        bounce("mailer-daemon@mx.hoster.example", "failed-recipients-header",
               bounced_recipients=["p.novak@hoster.example"], bounced_message_ids=[our_id(n)]),
        "Exim 4.96 with DSN parts and X-Failed-Recipients")
    # classic Exim plain text without X-Failed-Recipients, several recipients
    n = 121
    raw = f"""Return-path: <>
Received: from mailnull by smtp.shared.example with local (Exim 4.72)
\tid 1OaBcD-0003xy-Kq
\tfor {OWN}; Tue, 10 Mar 2026 07:41:55 +0200
From: Mail Delivery System <Mailer-Daemon@smtp.shared.example>
To: {OWN}
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1OaBcD-0003xy-Kq@smtp.shared.example>
Date: Tue, 10 Mar 2026 07:41:55 +0200

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  anna@shared.example
    (generated from info@shared.example)
    unknown local-part "anna" in domain "shared.example"
  bert@shared.example
    SMTP error from remote mail server after MAIL FROM:<{OWN}> SIZE=2048:
    host mx.shared.example [192.0.2.71]: 552 message size exceeds limit

------ This is a copy of the message, including all the headers. ------

{returned(n, "info@shared.example", "Brochure", "Tue, 10 Mar 2026 05:41:54 +0000")}"""
    add("exim-plain-two-recipients.eml", raw,
        bounce("mailer-daemon@smtp.shared.example", "bounce-sender",
               bounced_recipients=["anna@shared.example", "bert@shared.example"],
               bounced_message_ids=[our_id(n)]),
        "Exim 4.72 plain text, two failed recipients, no envelope known", mail_from="")
    # Exim delay warning
    n = 122
    raw = f"""Return-path: <>
From: Mail Delivery System <Mailer-Daemon@mail.slowhost.example>
To: {OWN}
Subject: Warning: message 1vZ9qa-0004Rt-3C delayed 24 hours
Message-Id: <E1vZaaa-0005zz-Ka@mail.slowhost.example>
Date: Wed, 11 Mar 2026 12:00:01 +0100
Auto-Submitted: auto-replied
X-Failed-Recipients: li.wei@slowhost.example

This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mail.slowhost.example.

The message identifier is:     1vZ9qa-0004Rt-3C
The subject of the message is: [#{n}] Meeting notes
The date of the message is:    Tue, 10 Mar 2026 11:59:58 +0000

The address to which the message has not yet been delivered is:

  li.wei@slowhost.example
    Delay reason: SMTP error from remote mail server after RCPT TO:<li.wei@slowhost.example>:
    host mx.slowhost.example [192.0.2.90]: 451 Temporary local problem

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals if the message
remains undelivered. Eventually the mail delivery software will give up,
and when that happens, the message will be returned to you.
"""
    add("exim-delay-warning.eml", raw,
        bounce("mailer-daemon@mail.slowhost.example", "bounce-sender",
               bounced_recipients=["li.wei@slowhost.example"]),
        "Exim delay warning (24 hours)")
    # Exim-based German provider with a localized bounce, ISO-8859-1 quoted-printable
    n = 123
    text = ("Diese Nachricht wurde automatisch vom Mailsystem erzeugt.\n\n"
            "Ihre Nachricht konnte nicht zugestellt werden an:\n\n"
            "  k.mueller@provider.example\n"
            "    Postfach voll / mailbox full\n\n"
            "------ Kopie der Nachricht ------\n\n"
            + returned(n, "k.mueller@provider.example", "Rechnung März",
                       "Thu, 12 Mar 2026 08:00:00 +0000"))
    raw = f"""Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx00.provider.example>
To: {OWN}
Subject: {ew("Unzustellbar: Ihre Nachricht an k.mueller@provider.example", "iso-8859-1")}
Date: Thu, 12 Mar 2026 09:00:03 +0100
Message-ID: <mx00-{token(n)}@provider.example>
X-Failed-Recipients: k.mueller@provider.example
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

{qp(text, "iso-8859-1")}"""
    add("exim-de-provider.eml", raw,
        bounce("mailer-daemon@mx00.provider.example",
               bounced_recipients=["k.mueller@provider.example"],
               bounced_message_ids=[our_id(n)]),
        "German provider on Exim, localized subject (encoded word) and QP body")


def qmail() -> None:
    n = 130
    raw = f"""Return-Path: <>
Received: (qmail 8129 invoked for bounce); 13 Mar 2026 10:10:10 -0000
Date: 13 Mar 2026 10:10:10 -0000
From: MAILER-DAEMON@mail.qhost.example
To: {OWN}
Subject: failure notice

Hi. This is the qmail-send program at mail.qhost.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<r.ortiz@qhost.example>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <{OWN}>
Received: (qmail 8127 invoked from network); 13 Mar 2026 10:10:09 -0000
{returned(n, "r.ortiz@qhost.example", "Your return label", "13 Mar 2026 10:10:08 -0000")}"""
    add("qmail-failure-notice.eml", raw,
        bounce("mailer-daemon@mail.qhost.example", "bounce-sender",
               bounced_recipients=["r.ortiz@qhost.example"], bounced_message_ids=[our_id(n)]),
        "qmail-send failure notice")
    # netqmail with remote host said and two recipients, mail_from unknown
    n = 131
    raw = f"""Return-Path: <>
Date: 14 Mar 2026 18:02:44 -0000
From: MAILER-DAEMON@smtp.isp-one.example
To: {OWN}
Subject: failure notice

Hi. This is the qmail-send program at smtp.isp-one.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<one@partner-a.example>:
203.0.113.20 does not like recipient.
Remote host said: 550 5.1.1 No such user
Giving up on 203.0.113.20.

<two@partner-b.example>:
203.0.113.21 failed after I sent the message.
Remote host said: 554 5.7.1 Message rejected as spam

--- Below this line is a copy of the message.

{returned(n, "one@partner-a.example", "Newsletter signup", "14 Mar 2026 18:02:40 -0000")}"""
    add("qmail-two-remote.eml", raw,
        bounce("mailer-daemon@smtp.isp-one.example",
               bounced_recipients=["one@partner-a.example", "two@partner-b.example"],
               bounced_message_ids=[our_id(n)]),
        "netqmail with two remote failures", mail_from="")
    # vpopmail: From: MAILER-DAEMON <> style header (no address)
    n = 132
    raw = f"""Return-Path: <>
Date: 15 Mar 2026 07:07:07 +0300
From: MAILER-DAEMON <>
To: {OWN}
Subject: failure notice
Message-ID: <qmail-{token(n)}@vps.example>

Hi. This is the qmail-send program at vps.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<olegp@vps.example>:
user is over quota

--- Below this line is a copy of the message.

{returned(n, "olegp@vps.example", "Delivery address", "15 Mar 2026 04:07:05 +0000")}"""
    add("qmail-from-empty-address.eml", raw,
        bounce(None, "bounce-sender", bounced_recipients=["olegp@vps.example"],
               bounced_message_ids=[our_id(n)]),
        "From: MAILER-DAEMON <> (empty address): no requester")
    # X4 / qmail-ldap variant that says 'Hi. This is the qmail-send program' under a banner
    n = 133
    raw = f"""Return-Path: <>
Date: Mon, 16 Mar 2026 22:45:10 +0900
From: MAILER-DAEMON@x4.mailhost.example
To: {OWN}
Subject: failure delivery
Message-ID: <x4-{token(n)}@x4.mailhost.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="--x4boundary{n}"

----x4boundary{n}
Content-Type: text/plain; charset=us-ascii

Hi. This is the qmail-send program at x4.mailhost.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<tanaka@mailhost.example>:
The user does not accept email in non-Western (non-Latin) character sets.

----x4boundary{n}
Content-Type: message/rfc822

{returned(n, "tanaka@mailhost.example", "Order confirmation", "Mon, 16 Mar 2026 13:45:08 +0000")}
----x4boundary{n}--
"""
    add("x4-qmail-attached.eml", raw,
        bounce("mailer-daemon@x4.mailhost.example", bounced_recipients=["tanaka@mailhost.example"],
               bounced_message_ids=[our_id(n)]),
        "X4 (qmail based) with the message attached as message/rfc822: not a forward")


def exchange() -> None:
    # Exchange 2013+ NDR in several server languages, multipart/report
    langs = [
        ("en", "Undeliverable", "Delivery has failed to these recipients or groups:",
         "The email address you entered couldn't be found."),
        ("de", "Unzustellbar", "Die Zustellung an folgende Empfänger oder Gruppen ist "
         "fehlgeschlagen:", "Die eingegebene E-Mail-Adresse wurde nicht gefunden."),
        ("fr", "Non remis ", "La remise aux destinataires ou groupes suivants a échoué :",
         "L'adresse de messagerie que vous avez entrée est introuvable."),
        ("es", "No se puede entregar", "Error en la entrega a estos destinatarios o grupos:",
         "No se encontró la dirección de correo electrónico que especificó."),
        ("it", "Non recapitabile", "Recapito non riuscito a questi destinatari o gruppi:",
         "Impossibile trovare l'indirizzo di posta elettronica immesso."),
        ("nl", "Onbestelbaar", "De bezorging aan deze ontvangers of groepen is mislukt:",
         "Het opgegeven e-mailadres kan niet worden gevonden."),
        ("pt", "Não é possível entregar", "Falha na entrega a estes destinatários ou grupos:",
         "Não foi possível encontrar o endereço de email especificado."),
        ("pl", "Nie można dostarczyć", "Dostarczenie do tych adresatów lub grup nie powiodło "
         "się:", "Nie można odnaleźć wprowadzonego adresu e-mail."),
        ("sv", "Kan inte levereras", "Leveransen till följande mottagare eller grupper "
         "misslyckades:", "E-postadressen du angav kunde inte hittas."),
        ("cs", "Nedoručitelné", "Doručení těmto příjemcům nebo skupinám se nezdařilo:",
         "Zadaná e-mailová adresa nebyla nalezena."),
        ("ja", "配信不能", "次の受信者またはグループへの配信に失敗しました:",
         "入力したメール アドレスが見つかりませんでした。"),
        ("ru", "Не доставлено", "Не удалось выполнить доставку следующим получателям или "
         "группам:", "Не удалось найти указанный адрес электронной почты."),
        ("zh", "无法投递", "传递到这些收件人或组失败:", "找不到你输入的电子邮件地址。"),
        ("hu", "Kézbesíthetetlen", "A kézbesítés nem sikerült a következő címzetteknek vagy "
         "csoportoknak:", "A megadott e-mail-cím nem található."),
        ("tr", "Teslim Edilemedi", "Bu alıcılara veya gruplara teslim başarısız oldu:",
         "Girdiğiniz e-posta adresi bulunamadı."),
    ]
    for i, (lang, word, head, why) in enumerate(langs):
        n = 140 + i
        rcpt = f"nobody.{lang}@corp-{lang}.example"
        host = f"EX0{i % 4 + 1}.corp-{lang}.example"
        date = f"Tue, {i + 1} Apr 2026 10:{i:02d}:00 +0000"
        b = f"_000_{token(n)[:12]}EX0{i % 4 + 1}corp{lang}example_"
        text = (f"{head}\n\n{rcpt}\n{why}\n\n\n\n\n\nDiagnostic information for "
                f"administrators:\n\nGenerating server: {host}\n\n{rcpt}\nRemote Server "
                "returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by "
                "SMTP address lookup'\n\nOriginal message headers:\n\n"
                + returned(n, rcpt, "Ticket update", date, headers_only=True))
        subject = f"{word}: [#{n}] Ticket update"
        encoded = ew(subject) if any(ord(c) > 127 for c in subject) else subject
        raw = f"""Received: from {host} (10.1.{i}.5) by {host} (10.1.{i}.5)
 with Microsoft SMTP Server (version=TLS1_2,
 cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1544.4
 via Mailbox Transport; {date}
From: <postmaster@corp-{lang}.example>
To: <{OWN}>
Date: {date}
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{b}"
Content-Language: {lang}-{lang.upper()}
Message-ID: <{token(n)}@{host}>
In-Reply-To: {our_id(n)}
References: {our_id(n)}
Subject: {encoded}
Auto-Submitted: auto-replied
MIME-Version: 1.0

--{b}
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

{b64(text)}
--{b}
Content-Type: message/delivery-status

{dsn(host, [(rcpt, "failed", "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound")])}
--{b}
Content-Type: message/rfc822

{returned(n, rcpt, "Ticket update", date)}
--{b}--
"""
        add(f"exchange-ndr-{lang}.eml", raw,
            bounce(f"postmaster@corp-{lang}.example", "delivery-report",
                   bounced_recipients=[rcpt], bounced_message_ids=[our_id(n)]),
            f"Exchange 2016 NDR, {lang} server language", mail_from="")
    # the same NDR as plain text only (a gateway dropped the report parts), localized subjects
    plain = [("de", "Unzustellbar", "Die Zustellung an folgende Empfänger oder Gruppen ist "
              "fehlgeschlagen:"),
             ("fr", "Non remis", "La remise aux destinataires ou groupes suivants a échoué :"),
             ("es", "No se puede entregar", "Error en la entrega a estos destinatarios o "
              "grupos:"),
             ("pt", "Não é possível entregar", "Falha na entrega a estes destinatários ou "
              "grupos:"),
             ("nl", "Onbestelbaar", "De bezorging aan deze ontvangers of groepen is mislukt:"),
             ("it", "Non recapitabile", "Recapito non riuscito a questi destinatari o gruppi:")]
    for i, (lang, word, head) in enumerate(plain):
        n = 160 + i
        rcpt = f"leaver.{lang}@office-{lang}.example"
        body = (f"{head}\n\n{rcpt}\n\n\n\nDiagnostic information for administrators:\n\n"
                f"Generating server: mail.office-{lang}.example\n\n{rcpt}\n#550 5.1.1 "
                "RESOLVER.ADR.ExRecipNotFound; not found ##\n\nOriginal message headers:\n\n"
                + returned(n, rcpt, "Follow-up", "Wed, 8 Apr 2026 08:00:00 +0000",
                           headers_only=True))
        raw = f"""From: Microsoft Exchange <{EXCHANGE}@office-{lang}.example>
To: <{OWN}>
Date: Wed, 8 Apr 2026 08:0{i}:00 +0000
Subject: {ew(f"{word}: [#{n}] Follow-up")}
Message-ID: <{token(n)}@mail.office-{lang}.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(body)}"""
        add(f"exchange-plain-{lang}.eml", raw,
            bounce(f"microsoftexchange329e71ec88ae4615bbc36ab6ce41109e@office-{lang}.example",
                   "bounce-sender", bounced_recipients=[rcpt],
                   bounced_message_ids=[our_id(n)]),
            f"Exchange NDR as plain text, {lang} subject, MicrosoftExchange<guid> sender",
            mail_from="")
    # Exchange 2003 style, 'did not reach' wording, System Administrator sender
    n = 170
    raw = f"""From: System Administrator <postmaster@old-ex.example>
To: Widgets Support <{OWN}>
Subject: Undeliverable: [#{n}] Quote
Date: Thu, 9 Apr 2026 14:02:11 +0200
Message-ID: <{token(n).upper()}@OLDEX01.old-ex.example>
MIME-Version: 1.0
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator:
Content-Type: multipart/mixed; boundary="----_=_NextPart_001_01C{n}"

------_=_NextPart_001_01C{n}
Content-Type: text/plain; charset="iso-8859-1"

Your message did not reach some or all of the intended recipients.

      Subject:\t[#{n}] Quote
      Sent:\t09.04.2026 14:02

The following recipient(s) could not be reached:

      'h.schulz@old-ex.example' on 09.04.2026 14:02
            The e-mail account does not exist at the organization this message was sent to.
            <OLDEX01.old-ex.example #5.1.1>

------_=_NextPart_001_01C{n}
Content-Type: message/rfc822

{returned(n, "h.schulz@old-ex.example", "Quote", "Thu, 9 Apr 2026 12:02:10 +0000")}
------_=_NextPart_001_01C{n}--
"""
    add("exchange2003-system-administrator.eml", raw,
        bounce("postmaster@old-ex.example", "bounce-sender",
               bounced_recipients=["h.schulz@old-ex.example"], bounced_message_ids=[our_id(n)]),
        "Exchange 2003 NDR from System Administrator with the message attached")
    # Exchange delivery delayed
    n = 171
    b = f"_delay_{token(n)[:10]}_"
    raw = f"""From: Microsoft Outlook <postmaster@bigcorp.example>
To: <{OWN}>
Date: Fri, 10 Apr 2026 09:30:00 +0000
Subject: Delivery delayed:[#{n}] Contract
Message-ID: <{token(n)}@EXHUB02.bigcorp.example>
Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"
MIME-Version: 1.0

--{b}
Content-Type: text/plain; charset="us-ascii"

Delivery is delayed to these recipients or groups:

legal@bigcorp.example

Subject: [#{n}] Contract

This message hasn't been delivered yet. Delivery will continue to be attempted.

The server will keep trying to deliver this message for the next 1 days, 19 hours and 51
minutes. You'll be notified if the message can't be delivered by that time.

--{b}
Content-Type: message/delivery-status

{dsn("EXHUB02.bigcorp.example", [("legal@bigcorp.example", "delayed", "4.4.7", "")])}
--{b}
Content-Type: text/rfc822-headers

{returned(n, "legal@bigcorp.example", "Contract", "Fri, 10 Apr 2026 05:30:00 +0000",
          headers_only=True)}
--{b}--
"""
    add("exchange-delivery-delayed.eml", raw,
        bounce("postmaster@bigcorp.example", "delivery-report",
               bounced_recipients=["legal@bigcorp.example"], bounced_message_ids=[our_id(n)]),
        "Exchange delivery delayed notice")


def office365() -> None:
    n = 175
    b = f"_000_{token(n)[:20]}_"
    alt = f"_alt_{token(n + 1)[:12]}_"
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
</head><body><div style="font-family:'Segoe UI';font-size:16px">
<p><b><font color="#000066" size="3">Your message to
ceo@tenant-client.example couldn&#39;t be delivered.</font></b></p>
<p>ceo wasn&#39;t found at tenant-client.example.</p>
<table><tr><td>widgets</td><td>Office 365</td><td>ceo</td></tr>
<tr><td>Sender</td><td>&nbsp;</td><td>Action Required</td></tr></table>
<p><b>How to Fix It</b></p><p>The address may be misspelled or may not exist.</p>
<p>Original Message Details<br>Created Date: 4/14/2026 7:02:11 AM<br>
Sender Address: {OWN}<br>Recipient Address: ceo@tenant-client.example<br>
Subject: [#{n}] Contract renewal</p>
<p>Error Details<br>Reported error: 550 5.1.10 RESOLVER.ADR.RecipientNotFound</p>
</div></body></html>
"""
    raw = f"""Received: from DM6PR05MB1234.namprd05.prod.outlook.com (2603:10b6:5:3a::12) by
 DM6PR05MB5678.namprd05.prod.outlook.com with HTTPS; Tue, 14 Apr 2026 07:02:13 +0000
MIME-Version: 1.0
From: Microsoft Outlook <postmaster@tenantclient.onmicrosoft.com>
To: <{OWN}>
Date: Tue, 14 Apr 2026 07:02:13 +0000
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{b}"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: en-US
Message-ID: <{token(n)}@DM6PR05MB5678.namprd05.prod.outlook.com>
In-Reply-To: {our_id(n)}
References: {our_id(n)}
Subject: Undeliverable: [#{n}] Contract renewal
Auto-Submitted: auto-replied

--{b}
Content-Type: multipart/alternative; differences=Content-Type;
\tboundary="{alt}"

--{alt}
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Your message to ceo@tenant-client.example couldn't be delivered.
ceo wasn't found at tenant-client.example.

--{alt}
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(html)}
--{alt}--

--{b}
Content-Type: message/delivery-status

{dsn("DM6PR05MB5678.namprd05.prod.outlook.com",
     [("ceo@tenant-client.example", "failed", "5.1.10",
       "550 5.1.10 RESOLVER.ADR.RecipientNotFound")])}
--{b}
Content-Type: message/rfc822

{returned(n, "ceo@tenant-client.example", "Contract renewal", "Tue, 14 Apr 2026 07:02:11 +0000")}
--{b}--
"""
    add("office365-ndr.eml", raw,
        bounce("postmaster@tenantclient.onmicrosoft.com", "delivery-report",
               bounced_recipients=["ceo@tenant-client.example"],
               bounced_message_ids=[our_id(n)]),
        "Office 365 modern NDR (text + HTML), Microsoft Outlook <postmaster@...>")
    # HTML-only NDR from an Outlook.com consumer mailbox, no report structure
    n = 176
    escaped = our_id(n).replace("<", "&lt;").replace(">", "&gt;")
    html = f"""<html><body><p><b>Your message to x.y@outlook.example couldn&#39;t be
delivered.</b></p><p>x.y wasn&#39;t found at outlook.example.</p>
<p>Original message headers:</p><pre>Message-ID: {escaped}
Subject: [#{n}] Warranty</pre></body></html>
"""
    raw = f"""From: postmaster@outlook.example
To: {OWN}
Date: Wed, 15 Apr 2026 16:40:00 +0000
Subject: Undeliverable: [#{n}] Warranty
Message-ID: <{token(n)}@BY2PR.outlook.example>
MIME-Version: 1.0
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: base64

{b64(html)}"""
    add("outlookcom-html-only.eml", raw,
        bounce("postmaster@outlook.example", "bounce-sender",
               bounced_recipients=["x.y@outlook.example"], bounced_message_ids=[our_id(n)]),
        "HTML-only NDR (base64) with the original headers in a <pre>", mail_from="")


def gmail() -> None:
    n = 180
    b = f"000000000000{token(n)[:12]}"
    alt = f"000000000000{token(n + 1)[:12]}"
    html = """<html><head></head><body><table><tr><td style="font-family:Google Sans">
<h2 style="font-size:24px">Address not found</h2></td></tr><tr><td style="font-size:14px">
Your message wasn't delivered to <a style="color:#212121" href="mailto:tom.bell@nonexist.example">
tom.bell@nonexist.example</a> because the address couldn't be found, or is unable to receive
mail.<br><br>LEARN MORE</td></tr></table>
<p>The response was:</p><p style="font-family:monospace">The email account that you tried to
reach does not exist. Please try double-checking the recipient's email address for typos or
unnecessary spaces.</p></body></html>
"""
    raw = f"""Delivered-To: {OWN}
Received: by 2002:a05:7300:1234:b0:12a:1234:5678 with SMTP id x8csp123456dyb;
        Thu, 16 Apr 2026 02:12:44 -0700 (PDT)
Return-Path: <>
Received: from mail-sor-f69.google.com (mail-sor-f69.google.com. [209.85.220.69])
        by mx.google.com with SMTPS id a1sor12345qkb.5.2026.04.16.02.12.44
        for <{OWN}>
        (Google Transport Security);
        Thu, 16 Apr 2026 02:12:44 -0700 (PDT)
MIME-Version: 1.0
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: {OWN}
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
References: {our_id(n)}
In-Reply-To: {our_id(n)}
X-Failed-Recipients: tom.bell@nonexist.example
Message-ID: <5f1e2d3c.{token(n)}@mx.google.com>
Date: Thu, 16 Apr 2026 02:12:44 -0700 (PDT)
Content-Type: multipart/report; boundary="{b}"; report-type=delivery-status

--{b}
Content-Type: multipart/related; boundary="{alt}"

--{alt}
Content-Type: multipart/alternative; boundary="{alt}x"

--{alt}x
Content-Type: text/plain; charset="UTF-8"


** Address not found **

Your message wasn't delivered to tom.bell@nonexist.example because the address couldn't be
found, or is unable to receive mail.

Learn more here: https://support.google.com/mail/?p=NoSuchUser

The response was:

The email account that you tried to reach does not exist. Please try double-checking the
recipient's email address for typos or unnecessary spaces.

--{alt}x
Content-Type: text/html; charset="UTF-8"

{html}
--{alt}x--
--{alt}--
--{b}
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; {OWN}
Arrival-Date: Thu, 16 Apr 2026 02:12:43 -0700 (PDT)
X-Original-Message-ID: {our_id(n)}

Final-Recipient: rfc822; tom.bell@nonexist.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.nonexist.example. (203.0.113.5, the server for the domain nonexist.example.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
Last-Attempt-Date: Thu, 16 Apr 2026 02:12:44 -0700 (PDT)

--{b}
Content-Type: message/rfc822

{returned(n, "tom.bell@nonexist.example", "Account closed", "Thu, 16 Apr 2026 09:12:42 +0000")}
--{b}--
"""
    add("gmail-address-not-found.eml", raw,
        bounce("mailer-daemon@googlemail.com", "delivery-report",
               bounced_recipients=["tom.bell@nonexist.example"],
               bounced_message_ids=[our_id(n)]),
        "Gmail DSN (Failure), text and HTML, Address not found", rcpt=[OWN])
    # Gmail delay, plain text only (older Gmail DSN)
    n = 181
    raw = f"""Return-Path: <>
MIME-Version: 1.0
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: {OWN}
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Delay)
Message-ID: <0016e6d{token(n)}@google.com>
Date: Fri, 17 Apr 2026 11:11:11 +0000
Content-Type: text/plain; charset=ISO-8859-1

This is an automatically generated Delivery Status Notification

THIS IS A WARNING MESSAGE ONLY.

YOU DO NOT NEED TO RESEND YOUR MESSAGE.

Delivery to the following recipient has been delayed:

     sarah@greylisted.example

Message will be retried for 2 more day(s)

Technical details of temporary failure:
The recipient server did not accept our requests to connect.
[mx.greylisted.example. (10): Connection timed out]

----- Original message -----

{returned(n, "sarah@greylisted.example", "Appointment", "Fri, 17 Apr 2026 07:11:08 +0000",
          headers_only=True)}"""
    add("gmail-delay-plain.eml", raw,
        bounce("mailer-daemon@googlemail.com", "bounce-sender",
               bounced_recipients=["sarah@greylisted.example"],
               bounced_message_ids=[our_id(n)]),
        "Gmail delay notice as plain text", mail_from="")
    # Google Groups relays a bounce to its members: List-* headers, DMARC rewritten From
    n = 182
    raw = f"""Return-Path: <widgets-users+bncBDT@googlegroups.com>
Received: by mail-qk1-f190.google.com with SMTP id a1so1234567qkc.2
        for <{OWN}>; Sat, 18 Apr 2026 03:03:03 -0700 (PDT)
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: widgets-users@googlegroups.com
Subject: Delivery Status Notification (Failure)
Date: Sat, 18 Apr 2026 03:03:01 -0700 (PDT)
Message-ID: <60a1b2c3.{token(n)}@mx.google.com>
Precedence: list
Mailing-list: list widgets-users@googlegroups.com; contact widgets-users+owners@googlegroups.com
List-ID: <widgets-users.googlegroups.com>
List-Post: <https://groups.google.com/group/widgets-users/post>,
 <mailto:widgets-users@googlegroups.com>
List-Unsubscribe: <mailto:googlegroups-manage+123+unsubscribe@googlegroups.com>
X-Spam-Checked-In-Group: widgets-users@googlegroups.com
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: 7bit

** Address not found **

Your message wasn't delivered to former.member@closed.example because the address couldn't be
found, or is unable to receive mail.

The response from the remote server was:
550 5.1.1 <former.member@closed.example>: Recipient address rejected: User unknown

--{" "}
You received this message because you are subscribed to the Google Groups "Widgets Users" group.
"""
    add("googlegroups-relayed-bounce.eml", raw,
        bounce("mailer-daemon@googlemail.com", "bounce-sender",
               bounced_recipients=["former.member@closed.example"]),
        "bounce relayed by Google Groups: List-* headers and Precedence: list, bounce wins "
        "over bulk",
        mail_from="widgets-users+bncBDT@googlegroups.com", rcpt=[OWN])


def mailman_list() -> None:
    raw = f"""Return-Path: <users-bounces@lists.widgets.example>
Received: from lists.widgets.example (lists.widgets.example [192.0.2.200])
\tby mail.help.example.com (Postfix) with ESMTP id 9A1B2
\tfor <{OWN}>; Sun, 19 Apr 2026 20:20:20 +0000 (UTC)
From: MAILER-DAEMON@mx.members.example (Mail Delivery System)
To: users@lists.widgets.example
Subject: [Widgets-Users] Undelivered Mail Returned to Sender
Date: Sun, 19 Apr 2026 20:20:17 +0000 (UTC)
Message-ID: <20260419202017.7C2D@mx.members.example>
List-Id: Widgets users <users.lists.widgets.example>
List-Unsubscribe: <https://lists.widgets.example/mailman/options/users>,
 <mailto:users-request@lists.widgets.example?subject=unsubscribe>
List-Archive: <https://lists.widgets.example/pipermail/users/>
List-Post: <mailto:users@lists.widgets.example>
Precedence: list
Errors-To: users-bounces@lists.widgets.example
Sender: "Users" <users-bounces@lists.widgets.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

This is the mail system at host mx.members.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<ex.member@members.example>: host mx.members.example[192.0.2.150] said: 550
    5.1.1 <ex.member@members.example>: Recipient address rejected: User unknown

_______________________________________________
Users mailing list
users@lists.widgets.example
"""
    add("mailman-relayed-postfix.eml", raw,
        bounce("mailer-daemon@mx.members.example", "bounce-sender",
               bounced_recipients=["ex.member@members.example"]),
        "Postfix bounce relayed through a Mailman list (List-Id, Precedence: list)",
        mail_from="users-bounces@lists.widgets.example", rcpt=[OWN])


def notes_domino() -> None:
    n = 190
    raw = f"""From: Postmaster@notes.client.example
To: {OWN}
Date: Mon, 20 Apr 2026 10:34:55 +0200
Subject: Undeliverable message
Message-ID: <OF{token(n)[:8].upper()}.{token(n)[8:16].upper()}-ON{n}@notes.client.example>
X-MIMETrack: Itemize by SMTP Server on NOTES01/Client(Release 9.0.1FP10|January 22, 2018) at
 20.04.2026 10:34:55
MIME-Version: 1.0
Content-type: text/plain; charset=ISO-8859-1
Content-transfer-encoding: quoted-printable

{qp('''------- Failure Reasons  --------

User not listed in public Name & Address Book
g.rossi@notes.client.example


------- Returned Message --------
''' + returned(n, "g.rossi@notes.client.example", "Schedule", "Mon, 20 Apr 2026 08:34:50 +0000"),
       "iso-8859-1")}"""
    add("lotus-notes-undeliverable.eml", raw,
        bounce("postmaster@notes.client.example", "bounce-sender",
               bounced_recipients=["g.rossi@notes.client.example"],
               bounced_message_ids=[our_id(n)]),
        "Lotus Notes 'Undeliverable message' with Failure Reasons", mail_from="")
    n = 191
    b = f"=_mixed {token(n)[:10]}_="
    raw = f"""From: Mail Router <Postmaster@domino.factory.example>
To: {OWN}
Date: Tue, 21 Apr 2026 15:15:15 +0200
Subject: DELIVERY FAILURE: User Lukas Berger (lukas.berger@factory.example) not listed in
 Domino Directory
Message-ID: <OF{token(n)[:10].upper()}@domino.factory.example>
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{b}"

--{b}
Content-Type: text/plain; charset="US-ASCII"

Your message

  Subject: [#{n}] Spare parts

was not delivered to:

  lukas.berger@factory.example

because:

  User Lukas Berger (lukas.berger@factory.example) not listed in Domino Directory

--{b}
Content-Type: message/rfc822

{returned(n, "lukas.berger@factory.example", "Spare parts", "Tue, 21 Apr 2026 13:15:13 +0000")}
--{b}--
"""
    add("domino-delivery-failure.eml", raw,
        bounce("postmaster@domino.factory.example", "bounce-sender",
               bounced_recipients=["lukas.berger@factory.example"],
               bounced_message_ids=[our_id(n)]),
        "Domino DELIVERY FAILURE with the message attached: not a forward")
    # Domino in Japanese: the subject in ISO-2022-JP
    n = 192
    text = ("次の宛先へのメッセージは配信できませんでした。\n\n"
            "  yamada@domino.jp-client.example\n\n"
            "理由:\n\n  ディレクトリのリストにありません\n")
    raw = f"""From: Postmaster@domino.jp-client.example
To: {OWN}
Date: Wed, 22 Apr 2026 09:00:00 +0900
Subject: {ew("配信不能: [#192] お見積り", "iso-2022-jp")}
Message-ID: <OF{token(n)[:10].upper()}@domino.jp-client.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

{text.encode("iso-2022-jp").decode("ascii")}"""
    add("domino-ja.eml", raw,
        bounce("postmaster@domino.jp-client.example", "bounce-sender",
               bounced_recipients=["yamada@domino.jp-client.example"]),
        "Domino with a Japanese subject and body (ISO-2022-JP)", mail_from="")


for _family in (postfix, sendmail, exim, qmail, exchange, office365, gmail, mailman_list,
                notes_domino):
    _family()
