"""Complaint and feedback reports (RFC 5965 ARF, RFC 6591), non-ARF complaint mail and DMARC
aggregate reports (RFC 7489)."""
from __future__ import annotations

import base64
import gzip
import io
import zipfile

from generate import OWN, add, bounce, our_id, returned, token

COMPLAINT = "complaint report"


def arf(n: int, sender: str, subject: str, feedback: str, reporter: str, extra: str = "",
        human: str = "", returned_type: str = "message/rfc822", date: str = "",
        name: str = "") -> str:
    date = date or f"Thu, 28 May 2026 0{n % 10}:00:00 +0000"
    b = f"----=_ARF_{token(n)[:14]}"
    human = human or ("This is an email abuse report for an email message received from IP "
                      f"198.51.100.25 on {date}.\nFor more information about this format "
                      "please see http://www.mipassoc.org/arf/.\n")
    inner = returned(n, "someone@isp.example", "Newsletter", date,
                     headers_only=returned_type == "text/rfc822-headers")
    from_line = f"{name} <{sender}>" if name else sender
    return f"""From: {from_line}
To: abuse@help.example.com
Subject: {subject}
Date: {date}
Message-ID: <arf.{token(n)}@{sender.split('@')[1]}>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
\tboundary="{b}"

--{b}
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

{human}
--{b}
Content-Type: message/feedback-report

Feedback-Type: {feedback}
User-Agent: {reporter}
Version: 1
Original-Mail-From: <{OWN}>
Arrival-Date: {date}
Source-IP: 198.51.100.25
{extra}
--{b}
Content-Type: {returned_type}
Content-Disposition: inline

{inner}
--{b}--
"""


def complaints() -> None:
    rows = [
        ("arf-yahoo-abuse.eml", "feedback@arf.mail.yahoo.example", "FW: Newsletter", "abuse",
         "Yahoo!-Mail-Feedback/2.0", "", "Yahoo complaint (ARF, abuse) with a FW: subject"),
        ("arf-aol-abuse.eml", "scomp@aol.example", "Email Feedback Report for IP 198.51.100.25",
         "abuse", "AOL SComp", "Reported-Domain: help.example.com\n",
         "AOL feedback loop (ARF)"),
        ("arf-ses-complaint.eml", "complaints@email-abuse.amazonses.com", "Newsletter",
         "abuse", "Amazon SES Feedback/1.0", "Original-Rcpt-To: someone@isp.example\n",
         "Amazon SES complaint forwarded as ARF, subject of the original"),
        ("arf-fraud.eml", "fbl@isp-two.example", "Fraud report", "fraud", "ISP-Two FBL/1.0",
         "Authentication-Results: isp-two.example; spf=fail smtp.mailfrom=help.example.com\n",
         "ARF fraud report"),
        ("arf-virus.eml", "abuse-reports@isp-three.example", "Virus report", "virus",
         "AV-Reporter/3.1", "", "ARF virus report"),
        ("arf-not-spam.eml", "fbl@isp-four.example", "Not spam report", "not-spam",
         "ISP-Four/1.0", "", "ARF not-spam report"),
        ("arf-other.eml", "reports@isp-five.example", "Feedback", "other", "ISP-Five/2",
         "", "ARF 'other' report from a sender no table names"),
        ("arf-microsoft-jmrp.eml", "staff@hotmail.example", "complaint about message from "
         "198.51.100.25", "abuse", "Microsoft JMRP/1.0", "",
         "Microsoft JMRP in ARF"),
        ("arf-comcast.eml", "feedbackloop@comcast.example", "Comcast Feedback Report",
         "abuse", "Comcast FBL/1.0", "", "Comcast-style feedback loop"),
    ]
    for i, (file, sender, subject, feedback, agent, extra, note) in enumerate(rows):
        n = 300 + i
        raw = arf(n, sender, subject, feedback, agent, extra,
                  returned_type="text/rfc822-headers" if i % 3 == 2 else "message/rfc822")
        add(file, raw, bounce(sender, "feedback-report", reason_contains=COMPLAINT,
                              bounced_message_ids=[our_id(n)]), note, mail_from="")
    # RFC 6591 DMARC failure report (auth-failure)
    n = 320
    extra = ("Auth-Failure: dmarc\nReported-Domain: help.example.com\n"
             "Authentication-Results: mx.receiver.example; dmarc=fail header.from=help.example."
             "com; spf=fail smtp.mailfrom=help.example.com; dkim=fail header.d=help.example.com"
             "\nDelivery-Result: reject\nIdentity-Alignment: dkim, spf\n")
    raw = arf(n, "dmarc-failures@receiver.example", "DMARC Failure Report for help.example.com",
              "auth-failure", "DMARC-Failure-Reporter/1.0", extra,
              human="This is an authentication failure report for an email message received "
                    "from IP 203.0.113.66.\n", returned_type="text/rfc822-headers",
              name="DMARC Failure Reports")
    add("dmarc-failure-report.eml", raw,
        bounce("dmarc-failures@receiver.example", "feedback-report",
               reason_contains="auth-failure", bounced_message_ids=[our_id(n)]),
        "RFC 6591 DMARC failure report (Feedback-Type: auth-failure)", mail_from="")
    # ARF from an address nothing knows, folded and odd-cased content type parameters
    n = 321
    raw = arf(n, "noc@tiny-isp.example", "Spam report", "abuse", "TinyISP", "").replace(
        "Content-Type: multipart/report; report-type=feedback-report;",
        "Content-Type: Multipart/Report;\n   Report-Type=\"feedback-report\";")
    add("arf-folded-params.eml", raw,
        bounce("noc@tiny-isp.example", "feedback-report", reason_contains=COMPLAINT),
        "ARF with folded, quoted, mixed-case parameters")
    # JMRP in its old, non-ARF form: message/rfc822 attached, the JMRP header
    n = 322
    b = f"--JMRP{token(n)[:10]}"
    raw = f"""From: staff@hotmail.example
To: abuse@help.example.com
Subject: complaint about message from 198.51.100.25
Date: Fri, 29 May 2026 04:00:00 -0700
Message-ID: <jmrp.{token(n)}@hotmail.example>
X-HmXmrOriginalRecipient: <someone@hotmail.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{b}"

--{b}
Content-Type: text/plain; charset=us-ascii

This is an email abuse report for an email message from help.example.com.

--{b}
Content-Type: message/rfc822

{returned(n, "someone@hotmail.example", "Spring sale", "Fri, 29 May 2026 10:59:00 +0000")}
--{b}--
"""
    add("jmrp-legacy.eml", raw,
        bounce("staff@hotmail.example", "complaint-mail", reason_contains=COMPLAINT,
               bounced_message_ids=[our_id(n)]),
        "Microsoft JMRP legacy (non-ARF) complaint with the message attached: not a forward")
    # Amazon SES complaint through SNS
    n = 323
    raw = f"""From: AWS Notifications <no-reply@sns.amazonaws.com>
To: {OWN}
Date: Sat, 30 May 2026 06:00:00 +0000
Subject: AWS Notification Message
Message-ID: <0100018f.sns.{token(n)}@email.amazonses.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

{{
  "notificationType" : "Complaint",
  "complaint" : {{
    "complainedRecipients" : [ {{ "emailAddress" : "annoyed@ses-client.example" }} ],
    "timestamp" : "2026-05-30T05:59:00.000Z",
    "feedbackId" : "0100018f-{token(n)[:12]}",
    "complaintFeedbackType" : "abuse"
  }},
  "mail" : {{ "source" : "{OWN}", "messageId" : "0100018f-{token(n + 1)[:12]}" }}
}}
"""
    add("amazonses-sns-complaint.eml", raw,
        bounce("no-reply@sns.amazonaws.com", "vendor-notification"),
        "Amazon SES complaint through SNS (pretty-printed JSON)", mail_from="")
    # a plain-text feedback-loop complaint (no ARF) from an FBL address
    n = 324
    raw = f"""From: Feedback Loop <fbl@mail.regional-isp.example>
To: abuse@help.example.com
Subject: Spam complaint: message from help.example.com
Date: Sun, 31 May 2026 13:00:00 +0200
Message-ID: <fbl.{token(n)}@regional-isp.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fbl{n}"

--fbl{n}
Content-Type: text/plain; charset=utf-8

A subscriber of ours marked the attached message as spam.

--fbl{n}
Content-Type: message/rfc822

{returned(n, "user@regional-isp.example", "Offers", "Sun, 31 May 2026 10:00:00 +0000")}
--fbl{n}--
"""
    add("fbl-plain-complaint.eml", raw,
        bounce("fbl@mail.regional-isp.example", "complaint-mail", reason_contains=COMPLAINT,
               bounced_message_ids=[our_id(n)]),
        "non-ARF feedback loop complaint with the message attached")


def _zip(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(name[:-4], date_time=(2026, 6, 1, 0, 0, 0))
        z.writestr(info, data)
    return out.getvalue()


def _report_xml(org: str, rid: str) -> bytes:
    return (f"""<?xml version="1.0" encoding="UTF-8" ?>
<feedback><report_metadata><org_name>{org}</org_name><email>noreply@{org}</email>
<report_id>{rid}</report_id><date_range><begin>1780272000</begin><end>1780358399</end>
</date_range></report_metadata><policy_published><domain>help.example.com</domain><adkim>r</adkim>
<aspf>r</aspf><p>none</p></policy_published><record><row><source_ip>198.51.100.25</source_ip>
<count>12</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf>
</policy_evaluated></row><identifiers><header_from>help.example.com</header_from></identifiers>
</record></feedback>
""").encode()


def _b64(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def aggregates() -> None:
    rows = [
        ("dmarc-aggregate-google.eml", "noreply-dmarc-support@google.example", "google.example",
         "Report domain: help.example.com Submitter: google.example Report-ID: 8251973340221",
         "zip", "Google DMARC aggregate report, zip"),
        ("dmarc-aggregate-microsoft.eml", "dmarcreport@microsoft.example",
         "protection.outlook.example",
         "[Preview] Report Domain: help.example.com Submitter: protection.outlook.example "
         "Report-ID: a1b2c3d4e5f6", "gzip", "Microsoft DMARC aggregate report, gzip"),
        ("dmarc-aggregate-yahoo.eml", "dmarchelp@yahooinc.example", "yahoo.example",
         "Report Domain: help.example.com Submitter: Yahoo Inc. Report-ID: <1780300000.4242>",
         "gzip", "Yahoo DMARC aggregate report, gzip"),
        ("dmarc-aggregate-odd-subject.eml", "dmarc@mail.smallhost.example", "smallhost.example",
         "DMARC Aggregate Report", "zip",
         "aggregate report with a free-form subject: the attachment name says it"),
    ]
    for i, (file, sender, org, subject, kind, note) in enumerate(rows):
        n = 330 + i
        base = f"{org}!help.example.com!1780272000!1780358399"
        xml = _report_xml(org, f"r{n}")
        if kind == "zip":
            name, ctype, data = base + ".zip", "application/zip", _zip(base + ".xml.zip", xml)
        else:
            name = base + ".xml.gz"
            ctype, data = "application/gzip", gzip.compress(xml, mtime=1780358400)
        b = f"----=_DMARC_{token(n)[:12]}"
        raw = f"""From: {sender}
To: dmarc-rua@help.example.com
Subject: {subject}
Date: Mon, 1 Jun 2026 0{i}:30:00 +0000
Message-ID: <dmarc.{token(n)}@{org}>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{b}"

--{b}
Content-Type: text/plain; charset=us-ascii

This is an aggregate report from {org}.

--{b}
Content-Type: {ctype}; name="{name}"
Content-Disposition: attachment; filename="{name}"
Content-Transfer-Encoding: base64

{_b64(data)}
--{b}--
"""
        add(file, raw, {"kind": "direct", "requester": sender, "automated": "bulk",
                        "rules_include": ["dmarc-aggregate-report"]}, note, mail_from="")


complaints()
aggregates()
