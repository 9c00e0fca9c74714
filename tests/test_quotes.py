"""Quote folding (helpdesk/quotes.py): a reply's own words without the history its mail
client quoted, for every family of quote header, not one sample; what is no quote stays."""
from __future__ import annotations

import pytest

from appliance.helpdesk.quotes import fold, summary

OWN = "Thanks, the technician fixed it.\n\nBen"
HISTORY = "We sent a technician.\nMaria"


def quoted(lines: str) -> str:
    return "\n".join("> " + line for line in lines.splitlines())


FAMILIES = {
    # Gmail, one line and wrapped onto a second one, in several languages
    "gmail en": "On Wed, Dec 2, 2026 at 9:59 AM Maria at Acme <support@acme.example> "
                "wrote:\n\n" + quoted(HISTORY),
    "gmail en wrapped": "On Wed, Dec 2, 2026 at 9:59 AM Maria at Acme Support <\n"
                        "support@acme.example> wrote:\n\n" + quoted(HISTORY),
    "gmail de": "Am Mi., 2. Dez. 2026 um 09:59 Uhr schrieb Maria <support@acme.example>:"
                "\n\n" + quoted(HISTORY),
    "gmail fr": "Le mer. 2 déc. 2026 à 09:59, Maria <support@acme.example> a écrit :\n\n"
                + quoted(HISTORY),
    "gmail es": "El mié, 2 dic 2026 a las 9:59, Maria (<support@acme.example>) escribió:"
                "\n\n" + quoted(HISTORY),
    "gmail nl": "Op wo 2 dec. 2026 om 09:59 schreef Maria <support@acme.example>:\n\n"
                + quoted(HISTORY),
    # Apple Mail: the attribution itself quoted, or above the quote
    "apple mail quoted": quoted("On 2 Dec 2026, at 09:59, Maria <support@acme.example> "
                                "wrote:\n\n" + HISTORY),
    "apple mail": "On 2 Dec 2026, at 09:59, Maria <support@acme.example> wrote:\n\n"
                  + quoted(HISTORY),
    # Thunderbird: a name without an address
    "thunderbird en": "On 12/2/26 9:59 AM, Maria Lopez wrote:\n" + quoted(HISTORY),
    "thunderbird de": "Am 02.12.26 um 09:59 schrieb Maria Lopez:\n" + quoted(HISTORY),
    # Outlook: a header block, under a line of underscores or not, in English and German,
    # the history not quoted with ">" at all
    "outlook": "________________________________\nFrom: Maria <support@acme.example>\n"
               "Sent: Wednesday, December 2, 2026 9:59 AM\nTo: Ben Carter "
               "<ben@client.example>\nSubject: [#6] Printer\n\n" + HISTORY,
    "outlook without line": "From: Maria <support@acme.example>\nSent: Wednesday, "
                            "December 2, 2026 9:59 AM\nTo: Ben <ben@client.example>\n"
                            "Subject: RE: [#6] Printer\n\n" + HISTORY,
    "outlook de": "Von: Maria <support@acme.example>\nGesendet: Mittwoch, 2. Dezember "
                  "2026 09:59\nAn: Ben Carter <ben@client.example>\nBetreff: AW: [#6] "
                  "Drucker\n\n" + HISTORY,
    "new outlook": "From: Maria <support@acme.example>\nDate: Wednesday, 2 December 2026 "
                   "at 09:59\nTo: Ben Carter <ben@client.example>\nSubject: Re: [#6] "
                   "Printer\n\n" + HISTORY,
    "original message": "-----Original Message-----\nFrom: Maria <support@acme.example>\n"
                        "Sent: Wednesday, December 2, 2026 9:59 AM\nTo: Ben\n"
                        "Subject: Printer\n\n" + HISTORY,
    "ursprüngliche nachricht": "-----Ursprüngliche Nachricht-----\nVon: Maria "
                               "<support@acme.example>\nGesendet: Mittwoch, 2. Dezember "
                               "2026 09:59\nAn: Ben\nBetreff: Drucker\n\n" + HISTORY,
    # no header at all: only ">" lines
    "bare quote": quoted(HISTORY),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_of_quote_header_is_folded_away(family):
    folded = fold(f"{OWN}\n\n{FAMILIES[family]}\n")
    assert folded.text == OWN
    assert folded.folded >= 2
    assert "technician." not in folded.text.replace("the technician fixed", "")


def test_crlf_and_inline_answers_keep_the_answers_without_the_quoted_lines():
    body = "> Which floor?\r\nThe second.\r\n> Which model?\r\nLaserJet 4.\r\n"
    assert fold(body).text == "The second.\nLaserJet 4."


@pytest.mark.parametrize("body", [
    "The printer on the second floor is broken.\nOn Monday it worked.",
    "Am Montag ging er noch.\nJetzt nicht mehr.",
    "Our order:\nFrom: Berlin\nTo: Hamburg\nWeight: 2 kg",
    "> only what someone else wrote",
    "-----Original Message-----\nFrom: Maria <support@acme.example>\nSent: Wed\nTo: Ben\n"
    "Subject: x\n\nnothing above it: a forward, kept",
])
def test_what_is_no_quote_or_all_there_is_stays(body):
    assert fold(body).text == body.strip()


def test_a_forwarded_message_below_the_words_is_the_message_and_stays():
    body = ("Please see below.\n\n---------- Forwarded message ---------\nFrom: Eva "
            "<eva@vendor.example>\nDate: Wed, 2 Dec 2026\nSubject: Invoice\nTo: "
            "ben@client.example\n\nThe invoice is attached.")
    assert fold(body).text == body


def test_summary_is_the_first_words_on_one_line():
    assert summary("one two\nthree", words=2) == "one two …"
    assert summary("one  two\n\nthree") == "one two three"


@pytest.mark.parametrize("html", [
    # Gmail: the attribution in gmail_attr, the history in a blockquote (no "> " at all)
    '<div dir="ltr">Thanks, the technician fixed it.<div><br></div><div>Ben</div></div><br>'
    '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Wed, Dec 2, 2026 at 9:59'
    ' AM Maria at Acme &lt;<a href="mailto:support@acme.example">support@acme.example</a>'
    '&gt; wrote:<br></div><blockquote class="gmail_quote"><p>We sent a technician.</p>'
    '</blockquote></div>',
    # Outlook: the header block in bold labels under a border
    '<div class="WordSection1"><p class="MsoNormal">Thanks, the technician fixed it.</p>'
    '<p class="MsoNormal">Ben</p><div style="border-top:solid #E1E1E1 1.0pt"><p '
    'class="MsoNormal"><b>From:</b> Maria &lt;support@acme.example&gt;<br><b>Sent:</b> '
    'Wednesday, December 2, 2026 9:59 AM<br><b>To:</b> Ben Carter &lt;ben@client.example'
    '&gt;<br><b>Subject:</b> [#6] Printer</p></div><p class="MsoNormal">We sent a '
    'technician.</p></div>',
])
def test_html_only_replies_fold_once_converted_as_intake_converts_them(html):
    from appliance.helpdesk.bodytext import html_to_text
    assert fold(html_to_text(html)).text == "Thanks, the technician fixed it.\n\nBen"
