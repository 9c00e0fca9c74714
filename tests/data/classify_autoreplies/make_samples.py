"""Writes the auto-reply, challenge-response and list-mail samples of this folder and their
labels.json: ``python3 make_samples.py`` (the files are committed; rerun after a change).

Each sample is built the way its server writes it: Exchange's HTML out-of-office replies with
Thread-Topic and the inbox-rule headers, Lotus Notes' AUTO: subjects in ISO-8859-1, Sieve
vacation with Auto-Submitted, Mailman's and Google Groups' rewritten From, and the persons'
mails that only mention the words.  Every message has CRLF line ends."""
from __future__ import annotations

import base64
import json
import quopri
from email.header import Header
from pathlib import Path

HERE = Path(__file__).parent
BOX = "tickets@help.example.com"
AGENT = "olga.ivanova@widgets.example"
SAMPLES: list[tuple[str, bytes, dict]] = []


def words(text: str, charset: str = "utf-8", enc: str = "q") -> str:
    """An RFC 2047 header value, as clients encode non-ASCII subjects and names."""
    if text.isascii():
        return text
    value = Header(text, charset, maxlinelen=76).encode()
    if enc == "b" and "?q?" in value.lower():
        raw = base64.b64encode(text.encode(charset)).decode()
        value = f"=?{charset}?B?{raw}?="
    return value


def qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.replace("\n", "\r\n").encode(charset)).decode("ascii")


def b64(text: str, charset: str = "utf-8") -> str:
    data = base64.b64encode(text.replace("\n", "\r\n").encode(charset)).decode()
    return "\n".join(data[i:i + 76] for i in range(0, len(data), 76)) + "\n"


def raw8(text: str, charset: str) -> str:
    """8bit text as the bytes of its charset (one character a byte: see crlf)."""
    return text.encode(charset).decode("latin-1")


def leaf(kind: str, text: str, charset: str, cte: str) -> tuple[str, str]:
    head = (f"Content-Type: text/{kind}; charset=\"{charset}\"\n"
            f"Content-Transfer-Encoding: {cte}\n")
    body = (qp(text, charset) if cte == "quoted-printable" else b64(text, charset)
            if cte == "base64" else raw8(text, charset))
    return head, body


def plain(text: str, charset: str = "utf-8", cte: str = "8bit") -> tuple[str, str]:
    return leaf("plain", text, charset, cte)


def html(markup: str, charset: str = "utf-8", cte: str = "quoted-printable"
         ) -> tuple[str, str]:
    return leaf("html", markup, charset, cte)


def alternative(text: str, markup: str, boundary: str, charset: str = "utf-8"
                ) -> tuple[str, str]:
    head = f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\n"
    parts = []
    for sub in (plain(text, charset, "quoted-printable"), html(markup, charset)):
        parts.append(f"--{boundary}\n{sub[0]}\n{sub[1]}")
    return head, "\n".join(parts) + f"\n--{boundary}--\n"


def crlf(text: str) -> bytes:
    """Bytes with CRLF line ends; headers are ASCII, 8bit bodies already their bytes."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\r\n".join(lines).encode("latin-1")


def add(name: str, headers: str, body: tuple[str, str], expect: dict, note: str,
        mail_from: str, rcpt: tuple[str, ...] = (BOX,), **extra) -> None:
    head = headers.strip("\n") + "\nMIME-Version: 1.0\n" + body[0]
    SAMPLES.append((name, crlf(head + "\n" + body[1]), {
        "file": name, "mail_from": mail_from, "rcpt": list(rcpt), "agents": [AGENT],
        "agent_forwarding": True, "note": note, "expect": expect, **extra}))


def auto(requester: str | None, rules: list[str] | None = None, **more) -> dict:
    found = {"kind": "direct", "requester": requester, "automated": "auto_reply"}
    if rules:
        found["rules"] = rules
    found.update(more)
    return found


def person(requester: str, **more) -> dict:
    return {"kind": "direct", "requester": requester, "automated": None, **more}


def received(by: str, frm: str, ip: str, when: str, rcpt: str = BOX, how: str = "ESMTPS") -> str:
    return (f"Received: from {frm} ({frm} [{ip}])\n\tby {by} with {how} id 4Vb{len(SAMPLES)}"
            f"Qx\n\tfor <{rcpt}>; {when}\n")


# ---------------------------------------------------------------------------------------
# Exchange / Microsoft 365 out-of-office replies in each language Outlook writes.
EXCHANGE_OOF = [
    # lang, prefix, name, address, away text
    ("en", "Automatic reply", "Hannah Price", "hannah.price@northwind.example",
     "I am out of the office until Monday 23 November with no access to email."),
    ("de", "Automatische Antwort", "Jürgen Weiß", "j.weiss@bau-mueller.example",
     "Ich bin bis einschließlich 27.11. nicht im Büro. In dringenden Fällen wenden Sie sich "
     "bitte an zentrale@bau-mueller.example."),
    ("fr", "Réponse automatique", "Amélie Rousseau", "a.rousseau@cabinet-rousseau.example",
     "Je suis absente du bureau jusqu'au 30 novembre. Pour toute urgence, contactez "
     "l'accueil."),
    ("es", "Respuesta automática", "Lucía Fernández", "lfernandez@distribuciones.example",
     "Estoy fuera de la oficina hasta el 25 de noviembre, con acceso limitado al correo."),
    ("pt", "Resposta automática", "João Gonçalves", "joao.goncalves@logistica.example",
     "Estou ausente até dia 24 de novembro. Responderei assim que possível."),
    ("it", "Risposta automatica", "Giulia Bianchi", "g.bianchi@studio-bianchi.example",
     "Sono fuori ufficio fino al 26 novembre. Per urgenze scrivere a segreteria@"
     "studio-bianchi.example."),
    ("nl", "Automatisch antwoord", "Sanne de Vries", "sanne.devries@installatie.example",
     "Ik ben afwezig tot en met 27 november en lees mijn e-mail niet."),
    ("pl", "Automatyczna odpowiedź", "Łukasz Wiśniewski", "l.wisniewski@hurtownia.example",
     "Jestem nieobecny do 25 listopada. W pilnych sprawach proszę dzwonić do biura."),
    ("cs", "Automatická odpověď", "Tomáš Dvořák", "tomas.dvorak@strojirna.example",
     "Do 26. listopadu jsem mimo kancelář a e-maily čtu jen občas."),
    ("sk", "Automatická odpoveď", "Zuzana Horváthová", "zuzana.horvathova@sklad.example",
     "Som mimo kancelárie do 27. novembra."),
    ("sv", "Automatiskt svar", "Erik Lindqvist", "erik.lindqvist@byggvaror.example",
     "Jag är ledig till och med den 29 november."),
    ("da", "Automatisk svar", "Mette Kjær", "mette.kjaer@tandlaege.example",
     "Jeg er på ferie indtil den 30. november og læser ikke mails."),
    ("nb", "Automatisk svar", "Ingrid Solberg", "ingrid.solberg@regnskap.example",
     "Jeg er fraværende til 1. desember."),
    ("fi", "Automaattinen vastaus", "Mikko Virtanen", "mikko.virtanen@kuljetus.example",
     "Olen lomalla 30.11. asti ja luen sähköpostia satunnaisesti."),
    ("hr", "Automatski odgovor", "Ivana Kovačić", "ivana.kovacic@tiskara.example",
     "Odsutna sam do 28. studenog."),
    ("ro", "Răspuns automat", "Andreea Popescu", "andreea.popescu@farmacia.example",
     "Sunt în concediu până pe 27 noiembrie."),
    ("et", "Automaatne vastus", "Kadri Tamm", "kadri.tamm@raamatupidamine.example",
     "Olen puhkusel kuni 26. novembrini."),
    ("uk", "Автоматична відповідь", "Олена Шевченко", "olena.shevchenko@agro.example",
     "Я у відпустці до 27 листопада, з обмеженим доступом до пошти."),
    ("ru", "Автоматический ответ", "Дмитрий Смирнов", "d.smirnov@postavka.example",
     "Я в отпуске до 30 ноября. По срочным вопросам обращайтесь к коллегам."),
    ("tr", "Otomatik yanıt", "Elif Yılmaz", "elif.yilmaz@tekstil.example",
     "25 Kasım tarihine kadar ofis dışındayım."),
    ("hu", "Automatikus válasz", "Gábor Nagy", "gabor.nagy@nyomda.example",
     "November 26-ig szabadságon vagyok."),
    ("ja", "自動応答", "佐藤 花子", "hanako.sato@shoji.example",
     "11月27日まで不在にしております。戻り次第ご連絡いたします。"),
    ("zh-cn", "自动回复", "王 伟", "wang.wei@maoyi.example", "我将于11月28日返回办公室。"),
    ("zh-tw", "自動回覆", "陳 怡君", "chen.yijun@keji.example", "本人休假至11月28日。"),
    ("ko", "자동 회신", "김 민준", "minjun.kim@muyeok.example", "11월 27일까지 부재중입니다."),
    ("el", "Αυτόματη απάντηση", "Νίκος Παπαδόπουλος", "n.papadopoulos@emporio.example",
     "Θα είμαι εκτός γραφείου έως τις 27 Νοεμβρίου."),
    ("sl", "Samodejni odgovor", "Maja Novak", "maja.novak@trgovina.example",
     "Do 27. novembra sem odsotna."),
    ("sr", "Automatski odgovor", "Marko Jovanović", "marko.jovanovic@promet.example",
     "Odsutan sam do 27. novembra."),
    ("lt", "Automatinis atsakymas", "Rūta Kazlauskienė", "ruta.k@prekyba.example",
     "Atostogauju iki lapkričio 27 d."),
]
ORIGINAL_SUBJECTS = ["Your request [#1042] has been received", "Printer offline [#1043]",
                     "Re: Invoice 2026-311 [#1044]", "Order 1189 not shipped [#1045]",
                     "Password reset does not arrive [#1046]"]


def exchange_oof() -> None:
    for n, (lang, prefix, name, email, text) in enumerate(EXCHANGE_OOF):
        original = ORIGINAL_SUBJECTS[n % len(ORIGINAL_SUBJECTS)]
        colon = " :" if lang == "fr" else ":"
        subject = f"{prefix}{colon} {original}"
        shape = n % 4
        domain = email.split("@")[1]
        when = f"Wed, {18 + n % 9} Nov 2026 {8 + n % 10:02d}:{(7 * n) % 60:02d}:11 +0000"
        pod = "AM9PR" if shape % 2 else "DB7PR"
        mid = f"<{pod}0{n}MB{4400 + n}.eurprd0{n % 9}.prod.outlook.com>"
        head = received("mx.help.example.com", f"mail-{domain.split('.')[0]}.outbound.protection"
                        ".outlook.com", f"40.107.{n}.{20 + n}", when)
        head += (f"From: {words(name)} <{email}>\nTo: Widgets Support <{BOX}>\n"
                 f"Subject: {words(subject, enc='b' if n % 3 == 0 else 'q')}\n"
                 f"Thread-Topic: {words(original)}\nThread-Index: AQHZ{n:02d}kLmP8xQ2aT0uYw==\n"
                 f"Date: {when}\nMessage-ID: {mid}\n"
                 f"In-Reply-To: <appl.4.req{n:04d}abcdefghij@help.example.com>\n"
                 f"References: <appl.4.req{n:04d}abcdefghij@help.example.com>\n"
                 f"Content-Language: {lang}\nX-MS-Has-Attach:\nX-MS-TNEF-Correlator:\n"
                 "X-Auto-Response-Suppress: All\n"
                 f"X-MS-Exchange-Inbox-Rules-Loop: {email}\n")
        rules = ["out-of-office"]
        if shape == 1:
            head += "Auto-Submitted: auto-generated\nX-MS-Exchange-Generated-Message-Source: " \
                    "Mailbox Rules Agent\n"
        elif shape == 2:
            head += "X-MS-Exchange-Organization-AutoForwarded: true\n"
        elif shape == 3:
            head += "X-MS-Exchange-Organization-SCL: -1\nX-MS-Exchange-Organization-" \
                    "AuthAs: Internal\n"
        markup = (f"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
                  f"charset=utf-8\"></head><body><div dir=\"ltr\"><p>{text}</p><p>{name}</p>"
                  "</div></body></html>")
        body = (alternative(text + f"\n\n{name}\n", markup, f"_000_{mid[1:12]}_")
                if shape != 3 else html(markup))
        add(f"exchange-oof-{lang}.eml", head, body, auto(email, rules),
            f"Exchange Online out-of-office in {lang}, inbox-rule headers (shape {shape})",
            mail_from=email if n % 5 else "<>")


def exchange_variants() -> None:
    email = "peter.hughes@fabrikam.example"
    when = "Thu, 19 Nov 2026 14:02:51 +0000"
    base = (f"From: Peter Hughes <{email}>\nTo: {BOX}\nDate: {when}\n"
            "Thread-Index: AQHZx9aa0Q==\nX-MS-Has-Attach:\nX-MS-TNEF-Correlator:\n")
    text = "Thanks for your message. I'm away until 1 December and will reply then.\n"
    # A custom OOF subject: only the inbox-rule headers tell.
    add("exchange-rule-custom-subject.eml",
        base + "Subject: Peter is away\nThread-Topic: Peter is away\n"
        "Message-ID: <c1e8f0@EXCH01.fabrikam.local>\nX-Auto-Response-Suppress: All\n"
        f"X-MS-Exchange-Inbox-Rules-Loop: {email}\n", plain(text, "us-ascii", "quoted-printable"),
        auto(email, ["exchange-rule-reply"], not_rules=["exchange-autoforward"]),
        "Exchange 2013 rule reply with a custom subject: rules loop names From, X-ARS All",
        mail_from=email)
    add("exchange-rule-agent.eml",
        base + "Subject: Thanks for contacting Fabrikam purchasing\nThread-Topic: Thanks for "
        "contacting Fabrikam purchasing\nMessage-ID: <5d66b1@EXCH02.fabrikam.local>\n"
        f"X-MS-Exchange-Inbox-Rules-Loop: {email}\nx-ms-exchange-parent-message-id: "
        "<appl.4.x1@help.example.com>\nx-ms-exchange-generated-message-source: Mailbox Rules "
        "Agent\n", plain(text, "us-ascii"),
        auto(email, ["exchange-rule-reply"], not_rules=["exchange-autoforward"]),
        "Exchange 'reply using a template' rule: the rules agent made it", mail_from=email)
    add("exchange-oof-2003-style.eml",
        base + "Subject: Out of Office AutoReply: Printer offline\nThread-Topic: Printer "
        "offline\nMessage-ID: <A1B2C3@EXVS01.fabrikam.local>\nX-MS-Exchange-Organization-"
        "AutoReply: OOF\n", plain(text, "iso-8859-1", "quoted-printable"),
        auto(email, ["out-of-office"]), "Exchange 2003 'Out of Office AutoReply:'",
        mail_from="<>")
    add("exchange-oof-abwesenheitsnotiz.eml",
        base.replace("Peter Hughes", "Petra Huber") + "Subject: " + words(
            "Abwesenheitsnotiz: Drucker offline", "iso-8859-1") + "\nThread-Topic: Drucker "
        f"offline\nMessage-ID: <AB12@EX2010.fabrikam.local>\nX-MS-Exchange-Inbox-Rules-Loop: "
        f"{email}\nX-MS-Exchange-Organization-AutoForwarded: true\nX-Auto-Response-Suppress: "
        "All\nContent-Language: de-DE\n",
        plain("Ich bin bis zum 1. Dezember außer Haus.\n", "iso-8859-1", "quoted-printable"),
        auto(email, ["out-of-office"], not_rules=["exchange-autoforward"]),
        "Outlook 2010 German 'Abwesenheitsnotiz' with inbox-rule and autoforward headers",
        mail_from=email)
    # A person's Outlook mail: X-Auto-Response-Suppress alone is no auto-reply.
    add("person-outlook-suppress-all.eml",
        "From: \"Kumar, Ravi\" <ravi.kumar@client.example>\nTo: Widgets Support <" + BOX + ">\n"
        "Subject: Invoice 2026-311 shows the wrong VAT number\nThread-Topic: Invoice 2026-311 "
        "shows the wrong VAT number\nThread-Index: AdnL2kX4Q8xQ2aT0uYw==\n"
        "Date: Thu, 19 Nov 2026 09:12:00 +0000\nMessage-ID: <SN6PR04MB4400@SN6PR04MB.namprd04"
        ".prod.outlook.com>\nX-Auto-Response-Suppress: All\nX-MS-Has-Attach:\nX-MS-TNEF-"
        "Correlator:\nContent-Language: en-US\n",
        alternative("Hello,\n\nthe invoice shows our old VAT number. Could you reissue it?\n\n"
                    "Ravi\n", "<html><body><p>Hello,</p><p>the invoice shows our old VAT number."
                    " Could you reissue it?</p><p>Ravi</p></body></html>", "_000_SN6PR04_"),
        person("ravi.kumar@client.example"),
        "an ordinary Outlook mail carries X-Auto-Response-Suppress: All", mail_from=(
            "ravi.kumar@client.example"))
    add("person-outlook-rules-loop.eml",
        "From: Mia Chen <mia.chen@client.example>\nTo: " + BOX + "\nSubject: RE: Printer offline "
        "[#1043]\nThread-Topic: Printer offline [#1043]\nDate: Thu, 19 Nov 2026 10:01:00 +0000\n"
        "Message-ID: <BY5PR@BY5PR.namprd.prod.outlook.com>\nX-Auto-Response-Suppress: All\n"
        "In-Reply-To: <appl.4.req0001abcdefghij@help.example.com>\n",
        plain("It is still offline after the update, see the photo.\n", "utf-8",
              "quoted-printable"), person("mia.chen@client.example"),
        "a person's reply from Outlook: reply prefix, X-ARS All",
        mail_from="mia.chen@client.example")


# ---------------------------------------------------------------------------------------
def lotus_notes() -> None:
    cases = [
        ("en", "Jane Doe", "jane.doe@acme-ins.example",
         "AUTO: Jane Doe is out of the office (returning 12/02/2026)",
         "I am out of the office until 12/02/2026.\n\nI will respond to your message when I "
         "return.\n", "us-ascii"),
        ("de", "Klaus Förster", "klaus.foerster@versicherung.example",
         "AUTO: Klaus Förster ist außer Haus (Rückkehr am 02.12.2026)",
         "Ich bin ab 23.11.2026 nicht im Büro und kehre zurück am 02.12.2026.\n\nIch werde Ihre"
         " Nachricht nach meiner Rückkehr beantworten.\n", "iso-8859-1"),
        ("fr", "Hélène Martin", "helene.martin@mutuelle.example",
         "AUTO: Hélène Martin est absent(e) (retour le 02/12/2026)",
         "Je serai absente du bureau à partir du 23/11/2026 et de retour le 02/12/2026.\n",
         "iso-8859-1"),
        ("it", "Marco Rossi", "marco.rossi@assicura.example",
         "AUTO: Marco Rossi è fuori sede (ritorno il 02/12/2026)",
         "Sarò fuori sede dal 23/11/2026 al 02/12/2026.\n", "iso-8859-1"),
    ]
    for n, (lang, name, email, subject, text, cs) in enumerate(cases):
        local = email.split("@")[0]
        head = (received("mx.help.example.com", "d06ml01.notes.example", f"192.0.2.{40 + n}",
                         f"Fri, 20 Nov 2026 07:1{n}:00 +0100")
                + f"From: {words(name, cs)} <{email}>\nTo: {BOX}\n"
                f"Subject: {words(subject, cs)}\nDate: Fri, 20 Nov 2026 07:1{n}:00 +0100\n"
                f"Message-ID: <OF{n}A1B2C3D4.E5F6-ON00258A1F.0021{n}C7-00258A1F.0021{n}C8@"
                "notes.example>\nX-Mailer: Lotus Notes Release 8.5.3FP6 November 21, 2013\n"
                f"X-MIMETrack: Serialize by Router on D06ML01/Notes(Release 9.0.1FP10|January "
                f"2018) at 20.11.2026 07:1{n}:00\nX-KeepSent: {local}\n")
        if n == 3:
            head += "Precedence: junk\n"   # some Domino servers mark it so
        cte = "quoted-printable" if n % 2 else "7bit" if cs == "us-ascii" else "8bit"
        add(f"lotus-auto-{lang}.eml", head, plain(text, cs, cte),
            auto(email, ["out-of-office"]), f"Lotus Notes AUTO: subject in {lang}",
            mail_from=email)


def vacation_responders() -> None:
    orig = "Printer offline [#1043]"
    irt = "In-Reply-To: <appl.4.req0042abcdefghij@help.example.com>\n"
    add("zimbra-vacation.eml",
        "From: Paula Schmidt <paula.schmidt@kanzlei.example>\nTo: " + BOX + "\n"
        "Subject: " + words("Abwesend bis 30.11.") + "\nDate: Mon, 23 Nov 2026 08:00:01 +0100\n"
        "Message-ID: <1188012.2211.1763881201@zimbra.kanzlei.example>\n" + irt
        + "Auto-Submitted: auto-replied (zimbra; vacation)\nPrecedence: bulk\n"
        "X-Mailer: Zimbra 10.0.6_GA_4635 (zclient/10.0.6_GA_4635)\n",
        plain("Ich bin bis 30.11. nicht im Büro.\n", "utf-8", "quoted-printable"),
        auto("paula.schmidt@kanzlei.example", ["auto-submitted"]), "Zimbra vacation, de",
        mail_from="paula.schmidt@kanzlei.example")
    add("gmail-vacation.eml",
        received("mx.help.example.com", "mail-sor-f41.google.com", "209.85.220.41",
                 "Mon, 23 Nov 2026 09:14:27 -0800")
        + "From: Sam Rivera <sam.rivera@gmail.example>\nTo: " + BOX + "\nSubject: Out of "
        "office\nDate: Mon, 23 Nov 2026 09:14:27 -0800\nMessage-ID: <CAO8Vm+1xQ@mail.gmail.com>\n"
        + irt + "References: <appl.4.req0042abcdefghij@help.example.com>\n"
        "Auto-Submitted: auto-replied\n",
        alternative("I'm travelling until 30 November with limited access to email.\n",
                    "<div dir=\"ltr\">I'm travelling until 30 November with limited access to "
                    "email.</div>", "000000000000a1b2c3d4e5f6"),
        auto("sam.rivera@gmail.example", ["auto-submitted", "out-of-office"]),
        "Gmail vacation responder with its own subject", mail_from="sam.rivera@gmail.example")
    add("yahoo-vacation.eml",
        "From: Dana Okafor <dana.okafor@yahoo.example>\nTo: " + BOX + "\nSubject: Re: " + orig
        + "\nDate: Mon, 23 Nov 2026 17:20:00 +0000\nMessage-ID: <1763918400.55123@"
        "mail.yahoo.example>\n" + irt + "Auto-Submitted: auto-replied\nX-Autoreply: yes\n",
        plain("Thank you for your email. I am on vacation until November 30.\n", "utf-8",
              "7bit"),
        auto("dana.okafor@yahoo.example", ["auto-submitted", "auto-reply-header"]),
        "Yahoo vacation response: Re: subject, headers only", mail_from="<>")
    add("icloud-vacation.eml",
        "From: Noah Berg <noah.berg@icloud.example>\nTo: " + BOX + "\nSubject: " + words(
            "Re: Order 1189 not shipped [#1045]") + "\nDate: Tue, 24 Nov 2026 06:03:00 +0000\n"
        "Message-ID: <VACATION.1763964180@icloud.example>\n" + irt
        + "Auto-Submitted: auto-replied; owner-email=\"noah.berg@icloud.example\"\n",
        plain("I'm on holiday until 2 December.\n", "utf-8", "base64"),
        auto("noah.berg@icloud.example", ["auto-submitted"]), "iCloud vacation reply",
        mail_from="<>")
    add("zoho-autoreply.eml",
        "From: Priya Nair <priya@spices.example>\nTo: " + BOX + "\nSubject: Auto Reply: " + orig
        + "\nDate: Tue, 24 Nov 2026 11:00:00 +0530\nMessage-ID: <18c2f1a2b3c.1234@zoho.example>\n"
        + irt + "X-ZohoMail-Owner: <18c2f1a2b3c.1234@zoho.example>+zmo_0_priya@spices.example\n",
        html("<div style=\"font-family: Verdana\">I am away until 30 Nov.</div>"),
        auto("priya@spices.example", ["out-of-office"]), "Zoho auto reply, HTML only",
        mail_from="priya@spices.example")
    add("sieve-vacation-auto.eml",
        "Return-Path: <>\nFrom: Lena Hoffmann <lena@hoffmann-it.example>\nTo: " + BOX + "\n"
        "Subject: Auto: " + orig + "\nDate: Tue, 24 Nov 2026 12:00:00 +0100\n"
        "Message-ID: <dovecot-sieve-1763982000-1@mail.hoffmann-it.example>\n" + irt
        + "Auto-Submitted: auto-replied (vacation)\nPrecedence: bulk\n",
        plain("Ich bin im Urlaub.\n", "utf-8", "8bit"),
        auto("lena@hoffmann-it.example", ["auto-submitted"]),
        "Dovecot Pigeonhole vacation from Roundcube's managesieve", mail_from="<>")
    add("roundcube-auto-junk.eml",
        "From: Tom Becker <tom@becker-druck.example>\nTo: " + BOX + "\nSubject: Auto: Re: "
        "Invoice 2026-311\nDate: Tue, 24 Nov 2026 12:10:00 +0100\nMessage-ID: <a1b2c3@"
        "becker-druck.example>\n" + irt + "Precedence: junk\n",
        plain("Bin bis Montag nicht erreichbar.\n", "utf-8", "quoted-printable"),
        auto("tom@becker-druck.example", ["out-of-office"]),
        "an older vacation script: 'Auto:' subject and Precedence junk, no Auto-Submitted",
        mail_from="tom@becker-druck.example")
    add("cpanel-autoresponder.eml",
        received("mx.help.example.com", "server12.hostingco.example", "203.0.113.12",
                 "Tue, 24 Nov 2026 13:00:00 -0500")
        + "From: Sales <sales@garden-supply.example>\nTo: " + BOX + "\nSubject: Thank you for "
        "your email\nDate: Tue, 24 Nov 2026 13:00:00 -0500\nMessage-ID: <E1vAbCd-0001Ab-3x@"
        "server12.hostingco.example>\nX-Autorespond: Printer offline [#1043]\nPrecedence: "
        "auto_reply\nX-Precedence: auto_reply\n",
        plain("We received your email and will reply within one business day.\n"),
        auto("sales@garden-supply.example", ["auto-reply-header", "precedence-auto-reply"]),
        "cPanel autoresponder (Exim)", mail_from="sales@garden-supply.example")
    add("exim-vacation-x-vacation.eml",
        "From: Owen Price <owen@price-farm.example>\nTo: " + BOX + "\nSubject: Away from my "
        "desk\nDate: Tue, 24 Nov 2026 15:00:00 +0000\nMessage-ID: <E1vB@mail.price-farm.example>"
        "\nX-Vacation: yes\n", plain("Back on Monday.\n", "us-ascii", "7bit"),
        auto("owen@price-farm.example", ["auto-reply-header"]),
        "Exim vacation filter with X-Vacation", mail_from="owen@price-farm.example")
    add("autoreply-from-header.eml",
        "From: Info Desk <info@museum.example>\nTo: " + BOX + "\nSubject: We got your message"
        "\nDate: Tue, 24 Nov 2026 16:00:00 +0100\nMessage-ID: <20261124150000.1@museum.example>\n"
        "X-Autoreply-From: info@museum.example\nX-Mail-Autoreply: info@museum.example\n",
        plain("Wir melden uns in Kürze.\n", "utf-8", "quoted-printable"),
        auto("info@museum.example", ["auto-reply-header"]), "Plesk-style autoreply headers",
        mail_from="info@museum.example")
    add("autoreply-header-no.eml",
        "From: Carla Mendes <carla@padaria.example>\nTo: " + BOX + "\nSubject: Pedido de "
        "orçamento\nDate: Tue, 24 Nov 2026 16:30:00 -0300\nMessage-ID: <p1@padaria.example>\n"
        "X-Autoreply: no\n", plain("Bom dia, gostaria de um orçamento para 20 caixas.\n",
                                   "utf-8", "quoted-printable"),
        person("carla@padaria.example"), "X-Autoreply: no is no auto-reply",
        mail_from="carla@padaria.example")


# ---------------------------------------------------------------------------------------
# Localized subjects of other servers and webmails, some with Precedence junk/bulk.
LOCALIZED = [
    ("pl-junk", "Automatyczna odpowiedź: Zamówienie 1189", "Precedence: junk\n",
     "Marta Zielińska", "marta.z@sklep.example", "Jestem na urlopie do 30.11.", "iso-8859-2"),
    ("de-junk", "Abwesenheitsnotiz: Ihre Anfrage [#1042]", "Precedence: junk\n",
     "Sabine Krüger", "s.krueger@praxis.example", "Ich bin bis 30.11. abwesend.", "utf-8"),
    ("fr-bulk", "Réponse automatique : Votre demande [#1042]", "Precedence: bulk\n",
     "Camille Durand", "c.durand@mairie.example", "Je suis en congés jusqu'au 30/11.",
     "iso-8859-1"),
    ("pt-junk", "Resposta automática: Pedido 1189", "Precedence: junk\n",
     "Beatriz Lima", "beatriz.lima@loja.example", "Estou de férias até 30/11.", "utf-8"),
    ("es-bulk", "Respuesta automática: Pedido 1189", "Precedence: bulk\n",
     "Javier Ruiz", "jruiz@ferreteria.example", "Estaré de vacaciones hasta el 30/11.",
     "iso-8859-1"),
    ("it-junk", "Risposta automatica: Ordine 1189", "Precedence: junk\n",
     "Francesca Conti", "f.conti@enoteca.example", "Sono in ferie fino al 30/11.", "utf-8"),
    ("nl-plain", "Automatisch antwoord: Bestelling 1189", "",
     "Pieter Jansen", "p.jansen@fietsen.example", "Ik ben met vakantie tot 30 november.",
     "utf-8"),
    ("sv-autosvar", "Autosvar: Beställning 1189", "Precedence: bulk\n",
     "Anna Berg", "anna.berg@bokhandel.example", "Jag är på semester till 30 november.",
     "iso-8859-1"),
    ("fi-plain", "Automaattinen vastaus: Tilaus 1189", "",
     "Aino Korhonen", "aino.korhonen@kauppa.example", "Olen lomalla 30.11. asti.", "utf-8"),
    ("cs-junk", "Automatická odpověď: Objednávka 1189", "Precedence: junk\n",
     "Petra Nováková", "petra.novakova@eshop.example", "Jsem na dovolené do 30. 11.",
     "iso-8859-2"),
    ("sk-plain", "Automatická odpoveď: Objednávka 1189", "",
     "Martin Kováč", "martin.kovac@obchod.example", "Som na dovolenke do 30. 11.", "utf-8"),
    ("hr-plain", "Automatski odgovor: Narudžba 1189", "",
     "Ana Horvat", "ana.horvat@ducan.example", "Na godišnjem sam odmoru do 30.11.", "utf-8"),
    ("ro-junk", "Răspuns automat: Comanda 1189", "Precedence: junk\n",
     "Mihai Ionescu", "mihai.ionescu@magazin.example", "Sunt în concediu până pe 30.11.",
     "utf-8"),
    ("et-plain", "Automaatne vastus: Tellimus 1189", "",
     "Mari Kask", "mari.kask@pood.example", "Olen puhkusel 30.11-ni.", "utf-8"),
    ("uk-plain", "Автоматична відповідь: Замовлення 1189", "",
     "Тарас Бойко", "taras.boiko@magazyn.example", "Я у відпустці до 30.11.", "koi8-u"),
    ("ru-junk", "Автоматический ответ: Заказ 1189", "Precedence: junk\n",
     "Анна Иванова", "anna.ivanova@magazin-ru.example", "Я в отпуске до 30.11.", "koi8-r"),
    ("tr-plain", "Otomatik yanıt: Sipariş 1189", "",
     "Mehmet Demir", "mehmet.demir@magaza.example", "30 Kasım'a kadar izindeyim.", "utf-8"),
    ("hu-bulk", "Automatikus válasz: Rendelés 1189", "Precedence: bulk\n",
     "Eszter Tóth", "eszter.toth@bolt.example", "November 30-ig szabadságon vagyok.",
     "iso-8859-2"),
    ("ja-henshin", "自動返信：ご注文 1189 について", "",
     "鈴木 一郎", "ichiro.suzuki@tsuhan.example", "11月30日まで休暇をいただいております。",
     "iso-2022-jp"),
    ("ja-bracket", "【自動返信】ご注文 1189 について", "",
     "田中 美咲", "misaki.tanaka@zakka.example", "ただいま不在にしております。", "utf-8"),
    ("zh-fullwidth", "自动回复：订单 1189", "",
     "李 娜", "li.na@shangcheng.example", "我正在休假，11月30日返回。", "gb2312"),
    ("ko-plain", "자동 응답: 주문 1189", "",
     "이 서연", "seoyeon.lee@shop-kr.example", "11월 30일까지 휴가입니다.", "euc-kr"),
    ("el-plain", "Αυτόματη απάντηση: Παραγγελία 1189", "",
     "Μαρία Γεωργίου", "m.georgiou@katastima.example", "Είμαι σε άδεια έως 30/11.",
     "iso-8859-7"),
    ("da-plain", "Automatisk svar: Ordre 1189", "Precedence: junk\n",
     "Lars Madsen", "lars.madsen@cykler.example", "Jeg holder ferie til 30. november.",
     "iso-8859-1"),
    ("de-ausser-haus", "Ausser Haus: Bestellung 1189", "",
     "Hans Meier", "hans.meier@schreinerei.example", "Ich bin ausser Haus bis 30.11.",
     "utf-8"),
    ("en-ooo-colon", "Out of Office: Order 1189", "Precedence: bulk\n",
     "Grace Lee", "grace.lee@agency.example", "I'm out of the office until 30 November.",
     "us-ascii"),
    ("en-bracket-suffix", "Order 1189 [Auto-Reply]", "",
     "Chris Young", "chris@young-design.example", "Away until 30 November.", "us-ascii"),
    ("en-bom-nbsp", "\ufeffAutomatic\u00a0reply: Order 1189", "",
     "Olivia Park", "olivia.park@studio.example", "Away until 30 November.", "utf-8"),
]


def localized() -> None:
    for n, (key, subject, extra, name, email, text, cs) in enumerate(LOCALIZED):
        when = f"Wed, 25 Nov 2026 {8 + n % 12:02d}:{(11 * n) % 60:02d}:00 +0100"
        head = (f"From: {words(name, cs if cs not in ('iso-2022-jp', 'gb2312') else 'utf-8')} "
                f"<{email}>\nTo: {BOX}\nSubject: {words(subject, 'utf-8', 'b' if n % 2 else 'q')}"
                f"\nDate: {when}\nMessage-ID: <{n}.{1763 + n}.ar@{email.split('@')[1]}>\n"
                f"In-Reply-To: <appl.4.loc{n:04d}abcdefghij@help.example.com>\n{extra}")
        if n % 3 == 0:
            head += "X-Mailer: Microsoft Outlook 16.0\n"
        cte = ["quoted-printable", "base64", "8bit"][n % 3]
        if cs in ("iso-2022-jp",):
            cte = "7bit"
        body = (plain(text + "\n", cs, cte) if n % 4 else html(
            f"<html><body><p>{text}</p></body></html>", cs if cs != "iso-2022-jp" else "utf-8"))
        add(f"localized-{key}.eml", head, body, auto(email, ["out-of-office"]),
            f"localized auto-reply subject ({key})", mail_from=email if n % 3 else "<>")


def weak_subjects() -> None:
    irt = "In-Reply-To: <appl.4.weak01abcdefghij@help.example.com>\n"
    cases = [
        ("weak-out-of-office-whole.eml", "Out of Office", "Rosa Klein", "rosa@klein.example",
         True),
        ("weak-abwesend-whole.eml", "Abwesend", "Uwe Brandt", "uwe.brandt@metall.example", True),
        ("weak-absence-references.eml", "Absence", "Claire Petit", "claire.petit@ecole.example",
         True),
        ("weak-automatic-reply-whole.eml", "Automatic reply", "Ben Ortiz", "ben@ortiz.example",
         True),
        ("weak-sentence-reply.eml", "Julia Weber is out of the office", "Julia Weber",
         "julia.weber@kanzlei-weber.example", True),
        ("person-absence-new.eml", "Absence", "Claire Petit", "claire.petit@ecole.example",
         False),
        ("person-out-of-office-whole-new.eml", "Out of office", "Rosa Klein",
         "rosa@klein.example", False),
        ("person-sentence-new.eml", "I am out of the office next week - please pause order 1189",
         "Julia Weber", "julia.weber@kanzlei-weber.example", False),
        ("person-auto-colon.eml", "Auto: insurance claim 4471 for the van", "Nils Dahl",
         "nils.dahl@transport.example", False),
    ]
    for n, (name, subject, who, email, reply) in enumerate(cases):
        head = (f"From: {who} <{email}>\nTo: {BOX}\nSubject: {subject}\n"
                f"Date: Thu, 26 Nov 2026 0{n}:30:00 +0100\nMessage-ID: <w{n}@{email.split('@')[1]}>"
                "\n" + ((irt if n % 2 else "References: <appl.4.weak01abcdefghij@help.example.com>"
                         "\n") if reply else "") + "User-Agent: Mozilla Thunderbird\n")
        text = ("Ich bin bis 30.11. nicht erreichbar.\n" if reply else
                "Hello, I will be away next week, please hold order 1189 until I am back.\n")
        expect = (auto(email, ["out-of-office"]) if reply else person(email))
        add(name, head, plain(text, "utf-8", "quoted-printable" if n % 2 else "8bit"), expect,
            "weak out-of-office words: only when answering a message", mail_from=email)


# ---------------------------------------------------------------------------------------
def challenges() -> None:
    orig = "Printer offline [#1043]"
    add("challenge-tmda.eml",
        "From: Jason Marsh <jason-confirm-1763900000.12345.c82b07@marsh-family.example>\n"
        "To: " + BOX + "\nSubject: Re: " + orig + "\nDate: Mon, 23 Nov 2026 12:13:20 -0700\n"
        "Message-ID: <TMDA-1763900000.12345.c82b07@marsh-family.example>\n"
        "X-Delivery-Agent: TMDA/1.1.12 (Ni Nyampulu)\nPrecedence: bulk\n",
        plain("This message was created automatically by mail delivery software (TMDA).\n\n"
              "Your message attached below is being held because the address\n"
              "<" + BOX + "> has not been verified.\n\nTo release your message for delivery, "
              "please send an empty message\nto the following address, or use your mailer's "
              "Reply feature.\n\n   jason-confirm-1763900000.12345.c82b07@marsh-family.example"
              "\n", "us-ascii", "7bit"),
        auto("jason-confirm-1763900000.12345.c82b07@marsh-family.example",
             ["challenge-response"]), "TMDA confirmation request", mail_from="<>")
    add("challenge-spamarrest.eml",
        "From: Rick Olsen <rick@olsen-realty.example>\nTo: " + BOX + "\nSubject: Please confirm "
        "your message\nDate: Mon, 23 Nov 2026 13:00:00 -0800\nMessage-ID: <verify.88123@"
        "spamarrest.com>\nReply-To: rick@olsen-realty.example\n",
        alternative("Hello,\n\nI use Spam Arrest to protect my inbox. To get your message "
                    "delivered, please verify that you are a real person:\n\nhttps://www."
                    "spamarrest.com/verify?id=88123\n",
                    "<p>Hello,</p><p>I use Spam Arrest to protect my inbox. To get your message "
                    "delivered, please <a href=\"https://www.spamarrest.com/verify?id=88123\">"
                    "verify that you are a real person</a>.</p>", "----=_SA_88123"),
        auto("rick@olsen-realty.example", ["challenge-response"]), "SpamArrest verification",
        mail_from="verify@spamarrest.com")
    add("challenge-boxbe.eml",
        "From: Boxbe <notification@boxbe.com>\nReply-To: Ann Pike <ann.pike@pike-law.example>\n"
        "To: " + BOX + "\nSubject: Re: " + orig + " (Action Required)\nDate: Mon, 23 Nov 2026 "
        "14:00:00 -0800\nMessage-ID: <12345.boxbe.notification@boxbe.com>\n",
        html("<html><body><p>Hello,</p><p>Ann Pike uses Boxbe. Your message is waiting in her "
             "Guest List. <a href=\"https://www.boxbe.com/anno?tc=1\">Click here</a> to add "
             "yourself to her guest list.</p></body></html>"),
        auto("ann.pike@pike-law.example", ["challenge-response"]),
        "Boxbe guest-list request: the person behind it is in Reply-To", mail_from=(
            "bounce@boxbe.com"))
    add("challenge-mailinblack-fr.eml",
        "From: " + words("Sébastien Moreau", "iso-8859-1") + " <s.moreau@notaire.example>\n"
        "To: " + BOX + "\nSubject: " + words("Merci de confirmer votre envoi", "iso-8859-1")
        + "\nDate: Tue, 24 Nov 2026 09:00:00 +0100\nMessage-ID: <mib.4471@protect.mailinblack.com>"
        "\n", html("<html><body><p>Bonjour,</p><p>Votre message est en attente. Afin de "
                   "confirmer que vous n'êtes pas un robot, cliquez sur le lien :</p><p><a href="
                   "\"https://protect.mailinblack.com/c/4471\">Je confirme</a></p></body></html>",
                   "iso-8859-1"),
        auto("s.moreau@notaire.example", ["challenge-response"]), "Mailinblack, French",
        mail_from="s.moreau@notaire.example")
    add("challenge-confirmation-request.eml",
        "From: Greg Hall <greg@hall-auto.example>\nTo: " + BOX + "\nSubject: Confirmation "
        "request: " + orig + "\nDate: Tue, 24 Nov 2026 10:00:00 -0500\nMessage-ID: <cr.1@"
        "hall-auto.example>\n",
        plain("Your message to greg@hall-auto.example is pending delivery.\n\nTo verify that "
              "you are a human and not a spammer, visit\nhttps://verify.hall-auto.example/c/91"
              "\n\nOnce verified, all your future messages reach me directly.\n", "us-ascii",
              "7bit"),
        auto("greg@hall-auto.example", ["challenge-response"]),
        "a self-hosted challenge-response filter ('Confirmation request')",
        mail_from="greg@hall-auto.example")
    add("challenge-de.eml",
        "From: Frank Vogel <frank@vogel-elektro.example>\nTo: " + BOX + "\nSubject: " + words(
            "Bitte bestätigen Sie Ihre Nachricht") + "\nDate: Tue, 24 Nov 2026 11:00:00 +0100\n"
        "Message-ID: <cr.2@vogel-elektro.example>\n",
        plain("Ihre Nachricht wird zurückgehalten. Bitte bestätigen Sie, dass Sie kein "
              "Spammer sind:\nhttps://mail.vogel-elektro.example/bestaetigen/91\n", "utf-8",
              "quoted-printable"),
        auto("frank@vogel-elektro.example", ["challenge-response"]), "German challenge",
        mail_from="frank@vogel-elektro.example")
    add("person-please-confirm.eml",
        "From: Mia Chen <mia.chen@client.example>\nTo: " + BOX + "\nSubject: Please confirm "
        "your message was about order 1189\nDate: Tue, 24 Nov 2026 12:00:00 +0000\n"
        "Message-ID: <pc.1@client.example>\n",
        plain("Hi, you wrote about an order but did not say which one. Is it 1189?\n"
              "See https://shop.widgets.example/orders/1189\n", "utf-8", "8bit"),
        person("mia.chen@client.example"), "a person asking to confirm, with a link",
        mail_from="mia.chen@client.example")
    add("person-confirmation-request.eml",
        "From: Ahmed Saleh <ahmed.saleh@client.example>\nTo: " + BOX + "\nSubject: Confirmation "
        "request for order 1190\nDate: Tue, 24 Nov 2026 12:30:00 +0000\n"
        "Message-ID: <pc.2@client.example>\n",
        html("<p>Hello, could you send me a written confirmation of order 1190? Our spam filter"
             " may have eaten the first one. Reply to this address please.</p>"),
        person("ahmed.saleh@client.example"), "a person asking for a confirmation",
        mail_from="ahmed.saleh@client.example")


# ---------------------------------------------------------------------------------------
LIST_HEAD = ("List-Id: Widgets users <users.lists.widgets-community.example>\n"
             "List-Unsubscribe: <https://lists.widgets-community.example/mailman/options/users>,"
             "\n <mailto:users-request@lists.widgets-community.example?subject=unsubscribe>\n"
             "List-Archive: <https://lists.widgets-community.example/pipermail/users/>\n"
             "List-Post: <mailto:users@lists.widgets-community.example>\n"
             "List-Help: <mailto:users-request@lists.widgets-community.example?subject=help>\n"
             "Errors-To: users-bounces@lists.widgets-community.example\n"
             "Sender: \"Users\" <users-bounces@lists.widgets-community.example>\n")
LIST = "users@lists.widgets-community.example"


def list_mail() -> None:
    hop = received("mx.help.example.com", "lists.widgets-community.example", "198.51.100.80",
                   "Fri, 27 Nov 2026 10:00:03 +0000") + received(
        "lists.widgets-community.example", "mail.client.example", "192.0.2.15",
        "Fri, 27 Nov 2026 10:00:01 +0000", rcpt=LIST)
    bulk = {"kind": "direct", "automated": "bulk"}
    add("list-mailman2-reply-to.eml",
        hop + "From: Ben Carter via Users <" + LIST + ">\nReply-To: Ben Carter <ben.carter@"
        "client.example>\nTo: " + LIST + "\nSubject: [Users] Sync stops after update 4.2\n"
        "Date: Fri, 27 Nov 2026 10:00:00 +0000\nMessage-ID: <ml1@client.example>\n"
        "X-Mailman-Version: 2.1.39\nPrecedence: list\n" + LIST_HEAD,
        plain("Since 4.2 the sync stops after a few minutes. Anyone else?\n", "us-ascii",
              "7bit"),
        dict(bulk, requester="ben.carter@client.example", reason_contains="from Reply-To"),
        "Mailman 2.1 from_is_list munge, original From in Reply-To",
        mail_from="users-bounces@lists.widgets-community.example")
    add("list-mailman2-cc.eml",
        hop + "From: " + words("Zoë Lambert via Users") + " <" + LIST + ">\nReply-To: " + LIST
        + "\nCc: " + words("Zoë Lambert") + " <zoe.lambert@client.example>\nTo: " + LIST + "\n"
        "Subject: [Users] Export to CSV loses umlauts\nDate: Fri, 27 Nov 2026 10:05:00 +0000\n"
        "Message-ID: <ml2@client.example>\nX-Mailman-Version: 2.1.39\nPrecedence: list\n"
        + LIST_HEAD, plain("Ä becomes ?? in the export.\n", "utf-8", "quoted-printable"),
        dict(bulk, requester="zoe.lambert@client.example", reason_contains="Cc"),
        "Mailman 2.1 munge with reply_goes_to_list: the original From goes to Cc",
        mail_from="users-bounces@lists.widgets-community.example")
    add("list-mailman3.eml",
        hop + "From: Hiro Tanaka via Users <" + LIST + ">\nReply-To: Hiro Tanaka <hiro@"
        "tanaka.example>\nTo: " + LIST + "\nSubject: [Users] Dark mode?\nDate: Fri, 27 Nov 2026"
        " 10:10:00 +0000\nMessage-ID: <ml3@tanaka.example>\nMessage-ID-Hash: 3XQ2J7ZK4YB5\n"
        "X-Message-ID-Hash: 3XQ2J7ZK4YB5\nX-MailFrom: hiro@tanaka.example\nX-Mailman-Rule-"
        "Misses: dmarc-mitigation; no-senders; approved; emergency\nX-Mailman-Version: 3.3.9\n"
        "Precedence: list\nArchived-At: <https://lists.widgets-community.example/archives/list/"
        "users@lists.widgets-community.example/message/3XQ2J7ZK4YB5/>\n" + LIST_HEAD,
        alternative("Is a dark mode planned?\n", "<p>Is a dark mode planned?</p>", "===mm3==="),
        dict(bulk, requester="hiro@tanaka.example"), "Mailman 3 munge_from",
        mail_from="users-bounces@lists.widgets-community.example")
    gg = ("Mailing-list: list widgets-users@googlegroups.example; contact widgets-users+owners@"
          "googlegroups.example\nList-ID: <widgets-users.googlegroups.example>\nX-Google-Group-"
          "Id: 771234567890\nList-Post: <https://groups.google.example/group/widgets-users/post>,"
          " <mailto:widgets-users@googlegroups.example>\nList-Help: <https://groups.google."
          "example/support/>, <mailto:widgets-users+help@googlegroups.example>\nList-Archive: "
          "<https://groups.google.example/group/widgets-users/>\nList-Unsubscribe: <mailto:"
          "googlegroups-manage+771234567890+unsubscribe@googlegroups.example>\nPrecedence: list"
          "\nSender: widgets-users@googlegroups.example\nX-Spam-Checked-In-Group: "
          "widgets-users@googlegroups.example\n")
    add("list-google-groups.eml",
        "From: 'Marta Ruiz' via Widgets Users <widgets-users@googlegroups.example>\nTo: Widgets "
        "Users <widgets-users@googlegroups.example>\nReply-To: Marta Ruiz <marta.ruiz@client."
        "example>\nX-Original-From: Marta Ruiz <marta.ruiz@client.example>\nX-Original-Sender: "
        "marta.ruiz@client.example\nSubject: Label printer driver for macOS\nDate: Fri, 27 Nov "
        "2026 11:00:00 +0100\nMessage-ID: <CAJx9@mail.client.example>\n" + gg,
        alternative("Hola, is there a driver for macOS 15?\n", "<div dir=\"ltr\">Hola, is there "
                    "a driver for macOS 15?</div>", "000000000000f0e1d2c3b4a5"),
        dict(bulk, requester="marta.ruiz@client.example", reason_contains="X-Original-From"),
        "Google Groups DMARC rewrite with X-Original-From",
        mail_from="widgets-users+bncBC@googlegroups.example")
    add("list-google-groups-reply-to-group.eml",
        "From: \"'Chidi Okeke' via Widgets Users\" <widgets-users@googlegroups.example>\nTo: "
        "widgets-users@googlegroups.example\nReply-To: widgets-users@googlegroups.example\n"
        "X-Original-From: \"Chidi Okeke\" <chidi@okeke.example>\nSubject: Re: Label printer "
        "driver for macOS\nDate: Fri, 27 Nov 2026 11:30:00 +0100\nMessage-ID: <CAK1@mail."
        "okeke.example>\n" + gg, plain("Same question here.\n"),
        dict(bulk, requester="chidi@okeke.example", reason_contains="X-Original-From"),
        "Google Groups rewrite, replies go to the group", mail_from="widgets-users+bncBD@"
        "googlegroups.example")
    add("list-google-groups-original-sender.eml",
        "From: 'Ivo Petrov' via Widgets Users <widgets-users@googlegroups.example>\nTo: "
        "widgets-users@googlegroups.example\nX-Original-Sender: ivo.petrov@client.example\n"
        "Subject: Firmware 2.3 bricked my scanner\nDate: Fri, 27 Nov 2026 12:00:00 +0100\n"
        "Message-ID: <CAM2@mail.client.example>\n" + gg,
        plain("After the update the scanner does not boot.\n", "utf-8", "base64"),
        dict(bulk, requester="ivo.petrov@client.example", reason_contains="X-Original-Sender"),
        "Google Groups with only X-Original-Sender", mail_from="widgets-users+bncBE@"
        "googlegroups.example")
    add("list-address-in-name.eml",
        hop + "From: \"kim.lee@client.example via Users\" <" + LIST + ">\nTo: " + LIST + "\n"
        "Subject: [Users] Where are the release notes?\nDate: Fri, 27 Nov 2026 12:30:00 +0000\n"
        "Message-ID: <ml4@client.example>\nX-Mailman-Version: 2.1.29\nPrecedence: list\n"
        + LIST_HEAD, plain("Thanks.\n", "us-ascii", "7bit"),
        dict(bulk, requester="kim.lee@client.example", reason_contains="display name"),
        "Mailman without a real name: the address is in the display name",
        mail_from="users-bounces@lists.widgets-community.example")
    add("list-address-at-in-name.eml",
        hop + "From: \"sven at nordic-tools.example via Users\" <" + LIST + ">\nTo: " + LIST
        + "\nSubject: [Users] API rate limits\nDate: Fri, 27 Nov 2026 12:40:00 +0000\n"
        "Message-ID: <ml5@nordic-tools.example>\nX-Mailman-Version: 2.1.34\nPrecedence: list\n"
        + LIST_HEAD, plain("What are the limits?\n", "us-ascii", "7bit"),
        dict(bulk, requester="sven@nordic-tools.example"),
        "Mailman writes the address as 'x at y' in the display name",
        mail_from="users-bounces@lists.widgets-community.example")
    add("list-sympa.eml",
        "From: \"Luc Girard via utilisateurs\" <utilisateurs@listes.widgets.example>\n"
        "X-Original-From: " + words("Luc Girard", "iso-8859-1") + " <luc.girard@client.example>"
        "\nReply-To: utilisateurs@listes.widgets.example\nTo: utilisateurs@listes.widgets.example"
        "\nSubject: " + words("[utilisateurs] Problème d'impression", "iso-8859-1") + "\n"
        "Date: Fri, 27 Nov 2026 13:00:00 +0100\nMessage-ID: <sy1@client.example>\n"
        "List-Id: <utilisateurs.listes.widgets.example>\nList-Post: <mailto:utilisateurs@"
        "listes.widgets.example>\nPrecedence: list\nX-Loop: utilisateurs@listes.widgets.example"
        "\nX-Sympa-To: utilisateurs@listes.widgets.example\n",
        plain("L'imprimante n'imprime plus depuis la mise à jour.\n", "iso-8859-1",
              "quoted-printable"),
        dict(bulk, requester="luc.girard@client.example", reason_contains="X-Original-From"),
        "Sympa dmarc_protection", mail_from="utilisateurs-owner@listes.widgets.example")
    add("list-groupsio.eml",
        "From: \"Emma Wright via groups.io\" <emma.wright=client.example@groups.example>\n"
        "X-Original-From: \"Emma Wright\" <emma.wright@client.example>\nReply-To: main@"
        "widgets.groups.example\nTo: main@widgets.groups.example\nSubject: [widgets] Battery "
        "life\nDate: Fri, 27 Nov 2026 13:30:00 +0000\nMessage-ID: <gio1@groups.example>\n"
        "List-Id: <main.widgets.groups.example>\nMailing-List: list main@widgets.groups.example;"
        " contact main+owner@widgets.groups.example\nList-Post: <mailto:main@widgets.groups."
        "example>\nList-Unsubscribe: <mailto:main+unsubscribe@widgets.groups.example>\n"
        "Precedence: Bulk\n",
        html("<div>How long should the battery last?</div>"),
        dict(bulk, requester="emma.wright@client.example", reason_contains="X-Original-From"),
        "groups.io rewrite", mail_from="bounce+abc@groups.example")
    add("list-no-author.eml",
        hop + "From: Anonymous via Users <" + LIST + ">\nTo: " + LIST + "\nSubject: [Users] "
        "Meetup next week\nDate: Fri, 27 Nov 2026 14:00:00 +0000\nMessage-ID: <ml6@lists."
        "widgets-community.example>\nX-Mailman-Version: 2.1.39\nPrecedence: list\n" + LIST_HEAD,
        plain("Meetup on Thursday.\n", "us-ascii", "7bit"),
        dict(bulk, requester=None, reason_contains="No header names the author"),
        "a rewritten From and no header naming the author: no requester, never the list",
        mail_from="users-bounces@lists.widgets-community.example")
    add("list-unmunged.eml",
        hop + "From: Pavel Novak <pavel.novak@client.example>\nTo: " + LIST + "\nSubject: "
        "[Users] Keyboard shortcuts\nDate: Fri, 27 Nov 2026 14:30:00 +0000\nMessage-ID: <ml7@"
        "client.example>\nX-Mailman-Version: 2.1.39\nPrecedence: list\nX-BeenThere: " + LIST
        + "\n" + LIST_HEAD, plain("Is there a list of shortcuts?\n"),
        dict(bulk, requester="pavel.novak@client.example", not_rules=["delivered-elsewhere"]),
        "list mail with the author's From kept: the list's Received is no forward",
        mail_from="users-bounces@lists.widgets-community.example")
    add("list-localized-via.eml",
        hop.replace(LIST, "nutzer@lists.widgets-community.example") + "From: " + words(
            "Jörg Bauer über Nutzer") + " <nutzer@lists.widgets-community.example>\nReply-To: "
        + words("Jörg Bauer") + " <joerg.bauer@client.example>\nTo: nutzer@lists.widgets-"
        "community.example\nSubject: [Nutzer] Druckertreiber\nDate: Fri, 27 Nov 2026 15:00:00 "
        "+0100\nMessage-ID: <ml8@client.example>\nX-Mailman-Version: 2.1.39\nPrecedence: list\n"
        "List-Id: Nutzer <nutzer.lists.widgets-community.example>\nList-Post: <mailto:nutzer@"
        "lists.widgets-community.example>\n",
        plain("Gibt es einen neuen Treiber?\n", "utf-8", "quoted-printable"),
        dict(bulk, requester="joerg.bauer@client.example"),
        "Mailman in German: 'über' instead of 'via'",
        mail_from="nutzer-bounces@lists.widgets-community.example")
    # Persons, not lists.
    add("person-google-group-cc.eml",
        "From: Ben Carter <ben.carter@client.example>\nTo: " + BOX + "\nCc: widgets-users@"
        "googlegroups.example\nReply-To: widgets-users@googlegroups.example\nSubject: Question "
        "from our user group\nDate: Fri, 27 Nov 2026 16:00:00 +0000\nMessage-ID: <CAP1@mail."
        "client.example>\n", plain("Our group asks whether 4.3 fixes the sync.\n"),
        person("ben.carter@client.example"),
        "a person writing from their own mailbox with the group in Cc and Reply-To",
        mail_from="ben.carter@client.example")
    add("person-group-address-sender.eml",
        "From: Widgets Users Team <team@groups.client.example>\nSender: Ben Carter <ben.carter@"
        "client.example>\nTo: " + BOX + "\nSubject: Licence renewal for the team\nDate: Fri, "
        "27 Nov 2026 16:10:00 +0000\nMessage-ID: <CAP2@mail.client.example>\n",
        plain("Please renew our team licence.\n"), person("team@groups.client.example"),
        "a person sending as the group address from their own mailbox (no list headers)",
        mail_from="ben.carter@client.example")
    add("person-name-via.eml",
        "From: Ana Via Lopez <ana.via@client.example>\nTo: " + BOX + "\nSubject: Cambio de "
        "dirección\nDate: Fri, 27 Nov 2026 16:20:00 +0100\nMessage-ID: <av1@client.example>\n",
        plain("Hola, cambiamos de dirección de envío.\n", "utf-8", "quoted-printable"),
        person("ana.via@client.example"), "a person whose name contains 'Via'",
        mail_from="ana.via@client.example")


# ---------------------------------------------------------------------------------------
def people() -> None:
    cases = [
        ("person-re-out-of-office-plans.eml", "Re: Out of office plans", None,
         "Sure, I'll cover the desk while you are away.\n"),
        ("person-automatic-reply-settings.eml", "Automatic reply settings broken", None,
         "My automatic reply is broken since the update: it answers every mail twice.\n"),
        ("person-auto-reply-not-working.eml", "Auto-reply not working", None,
         "The auto reply in your product does not send anything.\n"),
        ("person-out-of-office-next-week.eml", "Out of office next week", None,
         "I am out of the office next week; please send the parts to my colleague.\n"),
        ("person-undeliverable-parcel.eml", "Undeliverable parcel 1189", None,
         "The courier says the parcel is undeliverable. I forwarded this to you yesterday.\n"),
        ("person-re-automatic-reply.eml", "RE: Automatic reply: Printer offline [#1043]",
         "<appl.4.req0003abcdefghij@help.example.com>",
         "Sorry, that was my out-of-office. The printer is still offline.\n"),
        ("person-reponse-automatique.eml", "Réponse automatique ne marche pas", None,
         "Bonjour, la réponse automatique de mon compte ne marche pas.\n"),
        ("person-abwesenheitsnotiz-einrichten.eml", "Abwesenheitsnotiz einrichten?", None,
         "Wie richte ich eine Abwesenheitsnotiz ein?\n"),
        ("person-html-out-of-office.eml", "Parts for order 1189", None,
         "<html><body><p>Hi,</p><p>I am out of the office until Monday, so please ship to the "
         "warehouse.</p><blockquote>&gt; Automatic reply: your order</blockquote></body>"
         "</html>"),
        ("person-vacation-question.eml", "Vacation: can you hold deliveries?", None,
         "We close for vacation from 20 December. Can you hold deliveries?\n"),
        ("person-aw-abwesend.eml", "AW: Abwesend", "<appl.4.req0009abcdefghij@help.example.com>",
         "Danke, ich bin wieder da und das Problem besteht weiter.\n"),
        ("person-zh-question.eml", "关于自动回复的问题", None, "请问如何关闭自动回复功能？\n"),
    ]
    for n, (name, subject, irt, text) in enumerate(cases):
        email = f"customer{n}@client.example"
        head = (f"From: {words(f'Customer {n}')} <{email}>\nTo: Widgets Support <{BOX}>\n"
                f"Subject: {words(subject)}\nDate: Sat, 28 Nov 2026 1{n % 10}:00:00 +0000\n"
                f"Message-ID: <p{n}.{n * 7}@client.example>\n")
        if irt:
            head += f"In-Reply-To: {irt}\nReferences: {irt}\n"
        if n % 3 == 1:
            head += "X-Mailer: Microsoft Outlook 16.0\nX-Auto-Response-Suppress: All\n"
        elif n % 3 == 2:
            head += "User-Agent: Mozilla/5.0 Thunderbird/128.5.0\n"
        body = html(text) if text.startswith("<html>") else plain(
            text, "utf-8", ["8bit", "quoted-printable", "base64"][n % 3])
        add(name, head, body, person(email), "a person's mail that only mentions the words",
            mail_from=email)


def main() -> None:
    for make in (exchange_oof, exchange_variants, lotus_notes, vacation_responders, localized,
                 weak_subjects, challenges, list_mail, people):
        make()
    names = [name for name, _, _ in SAMPLES]
    assert len(names) == len(set(names)), "duplicate file names"
    for old in HERE.glob("*.eml"):
        old.unlink()
    for name, raw, _ in SAMPLES:
        (HERE / name).write_bytes(raw)
    labels = [label for _, _, label in SAMPLES]
    (HERE / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    print(f"{len(SAMPLES)} samples")


if __name__ == "__main__":
    main()
