"""Writes the classification corpus in this folder: .eml files (CRLF) and labels.json.

Each client family writes forwards its own way (Gmail, Outlook desktop / 365 / new Outlook,
Apple Mail, Thunderbird, Yahoo, Samsung and other mobile clients) and in the user's language;
the table LANGS holds what they write, FAMILIES how they lay it out.  Hand-shaped cases
(look-alikes, automated mail, blocklist fallbacks) follow.  Run it again after changing it:
``python3 tests/data/classify/generate.py``.
"""
from __future__ import annotations

import base64
import json
from email.header import Header
from pathlib import Path

HERE = Path(__file__).parent
BOX = "tickets@help.example.com"
AGENT = ("Olga Ivanova", "olga.ivanova@widgets.example")

# lang: (subject prefix, gmail, apple, thunderbird, yahoo, outlook line,
#        (from, sent, to, subject, cc, date) labels, customer name, subject, body)
LANGS = {
    "en": ("FW", "Forwarded message", "Begin forwarded message:", "Forwarded Message",
           "Forwarded Message", "Original Message",
           ("From", "Sent", "To", "Subject", "Cc", "Date"), "Ben Carter", "Printer offline",
           "The printer on floor 2 is offline again."),
    "es": ("RV", "Mensaje reenviado", "Inicio del mensaje reenviado:", "Mensaje reenviado",
           "Mensaje reenviado", "Mensaje original",
           ("De", "Enviado el", "Para", "Asunto", "CC", "Fecha"), "Lucía García",
           "Factura duplicada", "Nos han cobrado dos veces la factura 2231."),
    "de": ("WG", "Weitergeleitete Nachricht", "Anfang der weitergeleiteten Nachricht:",
           "Weitergeleitete Nachricht", "Weitergeleitete Nachricht", "Ursprüngliche Nachricht",
           ("Von", "Gesendet", "An", "Betreff", "Cc", "Datum"), "Jürgen Müller",
           "Lieferung beschädigt", "Die Lieferung kam beschädigt an."),
    "fr": ("TR", "Message transféré", "Début du message réexpédié :", "Message transféré",
           "Message transféré", "Message d'origine",
           ("De ", "Envoyé ", "À ", "Objet ", "Cc ", "Date "), "Amélie Dubois",
           "Mot de passe oublié", "Je ne peux plus me connecter à mon compte."),
    "it": ("I", "Messaggio inoltrato", "Inizio messaggio inoltrato:", "Messaggio Inoltrato",
           "Messaggio inoltrato", "Messaggio originale",
           ("Da", "Inviato", "A", "Oggetto", "Cc", "Data"), "Giulia Rossi",
           "Ordine non ricevuto", "L'ordine 5521 non è ancora arrivato."),
    "pt": ("ENC", "Mensagem encaminhada", "Início da mensagem encaminhada:",
           "Mensagem encaminhada", "Mensagem encaminhada", "Mensagem original",
           ("De", "Enviada em", "Para", "Assunto", "Cc", "Data"), "João Silva",
           "Erro no pagamento", "O pagamento foi recusado duas vezes."),
    "nl": ("Doorst", "Doorgestuurd bericht", "Begin doorgestuurd bericht:",
           "Doorgestuurd bericht", "Doorgestuurd bericht", "Oorspronkelijk bericht",
           ("Van", "Verzonden", "Aan", "Onderwerp", "CC", "Datum"), "Sanne de Vries",
           "Account geblokkeerd", "Mijn account is geblokkeerd na een update."),
    "sv": ("VB", "Vidarebefordrat meddelande", "Vidarebefordrat brev:",
           "Vidarebefordrat meddelande", "Vidarebefordrat meddelande",
           "Ursprungligt meddelande", ("Från", "Skickat", "Till", "Ämne", "Kopia", "Datum"),
           "Åsa Lindqvist", "Fel leveransadress", "Paketet skickades till fel adress."),
    "da": ("VS", "Videresendt meddelelse", "Start på videresendt besked:",
           "Videresendt meddelelse", "Videresendt meddelelse", "Oprindelig meddelelse",
           ("Fra", "Sendt", "Til", "Emne", "Cc", "Dato"), "Søren Jørgensen",
           "Licens udløbet", "Vores licens er udløbet for tidligt."),
    "no": ("Videresend", "Videresendt melding", "Videresendt melding:",
           "Videresendt melding", "Videresendt melding", "Opprinnelig melding",
           ("Fra", "Sendt", "Til", "Emne", "Kopi", "Dato"), "Kari Nordmann",
           "Faktura mangler", "Vi har ikke mottatt fakturaen for mars."),
    "fi": ("VL", "Välitetty viesti", "Välitetty viesti alkaa:", "Välitetty viesti",
           "Välitetty viesti", "Alkuperäinen viesti",
           ("Lähettäjä", "Lähetetty", "Vastaanottaja", "Aihe", "Kopio", "Päivämäärä"),
           "Matti Virtanen", "Tilaus peruttu", "Tilaukseni peruttiin ilman syytä."),
    "pl": ("PD", "Wiadomość przekazana dalej", "Początek przekazywanej wiadomości:",
           "Przekazana wiadomość", "Przekazana wiadomość", "Wiadomość oryginalna",
           ("Od", "Wysłano", "Do", "Temat", "DW", "Data"), "Zofia Kowalska",
           "Brak dostępu", "Nie mogę zalogować się do panelu."),
    "cs": ("Fwd", "Přeposlaná zpráva", "Začátek přeposlané zprávy:", "Přeposlaná zpráva",
           "Přeposlaná zpráva", "Původní zpráva",
           ("Od", "Odesláno", "Komu", "Předmět", "Kopie", "Datum"), "Petr Dvořák",
           "Chybná faktura", "Na faktuře je špatné IČO."),
    "ru": ("Fwd", "Пересылаемое сообщение", "Начало переадресованного сообщения:",
           "Пересылаемое сообщение", "Пересылаемое сообщение", "Исходное сообщение",
           ("От", "Отправлено", "Кому", "Тема", "Копия", "Дата"), "Иван Петров",
           "Не работает вход", "Не могу войти в личный кабинет."),
    "tr": ("İLT", "Yönlendirilmiş ileti", "Yönlendirilmiş ileti başlangıcı:",
           "İletilen İleti", "Yönlendirilmiş ileti", "Özgün İleti",
           ("Kimden", "Gönderildi", "Kime", "Konu", "Bilgi", "Tarih"), "Ayşe Yılmaz",
           "Sipariş gecikti", "Siparişim bir haftadır gelmedi."),
    "ja": ("転送", "転送されたメッセージ", "転送されたメッセージ:", "転送メッセージ",
           "転送メッセージ", "元のメッセージ",
           ("差出人", "送信日時", "宛先", "件名", "CC", "日付"), "山田 太郎",
           "ログインできません", "昨日からログインできません。"),
}
DATE = "Tue, 17 Nov 2026 16:00:00 +0100"


def addr(lang: str) -> str:
    return f"customer.{lang}@client.example"


def encode(value: str) -> str:
    try:
        value.encode("ascii")
        return value
    except UnicodeEncodeError:
        return Header(value, "utf-8").encode()


def headers(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"{k}: {encode(v)}\r\n" for k, v in pairs)


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def plain(body: str) -> str:
    return ("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" + crlf(body))


def html_only(html: str) -> str:
    data = base64.encodebytes(html.encode()).decode()
    return ("MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + crlf(data))


def alternative(text: str, html: str) -> str:
    b = "000000000000a1b2c3d4e5f6"
    return (f"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"{b}\"\r\n"
            f"\r\n--{b}\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n{crlf(text)}\r\n--{b}\r\n"
            f"Content-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: base64"
            f"\r\n\r\n{crlf(base64.encodebytes(html.encode()).decode())}\r\n--{b}--\r\n")


def forward_mail(subject: str, body: str, msgid: str, sender=AGENT, extra=()) -> str:
    pairs = [("From", f"{sender[0]} <{sender[1]}>"), ("To", BOX), ("Subject", subject),
             ("Date", "Wed, 18 Nov 2026 09:00:00 +0100"), ("Message-ID", f"<{msgid}>")]
    return headers(pairs + list(extra)) + body


def family_bodies(lang: str) -> dict[str, tuple[str, str]]:
    """family -> (subject, MIME body) for one language."""
    pre, gmail, apple, tb, yahoo, orig, lab, name, subj, text = LANGS[lang]
    fr, sent, to, su, cc, dt = (x.rstrip() for x in lab)
    sp = " " if lang == "fr" else ""
    who, agent = f"{name} <{addr(lang)}>", f"{AGENT[0]} <{AGENT[1]}>"
    out = {}
    g = (f"Please take this one.\n\n---------- {gmail} ---------\n{fr}{sp}: {who}\n"
         f"{dt}{sp}: {DATE}\n{su}{sp}: {subj}\n{to}{sp}: {agent}\n\n\n{text}\n")
    gh = (f"<div dir=\"ltr\">Please take this one.<br><br><div class=\"gmail_quote\">"
          f"<div dir=\"ltr\" class=\"gmail_attr\">---------- {gmail} ---------<br>{fr}{sp}: "
          f"<strong class=\"gmail_sendername\" dir=\"auto\">{name}</strong> "
          f"<span dir=\"auto\">&lt;<a href=\"mailto:{addr(lang)}\">{addr(lang)}</a>&gt;</span>"
          f"<br>{dt}{sp}: {DATE}<br>{su}{sp}:"
          f" {subj}<br>{to}{sp}: {AGENT[0]} &lt;<a href=\"mailto:{AGENT[1]}\">{AGENT[1]}</a>"
          f"&gt;<br></div><br><br><div dir=\"ltr\">{text}</div></div></div>\n")
    out["gmail"] = (f"Fwd: {subj}", alternative(g, gh))
    out["gmail-html"] = (f"Fwd: {subj}", html_only(gh))
    out["outlook-desktop"] = (f"{pre}: {subj}", plain(
        f"\n\n-----{orig}-----\n{fr}{sp}: {name} [mailto:{addr(lang)}]\n{sent}{sp}: {DATE}\n"
        f"{to}{sp}: {AGENT[0]}\n{su}{sp}: {subj}\n\n{text}\n"))
    oh = (f"<html><body><div class=\"WordSection1\"><p class=\"MsoNormal\">&nbsp;</p><div><div"
          f" style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\">"
          f"<p class=\"MsoNormal\"><b>{fr}{sp}:</b> {name} &lt;{addr(lang)}&gt; <br><b>{sent}"
          f"{sp}:</b> {DATE}<br><b>{to}{sp}:</b> {AGENT[0]} &lt;{AGENT[1]}&gt;<br><b>{su}"
          f"{sp}:</b> {subj}</p></div></div><p class=\"MsoNormal\">{text}</p></div>"
          f"</body></html>\n")
    out["outlook365-html"] = (f"{pre}: {subj}", html_only(oh))
    nh = (f"<html><body><div dir=\"ltr\">See below</div><hr style=\"display:inline-block;"
          f"width:98%\" tabindex=\"-1\"><div id=\"divRplyFwdMsg\" dir=\"ltr\"><b>{fr}{sp}:</b>"
          f" {name} &lt;{addr(lang)}&gt;<br><b>{sent}{sp}:</b> {DATE}<br><b>{to}{sp}:</b> "
          f"{AGENT[0]} &lt;{AGENT[1]}&gt;<br><b>{su}{sp}:</b> {subj}<div>&nbsp;</div></div>"
          f"<div dir=\"ltr\">{text}</div></body></html>\n")
    nt = (f"See below\n________________________________\n{fr}{sp}: {name} <{addr(lang)}>\n"
          f"{sent}{sp}: {DATE}\n{to}{sp}: {AGENT[0]} <{AGENT[1]}>\n{su}{sp}: {subj}\n\n{text}\n")
    out["new-outlook"] = (f"{pre}: {subj}", alternative(nt, nh))
    out["apple"] = (f"Fwd: {subj}", plain(
        f"\n\n> {apple}\n> \n> {fr}{sp}: {who}\n> {su}{sp}: {subj}\n> {dt}{sp}: {DATE}\n"
        f"> {to}{sp}: {agent}\n> \n> {text}\n"))
    ah = (f"<html><body><div><br><blockquote type=\"cite\"><div>{apple}</div><br class=\""
          f"Apple-interchange-newline\"><div style=\"margin: 0px;\"><span><b>{fr}{sp}: </b>"
          f"</span><span>{name} &lt;<a href=\"mailto:{addr(lang)}\">{addr(lang)}</a>&gt;"
          f"</span></div><div style=\"margin: 0px;\"><span><b>{su}{sp}: </b></span><span><b>"
          f"{subj}</b></span></div><div style=\"margin: 0px;\"><span><b>{dt}{sp}: </b></span>"
          f"<span>{DATE}</span></div><br><div>{text}</div></blockquote></div></body></html>\n")
    out["apple-html"] = (f"Fwd: {subj}", html_only(ah))
    out["thunderbird"] = (f"Fwd: {subj}", plain(
        f"\n\n\n-------- {tb} --------\n{su}{sp}: \t{subj}\n{dt}{sp}: \t{DATE}\n"
        f"{fr}{sp}: \t{who}\n{to}{sp}: \t{agent}\n\n\n\n{text}\n"))
    th = (f"<html><body><div class=\"moz-forward-container\"><br><br>-------- {tb} --------"
          f"<table class=\"moz-email-headers-table\"><tbody><tr><th>{su}{sp}: </th><td>{subj}"
          f"</td></tr><tr><th>{dt}{sp}: </th><td>{DATE}</td></tr><tr><th>{fr}{sp}: </th><td>"
          f"{name} <a class=\"moz-txt-link-rfc2396E\" href=\"mailto:{addr(lang)}\">&lt;"
          f"{addr(lang)}&gt;</a></td></tr></tbody></table><br><p>{text}</p></div></body>"
          f"</html>\n")
    out["thunderbird-html"] = (f"Fwd: {subj}", html_only(th))
    out["yahoo"] = (f"Fwd: {subj}", plain(
        f"\n\n\n----- {yahoo} -----\n{fr}{sp}: {who}\n{to}{sp}: {agent}\n"
        f"{sent}{sp}: {DATE}\n{su}{sp}: {subj}\n\n{text}\n"))
    out["samsung"] = (f"Fwd: {subj}", plain(
        f"\n\nSent from my Galaxy\n\n\n-------- {orig} --------\n{fr}{sp}: {who}\n"
        f"{dt}{sp}: {DATE}\n{to}{sp}: {agent}\n{su}{sp}: {subj}\n\n{text}\n"))
    return out


def label(file: str, expect: dict, note: str = "", agents=(AGENT[1],), agent_forwarding=True,
          mail_from: str = AGENT[1], rcpt=(BOX,), context: dict | None = None) -> dict:
    entry = {"file": file, "mail_from": mail_from, "rcpt": list(rcpt), "agents": list(agents),
             "agent_forwarding": agent_forwarding, "note": note, "expect": expect}
    if context:
        entry["context"] = context
    return entry


def client_corpus() -> tuple[dict[str, str], list[dict]]:
    files: dict[str, str] = {}
    labels: list[dict] = []
    for lang in LANGS:
        name = LANGS[lang][7]
        for family, (subject, body) in family_bodies(lang).items():
            file = f"fwd-{family}-{lang}.eml"
            files[file] = forward_mail(subject, body, f"{family}.{lang}@widgets.example")
            labels.append(label(file, {"kind": "manual_forward", "requester": addr(lang),
                                       "original_sender": addr(lang), "original_name": name,
                                       "forwarder": AGENT[1], "automated": None},
                                f"{family} forward in {lang}, agent forwarding on"))
    return files, labels


def main() -> None:
    from cases import hand_cases  # the hand-shaped cases live next to this file

    files, labels = client_corpus()
    more_files, more_labels = hand_cases()
    files.update(more_files)
    labels += more_labels
    for old in HERE.glob("*.eml"):
        old.unlink()
    for file, text in files.items():
        (HERE / file).write_bytes(text.encode("utf-8"))
    (HERE / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    print(f"{len(files)} messages written")


if __name__ == "__main__":
    main()
