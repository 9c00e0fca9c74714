"""More mail systems: providers, appliances, gateways and delivery services."""
from __future__ import annotations

import json

from generate import (AGENT, BOX, COMPANY, OWN, add, b64, bounce, dsn, ew, our_id, qp,
                      returned, token)


def courier() -> None:
    n = 200
    b = f"=_courier-{token(n)[:10]}-0000"
    raw = f"""From: "Courier mail server at mail.courier-host.example" <@>
To: {OWN}
Subject: NOTICE: mail delivery status.
Mime-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
    boundary="{b}"
Content-Transfer-Encoding: 7bit
Message-ID: <courier.{token(n)}@mail.courier-host.example>
Date: Thu, 23 Apr 2026 05:05:05 -0400

This is a MIME multipart message.

--{b}
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

This is a delivery status notification from mail.courier-host.example,
running the Courier mail server, version 1.1.8.

The original message was received on Thu, 23 Apr 2026 05:05:02 -0400
from mail.help.example.com [198.51.100.25]

---------------------------------------------------------------------------

                           UNDELIVERABLE MAIL

Your message to the following recipients cannot be delivered:

<dana@courier-host.example>:
    mail.courier-host.example [192.0.2.33]:
>>> RCPT TO:<dana@courier-host.example>
<<< 550 User unknown

---------------------------------------------------------------------------

--{b}
Content-Type: message/delivery-status

{dsn("mail.courier-host.example", [("dana@courier-host.example", "failed", "5.0.0",
                                    "550 User unknown")])}
--{b}
Content-Type: text/rfc822-headers; charset=iso-8859-1

{returned(n, "dana@courier-host.example", "Delivery note", "Thu, 23 Apr 2026 09:05:01 +0000",
          headers_only=True)}
--{b}--
"""
    add("courier-notice.eml", raw,
        bounce(None, "delivery-report", bounced_recipients=["dana@courier-host.example"],
               bounced_message_ids=[our_id(n)]),
        "Courier: From \"Courier mail server at host\" <@> has no address, so no requester")


def yahoo_aol() -> None:
    n = 205
    raw = f"""Return-Path: <>
Received: from 127.0.0.1 by mta1012.mail.bf1.yahoo.example with SMTP;
 Fri, 24 Apr 2026 03:11:09 +0000
From: MAILER-DAEMON@yahoo.example
To: {OWN}
Subject: Failure Notice
X-Yahoo-Newman-Property: ymail-3
Message-ID: <{token(n)}.MAILER-DAEMON@yahoo.example>
Date: 24 Apr 2026 03:11:09 +0000

Sorry, we were unable to deliver your message to the following address.

<pat.k@yahoo.example>:
Remote host said: 554 delivery error: dd This user doesn't have a yahoo.example account
(pat.k@yahoo.example) [0] - mta1012.mail.bf1.yahoo.example [RCPT_TO]

--- Below this line is a copy of the message.

{returned(n, "pat.k@yahoo.example", "Your reservation", "Fri, 24 Apr 2026 03:11:05 +0000")}"""
    add("yahoo-failure-notice.eml", raw,
        bounce("mailer-daemon@yahoo.example", "bounce-sender",
               bounced_recipients=["pat.k@yahoo.example"], bounced_message_ids=[our_id(n)]),
        "Yahoo 'Failure Notice'", mail_from="")
    n = 206
    b = f"{token(n)[:8].upper()}.1777003333/air-mb01.mail.aol.example"
    raw = f"""Return-Path: <>
From: Mail Delivery Subsystem <MAILER-DAEMON@aol.example>
To: {OWN}
Date: Sat, 25 Apr 2026 12:00:00 -0400
Subject: Returned mail: Recipient address rejected: aol.example
Message-Id: <201604251600.{token(n)[:8]}@air-mb01.mail.aol.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{b}"

--{b}
Content-Type: text/plain

The original message was received at Sat, 25 Apr 2026 12:00:00 -0400
from mail.help.example.com [198.51.100.25]

*** ATTENTION ***

Your e-mail is being returned to you because there was a problem with its
delivery.  The address which was undeliverable is listed in the section
labeled: "----- The following addresses had permanent fatal errors -----".

   ----- The following addresses had permanent fatal errors -----
<grandma1950@aol.example>
    (reason: 550 MAILBOX NOT FOUND)

--{b}
Content-Type: message/rfc822

{returned(n, "grandma1950@aol.example", "Order shipped", "Sat, 25 Apr 2026 16:00:00 +0000")}
--{b}--
"""
    add("aol-returned-mail.eml", raw,
        bounce("mailer-daemon@aol.example", "bounce-sender",
               bounced_recipients=["grandma1950@aol.example"], bounced_message_ids=[our_id(n)]),
        "AOL returned mail, multipart/mixed with message/rfc822: not a forward")


def small_servers() -> None:
    # MDaemon: From is the MDaemon account, the message attached
    n = 210
    b = f"MDaemon.{token(n)[:10]}"
    raw = f"""From: MDaemon@mail.smallbiz.example
To: {OWN}
Date: Mon, 27 Apr 2026 08:20:00 +0200
Subject: Permanent Delivery Failure
Message-ID: <MDAEMON-F{token(n)[:12].upper()}@mail.smallbiz.example>
X-MDaemon-Deliver-To: {OWN}
X-Return-Path: <>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{b}"

--{b}
Content-Type: text/plain; charset=us-ascii

The attached message had PERMANENT fatal delivery errors!

After one or more unsuccessful delivery attempts the attached message has
been removed from the mail queue on this server.  The number and frequency
of delivery attempts are determined by local configuration parameters.

YOU DO NOT NEED TO RESEND YOUR MESSAGE.

--- Session Transcript ---
 Mon 2026-04-27 08:19:58: Parsing message <pd500000123.msg>
 Mon 2026-04-27 08:19:59: *  To: paolo@smallbiz.example
 Mon 2026-04-27 08:19:59: --> RCPT To:<paolo@smallbiz.example>
 Mon 2026-04-27 08:20:00: <-- 550 <paolo@smallbiz.example>... User unknown
--- End Transcript ---

--{b}
Content-Type: message/rfc822

{returned(n, "paolo@smallbiz.example", "Catalogue", "Mon, 27 Apr 2026 06:19:57 +0000")}
--{b}--
"""
    add("mdaemon-permanent.eml", raw,
        bounce("mdaemon@mail.smallbiz.example", "bounce-sender",
               bounced_recipients=["paolo@smallbiz.example"], bounced_message_ids=[our_id(n)]),
        "MDaemon permanent failure with the message attached", mail_from="")
    # Novell GroupWise
    n = 211
    b = f"____{token(n)[:12]}____"
    raw = f"""From: Mail Delivery System <postmaster@gw.county.example>
To: {OWN}
Date: Tue, 28 Apr 2026 13:13:13 -0600
Subject: Message status - undeliverable
Message-Id: <5A{token(n)[:10].upper()}.GWIA@gw.county.example>
X-Mailer: Novell GroupWise Internet Agent 18.2.1
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{b}"

--{b}
Content-Type: text/plain; charset=US-ASCII
Content-Disposition: inline

The message that you sent was undeliverable to the following:
\tclerk.office@gw.county.example (user not found)

Possibly truncated original message follows:

--{b}
Content-Type: message/rfc822

{returned(n, "clerk.office@gw.county.example", "Permit request", "Tue, 28 Apr 2026 19:13:10 +0000")}
--{b}--
"""
    add("groupwise-undeliverable.eml", raw,
        bounce("postmaster@gw.county.example", "bounce-sender",
               bounced_recipients=["clerk.office@gw.county.example"],
               bounced_message_ids=[our_id(n)]),
        "Novell GroupWise 'Message status - undeliverable'")
    # Mirapoint
    n = 212
    raw = f"""From: MAILER-DAEMON@mp.univ.example
To: {OWN}
Date: Wed, 29 Apr 2026 10:01:01 -0700
Subject: Returned mail: User unknown
Message-Id: <202604291701.MP{token(n)[:6].upper()}@mp.univ.example>
Content-Type: text/plain; charset=us-ascii

Your message cannot be delivered to the following recipients:

  Recipient address: prof.lee@mp.univ.example
  Reason: Remote SMTP server has rejected address
  Diagnostic code: smtp;550 5.1.1 unknown or illegal alias: prof.lee@mp.univ.example
  Remote system: dns;mp.univ.example (TCP|192.0.2.60|25) (mp.univ.example ESMTP Mirapoint)

--- Original message headers follow ---
{returned(n, "prof.lee@mp.univ.example", "Enrolment", "Wed, 29 Apr 2026 17:00:58 +0000",
          headers_only=True)}"""
    add("mirapoint-user-unknown.eml", raw,
        bounce("mailer-daemon@mp.univ.example", "bounce-sender",
               bounced_recipients=["prof.lee@mp.univ.example"], bounced_message_ids=[our_id(n)]),
        "Mirapoint plain-text report", mail_from="")
    # IMail (Ipswitch)
    n = 213
    raw = f"""From: Postmaster@imail.clinic.example
To: {OWN}
Date: Thu, 30 Apr 2026 16:45:00 -0500
Subject: Undeliverable Mail
Message-ID: <{token(n)}@imail.clinic.example>
X-Mailer: <IMail v12.5>
Content-Type: text/plain

Unknown user: frontdesk@imail.clinic.example

Unable to deliver message to the following address(es).

<frontdesk@imail.clinic.example>:
550 <frontdesk@imail.clinic.example>... Mailbox unavailable

Original message follows.

{returned(n, "frontdesk@imail.clinic.example", "Appointment reminder",
          "Thu, 30 Apr 2026 21:44:58 +0000")}"""
    add("imail-undeliverable.eml", raw,
        bounce("postmaster@imail.clinic.example", "bounce-sender",
               bounced_recipients=["frontdesk@imail.clinic.example"],
               bounced_message_ids=[our_id(n)]),
        "IMail 'Undeliverable Mail'")
    # hMailServer
    n = 214
    raw = f"""Return-Path: <>
From: mailer-daemon@hmail.garage.example
To: {OWN}
Date: Fri, 1 May 2026 09:09:09 +0200
Subject: Message undeliverable: [#{n}] Tyre change
Message-ID: <HMS{token(n)[:10].upper()}@hmail.garage.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

Your message did not reach some or all of the intended recipients.

   Sent: Fri, 1 May 2026 09:09:05 +0200
   Subject: [#{n}] Tyre change

The following recipient(s) could not be reached:

mechanic@hmail.garage.example
   Error Type: SMTP
   Remote server (192.0.2.77) issued an error.
   hMailServer sent: RCPT TO:<mechanic@hmail.garage.example>
   Remote server replied: 550 Unknown user
"""
    add("hmailserver.eml", raw,
        bounce("mailer-daemon@hmail.garage.example", "bounce-sender",
               bounced_recipients=["mechanic@hmail.garage.example"]),
        "hMailServer 'Message undeliverable'")
    # OpenSMTPD
    n = 215
    raw = f"""Return-Path: <>
From: Mailer Daemon <MAILER-DAEMON@obsd.example>
To: {OWN}
Date: Sat, 2 May 2026 18:00:00 +0000 (UTC)
Subject: Delivery status notification: error
Message-ID: <{token(n)}@obsd.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="16999999.{n}/obsd.example"

This is a MIME-encapsulated message.

--16999999.{n}/obsd.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

Hi!

This is the MAILER-DAEMON, please DO NOT REPLY to this email.

An error has occurred while attempting to deliver a message for
the following list of recipients:

theo@obsd.example: 550 Invalid recipient

Below is a copy of the original message:

--16999999.{n}/obsd.example
Content-Description: Message headers
Content-Type: text/rfc822-headers

{returned(n, "theo@obsd.example", "Patch review", "Sat, 2 May 2026 17:59:58 +0000",
          headers_only=True)}
--16999999.{n}/obsd.example--
"""
    add("opensmtpd-error.eml", raw,
        bounce("mailer-daemon@obsd.example", "bounce-sender",
               bounced_recipients=["theo@obsd.example"], bounced_message_ids=[our_id(n)]),
        "OpenSMTPD error notice with text/rfc822-headers")
    # Kerio Connect, Czech
    n = 216
    text = ("Zprávu nelze doručit následujícím příjemcům:\n\n"
            "  jana.novakova@kerio.firma.example\n"
            "  Důvod: 550 5.1.1 Uživatel neexistuje\n\n"
            "Hlavičky původní zprávy:\n"
            + returned(n, "jana.novakova@kerio.firma.example", "Faktura",
                       "Sun, 3 May 2026 08:00:00 +0000", headers_only=True))
    raw = f"""From: Kerio Connect <postmaster@kerio.firma.example>
To: {OWN}
Date: Sun, 3 May 2026 10:00:05 +0200
Subject: {ew("Nedoručitelná zpráva: [#216] Faktura")}
Message-ID: <kerio.{token(n)}@kerio.firma.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp(text)}"""
    add("kerio-cs.eml", raw,
        bounce("postmaster@kerio.firma.example", "bounce-sender",
               bounced_recipients=["jana.novakova@kerio.firma.example"],
               bounced_message_ids=[our_id(n)]),
        "Kerio Connect, Czech subject and body", mail_from="")
    # SmarterMail
    n = 217
    raw = f"""From: Mail Delivery System <postmaster@smarter.host.example>
To: {OWN}
Date: Mon, 4 May 2026 11:11:11 -0500
Subject: Undeliverable: [#{n}] Invoice 5521
Message-ID: <{token(n)}@smarter.host.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"

Delivery has failed to these recipients or groups:

accounts@smarter.host.example
The recipient's mailbox is full and can't accept messages now.

Original message headers:

{returned(n, "accounts@smarter.host.example", "Invoice 5521", "Mon, 4 May 2026 16:11:09 +0000",
          headers_only=True)}"""
    add("smartermail-full.eml", raw,
        bounce("postmaster@smarter.host.example", "bounce-sender",
               bounced_recipients=["accounts@smarter.host.example"],
               bounced_message_ids=[our_id(n)]),
        "SmarterMail, mailbox full")
    # Oracle Communications Messaging Server
    n = 218
    b = f"Boundary_(ID_{token(n)[:16]})"
    raw = f"""Date: Tue, 05 May 2026 07:07:07 +0000 (GMT)
From: Internet Mail Delivery <postmaster@ms.agency.example>
Subject: Delivery Notification: Delivery has failed
To: {OWN}
Message-id: <0A1B2C3D4E5F{n}@ms.agency.example>
MIME-version: 1.0
Content-type: multipart/report; report-type=delivery-status; boundary="{b}"

--{b}
Content-type: text/plain; charset=us-ascii
Content-language: en-US

This report relates to a message you sent with the following header fields:

  Message-id: {our_id(n)}
  Date: Tue, 05 May 2026 07:07:00 +0000
  From: Widgets Support <{OWN}>
  To: officer@ms.agency.example
  Subject: [#{n}] Licence

Your message cannot be delivered to the following recipients:

  Recipient address: officer@ms.agency.example
  Reason: Illegal host/domain name found

--{b}
Content-type: message/delivery-status

{dsn("ms.agency.example", [("officer@ms.agency.example", "failed", "5.1.2",
                            "550 5.1.2 Illegal host/domain name found")])}
--{b}
Content-type: text/rfc822-headers

{returned(n, "officer@ms.agency.example", "Licence", "Tue, 05 May 2026 07:07:00 +0000",
          headers_only=True)}
--{b}--
"""
    add("oracle-messaging-server.eml", raw,
        bounce("postmaster@ms.agency.example", "delivery-report",
               bounced_recipients=["officer@ms.agency.example"],
               bounced_message_ids=[our_id(n)]),
        "Oracle/Sun Messaging Server 'Delivery Notification: Delivery has failed'")


def appliances() -> None:
    # Barracuda: the subject says nothing like a bounce, MAILER-DAEMON says it all
    n = 220
    raw = f"""Return-Path: <>
From: MAILER-DAEMON@barracuda.school.example
To: {OWN}
Date: Wed, 6 May 2026 14:14:14 -0400
Subject: **Message you sent blocked by our bulk email filter**
Message-ID: <{token(n)}@barracuda.school.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"

Your message to: teacher@school.example
was blocked by our Spam Firewall. The email you sent with the following subject has NOT BEEN
DELIVERED:

Subject: [#{n}] Parent meeting
"""
    add("barracuda-blocked.eml", raw,
        bounce("mailer-daemon@barracuda.school.example", "bounce-sender",
               bounced_recipients=["teacher@school.example"]),
        "Barracuda block notice: only MAILER-DAEMON marks it", mail_from="")
    # Symantec MessageLabs
    n = 221
    raw = f"""From: MAILER-DAEMON@messagelabs.example
To: {OWN}
Date: Thu, 7 May 2026 02:02:02 +0000
Subject: Mail Delivery Failure
Message-ID: <{token(n)}@server-4.tower-1.messagelabs.example>
Content-Type: text/plain

This is an automatically generated message from the email security service.

Delivery to the following recipients failed.

       buyer@retail.example

Reason: 550 Invalid recipient <buyer@retail.example> (#5.1.1)

----- Original message -----
{returned(n, "buyer@retail.example", "Price list", "Thu, 7 May 2026 02:02:00 +0000",
          headers_only=True)}"""
    add("messagelabs-failure.eml", raw,
        bounce("mailer-daemon@messagelabs.example", "bounce-sender",
               bounced_recipients=["buyer@retail.example"], bounced_message_ids=[our_id(n)]),
        "Symantec MessageLabs 'Mail Delivery Failure'")
    # Trend Micro InterScan: System Administrator name, normal address
    n = 222
    raw = f"""From: System Administrator <scanner@gateway.plant.example>
To: {OWN}
Date: Fri, 8 May 2026 08:08:08 +0800
Subject: Undeliverable: [#{n}] Safety data sheet
Message-ID: <{token(n)}@gateway.plant.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"

Your message did not reach some or all of the intended recipients.

   Subject: [#{n}] Safety data sheet
   Sent:    5/8/2026 8:08 AM

The following recipient(s) could not be reached:

   qa.team@plant.example on 5/8/2026 8:08 AM
        The message was blocked by InterScan Messaging Security (attachment policy).
"""
    add("trendmicro-system-administrator.eml", raw,
        bounce("scanner@gateway.plant.example", "bounce-sender",
               bounced_recipients=["qa.team@plant.example"]),
        "Trend Micro InterScan NDR: 'System Administrator' name with a normal address")
    # McAfee / MXLogic
    n = 223
    raw = f"""From: Mail Delivery Subsystem <MAILER-DAEMON@mxlogic.example>
To: {OWN}
Date: Sat, 9 May 2026 19:19:19 -0600
Subject: Delivery Status Notification (Failure)
Message-ID: <{token(n)}@mxl-relay.mxlogic.example>
Content-Type: text/plain; charset=us-ascii

This is an automatically generated Delivery Status Notification.

Delivery to the following recipients failed permanently:

    * dispatch@trucking.example

Technical details of permanent failure:
550 5.1.1 <dispatch@trucking.example>... User unknown
"""
    add("mxlogic-dsn.eml", raw,
        bounce("mailer-daemon@mxlogic.example", "bounce-sender",
               bounced_recipients=["dispatch@trucking.example"]),
        "McAfee MXLogic DSN in plain text", mail_from="")
    # Mimecast, HTML only
    n = 224
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<table width="100%"><tr><td><h3>Delivery Failure</h3></td></tr>
<tr><td>Your message couldn&#8217;t be delivered to the recipients shown below.</td></tr>
<tr><td><b>Recipient:</b> finance@mimecast-client.example</td></tr>
<tr><td><b>Reason:</b> Rejected by header based Anti-Spoofing policy</td></tr>
<tr><td><b>Subject:</b> [#{n}] Payment&nbsp;advice</td></tr></table></body></html>
"""
    raw = f"""From: postmaster@mimecast-client.example
To: {OWN}
Date: Sun, 10 May 2026 10:10:10 +0100
Subject: Mimecast: Delivery Failure Notification
Message-ID: <{token(n)}@mimecast-client.example>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp(html)}"""
    add("mimecast-html-only.eml", raw,
        bounce("postmaster@mimecast-client.example", "bounce-sender"),
        "Mimecast HTML-only failure notice (quoted-printable)")
    # Cisco IronPort
    n = 225
    raw = f"""From: Mail Delivery System <postmaster@esa1.bank.example>
To: {OWN}
Date: Mon, 11 May 2026 07:30:00 -0400
Subject: Undeliverable mail: [#{n}] Statement
Message-ID: <{token(n)}@esa1.bank.example>
Content-Type: text/plain

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of
its recipients. This is a permanent error. The following address(es) failed:

teller@bank.example
    (reason: 550 #5.1.0 Address rejected.)
"""
    add("ironport-undeliverable.eml", raw,
        bounce("postmaster@esa1.bank.example", "bounce-sender",
               bounced_recipients=["teller@bank.example"]),
        "Cisco IronPort undeliverable mail")
    # Proofpoint
    n = 226
    raw = f"""Return-Path: <>
From: MAILER-DAEMON@pps.insure.example (Mail Delivery System)
To: {OWN}
Date: Tue, 12 May 2026 12:12:12 -0700
Subject: Undelivered Mail Returned to Sender
Message-ID: <{token(n)}@pps.insure.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

This is the mail system at host pps.insure.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<claims@insure.example>: host 10.0.0.5[10.0.0.5] said: 550 5.7.1 Message
    rejected by Proofpoint policy (in reply to end of DATA command)
"""
    add("proofpoint-postfix.eml", raw,
        bounce("mailer-daemon@pps.insure.example", "bounce-sender",
               bounced_recipients=["claims@insure.example"]),
        "Proofpoint (Postfix based) plain-text bounce")


def providers() -> None:
    """Consumer mail providers, most in their own language."""
    cases = [
        # (file, from, subject, charset, body, rcpt, note)
        ("orange-fr.eml", "MAILER-DAEMON@orange.example", "Echec de remise du message",
         "iso-8859-1",
         "Bonjour,\n\nVotre message n'a pas pu être remis aux destinataires suivants :\n\n"
         "  <claire.dubois@orange.example> : boîte aux lettres inexistante\n",
         "claire.dubois@orange.example", "French provider, subject without accent"),
        ("libero-it.eml", "postmaster@libero.example", "Messaggio non recapitabile",
         "iso-8859-15",
         "Il messaggio non è stato recapitato ai seguenti destinatari:\n\n"
         "  marco.bianchi@libero.example\n  Motivo: casella piena\n",
         "marco.bianchi@libero.example", "Italian provider"),
        ("uol-pt-br.eml", "postmaster@uol.example", "Mensagem não entregue", "utf-8",
         "Não foi possível entregar sua mensagem aos seguintes destinatários:\n\n"
         "  joao.silva@uol.example\n  550 usuário desconhecido\n",
         "joao.silva@uol.example", "Brazilian provider"),
        ("wp-pl.eml", "MAILER-DAEMON@wp.example", "Wiadomość niedostarczona", "iso-8859-2",
         "Twoja wiadomość nie mogła zostać dostarczona do następujących odbiorców:\n\n"
         "  <ewa.nowak@wp.example>: konto nie istnieje\n",
         "ewa.nowak@wp.example", "Polish provider"),
        ("seznam-cs.eml", "postmaster@seznam.example", "Nedoručitelná zpráva", "utf-8",
         "Vaši zprávu nelze doručit těmto příjemcům:\n\n  petr.svoboda@seznam.example\n",
         "petr.svoboda@seznam.example", "Czech provider"),
        ("freemail-hu.eml", "postmaster@freemail.example", "Kézbesíthetetlen levél",
         "iso-8859-2",
         "A levelet nem sikerült kézbesíteni a következő címzettnek:\n\n"
         "  kovacs.anna@freemail.example\n",
         "kovacs.anna@freemail.example", "Hungarian provider"),
        ("telia-sv.eml", "postmaster@telia.example", "Meddelandet kunde inte levereras",
         "iso-8859-1",
         "Ditt meddelande kunde inte levereras till följande mottagare:\n\n"
         "  sven.berg@telia.example\n", "sven.berg@telia.example", "Swedish provider"),
        ("telenor-no.eml", "MAILER-DAEMON@telenor.example", "Meldingen kunne ikke leveres",
         "utf-8",
         "Meldingen din kunne ikke leveres til følgende mottakere:\n\n"
         "  <kari.nordmann@telenor.example>\n",
         "kari.nordmann@telenor.example", "Norwegian provider"),
        ("elisa-fi.eml", "postmaster@elisa.example", "Viestiä ei voitu toimittaa", "utf-8",
         "Viestiäsi ei voitu toimittaa seuraaville vastaanottajille:\n\n"
         "  matti.virtanen@elisa.example\n",
         "matti.virtanen@elisa.example", "Finnish provider"),
        ("turk-tr.eml", "postmaster@posta.example", "Mesaj teslim edilemedi", "iso-8859-9",
         "Mesajınız aşağıdaki alıcılara teslim edilemedi:\n\n  ayse.yilmaz@posta.example\n",
         "ayse.yilmaz@posta.example", "Turkish provider"),
        ("yandex-ru.eml", "mailer-daemon@yandex.example", "Недоставленное сообщение", "koi8-r",
         "Это письмо отправлено почтовым сервером.\n\nВаше сообщение не удалось доставить "
         "следующим получателям:\n\n  <ivan.petrov@yandex.example>: Нет такого пользователя\n",
         "ivan.petrov@yandex.example", "Russian provider, KOI8-R"),
        ("mailru-ru.eml", "mailer-daemon@corp.mailru.example", "Mail failure.", "utf-8",
         "Сообщение не было доставлено.\n\nНе удалось доставить письмо следующим "
         "получателям:\n\n  olga.smirnova@mailru.example\n  SMTP error: 550 user not found\n",
         "olga.smirnova@mailru.example", "mail.ru style, English subject, Russian body"),
        ("netease-zh.eml", "postmaster@163.example", "系统退信", "gb2312",
         "抱歉，您的邮件无法投递到以下收件人：\n\n  wang.fang@163.example\n  原因：用户不存在\n",
         "wang.fang@163.example", "Chinese provider, GB2312"),
        ("qq-zh.eml", "MAILER-DAEMON@qq.example", "退信：[#240] 订单确认", "utf-8",
         "很抱歉您的邮件未能送达。\n\n收件人：li.na@qq.example\n",
         "li.na@qq.example", "QQ style Chinese bounce"),
        ("naver-ko.eml", "MAILER-DAEMON@naver.example", "메일 전송 실패", "euc-kr",
         "보내신 메일이 다음 수신자에게 전달되지 않았습니다.\n\n  kim.minsu@naver.example\n",
         "kim.minsu@naver.example", "Korean provider, EUC-KR"),
        ("biglobe-ja.eml", "postmaster@biglobe.example", "メール不達のお知らせ", "iso-2022-jp",
         "以下のあて先へのメールは配信できませんでした。\n\n  suzuki@biglobe.example\n\n"
         "理由: User unknown\n", "suzuki@biglobe.example", "Japanese ISP, ISO-2022-JP"),
        ("gmx-de.eml", "mailer-daemon@gmx.example", "Zustellung fehlgeschlagen", "utf-8",
         "Ihre Nachricht konnte nicht zugestellt werden an:\n\n  <lena.schmidt@gmx.example>\n"
         "  Grund: Postfach voll\n", "lena.schmidt@gmx.example", "German provider"),
        ("terra-es.eml", "postmaster@terra.example", "Notificación de estado de entrega (error)",
         "iso-8859-1",
         "No se pudo entregar el mensaje a los siguientes destinatarios:\n\n"
         "  lucia.garcia@terra.example\n", "lucia.garcia@terra.example", "Spanish provider"),
        ("ziggo-nl.eml", "postmaster@ziggo.example", "Bericht kon niet worden bezorgd: "
         "onbestelbaar", "iso-8859-1",
         "Uw bericht kon niet worden bezorgd aan de volgende ontvangers:\n\n"
         "  jan.devries@ziggo.example\n", "jan.devries@ziggo.example", "Dutch provider"),
    ]
    for i, (file, sender, subject, charset, text, rcpt, note) in enumerate(cases):
        n = 230 + i
        full = text + "\n" + returned(n, rcpt, "Order", f"Wed, 13 May 2026 1{i % 10}:00:00 "
                                      "+0000", headers_only=True)
        if charset == "iso-2022-jp":
            body, cte = full.encode(charset).decode("ascii"), "7bit"
        elif i % 3 == 0:
            body, cte = b64(full, charset), "base64"
        else:
            body, cte = qp(full, charset), "quoted-printable"
        raw = f"""Return-Path: <>
Received: from mx.{sender.split('@')[1]} by mail.help.example.com with ESMTP;
\tWed, 13 May 2026 1{i % 10}:00:05 +0000
From: {sender}
To: {OWN}
Subject: {ew(subject, charset if charset != 'gb2312' else 'gb2312')}
Date: Wed, 13 May 2026 1{i % 10}:00:04 +0000
Message-ID: <bounce.{token(n)}@{sender.split('@')[1]}>
MIME-Version: 1.0
Content-Type: text/plain; charset={charset}
Content-Transfer-Encoding: {cte}

{body}"""
        add(file, raw, bounce(sender.lower(), "bounce-sender", bounced_recipients=[rcpt],
                              bounced_message_ids=[our_id(n)]), note,
            mail_from="" if i % 2 else "<>")


def sms_and_vendors() -> None:
    # a mobile carrier's SMS gateway: normal-looking sender, the failure in Auto-Submitted
    n = 260
    raw = f"""Return-Path: <sms-noreply@gw.carrier.example>
From: SMS Gateway <sms-noreply@gw.carrier.example>
To: {OWN}
Date: Thu, 14 May 2026 14:40:00 +0000
Subject: Message could not be delivered
Auto-Submitted: auto-replied (failure)
Message-ID: <smsgw.{token(n)}@gw.carrier.example>
Content-Type: text/plain; charset=utf-8

Your message to 491701234567@sms.carrier.example could not be delivered: the number is not a
mobile subscriber.
"""
    add("sms-gateway-failure.eml", raw,
        bounce("sms-noreply@gw.carrier.example", "failure-auto-submitted",
               bounced_recipients=["491701234567@sms.carrier.example"]),
        "SMS gateway failure: Auto-Submitted: auto-replied (failure), today auto_reply",
        mail_from="sms-noreply@gw.carrier.example")
    # Japanese carrier (ezweb style): Postmaster with a short English notice
    n = 261
    raw = f"""From: Postmaster@ezweb.example
To: {OWN}
Date: Fri, 15 May 2026 21:00:00 +0900
Subject: Mail System Error - Returned Mail
Message-ID: <{token(n)}@ezweb.example>
Content-Type: text/plain; charset=us-ascii

The user(s) account is temporarily over quota.
<keitai.user@ezweb.example>

Your mail sent on: Fri, 15 May 2026 20:59:58 +0900
    could not be delivered.
"""
    add("ezweb-returned.eml", raw,
        bounce("postmaster@ezweb.example", "bounce-sender"),
        "Japanese mobile carrier 'Mail System Error - Returned Mail'", mail_from="")
    # Amazon SES email-format bounce
    n = 262
    b = f"{token(n)[:24]}"
    raw = f"""Return-Path: <>
From: MAILER-DAEMON@amazonses.com
To: bounces+{n}@mail.help.example.com
Subject: Delivery Status Notification (Failure)
Date: Sat, 16 May 2026 06:06:06 +0000
Message-ID: <0100018f{token(n)}-000000@email.amazonses.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"

--{b}
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

An error occurred while trying to deliver the mail to the following recipients:
closed.account@ses-client.example

--{b}
Content-Type: message/delivery-status

{dsn("a8-59.smtp-out.amazonses.com", [("closed.account@ses-client.example", "failed",
                                       "5.1.1", "550 5.1.1 user unknown")])}
--{b}
Content-Type: text/rfc822-headers

{returned(n, "closed.account@ses-client.example", "Welcome", "Sat, 16 May 2026 06:06:04 +0000",
          headers_only=True)}
--{b}--
"""
    add("amazonses-dsn.eml", raw,
        bounce("mailer-daemon@amazonses.com", "delivery-report",
               bounced_recipients=["closed.account@ses-client.example"],
               bounced_message_ids=[our_id(n)]),
        "Amazon SES DSN")
    # Amazon SES bounce notification through SNS (JSON on one line)
    n = 263
    sns = json.dumps({
        "notificationType": "Bounce",
        "bounce": {"feedbackId": f"0100018f-{token(n)[:8]}", "bounceType": "Permanent",
                   "bounceSubType": "General",
                   "bouncedRecipients": [{"emailAddress": "nobody@ses-client.example",
                                          "action": "failed", "status": "5.1.1",
                                          "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
                   "timestamp": "2026-05-16T06:09:58.000Z",
                   "reportingMTA": "dsn; a8-59.smtp-out.amazonses.com"},
        "mail": {"timestamp": "2026-05-16T06:09:55.000Z", "source": OWN,
                 "messageId": f"0100018f-{token(n + 1)[:8]}"}}, separators=(",", ":"))
    raw = f"""From: AWS Notifications <no-reply@sns.amazonaws.com>
To: {OWN}
Date: Sat, 16 May 2026 06:10:00 +0000
Subject: AWS Notification Message
Message-ID: <0100018f.sns.{token(n)}@email.amazonses.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

{sns}

--
If you wish to stop receiving notifications from this topic, please click or visit the link
below to unsubscribe:
https://sns.us-east-1.amazonaws.com/unsubscribe.html?SubscriptionArn=arn:aws:sns:us-east-1:123456789012:ses-bounces
"""
    add("amazonses-sns-bounce.eml", raw,
        bounce("no-reply@sns.amazonaws.com", "vendor-notification"),
        "Amazon SES bounce notification through SNS (JSON body)", mail_from="")
    # SendGrid relays the bounce
    n = 264
    raw = f"""Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@sendgrid.net>
To: {OWN}
Date: Sun, 17 May 2026 17:17:17 +0000
Subject: Undelivered Mail Returned to Sender
Message-ID: <{token(n)}@ismtpd0001p1las1.sendgrid.net>
Content-Type: text/plain; charset=us-ascii

This is the mail system at host ismtpd0001p1las1.sendgrid.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<typo@gmial.example>: Host or domain name not found. Name service error for
    name=gmial.example type=A: Host not found
"""
    add("sendgrid-returned.eml", raw,
        bounce("mailer-daemon@sendgrid.net", "bounce-sender",
               bounced_recipients=["typo@gmial.example"]),
        "SendGrid (Postfix based) bounce")
    # Mailgun notice from its notifications address
    n = 265
    raw = f"""From: Mailgun <notifications@mailgun.net>
To: {OWN}
Date: Mon, 18 May 2026 08:00:00 +0000
Subject: Your message to nobody@mg-client.example could not be delivered
Message-ID: <{token(n)}@mailgun.net>
MIME-Version: 1.0
Content-Type: text/html; charset="utf-8"

<html><body><p>We were unable to deliver your message to
<b>nobody@mg-client.example</b>.</p><p>Reason: 550 5.1.1 mailbox does not exist</p>
</body></html>
"""
    add("mailgun-notice.eml", raw,
        bounce("notifications@mailgun.net", "vendor-notification",
               bounced_recipients=["nobody@mg-client.example"]),
        "Mailgun failure notice (HTML)")
    # Postmark hard bounce notice
    n = 266
    raw = f"""From: Postmark <support@postmarkapp.com>
To: {OWN}
Date: Tue, 19 May 2026 09:00:00 +0000
Subject: Hard bounce: inactive@pm-client.example
Message-ID: <{token(n)}@postmarkapp.com>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

Hi there,

A message sent through your server "Widgets helpdesk" hard bounced.

Recipient: inactive@pm-client.example
Type: HardBounce
Details: smtp;550 5.1.1 The email account that you tried to reach is disabled.
"""
    add("postmark-hard-bounce.eml", raw,
        bounce("support@postmarkapp.com", "vendor-notification"),
        "Postmark hard bounce notice")
    # SparkPost, delay
    n = 267
    raw = f"""From: SparkPost <no-reply@sparkpostmail.com>
To: {OWN}
Date: Wed, 20 May 2026 10:00:00 +0000
Subject: Delivery delayed for slow@sp-client.example
Message-ID: <{token(n)}@sparkpostmail.com>
Content-Type: text/plain; charset=utf-8

Delivery of your message to slow@sp-client.example is delayed: 421 4.7.0 try again later.
We will keep trying for up to 72 hours.
"""
    add("sparkpost-delay.eml", raw,
        bounce("no-reply@sparkpostmail.com", "vendor-notification"),
        "SparkPost delay notice")


def through_company() -> None:
    """An agent's mail from the company mailbox bounced; the company forwards the bounce."""
    n = 270
    raw = f"""Return-Path: <>
Received: from mx.widgets.example (mx.widgets.example [192.0.2.2])
\tby mail.help.example.com (Postfix) with ESMTPS id 5B6C7
\tfor <{BOX}>; Thu, 21 May 2026 11:00:02 +0000 (UTC)
Received: from mail.elsewhere.example by mx.widgets.example (Postfix)
\tfor <{COMPANY}>; Thu, 21 May 2026 11:00:01 +0000 (UTC)
Delivered-To: {COMPANY}
X-Original-To: {COMPANY}
From: MAILER-DAEMON@mail.elsewhere.example (Mail Delivery System)
To: {COMPANY}
Subject: Undelivered Mail Returned to Sender
Date: Thu, 21 May 2026 11:00:00 +0000 (UTC)
Message-ID: <20260521110000.AA11@mail.elsewhere.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="AA11.1779361200/mail.elsewhere.example"

--AA11.1779361200/mail.elsewhere.example
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.elsewhere.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<moved@elsewhere.example>: user unknown

--AA11.1779361200/mail.elsewhere.example
Content-Type: message/rfc822

From: Olga Ivanova <{AGENT}>
To: moved@elsewhere.example
Subject: Your warranty claim
Date: Thu, 21 May 2026 10:59:58 +0000
Message-ID: <agent-{token(n)}@widgets.example>

Dear customer, your claim was approved.
--AA11.1779361200/mail.elsewhere.example--
"""
    add("forwarded-by-company.eml", raw,
        bounce("mailer-daemon@mail.elsewhere.example", "bounce-sender",
               bounced_recipients=["moved@elsewhere.example"],
               bounced_message_ids=[f"<agent-{token(n)}@widgets.example>"]),
        "bounce reaching the box through the company mailbox: direct, not auto_forward, and "
        "the attached original is not a manual forward", agent_forwarding=True)


for _family in (courier, yahoo_aol, small_servers, appliances, providers, sms_and_vendors,
                through_company):
    _family()
