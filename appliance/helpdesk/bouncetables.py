"""Words and shapes of bounces and feedback reports, as mail systems write them.

The rules in ``bounces`` read these tables.  Every pattern here is matched against text that
was lowered and had its whitespace folded (see ``bounces.fold``), so the tables are written in
lower case with single spaces.  A word in a table is never enough on its own: the rules also
want the mail to come from a mail system (an address or name below, or the null sender).
"""
from __future__ import annotations

import re

# Local parts a bounce is sent from that nobody else uses: enough on their own.
DAEMON_LOCAL = re.compile(
    r"^(mailer[-_.]?daemon|mail[-_.]?daemon|fetchmail-daemon|"
    r"microsoftexchange[0-9a-f]{32})$")
# Local parts mail systems use for other mail too: a bounce needs more evidence.
SYSTEM_LOCAL = re.compile(
    r"^(postmaster|mdaemon|mail[-_.]?delivery(system|subsystem)?|"
    r"mail[-_.]?(router|gateway|system)|sms|mms|sms[-_.]?gateway|mms[-_.]?gateway)$")
# Display names of mail systems (From: "Mail Delivery Subsystem" <...>, MAILER-DAEMON <>).
DAEMON_NAME = re.compile(r"^mail(er)?[- ]?daemon\b")
SYSTEM_NAME = re.compile(
    r"^(mail delivery( sub)?( system| service| agent)?|mail ?(administrator|system|router|"
    r"gateway|server|transport( system)?|service)|post ?master|system administrator|"
    r"courier mail server|microsoft (outlook|exchange)|internet mail (delivery|service)|"
    r"delivery (status|subsystem|notification)|mail delivery failure|returned mail|"
    r"(sms|mms) gateway|lotus domino|domino|mdaemon|smtp (server|gateway|service))\b")

# Subjects of bounces and delay notices, in the languages their servers speak.
BOUNCE_SUBJECT = re.compile(
    # English, and what most servers write whatever their users speak
    r"undeliver|non-?deliverable|not deliverable|non-?delivery|"
    r"could ?n[o']t be delivered|cannot be delivered|can't be delivered|"
    r"(was|were) not delivered|(message|mail|e-?mail) not delivered|"
    r"delivery (status )?notification|delivery status|delivery report|delivery notice|"
    r"returned (mail|message|to sender)|failure notice|failure delivery|failed delivery|"
    r"delivery (has )?fail|delivery problem|delivery error|mail(ing)? (system )?error|"
    r"(mail|message|e-?mail) (delivery )?failure|mail delivery failed|failed (mail|message)|"
    r"unable to deliver|delivery (delayed|warning)|delayed (mail|message|delivery)|"
    r"message delayed|\bdelayed \d+ hours?\b|could not send message|bounced (mail|message)|"
    r"\bndr\b|^ndn\s*:|^(delivered|relayed|expanded)\s*:|notice: mail delivery status|"
    r"uncaught bounce|mail system error|mail failed|returning (message )?to sender|"
    r"error during delivery|"
    # German
    r"unzustellbar|nicht zustellbar|nicht zugestellt|zustellung\w* (fehl|verz|nicht)|"
    r"zustellungsbericht|übermittlungsstatus|"
    # French
    r"non remis|non distribu|non d[ée]livr|[ée]chec de (la )?(remise|distribution|livraison)|"
    r"impossible de (remettre|distribuer|livrer)|remise différée|état de (la )?remise|"
    # Spanish, Portuguese, Italian, Dutch
    r"no se (puede|pudo) entregar|no entregad|error (de|en la) entrega|falla de entrega|"
    r"estado de (la )?entrega|correo devuelto|"
    r"não é possível entregar|não entregue|falha na entrega|estado de entrega|"
    r"non recapitabile|mancato recapito|impossibile recapitare|stato del recapito|"
    r"onbestelbaar|niet bezorgd|niet afgeleverd|bezorging (is )?mislukt|"
    # Nordic
    r"kan ikke leveres|kunne ikke leveres|ikke leveret|ikke-leverbar|kunde inte levereras|"
    r"kan inte levereras|"
    r"ej levererbar|går inte att leverera|leveransfel|ei voitu toimittaa|toimitus epäonnistui|"
    r"toimittamaton|"
    # Central and Eastern Europe
    r"nie można dostarczyć|niedostarcz|nie dostarczon|nedoručiteln|nelze doručit|nedoručen|"
    r"kézbesíthetetlen|nem kézbesíthető|nu a putut fi livrat|nelivrat|neisporuč|"
    r"nije moguće isporučiti|не доставлен|недоставлен|не удалось доставить|"
    r"ошибка доставки|не вдалося доставити|αδύνατη η παράδοση|"
    r"teslim edilemedi|teslim edilemeyen|iletilemedi|"
    # Asian languages
    r"配信不能|配信でき|配送でき|配信エラー|配送エラー|不達|配信状態通知|配信の遅延|"
    r"无法传递|無法傳遞|无法投递|無法投遞|投递失败|投遞失敗|退信|递送状态通知|"
    r"전달되지 않|배달 실패|전송 실패|발송 실패|반송")

# Sentences of the report a mail system writes above the returned message: its boilerplate,
# not the words a person uses about a bounce.  Searched in the first BODY_WINDOW characters
# of the folded body text.
BODY_WINDOW = 6000
DSN_PHRASE = re.compile(
    r"this is the qmail-send program|i'm afraid i wasn't able to deliver|"
    r"this is a permanent error; i've given up|sorry it didn't work out|"
    r"created automatically by mail delivery software|"
    r"a message that you sent (could not be|has not yet been) delivered|"
    r"transcript of session follows|the original message was received at|"
    r"addresses had (permanent|transient) (fatal )?errors|"
    r"this is the mail system at host|i'm sorry to have to inform you that your message|"
    r"delivery has failed to these recipients|delivery is delayed to these recipients|"
    r"did not reach (some or all of )?the intended recipients?|"
    r"your (e-?mail|mail|message)\b[^.]{0,80}?\b(could ?not|couldn't|was ?not|wasn't|cannot|"
    r"can't|has ?not|hasn't|did ?not|didn't) (yet )?(be |been )?(delivered|reach)|"
    r"delivery to the following recipients? (failed|has been delayed)|"
    r"automatically generated delivery status notification|"
    r"unable to deliver (your |the )?message to|"
    r"(message|mail) (could not|cannot|can't|couldn't) be delivered to the following|"
    r"the following (message|recipients?|address(es)?)[^.]{0,60}(undeliverable|"
    r"could not be (reached|delivered)|cannot be delivered|failed)|"
    r"had permanent fatal delivery errors|- failure reasons -|- returned message -|"
    r"this is the mailer-daemon|delivery status notification \((failure|delay)\)|"
    r"this is a warning message only|you do not need to resend your message|"
    r"has not yet been delivered|will continue (to try|trying) to deliver|"
    # other languages (Exchange, Notes, Gmail and the European and Asian providers)
    r"konnte nicht zugestellt werden|zustellung an folgende empfänger|"
    r"n'a pas pu être (remis|distribué|délivré)|la remise .{0,40}a échoué|"
    r"[ée]chec de (la )?(remise|distribution|livraison)|impossible de (remettre|distribuer)|"
    r"no se (ha )?pudo entregar|no se puede entregar|error en la entrega|"
    r"non è stato possibile (recapitare|consegnare)|impossibile recapitare|recapito non "
    r"riuscito|kan niet worden bezorgd|kon niet worden (bezorgd|afgeleverd)|"
    r"não (foi possível|pôde ser) entreg|não é possível entregar|falha na entrega|"
    r"nie (można|udało się) dostarczyć|не (может быть|удалось|было|был|была) "
    r"доставлен|не удалось доставить|ошибка доставки|kunde inte levereras|"
    r"kunne ikke leveres|kan ikke leveres|ei voitu toimittaa|nelze doručit|"
    r"nem kézbesíthető|teslim edilemedi|配信できませんでした|"
    r"配送できませんでした|届けることができません|送信できませんでした|"
    r"无法投递|无法传递|投递失败|無法傳遞|無法投遞|전송에 실패|전달되지 않았습니다")

# Words of any failure notice: they count only in mail from MAILER-DAEMON itself.
FAILURE_PHRASE = re.compile(
    r"undeliverable|undelivered|not (yet )?(been )?delivered|could ?n[o']t be delivered|"
    r"cannot be delivered|delivery (has )?failed|delivery failure|failed delivery|"
    r"permanent (error|failure)|temporary (error|failure)|user unknown|unknown user|"
    r"no such (user|mailbox)|mailbox (unavailable|not found|is full|full)|over quota|"
    r"address rejected|was (blocked|rejected)|\b[45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}\b|"
    r"\bdelayed\b|returned to (you|sender)|"
    # what relayed and older reports say (usa.net, airmail, SMTP32, gateways)
    r"(has been|was) returned because|returned mail follows|no valid recipients|"
    r"failed addresses follow|failed recipients|non-delivery report|"
    r"(unable|failed) to deliver (the |your )?(message|mail) to")

# The opening of a report that gateways, virus scanners and filter products (InterScan,
# Symantec, MailMarshal, Exchange connectors, old SMTP servers) send from an address of their
# own: it must stand in the first REPORT_LINES lines of the body (after the rows of stars,
# dashes and bars they frame it with), where a person's mail has its own words.  With a bounce
# subject and a failed recipient or the returned message it makes the rule bounce-report.
REPORT_LINES, REPORT_OPENING = 2, 300
GATEWAY_PHRASE = re.compile(
    r"message from interscan|(following|your|the) (mail|message|e-?mail)\b[^.]{0,60}?"
    r"(could not|cannot|couldn't|was not|wasn't|has not been) (be )?(delivered|sent)|"
    r"could not be delivered to|cannot be delivered to|was undeliverable to|"
    r"failed recipients|non-delivery report|delivery (has )?failed|delivery failure|"
    r"unable to deliver (the |your )?(message|mail)? ?to|returned mail|"
    r"(could not|cannot|couldn't) deliver (the |your |this )?(message|mail) to|"
    r"n'a pas pu [eê]tre (d[ée]livr|remis|distribu)|konnte nicht zugestellt werden|"
    r"no se (ha )?pudo entregar|non [èe] stato possibile (recapitare|consegnare)")
# Reply prefixes a gateway may put before a bounce subject ("RE: ... non remis (delivery
# failed)"); a forward's or an auto-reply's prefix never counts.
REPLY_PREFIX = re.compile(r"^\s*(\[[^\]]*\]\s*)*(re|aw|sv|vs|antw|odp|ynt|res|rif)\s*[:：]\s*")

# A subject that starts like this is someone's answer, not a mail system's report.
ANSWER_PREFIX = re.compile(
    r"^\s*(\[[^\]]*\]\s*)*(re|aw|sv|vs|antw|odp|ynt|res|rif|fw|fwd|wg|tr|rv|i|enc|doorst|"
    r"auto(matic|matische|matique|matica|matico|matisch|matisk|matyczna)?[- ]?"
    r"(reply|antwort|réponse|respuesta|risposta|resposta|antwoord|svar|odpowiedź)|"
    r"out of office|abwesen\w*|autosvar|odpowiedź automatyczna|автоматический ответ|"
    r"réponse automatique|respuesta automática|risposta automatica|resposta automática|"
    r"automatisch antwoord|automatisk svar|automaattinen vastaus|automatická odpověď|"
    r"otomatik yanıt|自動応答|自动回复|自动答复|自動回覆)\s*[:：]")

# Lines that open the list of failed recipients in a plain-text bounce.
RECIPIENT_SECTION = re.compile(
    r"(following|these|failed|undeliverable|folgende|suivants|siguientes|seguintes|"
    r"seguenti|volgende|följande|følgende|następując|следующ|以下).{0,60}"
    r"(recipient|address|user|empfänger|destinat|ontvanger|mottagar|modtager|odbiorc|"
    r"получател|адрес|宛先|收件人)|failed recipient|could not be delivered to one or more|"
    r"has not yet been delivered to one or more|was undeliverable to|"
    r"(was|were) not delivered to|unable to deliver (your |the )?message to|failure reasons|"
    # a sentence wrapped before its recipient: "... could not be delivered to" / address
    r"(could ?not|cannot|can't|couldn't) be delivered to:?$|"
    r"n'a pas pu [eê]tre (d[ée]livr[ée]|remis|distribu[ée]) [àa]:?$")
# A failed recipient named in a sentence: "Your message to a@b couldn't be delivered".
INLINE_RECIPIENT = re.compile(
    r"(message to|delivered to|deliver to|delivery to|undeliverable to)\s*:?\s*<?"
    r"([\w.+'=-]+@[\w-]+(\.[\w-]+)+)")
# Lines that start the copy of the returned message: recipients are not read past them.
COPY_MARKER = re.compile(
    r"copy of (the |your )?(original )?message|below this line|original message (follows|"
    r"headers|below)|returned message|unsent message|headers? (of|from) (the |your )?"
    r"(original )?message|message headers? follows?|original message ---|"
    r"^(received|return-path)\s*:")
# Words for recipients and for failing, in the languages of localized reports: a line with
# both (or a recipient word and a colon) opens the list of failed recipients.
RECIPIENT_WORD = re.compile(
    r"recipient|address|empfänger|destinat|ontvanger|mottagar|modtager|mottaker|odbiorc|"
    r"příjemc|príjemc|címzett|vastaanottaj|alıcı|получател|адресат|宛先|あて先|受信者|收件人|"
    r"收件者|수신자")
FAILURE_WORD = re.compile(
    r"fail|could ?n[o']t|cannot|can't|unable|undeliver|not delivered|wasn't delivered|"
    r"échou|impossible|n'a pas pu|fehlgeschlagen|nicht|no se|no pudo|non è|non riuscito|"
    r"mislukt|niet|não|nie |не |nelze|nezdařil|nem |ei voitu|kunde inte|kunne ikke|"
    r"misslyckades|edilemedi|başarısız|できません|失敗|无法|無法|未能|실패|않았")
# Lines naming our own sender or an alias, never a failed recipient.
NOT_RECIPIENT = re.compile(r"mail from|from:|sender|envelope-from|return-path|generated from|"
                           r"expanded from|forwarded from|absender|expéditeur|remitente")

# ARF (RFC 5965) feedback types and what each means, for the reason.
FEEDBACK_TYPES = {
    "abuse": "the recipient reported it as spam",
    "fraud": "the recipient reported it as fraud or phishing",
    "virus": "the recipient's system reported a virus in it",
    "not-spam": "the recipient said it is not spam",
    "auth-failure": "a DMARC/authentication failure report (RFC 6591)",
    "dkim": "a DKIM failure report (RFC 6651)",
    "other": "a report of another kind",
}
# Complaint mail that does not use ARF: feedback-loop senders and their subjects.
FBL_SENDER = re.compile(
    r"^(scomp@aol\.net|staff@hotmail\.com|[^@]+@(arf\.mail\.yahoo\.com|"
    r"email-abuse\.amazonses\.com|fbl\.[^@]+|feedback\.[^@]+)|(fbl|feedbackloop|"
    r"feedback-loop|complaints?|arf|jmrp|abuse[-_]?reports?)(\+[^@]*)?@.+)$")
COMPLAINT_SUBJECT = re.compile(
    r"complaint about message from|(e-?mail )?feedback report|abuse report|"
    r"spam (complaint|report)|feedback[- ]loop|\bfbl\b|complaint (report|notification)|"
    r"junk mail report|reported as (spam|junk)")

# Delivery services that report failures of mail sent through them.
VENDOR_DOMAIN = re.compile(
    r"(^|\.)(amazonses\.com|amazonaws\.com|sendgrid\.(net|com)|mailgun\.(org|net|com)|"
    r"postmarkapp\.com|sparkpost(mail)?\.com|mandrillapp\.com|mailchimp\.com|mailjet\.com|"
    r"sendinblue\.com|brevo\.com|mailersend\.(com|net)|elasticemail\.com|socketlabs\.com|"
    r"mailchannels\.net|sendpulse\.com|smtp2go\.com)$")
VENDOR_SUBJECT = re.compile(
    r"\b(hard|soft) bounce|\bbounced?\b|\bbounces\b|spam complaint|complaint notification|"
    r"delivery (failure|failed|delayed)|undeliver|could not be delivered|suppress")
# A JSON notification (Amazon SES through SNS and the like) of a bounce or a complaint.
VENDOR_JSON = re.compile(
    r'"(notificationtype|eventtype|event|type)"\s*:\s*"(bounce|complaint|deliverydelay|'
    r'bounced|dropped|spamreport|spam_report|failed)"')

# DMARC aggregate reports (RFC 7489 section 7.2): subject and attachment names.
DMARC_SUBJECT = re.compile(r"^\s*(\[[^\]]*\]\s*)?report ?domain\s*:\s*\S+.{0,200}submitter\s*:")
DMARC_FILE = re.compile(r"^[^!\s]+![^!\s]+!\d{9,11}!\d{9,11}(![^.]*)?\.(xml|zip|xml\.gz|gz)$")
DMARC_SENDER = re.compile(r"dmarc|rua|noreply|no-reply|report")
