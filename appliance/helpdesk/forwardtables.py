"""Every localized word classification looks for, in one place.

Mail clients write forwards and replies in the user's language: subject prefixes, the line
above a forwarded message, and the labels of the forwarded header block.  The tables below
are the single source of those words; the rules in ``forwards.py`` only combine them.
Matching is done on lower-cased text.
"""
from __future__ import annotations

import re

# Subject prefixes (lower-case, without the colon).  Forward: Fwd/Fw/FW (many), TR (fr),
# WG (de), RV (es), I (it), ENC (pt), Doorst (nl), VS/Vs/Videresend (no, da), VB (sv),
# VL (fi), PD (pl), PŘ (cs), ПЕР/Пересл (ru), İLT (tr), 転送 (ja), 转发/轉寄 (zh), TOV (hu).
FORWARD_PREFIXES = frozenset({
    "fwd", "fw", "fwrd", "tr", "trs", "wg", "rv", "i", "enc", "doorst",
    "vs", "videresend", "videresendt", "vb", "vl", "pd", "př", "пер",
    "пересл", "переслано", "ilt", "ilet", "転送", "转发", "轉寄", "转寄", "tov",
    "προώθηση", "πρθ", "prosl", "prsl",
})
# Reply prefixes: Re, AW (de), Antw (nl), SV (sv, no, da), R/RIF (it), RES (pt), ODP (pl, cs),
# YNT (tr), Отв/Ответ (ru), 返信 (ja), 回复/答复/回覆 (zh), VÁ (hu), ΑΠ (el).
REPLY_PREFIXES = frozenset({
    "re", "aw", "antw", "antwort", "sv", "svar", "r", "rif", "réf", "ref", "res", "odp",
    "ynt", "yanıt", "cevap", "отв", "ответ", "返信", "回复", "答复", "回覆", "vá", "απ",
    "odg", "atb", "vast",
})
SUBJECT_PREFIX = re.compile(
    r"^\s*[\[(]?\s*([^\s:：\[\]()]{1,12}?)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*", re.U)

# Words of the line that opens a forwarded message (Gmail, Thunderbird, Yahoo, KMail,
# Apple Mail and mobile clients), once dashes, quote marks and a final colon are removed.
FORWARD_SEPARATORS = frozenset({
    "forwarded message", "forwarded e-mail", "forwarded email", "begin forwarded message",
    "weitergeleitete nachricht", "anfang der weitergeleiteten nachricht",
    "weitergeleitete e-mail", "message transféré", "message transfere", "courriel transféré",
    "début du message réexpédié", "début du message transféré", "mensaje reenviado",
    "inicio del mensaje reenviado", "comienzo del mensaje reenviado", "correo reenviado",
    "messaggio inoltrato", "inizio messaggio inoltrato", "mensagem encaminhada",
    "mensagem reencaminhada", "início da mensagem reencaminhada",
    "início da mensagem encaminhada", "doorgestuurd bericht", "begin doorgestuurd bericht",
    "doorgestuurde e-mail", "vidarebefordrat meddelande", "vidarebefordrat brev",
    "videresendt meddelelse", "videresendt besked", "videresendt melding",
    "videresendt e-post", "start på videresendt besked", "välitetty viesti",
    "välitetty viesti alkaa", "wiadomość przekazana dalej", "przekazana wiadomość",
    "przesłana wiadomość", "początek przekazywanej wiadomości", "přeposlaná zpráva",
    "začátek přeposlané zprávy", "preposlaná správa", "пересылаемое сообщение",
    "пересланное сообщение", "переадресованное сообщение",
    "начало переадресованного сообщения", "начало пересылаемого сообщения",
    "iletilen ileti", "iletilmiş ileti", "yönlendirilmiş ileti", "yönlendirilen ileti",
    "iletilen mesaj", "yönlendirilmiş mesaj", "iletilmiş ileti başlangıcı",
    "yönlendirilen iletinin başlangıcı", "転送されたメッセージ", "転送メッセージ",
    "転送済みメッセージ", "転送メッセージの開始", "转发的邮件", "已转发邮件", "轉寄郵件",
})
# Stems for separators not in the list above (other clients, other wordings): accepted only
# on a line framed by dashes, or when a header block with a From line follows.
FORWARD_STEMS = ("forward", "weitergeleit", "transféré", "transfere", "réexpédié",
                 "reenviad", "inoltrat", "encaminhad", "doorgestuur", "vidarebefordr",
                 "videresend", "välitett", "przekazan", "přeposlan", "preposlan", "пересыл",
                 "переслан", "переадрес", "yönlendiril", "iletil", "転送", "转发", "轉寄")
# The line above a quoted message that Outlook and Samsung Mail write both for replies and for
# forwards: only a forward when the subject says so.
ORIGINAL_SEPARATORS = frozenset({
    "original message", "ursprüngliche nachricht", "message d'origine", "message d’origine",
    "mensaje original", "messaggio originale", "mensagem original", "oorspronkelijk bericht",
    "opprinnelig melding", "oprindelig meddelelse", "ursprungligt meddelande",
    "alkuperäinen viesti", "wiadomość oryginalna", "oryginalna wiadomość", "původní zpráva",
    "исходное сообщение", "özgün ileti", "orijinal mesaj", "元のメッセージ", "原始邮件",
    "原始郵件",
})
UNDERSCORE_LINE = re.compile(r"^_{10,}$")

# Labels of a forwarded header block, by field.  Outlook translates them; Gmail, Apple Mail
# and Thunderbird mostly do too.
HEADER_LABELS = {
    "from": ("from", "de", "von", "da", "van", "fra", "från", "frá", "lähettäjä", "od", "от",
             "kimden", "gönderen", "差出人", "送信者", "发件人", "寄件者", "feladó", "від",
             "από", "absender", "afzender", "avsender", "avsändare", "nadawca", "odesílatel",
             "отправитель", "expéditeur", "remitente", "mittente", "remetente"),
    "date": ("date", "sent", "datum", "gesendet", "envoyé", "fecha", "enviado", "enviado el",
             "data", "inviato", "enviada em", "enviado em", "enviada", "verzonden",
             "verstuurd", "sendt", "skickat", "lähetetty", "päivämäärä", "wysłano",
             "wysłane", "odesláno", "отправлено", "дата", "gönderildi", "tarih", "送信日時",
             "日付", "发送时间", "日期", "傳送時間", "dátum", "elküldve", "dato"),
    "to": ("to", "an", "à", "a", "para", "aan", "til", "till", "vastaanottaja", "do", "komu",
           "кому", "kime", "宛先", "收件人", "收件者", "címzett", "προς"),
    "cc": ("cc", "kopie", "copie à", "copie", "kopia", "kopi", "dw", "копия", "bilgi", "写し",
           "抄送", "副本", "másolat", "kopio", "bcc"),
    "subject": ("subject", "betreff", "objet", "asunto", "oggetto", "assunto", "onderwerp",
                "emne", "ämne", "aihe", "temat", "předmět", "věc", "тема", "konu", "件名",
                "主题", "主旨", "tárgy", "θέμα", "reply-to", "antwort an"),
}
LABEL_FIELD = {label: name for name, labels in HEADER_LABELS.items() for label in labels}
_LABELS = "|".join(sorted((re.escape(x) for x in LABEL_FIELD), key=len, reverse=True))
# "From: x", "*From:* x", "De : x" (French spacing), "差出人： x" (full-width colon).
HEADER_LINE = re.compile(rf"^\*?({_LABELS})\*?\s*[:：]\*?\s*(.*)$", re.I)

# A reply's attribution line ("On <date>, <name> wrote:") ends with one of these verbs.
REPLY_ATTRIBUTION = re.compile(
    r"(wrote|writes|schrieb|a écrit|escribió|ha scritto|escreveu|schreef|skrev|kirjoitti"
    r"|pisze|napisał\(a\)|napisała|napisał|napsal\(a\)|napsala|napsal|написал\(а\)|"
    r"написала|написал|пишет|yazdı|書きました|のメッセージ|写道|寫道|írta)\s*[:：]\s*$",
    re.I)
# How attribution lines begin when they carry no date ("Ben Carter wrote:" does not count).
ATTRIBUTION_START = re.compile(
    r"^(on|am|le|el|il|em|op|den|d\.|w dniu|dnia|dne|в|tarihinde)\s", re.I)
