"""Attachments in the panel, in-process on a real SQLite file with mail filed by the real
intake: listed on the item and the incoming detail with name, size and type; downloads
that are attachments, never pages (HTML and SVG included), with RFC 6266/5987 names;
thumbnails for pictures only; ``cid:`` images shown from the stored part; files an agent
attaches to a reply stored with it, refused over ``attachments.max_upload_mb`` with the
text kept, and mailed to the customer (an internal note's never).  The last test does
it over the wire: the real web service, worker and a loopback SMTP server."""
from __future__ import annotations

import base64
import email
import email.policy
import re
import struct
import zlib

import pytest
from conftest import DOMAIN, Box

from appliance import clock
from appliance.webadmin.testclient import Client, multipart

ADMIN = ("admin@box.example", "admin-pw-123")
AGENT = ("agent@box.example", "agent-pw-12345")
REPORT_NAME = "Prüfbericht März.pdf"
REPORT = b"%PDF-1.4\n" + bytes(range(256)) * 48      # 12 KB and 9 bytes
EVIL_HTML = b"<html><body><script>parent.document.title='owned'</script></body></html>"
EVIL_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
            b'<rect width="10" height="10"/></svg>')


def png(width: int, height: int) -> bytes:
    """A real PNG (one red picture), so a browser decodes it and the bytes say PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xdd\x22\x22" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8,
                                                              2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


LOGO = png(40, 30)
PHOTO = png(320, 200)


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


def mail_with_files(subject: str = "Scanner shows an error",
                    message_id: str = "<files1@client.example>") -> bytes:
    """HTML with an inline cid: picture (no file name, as Outlook sends it), an unknown
    cid, a remote picture; a PDF with a German name (RFC 2231), an HTML and an SVG file
    that carry script, and a photo."""
    html = ('<p>The scanner says:</p><p><img src="cid:logo.png@01DA2B" alt="the logo">'
            '<img src="cid:nothing@client.example" alt="gone">'
            '<img src="https://tracker.example/pixel.gif" alt="pixel"></p>')
    return (
        f"From: Ben Carter <ben@client.example>\r\nTo: tickets@{DOMAIN}\r\n"
        f"Subject: {subject}\r\nMessage-ID: {message_id}\r\n"
        "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="MIX"\r\n\r\n'
        '--MIX\r\nContent-Type: multipart/related; boundary="REL"\r\n\r\n'
        '--REL\r\nContent-Type: multipart/alternative; boundary="ALT"\r\n\r\n'
        "--ALT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe scanner says: E42\r\n"
        "--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--ALT--\r\n"
        "--REL\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-ID: <logo.png@01DA2B>\r\nContent-Disposition: inline\r\n\r\n"
        + b64(LOGO) + "--REL--\r\n"
        "--MIX\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename*=utf-8''Pr%C3%BCfbericht%20M%C3%A4rz.pdf"
        "\r\n\r\n" + b64(REPORT)
        + "--MIX\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="invoice.html"\r\n\r\n' + b64(EVIL_HTML)
        + "--MIX\r\nContent-Type: image/svg+xml\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="drawing.svg"\r\n\r\n' + b64(EVIL_SVG)
        + "--MIX\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="photo.png"\r\n\r\n' + b64(PHOTO)
        + "--MIX--\r\n").encode()


def receive(box, raw: bytes) -> None:
    """File ``raw`` as mail to tickets@ through the real intake, in this process."""
    from appliance.helpdesk.worker import Worker
    from appliance.mta.spool import Envelope, Spool
    Spool(box.cfg.spool_dir).write(Envelope("ben@client.example", [f"tickets@{DOMAIN}"],
                                            peer="192.0.2.7", helo="mx.client.example"), raw)
    Worker(box.cfg).run_once()


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    from appliance import config
    from appliance.helpdesk.models import Item
    from appliance.webadmin.app import make_app
    box = Box(tmp_path_factory.mktemp("att") / "box").init()
    box.cli("users", "add", "--email", AGENT[0], "--name", "Alice Agent", "--role", "agent",
            "--password", AGENT[1])
    box.cli("automations", "disable", "A02")
    box.db()
    box.cfg = config.load(box.ini)
    box.app = make_app(box.cfg)
    receive(box, mail_with_files())
    box.item = Item.select().order_by(Item.id.desc()).get()
    yield box
    box.stop_all()


@pytest.fixture(autouse=True)
def fresh_limits():
    from appliance.helpdesk.logins import LoginAttempt
    LoginAttempt.delete().execute()
    yield
    clock.set_source(None)


def login(panel, who=ADMIN) -> Client:
    client = Client(panel.app)
    assert client.login(*who).status == 303
    return client


def stored(panel, filename: str):
    from appliance.helpdesk.models import Attachment
    return Attachment.get(Attachment.filename == filename)


def first_message(panel, item=None):
    """The item's first message (peewee's ``order_by("id")`` would sort by a constant)."""
    from appliance.helpdesk.models import Message
    return (item or panel.item).messages.order_by(Message.id).first()


# --- listing --------------------------------------------------------------------------

def test_item_page_lists_every_attachment_with_name_size_type_and_thumbnail(panel):
    page = login(panel, AGENT).get(f"/items/{panel.item.id}")
    assert page.status == 200
    text = re.sub(r"\s+", " ", page.text)
    report = stored(panel, REPORT_NAME)
    assert report.size == len(REPORT)
    assert (f'<a href="/attachments/{report.id}" class="attachment-name" download>'
            f"{REPORT_NAME}</a> <span class=\"muted small\">12 KB, application/pdf</span>"
            in text)
    for name, kind in (("invoice.html", "text/html"), ("drawing.svg", "image/svg+xml"),
                       ("photo.png", "image/png"), ("image.png", "image/png")):
        assert f"{name}</a> <span class=\"muted small\">" in text and kind in text, name
    photo, svg = stored(panel, "photo.png"), stored(panel, "drawing.svg")
    assert f'<img class="thumb" src="/attachments/{photo.id}?inline=1"' in text
    assert f"/attachments/{svg.id}?inline=1" not in text    # SVG is never a picture here
    assert 'enctype="multipart/form-data"' in text and 'type="file"' in text


def test_incoming_detail_lists_the_parts_and_serves_each(panel):
    from appliance.helpdesk.models import IncomingMail
    row = IncomingMail.get(IncomingMail.message_id == "<files1@client.example>")
    admin = login(panel)
    page = admin.get(f"/admin/email/incoming/{row.id}")
    text = re.sub(r"\s+", " ", page.text)
    assert "Attachments: " not in text      # no longer the bare list of names
    assert f"{REPORT_NAME}</a> <span class=\"muted small\">12 KB, application/pdf" in text
    urls = re.findall(r'href="(/admin/email/incoming/\d+/parts/\d+)" class="attachment-name"',
                      text)
    assert len(urls) == 5
    got = {admin.get(u).header("Content-Disposition"): admin.get(u) for u in urls}
    report = got["attachment; filename=\"Prufbericht Marz.pdf\"; "
                 "filename*=UTF-8''Pr%C3%BCfbericht%20M%C3%A4rz.pdf"]
    assert report.body == REPORT and report.header("X-Content-Type-Options") == "nosniff"
    html = got['attachment; filename="invoice.html"']
    assert html.header("Content-Type") == "application/octet-stream"
    assert html.body == EVIL_HTML
    # agents see attachments on items; the incoming log is for admins
    assert login(panel, AGENT).get(urls[0]).status == 403
    assert admin.get(f"/admin/email/incoming/{row.id}/parts/99").status == 404


# --- downloads ------------------------------------------------------------------------

def test_a_download_is_an_attachment_with_a_safe_name_never_a_page(panel):
    agent = login(panel, AGENT)
    report = agent.get(f"/attachments/{stored(panel, REPORT_NAME).id}")
    assert report.status == 200 and report.body == REPORT
    assert report.header("Content-Type") == "application/pdf"
    assert report.header("Content-Disposition") == (
        "attachment; filename=\"Prufbericht Marz.pdf\"; "
        "filename*=UTF-8''Pr%C3%BCfbericht%20M%C3%A4rz.pdf")
    assert report.header("X-Content-Type-Options") == "nosniff"
    assert report.header("Content-Length") == str(len(REPORT))
    for name, body in (("invoice.html", EVIL_HTML), ("drawing.svg", EVIL_SVG)):
        for query in ("", "?inline=1"):      # asking for a thumbnail changes nothing
            got = agent.get(f"/attachments/{stored(panel, name).id}{query}")
            assert got.status == 200 and got.body == body
            assert got.header("Content-Type") == "application/octet-stream", name
            assert got.header("Content-Disposition") == f'attachment; filename="{name}"'
            assert got.header("X-Content-Type-Options") == "nosniff"
            assert got.header("Content-Security-Policy") == "default-src 'none'; sandbox"


def test_a_thumbnail_is_a_picture_told_by_its_bytes(panel):
    from appliance.helpdesk import attachments
    from appliance.helpdesk.models import Attachment
    agent = login(panel, AGENT)
    thumb = agent.get(f"/attachments/{stored(panel, 'photo.png').id}?inline=1")
    assert thumb.status == 200 and thumb.body == PHOTO
    assert thumb.header("Content-Type") == "image/png"
    assert thumb.header("Content-Disposition") == 'inline; filename="photo.png"'
    assert thumb.header("X-Content-Type-Options") == "nosniff"
    # HTML that calls itself a PNG is still downloaded as octets
    liar = attachments.store(panel.cfg.attachments_dir, "cat.png", "image/png", EVIL_HTML)
    [row] = attachments.add(first_message(panel), [liar])
    try:
        got = agent.get(f"/attachments/{row.id}?inline=1")
        assert got.header("Content-Type") == "application/octet-stream"
        assert got.header("Content-Disposition") == 'attachment; filename="cat.png"'
    finally:
        Attachment.delete().where(Attachment.id == row.id).execute()


def test_downloads_need_a_login(panel):
    report = stored(panel, REPORT_NAME)
    for path in (f"/attachments/{report.id}", f"/attachments/{report.id}?inline=1",
                 "/admin/email/incoming/1/parts/0"):
        response = Client(panel.app).get(path)
        assert response.status == 303 and response.location.startswith("/login?next=")
        assert REPORT not in response.body


def test_a_missing_file_is_a_clear_404_page(panel):
    from appliance.helpdesk import attachments
    from appliance.helpdesk.models import Attachment
    gone = attachments.store(panel.cfg.attachments_dir, "lost.txt", "text/plain",
                             b"soon gone " + bytes(8))
    [row] = attachments.add(first_message(panel), [gone])
    (panel.cfg.attachments_dir / gone.path).unlink()
    agent = login(panel, AGENT)
    try:
        page = agent.get(f"/attachments/{row.id}")
        assert page.status == 404
        assert page.header("Content-Type").startswith("text/html")
        assert "Not found" in page.text
        assert "The file of the attachment “lost.txt” is missing from the attachments " \
               "directory" in page.text
        unknown = agent.get("/attachments/999999")
        assert unknown.status == 404 and "No such attachment" in unknown.text
    finally:
        Attachment.delete().where(Attachment.id == row.id).execute()


# --- cid: images ----------------------------------------------------------------------

def test_cid_images_show_the_stored_part_and_nothing_else_loads(panel):
    from appliance.helpdesk.models import IncomingMail
    message = first_message(panel)
    agent = login(panel, AGENT)
    frame = agent.get(f"/items/{panel.item.id}/messages/{message.id}/frame")
    logo = f'<img src="data:image/png;base64,{base64.b64encode(LOGO).decode()}" alt="the logo">'
    assert logo in frame.text
    assert '<img alt="gone">' in frame.text            # an unknown cid: no source at all
    assert '<img alt="pixel">' in frame.text            # nor a picture from outside
    assert "cid:" not in frame.text and "tracker.example" not in frame.text
    csp = frame.header("Content-Security-Policy")
    assert "img-src data:" in csp and "sandbox" in csp and "default-src 'none'" in csp
    # the incoming detail's frame resolves them from the message as received
    row = IncomingMail.get(IncomingMail.message_id == "<files1@client.example>")
    incoming = login(panel).get(f"/admin/email/incoming/{row.id}/frame")
    assert logo in incoming.text and "cid:" not in incoming.text


def test_a_cid_naming_an_svg_or_html_part_shows_nothing(panel):
    from appliance.helpdesk.models import Item
    raw = mail_with_files("Vector logo", "<files2@client.example>").replace(
        b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-ID: <logo.png@01DA2B>\r\nContent-Disposition: inline\r\n\r\n"
        + b64(LOGO).encode(),
        b"Content-Type: image/svg+xml\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-ID: <logo.png@01DA2B>\r\nContent-Disposition: inline\r\n\r\n"
        + b64(EVIL_SVG).encode())
    receive(panel, raw)
    item = Item.get(Item.title == "Vector logo")
    message = first_message(panel, item)
    frame = login(panel, AGENT).get(f"/items/{item.id}/messages/{message.id}/frame")
    assert '<img alt="the logo">' in frame.text and "data:" not in frame.text


# --- replies with files ---------------------------------------------------------------

def test_a_reply_and_a_note_carry_files_stored_with_the_message(panel):
    from appliance.helpdesk.models import Message
    agent = login(panel, AGENT)
    agent.get(f"/items/{panel.item.id}")
    files = [("files", "Anleitung für Ben.txt", "text/plain", "Schritt 1: aus, an.".encode()),
             ("files", "screen.png", "image/png", LOGO),
             ("files", "", "application/octet-stream", b"")]   # an input left empty
    posted = agent.post(f"/items/{panel.item.id}/messages",
                        {"body": "Please follow the guide.", "kind": "reply"}, files=files)
    assert posted.status == 303, posted.text
    reply = Message.select().where(Message.body == "Please follow the guide.").get()
    assert not reply.internal
    assert [(a.filename, a.content_type, a.size) for a in reply.attachments] == [
        ("Anleitung für Ben.txt", "text/plain", len("Schritt 1: aus, an.".encode())),
        ("screen.png", "image/png", len(LOGO))]
    page = agent.get(posted.location)
    assert "Reply posted with 2 attachments" in page.text
    assert "Anleitung für Ben.txt</a>" in page.text
    guide = next(a for a in reply.attachments if a.filename.startswith("Anleitung"))
    assert agent.get(f"/attachments/{guide.id}").body == "Schritt 1: aus, an.".encode()
    note = agent.post(f"/items/{panel.item.id}/messages",
                      {"body": "Serial number photo.", "kind": "note"},
                      files=[("files", "serial.png", "image/png", PHOTO)])
    assert note.status == 303
    internal = Message.select().where(Message.body == "Serial number photo.").get()
    assert internal.internal and [a.filename for a in internal.attachments] == ["serial.png"]


def test_a_reply_over_the_limit_is_refused_and_keeps_the_text(panel):
    from appliance.helpdesk import settingstore
    from appliance.helpdesk.models import Attachment, Message
    assert not settingstore.store({"attachments.max_upload_mb": "1"})
    try:
        agent = login(panel, AGENT)
        agent.get(f"/items/{panel.item.id}")
        before = (Message.select().count(), Attachment.select().count())
        text = "Here are the logs <and> the dump you asked for."
        refused = agent.post(f"/items/{panel.item.id}/messages", {"body": text,
                                                                  "kind": "reply"},
                             files=[("files", "dump.bin", "application/octet-stream",
                                     b"\x00" * 700_000),
                                    ("files", "logs.zip", "application/zip",
                                     b"PK" + b"\x01" * 600_000)])
        assert refused.status == 413
        assert ("Nothing was posted: the attached files come to 1.2 MB together, more "
                "than the 1 MB one reply or note may carry (the setting "
                "attachments.max_upload_mb). Your text is kept below") in refused.text
        assert "Here are the logs &lt;and&gt; the dump you asked for.</textarea>" \
            in refused.text
        assert "at most 1 MB together" in refused.text
        assert (Message.select().count(), Attachment.select().count()) == before
    finally:
        settingstore.store({"attachments.max_upload_mb": "10"})


def test_the_default_limit_takes_ten_megabytes(panel):
    from appliance.helpdesk.models import Message
    agent = login(panel, AGENT)
    agent.get(f"/items/{panel.item.id}")
    big = bytes(range(256)) * (10 * 4096 - 4)            # 1 KB short of 10 MB
    posted = agent.post(f"/items/{panel.item.id}/messages",
                        {"body": "The full disk image.", "kind": "note"},
                        files=[("files", "disk.img", "application/octet-stream", big)])
    assert posted.status == 303, posted.text
    note = Message.select().where(Message.body == "The full disk image.").get()
    [row] = list(note.attachments)
    assert row.size == len(big)
    assert agent.get(f"/attachments/{row.id}").body == big
    over = agent.post(f"/items/{panel.item.id}/messages",
                      {"body": "Too much.", "kind": "note"},
                      files=[("files", "disk.img", "application/octet-stream", big),
                             ("files", "more.img", "application/octet-stream", bytes(2048))])
    assert over.status == 413 and "more than the 10 MB" in over.text


def test_a_multipart_reply_without_the_csrf_token_is_refused(panel):
    from appliance.helpdesk.models import Message
    agent = login(panel, AGENT)
    response = agent.post(f"/items/{panel.item.id}/messages",
                          {"body": "Forged.", "kind": "reply"}, csrf=False,
                          files=[("files", "x.txt", "text/plain", b"x")])
    assert response.status == 403
    assert not Message.select().where(Message.body == "Forged.").exists()


# --- to the customer ------------------------------------------------------------------

def test_the_relay_mails_a_replys_files_to_the_customer_never_a_notes(panel):
    """In-process with the clock moved: the customer's relay email has the reply's file
    as a MIME attachment; the agent-only note's file goes to agents only."""
    from appliance.helpdesk.models import Item
    from appliance.helpdesk.relaymodels import RelayEntry
    from appliance.helpdesk.worker import Worker
    from appliance.outbound.models import OutgoingMail, OutgoingRecipient
    frozen = clock.FrozenClock(clock.now())
    clock.set_source(frozen)
    receive(panel, mail_with_files("Relay me", "<files3@client.example>"))
    item = Item.get(Item.title == "Relay me")
    agent = login(panel, AGENT)     # posting makes the agent a follower
    agent.get(f"/items/{item.id}")
    agent.post(f"/items/{item.id}/messages", {"body": "Try this driver.", "kind": "reply"},
               files=[("files", "Treiber für Ben.zip", "application/zip", b"PK\x03\x04drv")])
    admin = login(panel)
    admin.get(f"/items/{item.id}")
    admin.post(f"/items/{item.id}/messages", {"body": "Internal: warranty void.",
                                              "kind": "note"},
               files=[("files", "warranty.txt", "text/plain", b"VOID-123")])
    assert RelayEntry.select().where(RelayEntry.item == item).count() >= 2
    frozen.advance(3600)
    Worker(panel.cfg).center_tick(clock.now())
    mails = {}
    for r in (OutgoingRecipient.select(OutgoingRecipient, OutgoingMail).join(OutgoingMail)
              .where(OutgoingMail.item == item)):
        mails[r.email] = email.message_from_bytes(bytes(r.mail.raw),
                                                  policy=email.policy.default)
    customer = mails["ben@client.example"]
    files = {p.get_filename(): p.get_content() for p in customer.iter_attachments()}
    assert files == {"Treiber für Ben.zip": b"PK\x03\x04drv"}
    assert "VOID-123" not in bytes(customer).decode("ascii", "replace")
    assert "warranty" not in str(customer)
    staff = mails[AGENT[0]]      # the agent gets the admin's note, with its file
    assert {p.get_filename() for p in staff.iter_attachments()} == {"warranty.txt"}


def test_an_agents_reply_with_a_file_reaches_the_customer_over_smtp(tmp_path):
    """The real services: mail in over SMTP, the agent's reply posted to the web service
    over HTTP as a multipart form, the relay delivering to a loopback SMTP server."""
    import http.cookiejar
    import smtplib
    import urllib.parse
    import urllib.request

    from conftest import relaying, wait_for
    box = Box(tmp_path / "box").init()
    agent = ("maria@box.example", "pw-maria-123")
    try:
        with relaying(box, agent=agent) as live:
            live.cli("automations", "disable", "A02")
            for service in ("mta", "worker", "web"):
                live.start(service)
            with smtplib.SMTP("127.0.0.1", live.smtp_port) as smtp:
                smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"],
                              mail_with_files("Drivers please", "<e2e1@client.example>"))
            [item] = wait_for(lambda: live.json("items", "list"), timeout=20)
            base = f"http://127.0.0.1:{live.web_port}"
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

            def csrf(path: str) -> str:
                page = opener.open(base + path).read().decode()
                return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            login = urllib.parse.urlencode({"email": agent[0], "password": agent[1],
                                            "csrf_token": csrf("/login")}).encode()
            opener.open(base + "/login", login)
            body, ctype = multipart(
                {"csrf_token": csrf(f"/items/{item['id']}"), "body": "The driver is attached.",
                 "kind": "reply"},
                [("files", "Treiber März.zip", "application/zip", b"PK\x03\x04" + PHOTO)])
            request = urllib.request.Request(base + f"/items/{item['id']}/messages",
                                             data=body, headers={"Content-Type": ctype})
            shown = opener.open(request).read().decode()   # redirected to the item
            assert "Reply posted with 1 attachment" in shown
            got = wait_for(lambda: [r for r in live.sink.received
                                    if r.rcpt_tos == ["ben@client.example"]], timeout=20)
            msg = email.message_from_bytes(got[0].data, policy=email.policy.default)
            [part] = list(msg.iter_attachments())
            assert part.get_filename() == "Treiber März.zip"
            assert part.get_content_type() == "application/zip"
            assert part.get_content() == b"PK\x03\x04" + PHOTO
            assert "The driver is attached." in msg.get_body(("plain",)).get_content()
            # and the item shows it with the reply
            [reply] = [m for m in live.json("items", "show", str(item["id"]))["messages"]
                       if m["body"] == "The driver is attached."]
            assert reply["attachments"] == [{"filename": "Treiber März.zip",
                                             "content_type": "application/zip",
                                             "size": 4 + len(PHOTO)}]
    finally:
        box.stop_all()
