"""Issue 16, point 2 in a real browser: Debian's chromium (playwright) against the real
``appliance web`` on a box whose items an agent works on.  Clicking through the views
shows each one's items with its tab marked and the view in the URL; opening an item takes
its unread dot away; the Due field reads and takes ``yyyy-mm-dd hh:mm`` in a US-English
browser.  Screenshots go to the test's tmp directory."""
from __future__ import annotations

from datetime import timedelta

from conftest import needs_chromium

from appliance import clock

pytestmark = needs_chromium

AGENT = ("alice@box.example", "alice-pw-12345")


def seed(box) -> dict[str, int]:
    """Three tickets from customers: Alice's, an unassigned pending one, the admin's
    overdue one."""
    from appliance import addresses
    from appliance.helpdesk import conversation, people
    from appliance.helpdesk.database import close_database
    from appliance.helpdesk.models import Item, ItemType, Message, Person
    box.db()
    alice = Person.get(Person.email == AGENT[0])
    admin = Person.get(Person.email == "admin@box.example")
    ids = {}
    for title, assignee, status, due in (
            ("Printer jams", alice, "open", None),
            ("VPN drops", None, "pending", None),
            ("Server room hot", admin, "open", clock.now() - timedelta(hours=3))):
        ben = people.get(addresses.Person(f"{title.split()[0].lower()}@client.example",
                                          "Ben"))
        item = Item.create(type=ItemType.get(name="ticket"), title=title, requester=ben,
                           description=title)
        Message.create(item=item, author=ben, body=f"{title}: please help.")
        people.follow(item, ben)
        conversation.update(item, status=status, assignee=assignee, due_at=due or False)
        ids[title] = item.id
    close_database()
    return ids


def test_click_through_the_views_and_the_unread_dot_goes(box, browser, tmp_path):
    box.cli("users", "add", "--email", AGENT[0], "--name", "Alice Agent", "--role", "agent",
            "--password", AGENT[1])
    ids = seed(box)
    box.start("web")
    base = f"http://127.0.0.1:{box.web_port}"
    errors = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US",
                            timezone_id="America/New_York")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def shot(name):
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)

    def shown() -> set[str]:
        return set(page.locator("#items tbody td:nth-child(2) a").all_inner_texts())

    page.goto(base + "/login")
    page.fill("#email", AGENT[0])
    page.fill("#password", AGENT[1])
    page.click("button[type=submit].primary")
    page.wait_for_url(base + "/")
    assert page.inner_text("#nav-mine") == "· 1 mine"
    page.click(".mainnav >> text=Items")
    page.wait_for_url(base + "/items")
    assert shown() == set(ids)
    assert page.inner_text("#views a.active") == "All 3"

    for label, key, titles in (("Mine", "mine", {"Printer jams"}),
                               ("Unassigned", "unassigned", {"VPN drops"}),
                               ("Waiting for customer", "waiting", {"VPN drops"}),
                               ("Overdue", "overdue", {"Server room hot"}),
                               ("All", "all", set(ids))):
        page.click(f"#views a[data-view={key}]")
        page.wait_for_url(f"{base}/items?view={key}")
        assert shown() == titles, label
        assert page.inner_text("#views a.active").startswith(label)
        assert page.locator("#views a.active").get_attribute("aria-current") == "page"
        shot(f"view-{key}")

    # a search inside a view keeps the view; the tabs keep the search
    page.click("#views a[data-view=unassigned]")
    page.fill("input[name=q]", "vpn")
    page.click("#item-filters button[type=submit]")
    page.wait_for_url("**/items?view=unassigned&q=vpn**")
    assert shown() == {"VPN drops"}
    page.click("#views a[data-view=mine]")
    page.wait_for_url("**/items?view=mine&q=vpn")
    assert shown() == set()

    # the unread dot: there before Alice opens her item, gone after
    page.click("#item-filters >> text=Clear")
    page.wait_for_url(f"{base}/items?view=mine")
    page.click("#views a[data-view=all]")
    page.wait_for_url(f"{base}/items?view=all")
    row = page.locator(f"#items tr[data-item='{ids['Printer jams']}']")
    assert row.locator(".unread-dot").is_visible()
    shot("unread")
    page.click("#views a[data-view=mine]")
    page.click("#items >> text=Printer jams")
    page.wait_for_url(f"{base}/items/{ids['Printer jams']}")
    assert "Printer jams: please help." in page.inner_text("#conversation")

    # the Due field in a US-English browser: ISO text, its timezone named
    assert page.inner_text("label[for=f-due]") == "Due (UTC)"
    assert page.get_attribute("#f-due", "type") == "text"
    page.fill("#f-due", "2026-12-01 17:00")
    page.click("#fields-form button[type=submit]")
    page.wait_for_selector(".flash")
    assert "due -> 2026-12-01T17:00:00+00:00" in page.inner_text(".flash")
    assert page.input_value("#f-due") == "2026-12-01 17:00"

    page.click(".mainnav >> text=Items")
    page.click("#views a[data-view=mine]")
    page.wait_for_url(f"{base}/items?view=mine")
    row = page.locator(f"#items tr[data-item='{ids['Printer jams']}']")
    assert row.count() == 1 and row.locator(".unread-dot").count() == 0
    others = page.locator("#items .unread-dot")
    assert others.count() == 0
    page.click("#views a[data-view=all]")
    assert page.locator("#items .unread-dot").count() == 2     # the two she has not opened
    shot("read")
    assert errors == []
