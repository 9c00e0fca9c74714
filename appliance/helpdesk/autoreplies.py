"""Auto-replies: out-of-office and vacation responders, and challenge-response filters.

The rules here belong to the ``auto_reply`` family of :mod:`automated`'s table.  Their
evidence is a header an autoresponder writes, an inbox rule of Exchange answering for its
mailbox, a subject in the words out-of-office replies use in each language, or a
challenge-response filter asking the sender to prove they are a person.

A person's own mail may mention all these words ("Re: Out of office plans", "my automatic
reply is broken"), so a subject counts only in the shapes responders write: the phrase first
and followed by a colon, in brackets, or as the whole subject; the weaker words (Absence,
Away, Auto) only with a sign that the message answers another one.  The body alone never
makes a message an auto-reply.
"""
from __future__ import annotations

import re
import unicodedata

from appliance.addresses import local_of, parse_people, parse_person
from appliance.helpdesk.forwards import subject_prefixes
from appliance.helpdesk.listmail import header_names
from appliance.helpdesk.rules import Facts

# Headers autoresponders (cPanel, Exim and qmail autoresponders, vacation programs, hosted
# mail) add to what they send; any value but "no"/"false" marks an automatic reply.
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply",
                      "X-Vacation", "X-Autoreply-From", "X-Mail-Autoreply", "X-Autoresponse",
                      "X-Auto-Response", "X-AutoReply-From", "X-FC-MachineGenerated")
_HEADER_NO = {"no", "false", "0", "none"}

# "Automatic reply" in the words of Exchange, Outlook, Gmail, Zimbra, Yahoo, Zoho, Sieve
# vacation and webmail responders.  Spaces stand for any run of spaces or one hyphen.
AUTO_REPLY_WORDS = (
    "automatic reply", "auto reply", "autoreply", "automated reply", "automatic response",
    "auto response", "autoresponse", "auto responder", "autoresponder", "auto answer",
    "out of office autoreply", "out of office auto reply", "vacation reply",
    "vacation response", "holiday auto reply",
    "automatische antwort", "automatische rückantwort", "automatische abwesenheitsnachricht",
    "abwesenheitsnotiz", "abwesenheitsmeldung", "abwesenheitsnachricht",
    "réponse automatique", "reponse automatique", "répondeur automatique",
    "message d'absence", "message d’absence",
    "respuesta automática", "respuesta automatica", "respuesta de ausencia",
    "resposta automática", "resposta automatica", "resposta automàtica",
    "risposta automatica", "risposta automatica di assenza",
    "automatisch antwoord", "automatisch bericht", "afwezigheidsbericht",
    "autosvar", "automatiskt svar", "automatisk svar", "automatisk besked",
    "frånvaromeddelande", "fraværsmelding", "fraværsbesked",
    "automaattinen vastaus", "poissaoloviesti", "sjálfvirkt svar",
    "automatyczna odpowiedź", "odpowiedź automatyczna", "automatyczna odpowiedz",
    "automatická odpověď", "automaticka odpoved", "automatická odpoveď",
    "automatski odgovor", "аутоматски одговор", "автоматски одговор", "samodejni odgovor",
    "răspuns automat", "raspuns automat", "automaatne vastus", "automātiskā atbilde",
    "ārpus biroja atrašanās automātiskā atbilde",
    "automatinis atsakymas", "автоматична відповідь", "автоматический ответ", "автоответ",
    "автоматичен отговор", "otomatik yanıt", "otomatik yanit", "otomatik cevap",
    "automatikus válasz", "automatikus valasz", "αυτόματη απάντηση",
    "תשובה אוטומטית", "رد تلقائي", "الرد التلقائي", "پاسخ خودکار", "स्वचालित उत्तर",
    "trả lời tự động", "ตอบกลับอัตโนมัติ", "balasan otomatis", "balasan automatik",
    "erantzun automatikoa",
    "自動応答", "自動返信", "自動回信", "自动回复", "自动答复", "自動回覆", "自動回復", "自動答覆",
    "자동 응답", "자동응답", "자동 회신", "부재중 자동 회신",
)
# Out-of-office phrases: a responder's subject when first and followed by a colon.
AWAY_WORDS = (
    "out of office", "out of the office", "out of office reply", "ooo",
    "ausser haus", "außer haus", "ausser büro", "nicht im büro",
    "hors du bureau", "absent du bureau", "fuera de la oficina", "fuera de oficina",
    "fora do escritório", "fuori sede", "fuori ufficio", "niet op kantoor",
    "ikke på kontoret", "inte på kontoret", "poza biurem", "mimo kancelář", "mimo kancelárie",
    "izvan ureda", "în afara biroului", "kontorist väljas", "ārpus biroja", "поза офісом",
    "вне офиса",
    "нет на месте", "ofis dışında", "házon kívül", "εκτός γραφείου", "不在通知", "不在のお知らせ",
    "외출중", "부재중",
)
# Words too common in a person's subject to count without a sign of a reply.
WEAK_WORDS = (
    "absence", "absent", "absente", "abwesend", "abwesenheit", "away", "vacation",
    "on vacation", "on holiday", "on leave", "ausente", "ausência", "ausencia", "assente",
    "assenza", "afwezig", "afwezigheid", "frånvaro", "frånvarande", "fravær", "fraværende",
    "poissa", "poissaolo", "nieobecność", "nepřítomnost", "neprítomnosť", "odsutan",
    "odsutna", "odsutnost", "urlaub", "congés", "vacances", "vacaciones", "ferie", "不在",
)
# A sentence saying someone is away, as Lotus Notes and many responders put in the subject
# ("AUTO: Jane Doe is out of the office (returning 12/02/2026)").
AWAY_SENTENCE = re.compile(
    r"\b(?:is|am|are|i'm|i’m)\s+(?:currently\s+|now\s+)?(?:out\s+of\s+(?:the\s+)?office|"
    r"away|on\s+(?:vacation|holiday|leave|annual\s+leave|business\s+travel))\b|"
    r"\b(?:ist|bin)\s+(?:zur\s+zeit\s+|derzeit\s+)?(?:au(?:ss|ß)er\s+haus|abwesend|"
    r"nicht\s+im\s+b(?:ü|ue)ro|im\s+urlaub)|\b(?:est|suis)\s+(?:absente?|en\s+congé)|"
    r"\b(?:è|sono)\s+(?:assente|fuori\s+(?:sede|ufficio))|\b(?:está|estoy)\s+(?:ausente|"
    r"fuera\s+de\s+la\s+oficina)|\b(?:is|ben)\s+afwezig|\bär\s+(?:ledig|frånvarande)|"
    r"\ber\s+(?:fraværende|på\s+ferie)|\bon\s+poissa|\bjest\s+nieobecn", re.I)

_SPACE = r"[\s\-‐_]*"


def plain(text: str) -> str:
    """``text`` without its diacritics ("automātiskā" -> "automatiska"), as gateways and
    old clients write the responders' words; letters without a decomposition (ß, æ, ø, ı)
    stay as they are."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def _alternatives(words: tuple[str, ...]) -> str:
    """One alternation of the words, each also without its diacritics."""
    parts = sorted({v for w in words for v in (w.lower(), plain(w.lower()))},
                   key=len, reverse=True)
    return "|".join(_SPACE.join(re.escape(p) for p in w.split()) for w in parts)


_OPEN = r"[\[(【「<]"
_CLOSE = r"[\])】」>]"
_COLON = r"\s*[:：﹕]"
_AUTO = _alternatives(AUTO_REPLY_WORDS)
_AWAY = _alternatives(AWAY_WORDS)
_WEAK = _alternatives(WEAK_WORDS)
# "Automatic reply: X", "[Auto-Reply] X", "【自動返信】X", "X (Auto-Reply)".
AUTO_SUBJECT = re.compile(
    rf"^(?:{_OPEN}\s*(?:{_AUTO})\s*{_CLOSE}|(?:{_AUTO}){_COLON})|"
    rf"{_OPEN}\s*(?:{_AUTO})\s*{_CLOSE}\s*$", re.I)
AWAY_SUBJECT = re.compile(rf"^(?:{_OPEN}\s*)?(?:{_AWAY})\s*(?:{_CLOSE}|[:：﹕])", re.I)
# Any of these words as the whole subject, or weak words first with a colon: only as a reply.
WEAK_SUBJECT = re.compile(
    rf"^(?:{_OPEN}\s*)?(?:{_AUTO}|{_AWAY}|{_WEAK}|auto)\s*(?:{_CLOSE}|[:：﹕]|[.!]?\s*$)", re.I)
LOTUS_SUBJECT = re.compile(r"^AUTO\s*:\s*\S")      # Lotus Notes writes it in capitals
_TAG = re.compile(r"^(?:\s*\[[^\]]{1,40}\]\s*)+(?=\S)")   # a list tag such as [support]


def clean_subject(subject: str) -> str:
    """The subject as a responder wrote it: no byte-order mark, no list tag, spaces folded."""
    text = " ".join(subject.replace("\ufeff", "").replace("\u200b", "").split())
    tagged = _TAG.match(text)
    if tagged and not AUTO_SUBJECT.match(text):
        text = text[tagged.end():]
    return text


def answers_a_message(f: Facts) -> bool:
    """In-Reply-To or References: it answers a message (a new mail of a person does not)."""
    return bool(f.header("In-Reply-To") or f.header("References"))


def subject_evidence(f: Facts) -> str | None:
    """Why the subject is an auto-reply's, or None.  Cheap tests first: most subjects fail
    the first character class of every pattern."""
    subject = clean_subject(f.subject)
    if not subject or subject_prefixes(subject):
        return None   # "Re: Out of office plans", "Fwd: Automatic reply: ..." are people's
    shown = subject[:70]
    if AUTO_SUBJECT.search(subject):
        return f"The subject \"{shown}\" is an automatic reply's."
    if AWAY_SUBJECT.match(subject):
        return f"The subject \"{shown}\" is an out-of-office reply's."
    if LOTUS_SUBJECT.match(subject):
        return f"The subject \"{shown}\" starts with AUTO:, as Lotus Notes' out-of-office " \
               "replies do."
    weak = WEAK_SUBJECT.match(subject) or (subject[:5].lower() == "auto:"
                                           and AWAY_SENTENCE.search(subject))
    if weak or AWAY_SENTENCE.search(subject):
        if weak and subject[:5].lower() == "auto:" and AWAY_SENTENCE.search(subject):
            return f"The subject \"{shown}\" says someone is away, after Auto:."
        if answers_a_message(f):
            return f"The subject \"{shown}\" says someone is away, and the message " \
                   "answers another one (In-Reply-To/References)."
    return None


_AUTO_REPLY_NAMES = frozenset(n.lower() for n in AUTO_REPLY_HEADERS)


def _header_marker(f: Facts) -> str | None:
    if _AUTO_REPLY_NAMES.isdisjoint(header_names(f)):
        return None
    for name in AUTO_REPLY_HEADERS:
        if f.has(name):
            value = f.header(name).strip()
            if value.lower() in _HEADER_NO:
                continue
            return f"{name}: {value[:40]} marks an automatic reply."
    return None


def _exchange_oof(f: Facts) -> str | None:
    names = header_names(f)
    if ("x-ms-exchange-organization-autoreply" not in names
            and "x-ms-exchange-message-type" not in names):
        return None
    if f.header("X-MS-Exchange-Organization-AutoReply") or "oof" in f.header(
            "X-MS-Exchange-Message-Type").lower():
        return "An Exchange out-of-office marker is present."
    return None


def rule_owner_reply(f: Facts) -> str | None:
    """An Exchange inbox rule (out-of-office is one) of the sender's own mailbox answered:
    X-MS-Exchange-Inbox-Rules-Loop names the From address, the message suppresses answers
    to itself (X-Auto-Response-Suppress: All) or says the rules agent made it, and nothing
    marks it as forwarded."""
    if "x-ms-exchange-inbox-rules-loop" not in header_names(f):
        return None
    loop = f.header("X-MS-Exchange-Inbox-Rules-Loop")
    if not loop or not f.sender:
        return None
    owners = {p.email.lower() for p in parse_people(loop)}
    if f.sender.email.lower() not in owners or _forward_marked(f):
        return None
    suppress = f.header("X-Auto-Response-Suppress").lower()
    source = f.header("X-MS-Exchange-Generated-Message-Source")
    if "all" in suppress.replace(" ", "").split(",") or "mailbox rules" in source.lower():
        what = (f"X-Auto-Response-Suppress: {f.header('X-Auto-Response-Suppress')}"
                if "all" in suppress else f"X-MS-Exchange-Generated-Message-Source: {source}")
        return (f"X-MS-Exchange-Inbox-Rules-Loop names the sender {f.sender.email} and {what}: "
                "an inbox rule of that mailbox (its out-of-office reply) answered.")
    return None


def _forward_marked(f: Facts) -> bool:
    prefixes = subject_prefixes(f.subject)
    return bool(prefixes and prefixes[0][0] == "forward") or bool(f.attached)


def generated_reply(f: Facts) -> str | None:
    """Why Exchange's inbox-rule headers on this message mark a reply the mailbox made
    itself (out-of-office), not a forward; None when they may mean a forward.  Used by the
    exchange-autoforward rule (helpdesk/autoforward.py)."""
    if _forward_marked(f):
        return None
    loop = f.header("X-MS-Exchange-Inbox-Rules-Loop")
    company = {a.lower() for a in f.ctx.company_addresses}
    sender = f.sender.email.lower() if f.sender else ""
    owners = {p.email.lower() for p in parse_people(loop)} if loop else set()
    if owners & company and sender not in owners:
        return None   # the configured company mailbox forwarded someone's auto-reply
    own = not owners or sender in owners
    found = subject_evidence(f) or _exchange_oof(f) or rule_owner_reply(f)
    if not found and own:
        value = f.header("Auto-Submitted").split(";")[0].strip().lower()
        if value in ("auto-replied", "auto-generated"):
            found = f"Auto-Submitted: {value}."
    return found


# A challenge-response filter holds the mail until the sender proves to be a person.
CHALLENGE_PROVIDERS = re.compile(
    r"(?:^|[@./])(?:spamarrest\.com|boxbe\.com|mailinblack\.com|mailinblack\.fr|sendio\.com|"
    r"choicemail\.com|digiportal\.com|mailblocks\.com|knowspam\.net|qurb\.com|bluebottle\.com|"
    r"spamcease\.com|cleanmymailbox\.com|vanquish\.com|permissionmail\.com|antispam\.mailinblack)",
    re.I)
_TMDA_ADDRESS = re.compile(r"-confirm-\d+\.\d+\.[0-9a-f]+$", re.I)
CHALLENGE_SUBJECT = re.compile(
    r"^(?:(?:re|aw|sv|antw|réf|ref)\s*:\s*)*.{0,80}?(?:please\s+confirm\s+your\s+(?:e-?mail|"
    r"message|request)|confirm\s+your\s+(?:message|e-?mail\s+(?:message|address))|"
    r"confirmation\s+request|sender\s+verification|verification\s+(?:required|needed|request)|"
    r"verify\s+(?:your\s+(?:e-?mail|message)|you\s+are\s+human)|awaiting\s+(?:your\s+)?"
    r"(?:confirmation|verification)|(?:spam|anti-?spam)\s+(?:protection|filter|check)|"
    r"confirmez\s+votre\s+(?:message|envoi|e-?mail)|merci\s+de\s+confirmer|"
    r"validation\s+de\s+votre\s+(?:message|envoi)|bitte\s+best(?:ä|ae)tigen|"
    r"absenderbest(?:ä|ae)tigung|best(?:ä|ae)tigen\s+sie\s+ihre|confirme\s+su\s+(?:mensaje|"
    r"correo)|confirme\s+sua\s+mensagem|conferma\s+il\s+tuo\s+messaggio|"
    r"bevestig\s+uw\s+bericht)", re.I)
CHALLENGE_BODY = re.compile(
    r"verify\s+(?:that\s+)?you\s+are\s+(?:a\s+)?(?:human|real\s+person|person)|"
    r"not\s+a\s+(?:robot|spammer|machine)|challenge[-\s]response|"
    r"(?:to|on)\s+(?:my|the|our|his|her|their)\s+(?:white\s?list|approved\s+senders|"
    r"guest\s+list|safe\s+senders|list\s+of\s+approved)|spam\s+(?:protection|blocker)|"
    r"(?:anti-?spam|spam)\s+(?:system|service|software)|"
    r"(?:held|quarantined|pending|waiting)\s+(?:for\s+|until\s+)?(?:your\s+)?"
    r"(?:confirmation|verification|delivery)|liste\s+blanche|n['’]êtes\s+pas\s+un\s+robot|"
    r"kein\s+(?:roboter|spammer)|spamschutz|lista\s+blanca|no\s+es\s+un\s+robot", re.I)
# Every challenge subject holds one of these: the subject regex runs only then.
_CHALLENGE_HINTS = ("confirm", "verif", "best", "bevestig", "conferma", "spam", "awaiting",
                    "validation")
_LINK = re.compile(r"https?://|\b(?:reply|click|répondez|cliquez|antworten|klicken|responda|"
                   r"haga\s+clic|clique|clicca|rispondi)\b", re.I)
MAX_CHALLENGE_TEXT = 20_000   # a challenge is short; the words sit in its first lines


def challenge(f: Facts) -> str | None:
    """A challenge-response filter's request: a TMDA confirmation address, a challenge
    service as sender, or a challenge subject with the service's words and a link."""
    values = [f.header(n) for n in ("From", "Reply-To", "Sender")]
    joined = " ".join(values).lower()
    suspects = "-confirm-" in joined or bool(CHALLENGE_PROVIDERS.search(joined))
    people = [p for p in map(parse_person, values) if p] if suspects else []
    for person in people:
        if _TMDA_ADDRESS.search(local_of(person.email)):
            return (f"{person.email} is a TMDA confirmation address: a challenge-response "
                    "filter asks the sender to confirm.")
        if CHALLENGE_PROVIDERS.search(person.email):
            return (f"It is sent by {person.email}, a challenge-response service asking the "
                    "sender to confirm.")
    subject = f.subject.lower()
    if not any(w in subject for w in _CHALLENGE_HINTS) or not CHALLENGE_SUBJECT.match(
            clean_subject(f.subject)):
        return None
    for text in f.texts:
        text = text[:MAX_CHALLENGE_TEXT]
        provider = CHALLENGE_PROVIDERS.search(text)
        words = CHALLENGE_BODY.search(text)
        if (provider or words) and _LINK.search(text):
            found = provider.group(0).lstrip("@./") if provider else words.group(0)
            return (f"The subject \"{f.subject[:60]}\" asks the sender to confirm, and the "
                    f"body speaks of \"{found}\": a challenge-response filter.")
    return None


def out_of_office(f: Facts) -> str | None:
    return subject_evidence(f) or _exchange_oof(f)


def auto_reply_header(f: Facts) -> str | None:
    return _header_marker(f)
