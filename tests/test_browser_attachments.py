"""Attachments in a real browser: Debian's chromium driven by playwright against the real
``appliance web``, with the MTA and worker filing real mail and the relay delivering to a
loopback SMTP server.  An item whose mail has an inline ``cid:`` picture and files: the
picture shows in the sandboxed mail frame (decoded, no CSP complaint in the console),
thumbnails show, an HTML file downloads instead of opening, an agent's reply with a file
is refused over the limit with the text kept, then goes out with the file."""
from __future__ import annotations

import email
import email.policy
import smtplib

from conftest import DOMAIN, needs_chromium, relaying, wait_for
from test_attachments_panel import EVIL_HTML, PHOTO, REPORT, REPORT_NAME, mail_with_files

pytestmark = needs_chromium

AGENT = ("maria@box.example", "pw-maria-123")


def test_an_item_with_a_cid_picture_and_files_in_chromium(box, browser, tmp_path):
    with relaying(box, agent=AGENT) as live:
        live.cli("automations", "disable", "A02")
        for service in ("mta", "worker", "web"):
            live.start(service)
        with smtplib.SMTP("127.0.0.1", live.smtp_port) as smtp:
            smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"],
                          mail_with_files("Scanner error E42", "<browser1@client.example>"))
        [item] = wait_for(lambda: live.json("items", "list"), timeout=20)
        base = f"http://127.0.0.1:{live.web_port}"
        errors = []
        context = browser.new_context(accept_downloads=True,
                                      viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and "/login" not in r.url else None)
        page.goto(f"{base}/items/{item['id']}")
        page.fill("#email", AGENT[0])
        page.fill("#password", AGENT[1])
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{base}/items/{item['id']}")

        # the inline picture, inside the sandboxed frame of the formatted mail
        page.click("summary:has-text('Show the formatted email')")
        frame_el = page.wait_for_selector("iframe.mailframe")
        frame = frame_el.content_frame()
        frame.wait_for_load_state("load")
        logo = frame.wait_for_selector("img[alt='the logo']")
        assert logo.evaluate("img => img.complete && img.naturalWidth") == 40
        assert logo.evaluate("img => img.naturalHeight") == 30
        assert frame.evaluate("document.querySelectorAll('img[src]').length") == 1
        # thumbnails of the pictures, none of the SVG
        page.wait_for_function("Array.from(document.querySelectorAll('img.thumb'))"
                               ".every(i => i.complete && i.naturalWidth > 0)")
        widths = page.eval_on_selector_all("img.thumb", "imgs => imgs.map(i => i.naturalWidth)")
        assert sorted(widths) == [40, 320]
        conversation = page.inner_text("#conversation")
        assert f"{REPORT_NAME}\n12 KB, application/pdf" in conversation or \
            f"{REPORT_NAME} 12 KB, application/pdf" in conversation
        page.screenshot(path=str(tmp_path / "item-attachments.png"), full_page=True)

        # the download link: an attachment with the right headers, also for HTML
        link = page.locator(f"a.attachment-name:has-text('{REPORT_NAME}')")
        url = base + link.get_attribute("href")
        response = context.request.get(url)     # the browser's own cookies
        assert response.status == 200 and response.body() == REPORT
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"Prufbericht Marz.pdf\"; "
            "filename*=UTF-8''Pr%C3%BCfbericht%20M%C3%A4rz.pdf")
        assert response.headers["x-content-type-options"] == "nosniff"
        with page.expect_download() as pdf:
            link.click()
        assert pdf.value.suggested_filename == REPORT_NAME
        before = page.url
        with page.expect_download() as html:
            page.click("a.attachment-name:has-text('invoice.html')")
        assert html.value.suggested_filename == "invoice.html"
        assert open(html.value.path(), "rb").read() == EVIL_HTML
        assert page.url == before and page.title() != "owned"
        assert context.request.get(url, max_redirects=0).status == 200
        anonymous = browser.new_context().request.get(url, max_redirects=0)
        assert anonymous.status == 303 and "/login" in anonymous.headers["location"]

        assert not errors, errors    # no CSP refusal, no script error, no failed load

        # a reply with too much attached: refused, the text kept; then a smaller file goes
        live.cli("settings", "set", "attachments.max_upload_mb", "1")
        page.fill("#body", "Here is the new driver.")
        page.set_input_files("#files", files=[{"name": "big.bin", "mimeType":
                                               "application/octet-stream",
                                               "buffer": b"\x00" * 1_300_000}])
        page.click("button[value=reply]")
        page.wait_for_selector("#reply-refused")
        assert "the attached files come to 1.2 MB together, more than the 1 MB" in \
            page.inner_text("#reply-refused")
        assert page.input_value("#body") == "Here is the new driver."
        assert all("413" in e for e in errors) and len(errors) == 2, errors  # the refusal
        errors.clear()
        live.cli("settings", "set", "attachments.max_upload_mb", "10")
        page.set_input_files("#files", files=[{"name": "Treiber März.png", "mimeType":
                                               "image/png", "buffer": PHOTO}])
        page.click("button[value=reply]")
        page.wait_for_selector(".flash")
        assert "Reply posted with 1 attachment" in page.inner_text(".flash")
        assert "Treiber März.png" in page.inner_text("#conversation")
        got = wait_for(lambda: [r for r in live.sink.received
                                if r.rcpt_tos == ["ben@client.example"]], timeout=20)
        msg = email.message_from_bytes(got[0].data, policy=email.policy.default)
        [part] = list(msg.iter_attachments())
        assert part.get_filename() == "Treiber März.png" and part.get_content() == PHOTO
        assert not errors, errors
        context.close()
