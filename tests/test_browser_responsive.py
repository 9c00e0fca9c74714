"""Every panel page at a phone's width (390 px) and a desktop's (1440 px) in Debian's
chromium, against the real services with real data (items with long subjects and
addresses, replies that went out by mail, a blocklist, a second user, a password-reset
link): no page scrolls sideways (``scrollWidth <= innerWidth``), every link of the top bar
is readable (its colour against the bar's background), inside the viewport and on the bar,
no console error (a CSP violation included); the home page shows its SVG charts.  The pages
are the app's GET routes, so a new page is visited too (one with a new kind of URL
parameter fails until :func:`concrete` knows a value for it).  Viewport screenshots go to
``docs/screenshots/<page>-<width>.png`` when ``APPLIANCE_SCREENSHOTS`` names that directory,
else to the test's tmp directory."""
from __future__ import annotations

import os
import re
import smtplib
from pathlib import Path

from conftest import message, needs_chromium, wait_for

pytestmark = needs_chromium
WIDTHS = (390, 1440)
LONG_SUBJECT = ("Rechnungskorrektur für die Bestellung 4711-0815-ABCDEFGHIJKLMNOP nach "
                "Rücksprache mit der Buchhaltung, dem Vertrieb und der Geschäftsleitung")
LONG_SENDER = "a.very.long.mailbox.name.for.testing@subsidiary.client-company-example.example"
# GET routes that are no page of their own: frames of mail HTML, previews, the API, files
NOT_PAGES = ("/api/", "/static/", "/healthz", "/metrics", "/frame", "/preview",
             "/attachments/", "/parts/")   # downloads, not pages


def seed(box) -> dict:
    """Real data through the real paths: mail in by SMTP, answers out by mail to the
    sink, a password reset asked for; returns ids the page list needs."""
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        smtp.sendmail("ben@client.example", ["tickets@box.example"],
                      message(subject="Printer prints blank pages",
                              body="Since Monday every page comes out blank.\r\n\r\nBen"))
        smtp.sendmail(LONG_SENDER, ["tickets@box.example"],
                      message(subject=LONG_SUBJECT, sender=LONG_SENDER,
                              body="Die Rechnung RE-2026-000123456789 stimmt nicht. " * 8))
        smtp.sendmail("ben@client.example", ["tasks@box.example"],
                      message(subject="Order toner", to="tasks@box.example",
                              body="We need 4 cartridges."))
    items = wait_for(lambda: (lambda rows: rows if len(rows) == 3 else None)(
        box.json("items", "list")), timeout=30)
    for item in items:
        box.cli("items", "reply", str(item["id"]), "--author", "admin@box.example",
                "--body", "Thanks, we are on it. A technician comes by on Thursday.")
    box.cli("items", "reply", str(items[0]["id"]), "--author", "admin@box.example",
            "--body", "Drum is under warranty.", "--internal")
    box.cli("blocklist", "add", "*@alerts.example")
    box.cli("users", "add", "--email", "maria@box.example", "--name", "Maria Agent",
            "--role", "agent", "--password", "agent-pw-123")
    wait_for(lambda: [m for m in box.json("mail", "outgoing")
                      if m["status"] == "delivered"], timeout=30)
    incoming = box.json("mail", "incoming")
    outgoing = box.json("mail", "outgoing")
    return {"item": items[-1]["id"], "long_item": items[1]["id"],
            "incoming": incoming[0]["id"], "outgoing": outgoing[0]["id"]}


def page_routes(box) -> list[str]:
    """The panel's GET pages, from the app's routes."""
    from appliance import config
    from appliance.webadmin.app import make_app
    app = make_app(config.load(box.ini))
    return sorted({r.rule for r in app.routes if r.method == "GET"
                   and not any(part in r.rule for part in NOT_PAGES)})


def concrete(rules: list[str], ids: dict, token: str) -> dict[str, str]:
    """A URL and a screenshot name for every route."""
    fill = {"item_id": ids["long_item"], "entry_id": ids["incoming"],
            "mail_id": ids["outgoing"], "name": "relay", "code": "A02", "token": token}
    pages = {}
    for rule in rules:
        url = re.sub(r"<(\w+)(:[^>]*)?>", lambda m: str(fill[m.group(1)]), rule)
        name = "home" if rule == "/" else (re.sub(r"^/admin(/email)?", "", rule).strip("/")
                                           or rule.strip("/"))
        name = re.sub(r"/<[^>]*>", "-detail", name)
        pages[re.sub(r"[^a-z0-9]+", "-", name).strip("-")] = url
    return pages


MEASURE = """() => {
  const bar = document.querySelector('.topbar');
  const parse = c => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = rgb => { const [r, g, b] = rgb.map(v => { v /= 255;
      return v <= .03928 ? v / 12.92 : Math.pow((v + .055) / 1.055, 2.4); });
      return .2126 * r + .7152 * g + .0722 * b; };
  const links = [];
  const edge = bar ? bar.getBoundingClientRect() : null;
  if (bar) {
    for (const a of bar.querySelectorAll('a, button')) {
      const box = a.getBoundingClientRect();
      let el = a, bg = 'rgba(0, 0, 0, 0)';
      while (el && (bg = getComputedStyle(el).backgroundColor).endsWith(', 0)'))
        el = el.parentElement;
      const [l1, l2] = [lum(parse(getComputedStyle(a).color)), lum(parse(bg))];
      links.push({text: a.innerText.trim(),
                  contrast: (Math.max(l1, l2) + .05) / (Math.min(l1, l2) + .05),
                  left: box.left, right: box.right, visible: box.width > 0 && box.height > 0,
                  onbar: box.left >= edge.left - 1 && box.right <= edge.right + 1
                         && box.top >= edge.top - 1 && box.bottom <= edge.bottom + 1});
    }
  }
  const wide = [...document.querySelectorAll('body *')].filter(e => {
      const r = e.getBoundingClientRect(); return r.right > window.innerWidth + 1 && r.width > 0
        && !e.closest('.scroll-x, pre, .hscroll'); })
    .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id);
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
          links, wide};
}"""


def check_page(page, name: str, width: int, shots: Path, problems: list) -> None:
    found = page.evaluate(MEASURE)
    if found["scroll"] > found["inner"]:
        problems.append(f"{name} at {width}: scrolls sideways to {found['scroll']} px "
                        f"({found['wide']})")
    for link in found["links"]:
        if not link["visible"]:
            continue
        if link["contrast"] < 4.5:
            problems.append(f"{name} at {width}: '{link['text']}' has contrast "
                            f"{link['contrast']:.1f}")
        if link["right"] > found["inner"] + 1 or link["left"] < -1:
            problems.append(f"{name} at {width}: '{link['text']}' is outside the viewport")
        elif not link["onbar"]:
            problems.append(f"{name} at {width}: '{link['text']}' sticks out of the dark bar")
    page.screenshot(path=str(shots / f"{name}-{width}.png"))


def test_every_page_fits_390_and_1440(live, browser, tmp_path):
    box = live
    for service in ("mta", "worker", "web"):
        box.start(service)
    ids = seed(box)
    base = f"http://127.0.0.1:{box.web_port}"
    shots = Path(os.environ.get("APPLIANCE_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    errors, problems = [], []
    context = browser.new_context()
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/password-reset")
    page.fill("#email", "maria@box.example")
    page.click("button[type=submit].primary")
    # a password-reset link, from the mail the box sent to the sink
    mail = wait_for(lambda: [r for r in box.sink.received if "maria@box.example" in r.rcpt_tos
                             and b"password-reset/" in r.data.replace(b"=\r\n", b"")],
                    timeout=30)
    token = re.search(rb"password-reset/([A-Za-z0-9_\-]+)", mail[-1].data.replace(
        b"=\r\n", b"")).group(1).decode()
    pages = concrete(page_routes(box), ids, token)
    public = {name: url for name, url in pages.items()
              if url.startswith(("/login", "/password-reset"))}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
        for name, url in public.items():
            page.goto(base + url)
            check_page(page, name, width, shots, problems)
    page.goto(base + "/login")
    page.fill("#email", "admin@box.example")
    page.fill("#password", "admin-pw-123")
    page.click("button[type=submit].primary")
    page.wait_for_url(base + "/")
    # the home page: charts drawn as inline SVG (no console error means no CSP refusal)
    assert page.locator("svg.chart").count() == 8
    assert page.locator("#received-24h svg rect.bar").count() == 1   # all mail this hour
    assert page.inner_text("#created-24h .figure") == "3"
    delivered = page.locator("#outgoing-24h a[href^='/admin/email/outgoing?status=delivered"
                             "&since=']")
    assert delivered.count() == 1
    shown = int(delivered.locator("strong").inner_text())
    delivered.click()   # the list of what the figure counted, and says so
    page.wait_for_selector("#since-note")
    assert page.locator("#outgoing-log tbody tr").count() == shown
    page.goto(base + "/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
        for name, url in pages.items():
            if name in public:
                continue
            response = page.goto(base + url)
            assert response.status == 200, (url, response.status)
            if page.url != base + url:
                continue   # /admin and /admin/email only redirect to a tab
            check_page(page, name, width, shots, problems)
        # an item with a conversation, and the 404 page
        page.goto(f"{base}/items/{ids['item']}")
        check_page(page, "item-short", width, shots, problems)
        page.goto(base + "/items/999999")
        check_page(page, "not-found", width, shots, problems)
    assert not problems, "\n".join(problems)
    assert not [e for e in errors if "404" not in e], errors
