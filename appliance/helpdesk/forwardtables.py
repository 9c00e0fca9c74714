"""Every localized word classification looks for, in one place.

Mail clients write forwards and replies in the user's language: subject prefixes, the line
above a forwarded message, and the labels of the forwarded header block.  The tables below
are the single source of those words; the rules in ``forwards.py`` only combine them.
Matching is done on lower-cased text (a Turkish dotted capital I lower-cases to "i").
"""
from __future__ import annotations

import re

# Subject prefixes (lower-case, without the colon).  Forward: Fwd/Fw/FW (many), TR (fr),
# WG (de), RV (es), I (it), ENC (pt), Doorst (nl), VS/Vs/Videresend (no, da), VB (sv),
# VL (fi), PD (pl), PŘ (cs), ПЕР/Пересл (ru, uk), İLT (tr), 転送 (ja), 转发/轉寄 (zh), TOV (hu),
# Redir. (ro), Prosl (hr), Edasta (et), 전달 (ko), ΠΡΘ (el).
FORWARD_PREFIXES = frozenset({
    "fwd", "fw", "fwrd", "tr", "trs", "wg", "rv", "i", "enc", "doorst",
    "vs", "videresend", "videresendt", "vb", "vl", "pd", "př", "пер",
    "пересл", "переслано", "ilt", "ilet", "転送", "转发", "轉寄", "转寄", "tov",
    "προώθηση", "πρθ", "prosl", "prsl", "redir", "redir.", "továbbítás", "proslijeđeno",
    "edasta", "edasi", "전달", "pārs", "prsn", "fwd.", "fw.",
})
# Reply prefixes: Re, AW (de), Antw (nl), SV (sv, no, da), R/RIF (it), RES (pt), ODP (pl, cs),
# YNT (tr), Отв/Ответ (ru), 返信 (ja), 回复/答复/回覆 (zh), VÁ (hu), ΑΠ (el), 답장/회신 (ko).
REPLY_PREFIXES = frozenset({
    "re", "aw", "antw", "antwort", "sv", "svar", "r", "rif", "réf", "ref", "res", "odp",
    "ynt", "yanıt", "cevap", "отв", "ответ", "返信", "回复", "答复", "回覆", "vá", "απ",
    "odg", "atb", "vast", "відп", "răsp", "rasp", "답장", "회신", "vs:re",
})
SUBJECT_PREFIX = re.compile(
    r"^\s*[\[(]?\s*([^\s:：\[\]()]{1,12}?)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*", re.U)

# Words of the line that opens a forwarded message (Gmail, Thunderbird, Yahoo, KMail,
# Apple Mail, HubSpot, MailMate and mobile clients), once dashes, quote marks and a final
# colon are removed.
FORWARD_SEPARATORS = frozenset({
    # en
    "forwarded message", "forwarded e-mail", "forwarded email", "begin forwarded message",
    "forwarded message follows",
    # de, fr, es, it, pt
    "weitergeleitete nachricht", "anfang der weitergeleiteten nachricht",
    "weitergeleitete e-mail", "message transféré", "message transfere", "courriel transféré",
    "début du message réexpédié", "début du message transféré", "message transmis",
    "mensaje reenviado", "inicio del mensaje reenviado", "comienzo del mensaje reenviado",
    "correo reenviado", "messaggio inoltrato", "inizio messaggio inoltrato",
    "mensagem encaminhada", "mensagem reencaminhada", "início da mensagem reencaminhada",
    "início da mensagem encaminhada",
    # nl, sv, da, no, fi, et
    "doorgestuurd bericht", "begin doorgestuurd bericht", "doorgestuurde e-mail",
    "vidarebefordrat meddelande", "vidarebefordrat brev", "vidarebefordrat mejl",
    "videresendt meddelelse", "videresendt besked", "videresendt melding",
    "videresendt e-post", "start på videresendt besked", "start på videresendt melding",
    "välitetty viesti", "välitetty viesti alkaa", "välitetty viesti / fwd.msg",
    "edelleenlähetetty viesti", "edastatud kiri", "edastatud sõnum", "edasisaadetud kiri",
    # pl, cs, sk, hr, hu, ro
    "wiadomość przekazana dalej", "przekazana wiadomość", "przesłana wiadomość",
    "początek przekazywanej wiadomości", "treść przekazanej wiadomości",
    "wiadomość przesłana dalej", "přeposlaná zpráva", "přeposílaná zpráva",
    "začátek přeposílané zprávy", "začátek přeposlané zprávy", "preposlaná správa",
    "začiatok preposlanej správy", "preposlaná správa --- forwarded message",
    "proslijeđena poruka", "započni proslijeđenu poruku", "početak proslijeđene poruke",
    "továbbított üzenet", "továbbított levél", "továbbított levél kezdete",
    "mesaj redirecționat", "mesaj redirecţionat", "mesaj redirectionat",
    "începe mesajul redirecționat", "începe mesajul redirecţionat", "mesaj transmis",
    # ru, uk, el, tr
    "пересылаемое сообщение", "пересланное сообщение", "переадресованное сообщение",
    "перенаправленное сообщение", "начало переадресованного сообщения",
    "начало пересылаемого сообщения", "перенаправлене повідомлення",
    "переслане повідомлення", "пересланий лист", "початок листа, що пересилається",
    "προωθημένο μήνυμα", "αρχή προωθημένου μηνύματος",
    "iletilen ileti", "iletilmiş ileti", "yönlendirilmiş ileti", "yönlendirilen ileti",
    "iletilen mesaj", "iletilmiş mesaj", "yönlendirilmiş mesaj", "iletilmiş ileti başlangıcı",
    "yönlendirilen iletinin başlangıcı", "ileti başlangıcı",
    # ja, zh, ko
    "転送されたメッセージ", "転送メッセージ", "転送済みメッセージ", "転送メッセージの開始",
    "メッセージを転送", "转发的邮件", "已转发邮件", "轉寄郵件", "以下是转发的邮件", "转发邮件",
    "轉寄的郵件", "전달된 메시지", "전달된 메일", "전달 메시지",
})
# Stems for separators not in the list above (other clients, other wordings): accepted only
# on a line framed by dashes, or when a header block with a From line follows.
FORWARD_STEMS = ("forward", "weitergeleit", "transféré", "transfere", "réexpédié",
                 "reenviad", "inoltrat", "encaminhad", "doorgestuur", "vidarebefordr",
                 "videresend", "välitett", "edelleenlähetet", "edastat", "przekazan",
                 "przesłan", "přeposlan", "přeposílan", "preposlan", "proslijeđ", "proslijed",
                 "továbbított", "redirecționat", "redirecţionat", "redirectionat", "пересыл",
                 "переслан", "переадрес", "перенаправлен", "пересила", "yönlendiril",
                 "iletil", "προωθ", "転送", "转发", "轉寄", "전달")
# Stems of "original" in framed separators ("-----Original Message-----" and its kin).
ORIGINAL_STEMS = ("original", "origin", "ursprüng", "исходн", "původní", "pôvodn",
                  "eredeti", "izvorn", "оригінал", "algne", "αρχικό", "원본", "元の", "原始")
# The line above a quoted message that Outlook and Samsung Mail write both for replies and for
# forwards: only a forward when the subject says so.
ORIGINAL_SEPARATORS = frozenset({
    "original message", "ursprüngliche nachricht", "message d'origine", "message d’origine",
    "mensaje original", "messaggio originale", "mensagem original", "oorspronkelijk bericht",
    "opprinnelig melding", "oprindelig meddelelse", "ursprungligt meddelande",
    "alkuperäinen viesti", "wiadomość oryginalna", "oryginalna wiadomość", "původní zpráva",
    "pôvodná správa", "izvorna poruka", "originalna poruka", "eredeti üzenet",
    "mesaj original", "mesajul original", "algne sõnum", "algne kiri",
    "исходное сообщение", "оригінальне повідомлення", "вихідне повідомлення",
    "özgün ileti", "orijinal mesaj", "orijinal ileti", "αρχικό μήνυμα", "元のメッセージ",
    "原始邮件", "原始郵件", "원본 메시지",
})
UNDERSCORE_LINE = re.compile(r"^_{10,}$")

# Labels of a forwarded header block, by field.  Outlook translates them; Gmail, Apple Mail,
# Thunderbird, Yahoo and HubSpot mostly do too.  "other" labels are known and skipped.
HEADER_LABELS = {
    "from": ("from", "de", "von", "da", "van", "fra", "från", "frá", "lähettäjä", "od", "от",
             "kimden", "gönderen", "差出人", "送信者", "送信元", "发件人", "寄件者", "寄件人",
             "feladó", "від", "від кого", "από", "absender", "afzender", "avsender",
             "avsändare", "afsender", "nadawca", "odesílatel", "отправитель", "expéditeur",
             "remitente", "mittente", "remetente", "šalje", "saatja", "de la", "expeditorul",
             "expeditor", "보낸 사람", "보낸사람", "od koga"),
    "date": ("date", "sent", "datum", "gesendet", "envoyé", "envoyé le", "fecha", "enviado",
             "enviado el", "data", "inviato", "enviada em", "enviado em", "enviada",
             "verzonden", "verstuurd", "sendt", "skickat", "lähetetty", "päivämäärä",
             "päiväys", "wysłano", "wysłane", "odesláno", "odoslané", "отправлено",
             "відправлено", "надіслано", "дата", "gönderildi", "gönderilen", "tarih",
             "送信日時", "日付", "日時", "发送时间", "时间", "日期", "傳送時間", "dátum",
             "elküldve", "dato", "dată", "trimis", "saadetud", "kuupäev", "poslano",
             "날짜", "보낸 날짜", "ημερομηνία", "στάλθηκε"),
    "to": ("to", "an", "à", "a", "para", "aan", "til", "till", "vastaanottaja", "do", "komu",
           "кому", "kime", "宛先", "送信先", "收件人", "收件者", "címzett", "προς", "prima",
           "destinatarul", "către", "catre", "pre", "adresat", "pour", "saaja", "받는 사람",
           "받는사람"),
    "cc": ("cc", "kopie", "kopie (cc)", "copie à", "copie", "kopia", "kopi", "dw", "копия",
           "копія", "bilgi", "写し", "抄送", "副本", "másolat", "másolatot kap", "kopio",
           "kópia", "koopia", "참조", "κοιν", "κοιν.", "bcc", "blindkopie", "cco", "ccn"),
    "subject": ("subject", "betreff", "objet", "asunto", "oggetto", "assunto", "onderwerp",
                "emne", "ämne", "aihe", "temat", "předmět", "predmet", "věc", "тема", "konu",
                "件名", "主题", "主旨", "tárgy", "θέμα", "subiectul", "subiect", "naslov",
                "sujet", "teema", "pealkiri", "제목"),
    "other": ("reply-to", "antwort an", "odgovori na", "odpověď na", "svar til",
              "antwoord aan", "vastaus", "répondre à", "válaszcím", "rispondi a",
              "odpowiedź-do", "responder a", "răspuns către", "ответ-кому", "odpovedať-pre",
              "svara till", "yanıt adresi", "кому відповісти", "importance", "priority",
              "wichtigkeit", "priorité", "attachments", "anlagen", "pièces jointes",
              "adjuntos", "allegati", "bijlagen", "bilagor", "liitteet", "załączniki",
              "přílohy", "вложения"),
}
LABEL_FIELD = {label: name for name, labels in HEADER_LABELS.items() for label in labels}
LONGEST_LABEL = max(len(label) for label in LABEL_FIELD)
# Yahoo's plain text glues a forwarded header block onto its separator line without line
# breaks ("... From: Eva <e@x>To: Tom <t@x>Sent: ...Subject: ..."); its labels are
# capitalized, which is what finds them inside the run-on text.
GLUED_LABEL = re.compile("(?=(?:" + "|".join(sorted(
    {re.escape(v) for label in LABEL_FIELD for v in (label.capitalize(), label.upper())
     if len(label) > 1 or label.isalpha()}, key=len, reverse=True)) + r")\s?[:：])")

# A reply's attribution line ("On <date>, <name> wrote:") ends with one of these verbs.
REPLY_ATTRIBUTION = re.compile(
    r"(wrote|writes|schrieb|a écrit|escribió|ha scritto|escreveu|schreef|geschreven|skrev"
    r"|kirjoitti|pisze|napisał\(a\)|napisała|napisał|napsal\(a\)|napsala|napsal"
    r"|napísal\(a\)|napísala|napísal|написал\(а\)|написала|написал|пишет|написав\(ла\)"
    r"|написав|yazdı|書きました|のメッセージ|写道|寫道|írta|följande|a scris|napisao"
    r"|kirjutas|έγραψε|작성)\s*[:：]\s*$", re.I)
# Attribution lines whose verb stands before the date (fi "<name> kirjoitti <date>:",
# no "<name> skrev følgende den <date>:"), right after the quoted address.
MID_ATTRIBUTION = re.compile(r"[>\])]\s*(kirjoitti|skrev følgende den|skrev|wrote on)\s",
                             re.I)
# How attribution lines begin when they carry no date ("Ben Carter wrote:" does not count).
ATTRIBUTION_START = re.compile(
    r"^(on|am|le|el|il|il giorno|em|op|den|d\.|w dniu|dnia|dne|в|tarihinde)\s", re.I)
# Words that end the date part of an attribution line before the author's name
# ("Op <date> heeft <name>", "<date> időpontban <name>", "<date> пользователь <name>").
ATTRIBUTION_NAME_AFTER = (",", " heeft ", " időpontban ", " používateľ ", " пользователь ",
                          " користувач ", " skrev ", " schrieb ", " escribió ", " wrote ",
                          " um ", " kl. ")
# Words that may follow the time in an attribution line before the name ("9:31 AM Eva").
TIME_WORDS = frozenset({"am", "pm", "a.m.", "p.m.", "uhr", "h", "klo", "kl.", "o", "godz.",
                        "u", "um", "à", "a", "las", "alle", "às", "om", "gmt", "utc", "cet"})
