"""The home page's figures (appliance/webadmin/activity.py) in-process on a real database
(SQLite, or PostgreSQL when the suite runs with APPLIANCE_TEST_DATABASE): rows seeded at
known times under a frozen clock, counts per hourly and daily bucket, the median
first-response time (odd and even counts, answers outside the window), and the page itself:
charts as inline SVG without inline styles, totals, links into the filtered lists, agents
without the admin-only links."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest

from appliance import clock
from conftest import Box

NOW = datetime(2026, 11, 26, 12, 30, tzinfo=timezone.utc)
ADMIN = ("admin@box.example", "admin-pw-123")
AGENT = ("agent@box.example", "agent-pw-12345")
serial = count(1)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("home") / "box").init()
    box.cli("users", "add", "--email", AGENT[0], "--name", "Alice Agent", "--role", "agent",
            "--password", AGENT[1])
    from appliance import config
    from appliance.webadmin.app import make_app
    box.db()
    box.cfg = config.load(box.ini)
    box.app = make_app(box.cfg)
    seed()
    yield box
    box.stop_all()


@pytest.fixture(autouse=True)
def frozen_now():
    clock.set_source(clock.FrozenClock(NOW))
    yield
    clock.set_source(None)


def ago(**kw) -> datetime:
    return NOW - timedelta(**kw)


def item(created, answered_after=None):
    from appliance.helpdesk.models import Item, ItemType
    first = created + timedelta(seconds=answered_after) if answered_after is not None else None
    return Item.create(type=ItemType.get(name="ticket"), title=f"Item {next(serial)}",
                       created_at=created, updated_at=created, first_response_at=first)


def incoming(at, action="created"):
    from appliance.helpdesk.models import IncomingMail
    n = next(serial)
    return IncomingMail.create(spool_id=f"home-{n}", received_at=at, action=action,
                               subject=f"Mail {n}")


def outgoing(at, status):
    from appliance.outbound.models import OutgoingMail
    n = next(serial)
    return OutgoingMail.create(created_at=at, status=status, message_id=f"<{n}@box.example>",
                               mail_from="support@box.example", raw=b"x", subject=f"Out {n}")


def seed() -> None:
    # items created: 2 this hour (12:xx), 1 at 11:xx, 1 two days ago, 1 outside 30 days
    item(ago(minutes=5))
    item(ago(minutes=25))
    item(ago(hours=1))
    item(ago(days=2))
    item(ago(days=40))
    # first answers given this hour: after 60, 120 and 600 s -> median 120 s
    for after in (60, 120, 600):
        item(ago(minutes=20, seconds=after), answered_after=after)
    # given at 10:xx: after 30 and 90 s -> median 60 s (the mean of the middle two)
    for after in (30, 90):
        item(ago(hours=2, seconds=after), answered_after=after)
    # an answer three days ago after an hour; one long ago (outside every window)
    item(ago(days=3, hours=1), answered_after=3600)
    item(ago(days=45), answered_after=60)
    item(NOW + timedelta(hours=1), answered_after=60)   # after "now": in no window
    # mail received
    for at in (ago(minutes=1), ago(minutes=2), ago(hours=3), ago(days=1, hours=1),
               ago(days=31)):
        incoming(at)
    incoming(ago(minutes=3), action="failed")
    # outgoing by status
    for at, status in ((ago(minutes=1), "delivered"), (ago(minutes=2), "delivered"),
                       (ago(minutes=3), "deferred"), (ago(hours=5), "bounced"),
                       (ago(hours=5), "failed"), (ago(days=2), "delivered"),
                       (ago(minutes=4), "queued"), (ago(days=35), "delivered")):
        outgoing(at, status)


def test_spans_end_with_the_current_hour_and_day(seeded):
    from appliance.webadmin import activity
    hours, days = activity.hours(clock.now()), activity.days(clock.now())
    assert len(hours.keys) == 24 and len(days.keys) == 30
    assert hours.keys[-1] == "2026-11-26T12" and hours.keys[0] == "2026-11-25T13"
    assert days.keys[-1] == "2026-11-26" and days.keys[0] == "2026-10-28"


def test_counts_per_hour(seeded):
    from appliance.webadmin import activity
    figures = activity.home()[0]
    # the 7 items of the response checks were created 10:2x-12:xx, see seed()
    assert figures.created.values[-1] == 2 + 3   # 12:05, 12:25 and three answered at 12:xx
    assert figures.created.values[-2] == 1       # 11:30
    assert figures.created.values[-3] == 2       # answered at 10:xx, created 10:2x
    assert figures.created.total == 8
    assert figures.received.values[-1] == 3      # failed ones count as received too
    assert figures.received.values[-4] == 1
    assert figures.received.total == 4
    out = figures.outgoing
    assert out["delivered"].values[-1] == 2 and out["deferred"].values[-1] == 1
    assert out["bounced"].values[-6] == 1 and out["failed"].values[-6] == 1
    assert {s: out[s].total for s in out} == {"delivered": 2, "deferred": 1, "bounced": 1,
                                              "failed": 1}   # queued is not a result yet


def test_counts_per_day(seeded):
    from appliance.webadmin import activity
    figures = activity.home()[1]
    assert figures.created.values[-1] == 8
    assert figures.created.values[-3] == 1        # two days ago
    assert figures.created.values[-4] == 1        # the item answered three days ago
    assert figures.created.total == 10            # not the two older than 30 days
    assert figures.received.values[-2] == 1 and figures.received.total == 5
    assert figures.outgoing["delivered"].values[-3] == 1
    assert figures.outgoing["delivered"].total == 3


def test_median_first_response(seeded):
    from appliance.webadmin import activity
    hourly = activity.home()[0].first_response
    assert hourly.values[-1] == pytest.approx(120)      # 60, 120, 600
    assert hourly.values[-3] == pytest.approx(60)       # 30, 90
    assert hourly.values[-2] is None                    # nobody answered at 11:xx
    assert hourly.total == pytest.approx(90)            # 30, 60, 90, 120, 600
    daily = activity.home()[1].first_response
    assert daily.values[-1] == pytest.approx(90)
    assert daily.values[-4] == pytest.approx(3600)
    assert daily.total == pytest.approx(105)            # + 3600: 30 60 90 120 600 3600


def test_queries_read_the_window_through_an_index(seeded):
    from appliance.helpdesk import dialect
    from appliance.helpdesk.models import db
    if not dialect.is_sqlite(db.obj):
        pytest.skip("SQLite's query plan")

    def plan(sql):
        return " ".join(str(r[-1]) for r in db.execute_sql(
            "EXPLAIN QUERY PLAN " + sql, ("2026-11-25T13", "2026-11-26T13")))
    for table, column, index in (("item", "created_at", "item_created"),
                                 ("incomingmail", "received_at", "incoming_received")):
        found = plan(f'SELECT COUNT(*) FROM "{table}" WHERE "{column}" >= ? AND "{column}" < ?')
        assert f"COVERING INDEX {index}" in found, found
    found = plan('SELECT COUNT(*) FROM outgoingmail WHERE status = \'bounced\' '
                 'AND created_at >= ? AND created_at < ?')
    assert "COVERING INDEX outgoing_status_created" in found, found
    found = plan("SELECT first_response_at, created_at FROM item "
                 "WHERE first_response_at >= ? AND first_response_at < ?")
    assert "COVERING INDEX item_first_response" in found, found


def login(box, who):
    from appliance.webadmin.testclient import Client
    client = Client(box.app)
    assert client.login(*who).status == 303
    return client


def test_home_page_shows_charts_totals_and_links(seeded):
    page = login(seeded, ADMIN).get("/")
    assert page.status == 200
    html = page.text
    assert html.count('<svg class="chart"') == 8
    assert ' style=' not in html and "<script>" not in html
    day_start = "since=2026-11-25T13%3A00%3A00%2B00%3A00"
    assert f'href="/admin/email/outgoing?status=bounced&amp;{day_start}"' in html
    assert f'href="/admin/email/outgoing?status=deferred&amp;{day_start}"' in html
    assert f'href="/admin/email/incoming?{day_start}"' in html
    assert f'href="/items?view=all&amp;{day_start}"' in html
    day = html[html.index('id="activity-24h"'):html.index('id="activity-30d"')]
    assert re.search(r'id="created-24h">.*?<p class="figure">8</p>', day, re.S)
    assert re.search(r'id="response-24h">.*?<p class="figure">1 min</p>', day, re.S)
    assert "12:00–13:00 · 3 received" in day
    assert "12:00–13:00 · 2 delivered, 1 deferred" in day
    month = html[html.index('id="activity-30d"'):]
    assert "The incoming log keeps mail for 72 hours" in month
    assert "not kept any more" in month    # days before the retention window


def test_each_figure_links_to_the_list_of_what_it_counted(seeded):
    """Following a tile's link lists exactly the rows its figure counted, for both spans
    (an item created after "now" and mail older than the span are not among them)."""
    admin = login(seeded, ADMIN)
    page = admin.get("/").text
    links = {}
    for span in ("24h", "30d"):
        part = page[page.index(f'id="activity-{span}"'):]
        for tile in ("received", "created", "outgoing"):
            block = part[part.index(f'id="{tile}-{span}"'):]
            block = block[:block.index("</div>")]
            for href, label in re.findall(r'<a href="([^"]+)">(.*?)</a>', block, re.S):
                if label == "Outgoing mail":
                    continue   # the whole outgoing log: it lists mail still queued too
                figure = re.search(r"<strong>(\d+)</strong>", label) or \
                    re.search(r'<p class="figure">(\d+)</p>', block)
                links[(span, href.replace("&amp;", "&"))] = int(figure.group(1))
    assert len(links) == 2 * (2 + 4)   # received, created, and the 4 outgoing states
    for (span, href), figure in links.items():
        listed = admin.get(href)
        assert listed.status == 200, href
        table = listed.text[listed.text.index("<tbody>"):listed.text.index("</tbody>")]
        rows = table.count("<tr") - table.count("colspan=")   # less the empty row
        assert rows == figure, (span, href, rows, figure)
        assert 'id="since-note"' in listed.text and "Show all" in listed.text
    assert admin.get("/items?since=yesterday").status == 400


def test_agents_see_the_figures_without_admin_links(seeded):
    html = login(seeded, AGENT).get("/").text
    assert html.count('<svg class="chart"') == 8
    assert "/admin/email/outgoing" not in html.split("</header>", 1)[1]
    assert 'href="/items?view=all&amp;since=' in html


def test_durations_in_words():
    from appliance.webadmin.charts import duration
    assert [duration(s) for s in (None, 42, 60, 3599, 3600, 4800, 86400, 90000)] == [
        "—", "42 s", "1 min", "59 min", "1 h", "1 h 20 min", "1 d", "1 d 1 h"]


def test_chart_text_is_escaped():
    from appliance.webadmin.charts import Bar, bars
    svg = str(bars([Bar("<script>x</script>", [("bar-x", 1)])], '"><b>', "a&b", "<now>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;now&gt;" in svg
    assert 'aria-label="&#34;&gt;&lt;b&gt;"' in svg
