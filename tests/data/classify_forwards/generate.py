"""Writes the hand-forward samples of this folder (.eml with CRLF, and labels.json).

Agents of widgets.example forward customers' mail to the box with the mail client they use:
Gmail, Apple Mail (macOS and iOS), Thunderbird, Outlook (Live / 365, 2013, 2019, for Mac,
the new Outlook, for Android), Yahoo, HubSpot, IONOS, MailMate and Roundcube, each in the
agent's language (``langs.py``).  Each client lays the forward out its own way (CLIENTS);
the variations (encoding, HTML only, byte-order mark, non-breaking spaces, bold labels, a
name wrapped onto the next line, a note above, no subject prefix) rotate over the samples.
NEGATIVES are people's own mail and replies that only look like forwards.
Run it again after a change: ``python3 tests/data/classify_forwards/generate.py``.
"""
from __future__ import annotations

import base64
import html
import json
import quopri
import sys
from email.header import Header
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from langs import L  # noqa: E402

BOX = "tickets@help.example.com"
COMPANY = "support@widgets.example"
AGENTS = [("Olga Ivanova", "olga.ivanova@widgets.example"),
          ("Tomás Herrera", "tomas.herrera@widgets.example"),
          ("Anneli Virtanen", "anneli.virtanen@widgets.example")]
DATES = ["Tue, 10 Mar 2026 09:{m:02d}:{s:02d} +0100", "Wed, 11 Mar 2026 14:{m:02d}:{s:02d} +0000",
         "Thu, 12 Mar 2026 08:{m:02d}:{s:02d} -0500", "Mon, 16 Mar 2026 17:{m:02d}:{s:02d} +0900"]


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def encoded(text: str) -> str:
    """A header value as a client writes it: encoded words only when it is not ASCII."""
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        return Header(text, "utf-8").encode()


def person(name: str, email: str) -> str:
    return f"{encoded(name)} <{email}>" if name else email


def part(text: str, subtype: str, cte: str) -> str:
    data = text.replace("\n", "\r\n").encode("utf-8")
    if cte == "base64":
        body = base64.encodebytes(data).decode("ascii")
    elif cte == "quoted-printable":
        body = quopri.encodestring(data).decode("ascii")
    else:
        body = data.decode("utf-8")
    return (f"Content-Type: text/{subtype}; charset=\"utf-8\"\nContent-Transfer-Encoding: "
            f"{cte}\n\n{body}")


def message(n: int, agent: tuple[str, str], subject: str, plain: str | None,
            markup: str | None, client: dict, cte: str, extra: str = "") -> bytes:
    date = DATES[n % len(DATES)].format(m=n % 60, s=(n * 7) % 60)
    host = client["host"]
    head = (f"Received: from {host} ({host} [198.51.100.{10 + n % 200}])\n\tby "
            f"mx.help.example.com (Postfix) with ESMTPS id 4Q{n:04d}Zx\n\tfor <{BOX}>; {date}\n"
            f"From: {person(*agent)}\nTo: {BOX}\nSubject: {encoded(subject)}\nDate: {date}\n"
            f"Message-ID: <{client['mid'].format(n=n)}>\nMIME-Version: 1.0\n"
            f"{client['ua']}\n{extra}")
    if plain is not None and markup is not None:
        boundary = f"=_alt_{n:05d}"
        body = (f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\n\n"
                f"--{boundary}\n{part(plain, 'plain', cte)}\n--{boundary}\n"
                f"{part(markup, 'html', cte)}\n--{boundary}--\n")
    else:
        body = part(plain if plain is not None else markup,
                    "plain" if plain is not None else "html", cte)
    return crlf(head.rstrip("\n") + "\n" + body).encode("utf-8")


def h(text: str) -> str:
    return html.escape(text, quote=False)


def paragraphs(text: str) -> str:
    return "".join(f"<div>{h(line) or '<br>'}</div>" for line in text.split("\n"))


# What each client writes: a function of (lang, customer, options) returning (subject,
# plain, html), plus its host, Message-ID and client header.
def gmail(x, c, o):
    frm = x["f"] if o["local_from"] else "From"
    sep = "---------- Forwarded message ---------"
    lines = [f"{frm}: {c['from']}", f"Date: {c['when']}", f"Subject: {c['subj']}",
             f"To: <{COMPANY}>"]
    plain = f"{o['note']}{sep}\n" + "\n".join(lines) + f"\n\n\n{c['text']}\n"
    markup = (f"<div dir=\"ltr\">{paragraphs(o['note'].strip())}<br><div class=\"gmail_quote\">"
              f"<div dir=\"ltr\" class=\"gmail_attr\">{sep}<br>{frm}: <strong class=\""
              f"gmail_sendername\" dir=\"auto\">{h(c['name'])}</strong> <span dir=\"auto\">"
              f"&lt;<a href=\"mailto:{c['email']}\">{c['email']}</a>&gt;</span><br>Date: "
              f"{h(c['when'])}<br>Subject: {h(c['subj'])}<br>To: &lt;{COMPANY}&gt;<br></div>"
              f"<br><br>{paragraphs(c['text'])}</div></div>")
    return f"Fwd: {c['subj']}", plain, markup


def gmail_bold(x, c, o):
    """Gmail's HTML read by a client that prints bold as *...* (or HTML only)."""
    lines = [f"*{x['f']}:* {c['from']}", f"*{x['date']}:* {c['when']}",
             f"*{x['subject']}:* {c['subj']}", f"*{x['to']}:* {COMPANY}"]
    plain = (f"{o['note']}---------- Forwarded message ---------\n" + "\n".join(lines)
             + f"\n\n{c['text']}\n")
    return f"Fwd: {c['subj']}", plain, None


def apple(x, c, o):
    fields = [(x["f"], c["from"]), (x["subject"], c["subj"]), (x["date"], c["when"]),
              (x["to"], f"Widgets Support <{COMPANY}>")]
    block = "\n".join(f"> {k}: {v}" for k, v in fields)
    quoted = "\n".join(f"> {line}" if line else ">" for line in c["text"].split("\n"))
    plain = f"{o['note']}\n\n{x['apple']}\n\n{block}\n> \n{quoted}\n"
    subject = f"Fwd: {c['subj']}" if o["prefix"] else c["subj"]
    return subject, plain, None


def apple_html(x, c, o):
    rows = "".join(f"<div style=\"margin-top:0px;margin-bottom:0px;\"><span style=\"font-"
                   f"family:-webkit-system-font;color:rgba(0,0,0,1.0);\"><b>{h(k)}: </b></span>"
                   f"<span style=\"font-family:-webkit-system-font;\">{h(v)}</span></div>"
                   for k, v in [(x["f"], c["from"]), (x["subject"], c["subj"]),
                                (x["date"], c["when"]), (x["to"], COMPANY)])
    markup = (f"<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset="
              f"utf-8\"></head><body dir=\"auto\">{paragraphs(o['note'].strip())}<div><br>"
              f"<blockquote type=\"cite\"><div>{h(x['apple'])}</div><br>{rows}<br>"
              f"<div>{paragraphs(c['text'])}</div></blockquote></div></body></html>")
    subject = f"Fwd: {c['subj']}" if o["prefix"] else c["subj"]
    return subject, None, markup


def thunderbird(x, c, o):
    fields = [(x["subject"], c["subj"]), (x["date"], c["when"]), (x["f"], c["from"]),
              (x["to"], COMPANY)]
    width = max(len(k) for k, _ in fields) + 2
    block = "\n".join(f"{k + ':':<{width}}{v}" if o["pad"] else f"{k}: \t{v}"
                      for k, v in fields)
    plain = f"{o['note']}\n\n-------- {x['tb']} --------\n{block}\n\n\n\n{c['text']}\n"
    subject = f"Fwd: {c['subj']}" if o["prefix"] else c["subj"]
    return subject, plain, None


def thunderbird_html(x, c, o):
    rows = "".join(f"<tr><th valign=\"BASELINE\" nowrap=\"nowrap\" align=\"RIGHT\">{h(k)}: "
                   f"</th><td>{h(v)}</td></tr>"
                   for k, v in [(x["subject"], c["subj"]), (x["date"], c["when"]),
                                (x["f"], c["from"]), (x["to"], COMPANY)])
    markup = (f"<html><body><p>{h(o['note'].strip())}<br></p><div class=\"moz-forward-"
              f"container\"><br><br>-------- {h(x['tb'])} --------<table class=\"moz-email-"
              f"headers-table\" cellspacing=\"0\" cellpadding=\"0\" border=\"0\"><tbody>{rows}"
              f"</tbody></table><br>{paragraphs(c['text'])}</div></body></html>")
    subject = f"Fwd: {c['subj']}" if o["prefix"] else c["subj"]
    return subject, None, markup


def thunderbird_original(x, c, o):
    """Thunderbird (and Roundcube) set to forward inline with English framing."""
    fields = [("Subject", c["subj"]), ("Date", c["when"]), ("From", c["from"]),
              ("To", COMPANY)]
    block = "\n".join(f"{k}: \t{v}" for k, v in fields)
    plain = f"{o['note']}\n\n-------- Original Message --------\n{block}\n\n{c['text']}\n"
    return c["subj"], plain, None


def outlook_live(x, c, o):
    labels = ("From", "Sent", "To", "Subject") if o["english"] else (
        x["f"], x["sent"], x["to"], x["subject"])
    block = "\n".join(f"{k}: {v}" for k, v in zip(labels, [
        c["from"], c["when"], f"Widgets Support <{COMPANY}>", c["subj"]]))
    plain = f"{o['note']}\n________________________________\n{block}\n\n{c['text']}\n"
    markup = (f"<html><body><div>{paragraphs(o['note'].strip())}</div><hr style=\"display:"
              f"inline-block;width:98%\" tabindex=\"-1\"><div id=\"divRplyFwdMsg\" dir=\"ltr\">"
              + "<br>".join(f"<b>{h(k)}:</b> {h(v)}" for k, v in zip(labels, [
                  c["from"], c["when"], f"Widgets Support <{COMPANY}>", c["subj"]]))
              + f"</div><br><div>{paragraphs(c['text'])}</div></body></html>")
    subject = f"{x['fw']}: {c['subj']}" if o["prefix"] else c["subj"]
    return subject, plain, markup if o["html"] else None


def outlook_2013(x, c, o):
    frm = f"{c['name']} [mailto:{c['email']}]"
    if o["wrap"]:
        frm = f"{c['name']}\n[mailto:{c['email']}]"
    block = (f"{x['f']}: {frm}\n{x['sent']}: {c['when']}\n{x['to']}: {COMPANY}\n"
             f"{x['subject']}: {c['subj']}")
    plain = f"{o['note']}\n-----Original Message-----\n{block}\n\n{c['text']}\n"
    return f"{x['fw']}: {c['subj']}", plain, None


def outlook_2019(x, c, o):
    line = x["o19"].format(d=c["when"], n=c["name"], e=c["email"])
    indented = "\n".join(f"    {t}" if t else "" for t in c["text"].split("\n"))
    plain = f"{o['note']}\n{line}\n\n{indented}\n"
    subject = f"FW: {c['subj']}" if o["prefix"] else c["subj"]
    return subject, plain, None


def outlook_mac(x, c, o):
    line = x["o19"].format(d=c["when"], n=c["name"], e=c["email"])
    markup = (f"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset="
              f"utf-8\"></head><body><div class=\"WordSection1\">"
              f"<p class=\"MsoNormal\">{h(o['note'].strip()) or '&nbsp;'}</p>"
              f"<div id=\"mail-editor-reference-message-container\"><div><p class=\"MsoNormal\">"
              f"{h(line)}</p></div><div><p class=\"MsoNormal\">&nbsp;</p></div>"
              f"<div style=\"margin-left:.5in\">{paragraphs(c['text'])}</div></div></div>"
              f"</body></html>")
    return f"{x['fw']}: {c['subj']}", None, markup


def new_outlook(x, c, o):
    rows = [(x["f"], c["from"]), (x["date"], c["when"]),
            (x["to"], f"{COMPANY} <{COMPANY}>"), (x["subject"], c["subj"])]
    sep = ":\u00a0" if o["nbsp"] else ": "
    block = "\n".join(f"{k}{sep}{v}" for k, v in rows)
    plain = f"{o['note']}\n{block}\n{c['text']}\n"
    subject = f"{x['fw']}: {c['subj']}" if o["prefix"] else c["subj"]
    return subject, plain, None


def outlook_android(x, c, o):
    block = (f"From: {c['from']}\nSent: {c['when']}\nTo: {COMPANY} <{COMPANY}>\n"
             f"Subject: {c['subj']}")
    plain = (f"{o['note']}\nGet Outlook for Android<https://aka.ms/AAb9ysg>\n"
             f"________________________________\n{block}\n\n{c['text']}\n")
    return f"{x['fw']}: {c['subj']}", plain, None


def yahoo(x, c, o):
    glued = (f"{x['f']}: {c['from']}{x['to']}: \"{COMPANY}\" <{COMPANY}>{x['sent']}: "
             f"{c['when']}{x['subject']}: {c['subj']}")
    plain = f"{o['note']}\n\n   ----- {x['yahoo']} ----- {glued}\n {c['text']}\n"
    rows = "".join(f"<div><b>{h(k)}:</b> {h(v)}</div>" for k, v in [
        (x["f"], c["from"]), (x["to"], f"\"{COMPANY}\" <{COMPANY}>"),
        (x["sent"], c["when"]), (x["subject"], c["subj"])])
    markup = (f"<html><head></head><body><div class=\"ydp1\"><div>{h(o['note'].strip())}"
              f"</div><div><br></div><div id=\"yahoo_quoted_1\" class=\"yahoo_quoted\"><div>"
              f"----- {h(x['yahoo'])} -----</div>{rows}<div><br></div>"
              f"<div>{paragraphs(c['text'])}</div></div></div></body></html>")
    subject = f"Fw: {c['subj']}" if o["prefix"] else c["subj"]
    return subject, plain, markup if o["html"] else None


def hubspot(x, c, o):
    wide = x.get("wide")
    colon = "：" if wide else ": "
    rows = [(x.get("hub_from", x["f"]), c["from"]), (x["date"], c["when"]),
            (x["subject"], c["subj"]), (x.get("hub_to", x["to"]), COMPANY)]
    sep = x.get("hub", x.get("tb", "Forwarded message"))
    plain = (f"{o['note']}---------- {sep} ---------\n"
             + "\n".join(f"{k}{colon}{v}" for k, v in rows) + f"\n\n{c['text']}\n")
    return f"Fwd: {c['subj']}", plain, None


def ionos(x, c, o):
    rows = [("From", c["from"]), ("To", f"\"{COMPANY}\" <{COMPANY}>"), ("Date", c["when"]),
            ("Subject", c["subj"])]
    quoted = "\n".join(f"> {t}" if t else ">  " for t in c["text"].split("\n"))
    plain = (f"{o['note']}\n\n> ---------- Original Message ----------\n"
             + "\n".join(f"> {k}: {v}" for k, v in rows) + f"\n>  \n>  \n{quoted}\n")
    return c["subj"], plain, None


def mailmate(x, c, o):
    rows = [("From", c["from"]), ("To", COMPANY), ("Subject", c["subj"]),
            ("Date", c["when"])]
    quoted = "\n".join(f"> {t}" if t else ">" for t in c["text"].split("\n"))
    plain = (f"{o['note']}\nForwarded message:\n\n" + "\n".join(f"> {k}: {v}" for k, v in rows)
             + f"\n>\n{quoted}\n")
    return f"Fwd: {c['subj']}", plain, None


CLIENTS = {
    "gmail": (gmail, "mail-wr1-f{n}.google.com", "CAF{n:05d}x7Q=ok+Hc@mail.gmail.com", ""),
    "gmail-bold": (gmail_bold, "mail.widgets.example", "{n:05d}.bold@widgets.example",
                   "User-Agent: Mutt/2.2.12 (2023-09-09)"),
    "apple": (apple, "st43p00im-zteg10063401.me.com",
              "A1B2{n:05d}-5E6F-4A1B-9C2D-3E4F5A6B7C8D@widgets.example",
              "X-Mailer: iPhone Mail (21D61)"),
    "apple-html": (apple_html, "st43p00im-ztdg10063801.me.com",
                   "F00D{n:05d}-AB12-4C34-8D56-7E89F0A1B2C3@widgets.example",
                   "X-Mailer: Apple Mail (2.3774.300.61.1.2)"),
    "thunderbird": (thunderbird, "smtp.widgets.example", "{n:05d}a1b2-c3d4@widgets.example",
                    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 "
                    "Thunderbird/115.8.1"),
    "thunderbird-html": (thunderbird_html, "smtp.widgets.example",
                         "{n:05d}e5f6-a7b8@widgets.example",
                         "User-Agent: Mozilla Thunderbird"),
    "tb-original": (thunderbird_original, "smtp.widgets.example",
                    "{n:05d}orig-9f8e@widgets.example",
                    "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/"
                    "20100101 Thunderbird/128.3.0"),
    "outlook-live": (outlook_live, "EUR05-AM6-obe.outbound.protection.outlook.com",
                     "AM0PR07MB{n:05d}A1B2C3D4E5F6@AM0PR07MB1234.eurprd07.prod.outlook.com",
                     "Thread-Topic: forward\nX-MS-Has-Attach: \nX-MS-TNEF-Correlator: "),
    "outlook-2013": (outlook_2013, "owa.widgets.example", "00{n:05d}01d1a2b3$c4d5e6f7$@widgets"
                     ".example", "X-Mailer: Microsoft Outlook 15.0\nThread-Index: AdGh1n2k8w=="),
    "outlook-2019": (outlook_2019, "exch01.widgets.example",
                     "{n:05d}.7E1F0A2B@widgets.example",
                     "X-Mailer: Microsoft Outlook 16.0\nThread-Index: AdgZk3QF9Lp2rQ=="),
    "outlook-mac": (outlook_mac, "NAM12-BN8-obe.outbound.protection.outlook.com",
                    "BN8PR12MB{n:05d}DEADBEEF@BN8PR12MB1234.namprd12.prod.outlook.com",
                    "user-agent: Microsoft-MacOutlook/16.83.24031120"),
    "new-outlook": (new_outlook, "EUR03-DBA-obe.outbound.protection.outlook.com",
                    "DB9PR03MB{n:05d}0C1D2E3F@DB9PR03MB7788.eurprd03.prod.outlook.com",
                    "X-MS-Exchange-Organization-SCL: -1"),
    "outlook-android": (outlook_android, "EUR02-VI1-obe.outbound.protection.outlook.com",
                        "VI1PR02MB{n:05d}ABCD@VI1PR02MB4455.eurprd02.prod.outlook.com",
                        "X-MS-Exchange-Organization-AuthAs: Internal"),
    "yahoo": (yahoo, "sonic305-21.consmr.mail.ir2.yahoo.com",
              "{n:05d}112.1234567.1710064800000@mail.yahoo.com",
              "X-Mailer: WebService/1.1.22205 YMailNorrin"),
    "hubspot": (hubspot, "a.mx.hubspotemail.net", "{n:05d}.hs@widgets.example",
                "X-HubSpot-Source: conversations"),
    "ionos": (ionos, "mout.kundenserver.de", "{n:05d}.8812.1710064800@email.ionos.de",
              "X-Mailer: Open-Xchange Mailer v7.10.6-Rev55"),
    "mailmate": (mailmate, "smtp.widgets.example", "{n:05d}F3E2-MM@widgets.example",
                 "X-Mailer: MailMate (1.14r6015)"),
}
ORDER = ["gmail", "apple", "thunderbird", "outlook-live", "outlook-2019", "new-outlook",
         "yahoo", "apple-html", "thunderbird-html", "outlook-2013", "gmail-bold",
         "outlook-mac", "hubspot", "tb-original", "outlook-android", "ionos", "mailmate"]


def available(x: dict, client: str) -> bool:
    need = {"apple": "apple", "apple-html": "apple", "yahoo": "yahoo", "outlook-2019": "o19",
            "outlook-mac": "o19", "thunderbird": "tb", "thunderbird-html": "tb"}.get(client)
    return need is None or need in x


def label(name, agent, expect, note, agents_on=True, agent_list=None):
    return {"file": name, "mail_from": agent[1], "rcpt": [BOX],
            "agents": agent_list if agent_list is not None else [a[1] for a in AGENTS],
            "agent_forwarding": agents_on, "note": note, "expect": expect}


def forwards() -> list[tuple[str, bytes, dict]]:
    out = []
    n = 0
    for li, (lang, x) in enumerate(L.items()):
        start = (li * 7) % len(ORDER)
        clients = [c for c in ORDER[start:] + ORDER[:start] if available(x, c)][:9]
        for ci, client in enumerate(clients):
            n += 1
            fn, host, mid, ua = CLIENTS[client]
            name, email = x["who"]
            wrap = client in ("gmail", "new-outlook", "outlook-live") and n % 6 == 0
            c = {"name": name, "email": email, "subj": x["subj"], "text": x["text"],
                 "when": x["when"],
                 "from": f"{name}\n<{email}>" if wrap else f"{name} <{email}>"}
            if client in ("new-outlook",) and n % 4 == 1:
                c["from"] = f"{name} <{email}<mailto:{email}>>"
            o = {"note": f"{x['note']}\n\n" if (n + ci) % 3 == 0 else "",
                 "prefix": n % 4 != 2, "local_from": n % 2 == 0, "pad": n % 2 == 1,
                 "english": n % 3 != 1, "html": n % 2 == 0, "nbsp": n % 5 == 0,
                 "wrap": n % 4 == 3}
            if not o["prefix"] and client in ("outlook-live", "outlook-2019", "new-outlook"):
                o["note"] = ""  # with words above and no prefix it could be a reply
            subject, plain, markup = fn(x, c, o)
            if n % 7 == 3:  # some clients start the body with a byte-order mark
                plain = "\ufeff" + plain if plain is not None else plain
                markup = "\ufeff" + markup if plain is None else markup
            agent = AGENTS[n % len(AGENTS)]
            on = n % 23 != 5
            file = f"fwd-{client}-{lang}.eml"
            cte = ("8bit", "quoted-printable", "base64")[n % 3]
            raw = message(n, agent, subject, plain, markup,
                          {"host": host.format(n=n % 90), "mid": mid, "ua": ua}, cte)
            want = email if on else agent[1]
            expect = {"kind": "manual_forward", "requester": want, "automated": None,
                      "forwarder": agent[1], "original_sender": email,
                      "original_name": name}
            if not on:
                expect["reason_contains"] = "Agent forwarding is off"
            notes = [client, lang, cte, "html only" if plain is None else "plain" if
                     markup is None else "alternative"]
            flags = (("note above", bool(o["note"])), ("no subject prefix", subject == x["subj"]),
                     ("BOM", n % 7 == 3), ("wrapped From", wrap), ("agent forwarding off", not on))
            notes += [w for w, on_ in flags if on_]
            out.append((file, raw, label(file, agent, expect, ", ".join(notes), on)))
    return out


def plain_mail(n, sender, subject, text, ua="User-Agent: Mozilla Thunderbird", extra="",
               cte="8bit", markup=False):
    client = {"host": "mail.client.example", "mid": "{n:05d}.neg@client.example", "ua": ua}
    return message(n, sender, subject, None if markup else text, text if markup else None,
                   client, cte, extra)


def negatives() -> list[tuple[str, bytes, dict]]:
    ben = ("Ben Carter", "ben.carter@client.example")
    ana = ("Ana Ferreira", "ana.ferreira@client.example")
    rep = ("In-Reply-To: <CAF00001x7Q=ok+Hc@mail.gmail.com>\n"
           "References: <CAF00001x7Q=ok+Hc@mail.gmail.com>\n")
    cases = [
        ("neg-forwarded-to-colleague-en.eml", ben, "Order 2231",
         "Hi,\nI forwarded this to my colleague yesterday but nobody answered.\nFrom what I "
         "see the order is still open.\n\nBen", "", False),
        ("neg-auto-reply-broken-en.eml", ben, "My automatic reply is broken",
         "Hello,\nmy automatic reply is broken: when I am away nobody gets the out-of-office "
         "message.\nCan you check the setting?\n\nBen", "", False),
        ("neg-undeliverable-parcel-en.eml", ana, "Undeliverable parcel",
         "Hi,\nthe courier says the parcel is undeliverable because the address is wrong.\n"
         "Delivery Status: returned to sender.\nPlease send it again to Rua Augusta 12.\n\nAna",
         "", False),
        ("neg-weitergeleitet-de.eml", ("Björn Weiß", "b.weiss@client.example"),
         "Rechnung 8812", "Hallo,\nich habe die Nachricht an unsere Buchhaltung "
         "weitergeleitet.\nWeitergeleitete Nachricht kam dort aber nie an.\n\nGruß\nBjörn",
         "", False),
        ("neg-forward-sentence-html-en.eml", ben, "Strange mail",
         "<html><body><p>I got a <b>Forwarded message</b> from someone I do not know.</p>"
         "<p>From: an unknown sender, apparently.</p><p>Is it from you?</p></body></html>",
         "", True),
        ("neg-vidarebefordra-sv.eml", ("Märta Öberg", "marta.oberg@client.example"),
         "Vidarebefordra fakturan?", "Hej!\nKan ni vidarebefordra fakturan till vår "
         "ekonomiavdelning?\nBegin forwarded message är inte vad jag menar.\n\nMvh Märta",
         "", False),
        ("neg-reply-gmail-en.eml", ben, "Re: Printer offline",
         "It is still offline.\n\nOn Tue, Mar 10, 2026 at 9:12 AM Widgets Support <"
         f"{BOX}> wrote:\n> Please restart it.\n", rep, False),
        ("neg-reply-outlook-fr.eml", ("Hélène Lefèvre", "helene@client.example"),
         "RE: Commande 8812", "Merci, c'est reçu.\n\n________________________________\nDe : "
         f"Widgets Support <{BOX}>\nEnvoyé : mardi 10 mars 2026 09:41\nÀ : Hélène Lefèvre "
         "<helene@client.example>\nObjet : Commande 8812\n\nLes cartons partent demain.\n",
         rep, False),
        ("neg-reply-aw-de.eml", ("Björn Weiß", "b.weiss@client.example"), "AW: Portal",
         "Danke, geht wieder.\n\nAm Di., 10. März 2026 um 08:02 Uhr schrieb Widgets Support "
         f"<{BOX}>:\n> Bitte Cache leeren.\n", rep, False),
        ("neg-reply-outlook2019-en.eml", ben, "RE: Invoice 4471",
         f"Thanks.\n\nOn 10/03/2026 10:14, \"Widgets Support\" <{BOX}> wrote:\n\n    The "
         "refund is on its way.\n", rep, False),
        ("neg-reply-escribio-es.eml", ("Iñigo Zubizarreta", "inigo@client.example"),
         "Re: Garantía", f"Perfecto.\n\nEl mar, 10 mar 2026 a las 11:20, Widgets Support (<{BOX}"
         ">) escribió:\n> Sí, está cubierto.\n", rep, False),
        ("neg-reply-odp-pl.eml", ("Łukasz Wróblewski", "lukasz@client.example"),
         "Odp: Eksport PDF", "Dziękuję.\n\n-----Oryginalna wiadomość-----\nOd: Widgets Support "
         f"<{BOX}>\nWysłano: wtorek, 10 marca 2026 13:07\nDo: Łukasz <lukasz@client.example>\n"
         "Temat: Eksport PDF\n\nProszę zaktualizować.\n", rep, False),
        ("neg-reply-ja.eml", ("山田 花子", "hanako@client.example"), "Re: ログイン",
         f"解決しました。\n\n2026年3月10日(火) 9:12 Widgets Support <{BOX}>:\n> キャッシュを削除してください。\n",
         rep, False),
        ("neg-reply-ynt-tr.eml", ("Gülşen Yıldırım", "gulsen@client.example"),
         "YNT: Fatura", f"Teşekkürler.\n\n\"Widgets Support\" <{BOX}>, 10.03.2026 11:45 "
         "tarihinde şunu yazdı:\n\n    Düzeltildi.\n", rep, False),
        ("neg-reply-ru.eml", ("Дмитрий Соколов", "d.sokolov@client.example"), "Re: Оплата",
         f"Спасибо!\n\n10.03.2026, 10:30, Widgets Support <{BOX}>:\n> Попробуйте снова.\n",
         rep, False),
        ("neg-bottom-post-no-prefix-en.eml", ben, "Printer offline",
         "On 10/03/2026 09:12, Widgets Support wrote:\n> Please restart it.\n\nDone, still "
         "offline.\n", rep, False),
        ("neg-reply-prefix-removed-en.eml", ana, "Delivery address",
         "Yes, that is the right address.\n\n________________________________\nFrom: Widgets "
         f"Support <{BOX}>\nSent: Tuesday, March 10, 2026 9:12 AM\nTo: Ana Ferreira <ana.ferr"
         "eira@client.example>\nSubject: Delivery address\n\nIs Rua Augusta 12 right?\n", rep,
         False),
        ("neg-reply-quoting-forward-en.eml", ben, "Re: Fwd: Printer offline",
         "Agreed.\n\nOn Tue, 10 Mar 2026 at 08:30, Olga Ivanova <olga.ivanova@widgets.example> "
         "wrote:\n> ---------- Forwarded message ---------\n> From: Eve <eve@elsewhere.example>"
         "\n> Subject: Printer offline\n", rep, False),
        ("neg-agent-own-mail-en.eml", AGENTS[0], "Printer on floor 3 needs toner",
         "Hi team,\nthe printer on floor 3 needs toner, I am opening this ticket for it.\n"
         "Forward planning: we should order ten cartridges.\n\nOlga", "", False),
        ("neg-memo-words-en.eml", ana, "Minutes",
         "Minutes of Monday's call.\nSubject: renewal of the contract\nFrom the customer's "
         "side: Ana, Rui.\nTo do: send the quote.\n", "", False),
    ]
    out = []
    for i, (file, sender, subject, text, extra, markup) in enumerate(cases):
        raw = plain_mail(500 + i, sender, subject, text, extra=extra,
                         cte=("8bit", "quoted-printable", "base64")[i % 3], markup=markup)
        expect = {"kind": "direct", "requester": sender[1], "automated": None}
        out.append((file, raw, label(file, sender, expect, "negative: " + subject)))
    return out


def specials() -> list[tuple[str, bytes, dict]]:
    """A customer forwarding a colleague's mail, and a forward whose From names no address."""
    olga = AGENTS[0]
    client = {"host": "mail.client.example", "mid": "{n:05d}.sp@client.example",
              "ua": "X-Mailer: Microsoft Outlook 16.0"}
    out = []
    raw = message(700, ("Rui Costa", "rui.costa@client.example"), "FW: Broken login",
                  "FYI, my colleague has the same problem.\n\n________________________________"
                  "\nFrom: Ana Ferreira <ana.ferreira@client.example>\nSent: Tuesday, March 10"
                  ", 2026 9:12 AM\nTo: Rui Costa <rui.costa@client.example>\nSubject: Broken "
                  "login\n\nI cannot log in either.\n", None, client, "quoted-printable")
    out.append(("fwd-customer-forwards-colleague.eml", raw, label(
        "fwd-customer-forwards-colleague.eml", ("", "rui.costa@client.example"),
        {"kind": "manual_forward", "requester": "rui.costa@client.example",
         "original_sender": "ana.ferreira@client.example", "automated": None},
        "a customer (not an agent) forwards a colleague's mail: the forwarder is the "
        "requester")))
    raw = message(701, olga, "Fwd: Call me back", "---------- Forwarded message ---------\n"
                  "From: Karl (mobile)\nDate: Tue, Mar 10, 2026 at 9:12 AM\nSubject: Call me "
                  "back\n\nPlease call me back about the quote.\n", None, client, "8bit")
    out.append(("fwd-no-address.eml", raw, label(
        "fwd-no-address.eml", olga,
        {"kind": "manual_forward", "requester": olga[1], "original_sender": None,
         "automated": None, "reason_contains": "no original sender could be read"},
        "forward recognised, its From names no address: the agent is the requester")))
    return out


def nested() -> list[tuple[str, bytes, dict]]:
    """An agent forwards a mail that another agent had forwarded (or answered) first: the
    first block's From is that agent, the customer is in the block inside it.  Negatives:
    the same chains sent by a customer, or with agent forwarding off, or an agent's own note
    forwarded with nothing inside it."""
    olga, tomas, anneli = AGENTS
    cust = ("Farida Haddad", "farida.haddad@saltmarsh.example")
    cust2 = ("Pieter de Boer", "p.deboer@kanaalzicht.example")
    cust3 = ("Łucja Nowicka", "lucja.nowicka@bursztyn.example")
    gm = {"host": "mail-sor-f41.google.com", "mid": "CAJ{n:05d}nest@mail.gmail.com",
          "ua": "X-Mailer: Gmail"}
    ol = {"host": "EUR03-AM7-obe.outbound.protection.outlook.com",
          "mid": "AM7PR{n:05d}nest@AM7PR03MB.eurprd03.prod.outlook.com",
          "ua": "X-Mailer: Microsoft Outlook 16.0"}
    ap = {"host": "mail.widgets.example", "mid": "{n:05d}-NEST@widgets.example",
          "ua": "X-Mailer: Apple Mail (2.3774.600.62)"}
    tb = {"host": "mail.widgets.example", "mid": "{n:05d}.nest@widgets.example",
          "ua": "User-Agent: Mozilla Thunderbird"}
    cases = [
        ("fwd-nested-gmail-en.eml", olga, gm, "Fwd: Fwd: Damaged pallet on delivery",
         "Olga, this one is yours now.\n\n---------- Forwarded message ---------\n"
         f"From: {tomas[0]} <{tomas[1]}>\nDate: Mon, Mar 9, 2026 at 4:40 PM\nSubject: Fwd: "
         f"Damaged pallet on delivery\nTo: {olga[0]} <{olga[1]}>\n\nCan you take this? I am "
         "off tomorrow.\n\n---------- Forwarded message ---------\nFrom: "
         f"{cust[0]} <{cust[1]}>\nDate: Mon, Mar 9, 2026 at 11:02 AM\nSubject: Damaged "
         f"pallet on delivery\nTo: <{tomas[1]}>\n\nThe pallet arrived with two broken "
         "crates. Photos attached.\n", cust, tomas),
        ("fwd-nested-outlook-de.eml", anneli, ol, "WG: WG: Rechnung doppelt abgebucht",
         "Zur Info.\n\n________________________________\nVon: "
         f"{tomas[0]} <{tomas[1]}>\nGesendet: Montag, 9. März 2026 15:10\nAn: {anneli[0]} "
         f"<{anneli[1]}>\nBetreff: WG: Rechnung doppelt abgebucht\n\nBitte übernehmen.\n\n"
         f"________________________________\nVon: {cust2[0]} <{cust2[1]}>\nGesendet: Montag, "
         f"9. März 2026 09:48\nAn: {tomas[1]}\nBetreff: Rechnung doppelt abgebucht\n\n"
         "Die Rechnung 5521 wurde zweimal abgebucht.\n", cust2, tomas),
        ("fwd-nested-apple-fr.eml", olga, ap, "Fwd: Réservation du camion",
         "Début du message réexpédié :\n\n> De: "
         f"{anneli[0]} <{anneli[1]}>\n> Objet: Réservation du camion\n> Date: 9 mars 2026 à "
         f"10:21:05 UTC+1\n> À: {olga[0]} <{olga[1]}>\n>\n> Pour toi.\n>\n> Début du "
         f"message réexpédié :\n>\n> De: {cust[0]} <{cust[1]}>\n> Objet: Réservation du "
         f"camion\n> Date: 8 mars 2026 à 18:02:44 UTC+1\n> À: {anneli[1]}\n>\n> Le camion "
         "peut-il passer jeudi matin ?\n", cust, anneli),
        ("fwd-nested-thunderbird-es.eml", tomas, tb, "Fwd: Fwd: Garantía de la bomba",
         "-------- Mensaje reenviado --------\nAsunto: \tFwd: Garantía de la bomba\nFecha: "
         f"\tMon, 9 Mar 2026 12:30:00 +0100\nDe: \t{olga[0]} <{olga[1]}>\nPara: \t"
         f"{tomas[1]}\n\n\n\nTuya.\n\n-------- Mensaje reenviado --------\nAsunto: \t"
         "Garantía de la bomba\nFecha: \tSun, 8 Mar 2026 20:14:09 +0100\nDe: \t"
         f"{cust3[0]} <{cust3[1]}>\nPara: \t{olga[1]}\n\n\n\nLa bomba dejó de funcionar "
         "a los tres meses.\n", cust3, olga),
        ("fwd-nested-three-levels-en.eml", olga, gm, "Fwd: Fwd: Fwd: Access badge",
         "---------- Forwarded message ---------\nFrom: "
         f"{anneli[0]} <{anneli[1]}>\nDate: Tue, Mar 10, 2026 at 8:05 AM\nSubject: Fwd: Fwd: "
         f"Access badge\nTo: <{olga[1]}>\n\n---------- Forwarded message ---------\nFrom: "
         f"{tomas[0]} <{tomas[1]}>\nDate: Mon, Mar 9, 2026 at 6:12 PM\nSubject: Fwd: Access "
         f"badge\nTo: <{anneli[1]}>\n\n---------- Forwarded message ---------\nFrom: "
         f"{cust2[0]} <{cust2[1]}>\nDate: Mon, Mar 9, 2026 at 5:55 PM\nSubject: Access "
         f"badge\nTo: <{tomas[1]}>\n\nMy badge stopped working at gate B.\n",
         cust2, anneli),
        ("fwd-nested-reply-inside-en.eml", anneli, gm, "Fwd: Re: Missing invoice copy",
         "---------- Forwarded message ---------\nFrom: "
         f"{tomas[0]} <{tomas[1]}>\nDate: Mon, Mar 9, 2026 at 2:15 PM\nSubject: Re: Missing "
         f"invoice copy\nTo: {cust3[0]} <{cust3[1]}>\n\nI will ask accounting.\n\nOn Mon, "
         f"Mar 9, 2026 at 1:40 PM {cust3[0]} <{cust3[1]}> wrote:\n> Could you send me a copy "
         "of invoice 7730?\n", cust3, tomas),
        ("fwd-nested-outlook2019-pl.eml", tomas, ol, "PD: PD: Zwrot towaru",
         f"Dnia 09/03/2026, 11:20 użytkownik „{olga[0]}” <{olga[1]}> napisał:\n\n    Proszę "
         "o przejęcie.\n\n    Od: "
         f"{cust3[0]} <{cust3[1]}>\n    Data: poniedziałek, 9 marca 2026 09:02\n    Do: "
         f"{olga[1]}\n    Temat: Zwrot towaru\n\n    Chcę zwrócić zamówienie 4410.\n",
         cust3, olga),
    ]
    out = []
    for i, (file, fwd, client, subject, text, original, hop) in enumerate(cases):
        raw = message(800 + i, fwd, subject, text, None, client,
                      ("8bit", "quoted-printable", "base64")[i % 3])
        out.append((file, raw, label(file, fwd, {
            "kind": "manual_forward", "requester": original[1], "automated": None,
            "forwarder": fwd[1], "original_sender": original[1],
            "original_name": original[0], "reason_contains": f"an agent's ({hop[1]})"},
            "agent forwards another agent's forward: the customer inside is the requester")))
    # The first case again with agent forwarding off: the forwarding agent is the requester.
    file, fwd, client, subject, text, original, hop = cases[0]
    raw = message(820, fwd, subject, text, None, client, "8bit")
    out.append(("fwd-nested-off-en.eml", raw, label("fwd-nested-off-en.eml", fwd, {
        "kind": "manual_forward", "requester": fwd[1], "automated": None,
        "forwarder": fwd[1], "original_sender": hop[1],
        "reason_contains": "Agent forwarding is off"},
        "nested agent forward, agent forwarding off: the agent is the requester", False)))
    # An agent forwards a colleague's own note: nothing inside it, the colleague is it.
    raw = message(821, olga, "Fwd: Forklift service due",
                  "---------- Forwarded message ---------\nFrom: "
                  f"{tomas[0]} <{tomas[1]}>\nDate: Mon, Mar 9, 2026 at 9:00 AM\nSubject: "
                  f"Forklift service due\nTo: <{olga[1]}>\n\nThe forklift needs its yearly "
                  "service, please book it.\n", None, gm, "8bit")
    out.append(("fwd-nested-agent-note-en.eml", raw, label("fwd-nested-agent-note-en.eml", olga, {
        "kind": "manual_forward", "requester": tomas[1], "automated": None,
        "forwarder": olga[1], "original_sender": tomas[1]},
        "an agent forwards a colleague's own note: nothing inside, the colleague is it")))
    # A customer (not an agent) forwards an agent's reply that quotes her own mail: she is
    # the requester, and the agent whose mail she forwards is the original sender.
    raw = message(822, cust, "Fwd: Re: Missing invoice copy",
                  "Still no copy, see below.\n\n---------- Forwarded message ---------\nFrom: "
                  f"{tomas[0]} <{tomas[1]}>\nDate: Mon, Mar 9, 2026 at 2:15 PM\nSubject: Re: "
                  f"Missing invoice copy\nTo: <{cust[1]}>\n\nI will ask accounting.\n\nOn "
                  f"Mon, Mar 9, 2026 at 1:40 PM {cust[0]} <{cust[1]}> wrote:\n> Could you send "
                  "me a copy of invoice 7730?\n", None, gm, "quoted-printable")
    out.append(("fwd-nested-customer-forwards-agent-en.eml", raw, label(
        "fwd-nested-customer-forwards-agent-en.eml", cust, {
            "kind": "manual_forward", "requester": cust[1], "automated": None,
            "forwarder": cust[1], "original_sender": tomas[1]},
        "a customer forwards an agent's reply that quotes her: she is the requester")))
    # A customer's reply quoting an agent's forward chain stays her direct mail.
    rep = ("In-Reply-To: <CAJ00800nest@mail.gmail.com>\n"
           "References: <CAJ00800nest@mail.gmail.com>\n")
    for i, (file, subject) in enumerate((("neg-reply-quoting-agent-chain-en.eml",
                                          "Re: Damaged pallet on delivery"),
                                         ("neg-reply-quoting-agent-chain-noprefix-en.eml",
                                          "Damaged pallet on delivery"))):
        raw = plain_mail(830 + i, cust, subject,
                         "Thanks, the replacement crates arrived.\n\nOn Tue, Mar 10, 2026 at "
                         f"9:30 AM {olga[0]} <{olga[1]}> wrote:\n> Tomás passed this to me; "
                         "new crates ship today.\n>\n> ---------- Forwarded message "
                         f"---------\n> From: {tomas[0]} <{tomas[1]}>\n> Subject: Fwd: Damaged "
                         f"pallet on delivery\n>\n> > From: {cust[0]} <{cust[1]}>\n> > The "
                         "pallet arrived with two broken crates.\n", extra=rep,
                         cte=("8bit", "base64")[i])
        out.append((file, raw, label(file, cust, {
            "kind": "direct", "requester": cust[1], "automated": None},
            "negative: a customer's reply quoting an agent's forward chain")))
    return out


def main() -> None:
    samples = forwards() + negatives() + specials() + nested()
    for old in HERE.glob("*.eml"):
        old.unlink()
    for file, raw, _ in samples:
        (HERE / file).write_bytes(raw)
    labels = [lab for _, _, lab in samples]
    (HERE / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n",
                                      encoding="utf-8")
    print(f"{len(samples)} samples")


if __name__ == "__main__":
    main()
