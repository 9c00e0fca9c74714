"""Issue 16, point 2 (views): the item list's saved views over HTTP, in-process through the
WSGI app on a real SQLite file made by ``appliance init``, the clock frozen.  Each view
shows exactly its items and counts them in its tab; the navigation counts the agent's own;
views combine with search and filters and stay in the URL; the list shows assignee,
priority, status, last activity and an unread dot that opening the item takes away; the
page costs the same queries for 3 items or 50; the Due field is typed as ISO text."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from conftest import Box

from appliance import clock
from appliance.webadmin.testclient import Client

ADMIN = ("admin@box.example", "admin-pw-123")
AGENT = ("alice@box.example", "alice-pw-12345")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)

# title: (assignee, status, due in hours from now or None, priority)
ITEMS = {
    "Printer jams": ("alice", "open", -2, "high"),
    "VPN drops": ("alice", "pending", None, "normal"),
    "Old laptop": ("alice", "closed", -48, "low"),
    "Scanner offline": (None, "open", None, "urgent"),
    "Invoice copy": (None, "pending", 24, "normal"),
    "Server room hot": ("admin", "open", -1, "normal"),
    "Password reset": (None, "resolved", -5, "normal"),
}
EXPECTED = {   # for Alice
    "mine": {"Printer jams", "VPN drops"},
    "unassigned": {"Scanner offline", "Invoice copy"},
    "waiting": {"VPN drops", "Invoice copy"},
    "overdue": {"Printer jams", "Server room hot"},
    "all": set(ITEMS),
}


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("views") / "box").init()
    box.cli("users", "add", "--email", AGENT[0], "--name", "Alice Agent", "--role", "agent",
            "--password", AGENT[1])
    from appliance import addresses, config
    from appliance.helpdesk import conversation, people
    from appliance.helpdesk.models import Item, ItemType, Message, Person
    from appliance.webadmin.app import make_app
    box.db()
    box.app = make_app(config.load(box.ini))
    frozen = clock.FrozenClock(NOW - timedelta(hours=len(ITEMS) + 1))
    clock.set_source(frozen)
    who = {"alice": Person.get(Person.email == AGENT[0]),
           "admin": Person.get(Person.email == ADMIN[0])}
    box.ids = {}
    for title, (assignee, status, due, priority) in ITEMS.items():
        frozen.advance(3600)
        ben = people.get(addresses.Person(f"{title.split()[0].lower()}@client.example", "Ben"))
        item = Item.create(type=ItemType.get(name="ticket"), title=title, requester=ben,
                           description=title)
        Message.create(item=item, author=ben, body=f"{title}, please help.")
        people.follow(item, ben)
        conversation.update(item, status=status, priority=priority,
                            assignee=who[assignee] if assignee else None,
                            due_at=NOW + timedelta(hours=due) if due is not None else None)
        box.ids[title] = item.id
    clock.set_source(clock.FrozenClock(NOW))
    yield box
    clock.set_source(None)
    box.stop_all()


def client(desk, who=AGENT) -> Client:
    c = Client(desk.app)
    assert c.login(*who).status == 303
    return c


def titles(page: str) -> set[str]:
    table = page[page.index('id="items"'):page.index("</table>")]
    return set(re.findall(r'<a href="/items/\d+">([^<#][^<]*)</a>', table))


def tab_counts(page: str) -> dict[str, int]:
    return {key: int(n) for key, n in re.findall(
        r'data-view="(\w+)"[^>]*>[^<]*<span class="count">(\d+)</span>', page)}


@pytest.mark.parametrize("view", list(EXPECTED))
def test_each_view_shows_exactly_its_items_and_marks_its_tab(desk, view):
    page = client(desk).get(f"/items?view={view}")
    assert page.status == 200
    assert titles(page.text) == EXPECTED[view]
    [active] = re.findall(r'data-view="(\w+)" class="active" aria-current="page"', page.text)
    assert active == view


@pytest.mark.parametrize("view", list(EXPECTED))
def test_each_view_holds_the_same_items_through_the_search(desk, view):
    """Every item says "please help": a search walks the full-text index with the view's
    SQL, a plain list the view's peewee condition; both are one definition."""
    assert titles(client(desk).get(f"/items?view={view}&q=please+help").text) == \
        EXPECTED[view]


def test_every_tab_counts_its_view_for_the_agent_who_looks(desk):
    page = client(desk).get("/items").text
    assert tab_counts(page) == {view: len(items) for view, items in EXPECTED.items()}
    # the admin's Mine is theirs, the other views are everyone's
    admin = tab_counts(client(desk, ADMIN).get("/items").text)
    assert admin["mine"] == 1 and admin["unassigned"] == 2 and admin["all"] == 7


def test_the_navigation_says_how_many_are_mine_on_every_page(desk):
    alice = client(desk)
    for path in ("/", "/items?view=overdue", f"/items/{desk.ids['Password reset']}",
                 "/account"):
        nav = alice.get(path).text
        assert re.search(r'>Items <span class="navcount" id="nav-mine"[^>]*>· 2 mine</span>',
                         nav), path
    assert "· 1 mine" in client(desk, ADMIN).get("/").text


def test_overdue_lists_the_longest_overdue_first_the_others_newest_first(desk):
    alice = client(desk)
    order = re.findall(r'data-item="(\d+)"', alice.get("/items?view=overdue").text)
    assert order == [str(desk.ids["Printer jams"]), str(desk.ids["Server room hot"])]
    order = re.findall(r'data-item="(\d+)"', alice.get("/items?view=all").text)
    assert order == [str(i) for i in sorted(desk.ids.values(), reverse=True)]


def test_no_view_is_all_and_an_unknown_one_too(desk):
    alice = client(desk)
    assert titles(alice.get("/items").text) == EXPECTED["all"]
    page = alice.get("/items?view=nonsense").text
    assert titles(page) == EXPECTED["all"] and 'data-view="all" class="active"' in page


def test_views_combine_with_search_and_filters_and_keep_them_in_their_links(desk):
    alice = client(desk)
    page = alice.get("/items?view=waiting&q=invoice").text
    assert titles(page) == {"Invoice copy"}
    # the tabs carry the search along, the filter form carries the view
    assert 'href="/items?view=mine&amp;q=invoice"' in page
    assert '<input type="hidden" name="view" value="waiting">' in page
    assert titles(alice.get("/items?view=mine&q=invoice").text) == set()
    assert titles(alice.get("/items?view=overdue&status=open").text) == EXPECTED["overdue"]
    assert titles(alice.get("/items?view=mine&status=pending").text) == {"VPN drops"}
    assert titles(alice.get("/items?view=unassigned&requester=scanner%40client.example")
                  .text) == {"Scanner offline"}
    assert titles(alice.get("/items?view=overdue&assignee=admin%40box.example").text) == \
        {"Server room hot"}
    number = desk.ids["Printer jams"]
    # "#N" opens item N, whichever view the search was typed in (docs/panel.md)
    for view in ("mine", "unassigned"):
        opened = alice.get(f"/items?view={view}&q=%23{number}")
        assert opened.status == 303 and opened.location.endswith(f"/items/{number}")


def test_the_list_shows_assignee_priority_status_and_last_activity(desk):
    page = client(desk).get("/items?view=overdue").text
    row = page[page.index(f'data-item="{desk.ids["Server room hot"]}"'):]
    row = row[:row.index("</tr>")]
    assert "Administrator" in row
    assert ">normal<" in row and 'badge-open">open<' in row
    # the last change to it was 2 hours before now (the items were made an hour apart)
    assert re.search(r'<span title="2026-11-26 10:00 UTC">2 h ago</span>', row), row
    head = page[page.index("<thead>"):page.index("</thead>")]
    assert [h for h in re.findall(r"<th>([^<]+)</th>", head)] == [
        "#", "Title", "Type", "Status", "Priority", "Assignee", "Requester", "Last activity"]
    alice_row = page[page.index(f'data-item="{desk.ids["Printer jams"]}"'):]
    assert "Alice Agent" in alice_row[:alice_row.index("</tr>")]
    assert ">high<" in alice_row[:alice_row.index("</tr>")]


def test_the_unread_dot_goes_once_the_agent_opens_the_item(desk):
    from appliance.helpdesk import conversation
    from appliance.helpdesk.models import Item, Person
    alice = client(desk)
    item_id = desk.ids["Scanner offline"]

    def dotted(who=alice) -> set[int]:
        page = who.get("/items").text
        return {int(n) for n in re.findall(r'<tr class="unread" data-item="(\d+)"', page)}
    before = dotted()
    assert item_id in before and len(before) >= 6     # Alice has opened one item at most
    assert alice.get(f"/items/{item_id}").status == 200
    assert dotted() == before - {item_id}
    assert item_id in dotted(client(desk, ADMIN))     # the admin has not opened it
    # a new message from the customer brings the dot back; Alice's own does not
    ben = Item.get_by_id(item_id).requester
    conversation.post(Item.get_by_id(item_id), ben, "Still offline.")
    assert item_id in dotted()
    alice.get(f"/items/{item_id}")
    conversation.post(Item.get_by_id(item_id), Person.get(Person.email == AGENT[0]),
                      "Rebooting it now.")
    assert item_id not in dotted()


def test_the_due_field_is_iso_text_with_its_timezone_named(desk):
    alice = client(desk)
    item_id = desk.ids["Printer jams"]
    page = alice.get(f"/items/{item_id}").text
    assert '<label for="f-due">Due (UTC)</label>' in page
    field = re.search(r'<input id="f-due"[^>]*>', page).group(0)
    assert 'type="text"' in field and 'value="2026-11-26 10:00"' in field
    assert 'placeholder="yyyy-mm-dd hh:mm"' in field and "datetime-local" not in page
    alice.post(f"/items/{item_id}/fields", {"due_at": "2026-12-03 09:15"})
    from appliance.helpdesk.models import Item
    assert clock.iso(Item.get_by_id(item_id).due_at) == "2026-12-03T09:15:00+00:00"
    bad = alice.post(f"/items/{item_id}/fields", {"due_at": "12/03/2026"})
    assert bad.status == 400 and "Due (UTC)" in bad.text and "2026-12-01 17:00" in bad.text
    assert clock.iso(Item.get_by_id(item_id).due_at) == "2026-12-03T09:15:00+00:00"
    alice.post(f"/items/{item_id}/fields", {"due_at": "2026-11-26 10:00"})   # as it was


def test_the_panel_shows_and_takes_times_in_the_box_timezone(desk):
    """With ``appearance.timezone`` set, the times on the panel's pages, the Due field's
    value and what is typed into it are in that zone (December: Berlin is UTC+1), and
    each page names the zone."""
    from appliance.helpdesk import settingstore
    from appliance.helpdesk.models import Item, Setting
    assert settingstore.store({"appearance.timezone": "Europe/Berlin"}) == {}
    item_id = desk.ids["Printer jams"]
    try:
        alice = client(desk)
        page = alice.get(f"/items/{item_id}").text
        assert '<label for="f-due">Due (Europe/Berlin)</label>' in page
        field = re.search(r'<input id="f-due"[^>]*>', page).group(0)
        assert 'value="2026-11-26 11:00"' in field           # stored 10:00 UTC
        assert "<dt>Created</dt><dd>2026-11-26 06:00</dd>" in page   # stored 05:00 UTC
        assert "Times in Europe/Berlin" in page
        listing = alice.get("/items?view=all").text
        assert re.search(r'title="2026-11-26 0\d:00 Europe/Berlin"', listing)
        alice.post(f"/items/{item_id}/fields", {"due_at": "2026-12-03 10:15"})
        assert clock.iso(Item.get_by_id(item_id).due_at) == "2026-12-03T09:15:00+00:00"
    finally:
        Setting.delete().where(Setting.key == "appearance.timezone").execute()
        Item.update(due_at=NOW - timedelta(hours=2)).where(Item.id == item_id).execute()
    page = client(desk).get(f"/items/{item_id}").text
    assert "<dt>Created</dt><dd>2026-11-26 05:00</dd>" in page and "Times in UTC" in page


def test_the_page_costs_the_same_queries_for_3_items_or_50(tmp_path):
    box = Box(tmp_path / "box").init()
    if box.database:
        pytest.skip("counts SQLite's statements")
    from appliance import addresses, config
    from appliance.helpdesk import conversation, people
    from appliance.helpdesk.models import Item, ItemType, Message, Person, db
    from appliance.webadmin.app import make_app
    box.db()
    app = make_app(config.load(box.ini))
    admin = Person.get(Person.email == ADMIN[0])

    def add(count: int) -> None:
        for n in range(count):
            ben = people.get(addresses.Person(f"r{Item.select().count()}@client.example"))
            item = Item.create(type=ItemType.get(name="ticket"), title=f"T{n}",
                               requester=ben, description="")
            Message.create(item=item, author=ben, body="hi")
            conversation.update(item, assignee=admin if n % 2 else None, priority="high")

    def selects(path: str) -> int:
        c = Client(app)
        c.login(*ADMIN)
        statements = []
        db.obj.connection().set_trace_callback(statements.append)
        try:
            assert c.get(path).status == 200
        finally:
            db.obj.connection().set_trace_callback(None)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
    add(3)
    few = {view: selects(f"/items?view={view}") for view in EXPECTED}
    add(60)
    many = {view: selects(f"/items?view={view}") for view in EXPECTED}
    assert many == few and max(few.values()) <= 12, (few, many)
    assert selects("/items?q=hi") == selects("/items?q=hi&view=mine")
