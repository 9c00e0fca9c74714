"""The numbers of the home page: mail received, items created, outgoing mail by status and
the median first-response time, per hour over the last 24 hours and per day over the last
30 days (UTC), with totals.

Times are stored as UTC ISO text on SQLite and PostgreSQL alike (see
:mod:`appliance.helpdesk.dialect`), so a bucket is a range of text: each count is a
``COUNT(*)`` over that range of the indexes on ``created_at`` / ``received_at`` /
``(status, created_at)``, all buckets of a table in one query; the first answers of 30 days
come from the index on ``first_response_at`` (migration 11).  "Now" is
:func:`appliance.clock.now`; nothing after it counts."""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from statistics import median

from appliance import clock
from appliance.helpdesk import dialect
from appliance.helpdesk.models import IncomingMail, Item, db
from appliance.outbound.models import OutgoingMail
from appliance.statuses import OutgoingStatus

OUTGOING = (OutgoingStatus.DELIVERED, OutgoingStatus.DEFERRED, OutgoingStatus.BOUNCED,
            OutgoingStatus.FAILED)


@dataclass
class Span:
    """The buckets of one chart: ``starts`` (aware UTC datetimes), the stored-text prefix
    length that names a bucket, the bucket's length, and "now" (nothing later counts)."""
    name: str              # "24h" | "30d"
    starts: list[datetime]
    prefix: int            # 13 (hour) or 10 (day)
    step: timedelta
    now: datetime

    @property
    def since(self) -> datetime:
        return self.starts[0]

    @property
    def until(self) -> datetime:
        """Just after now: the window is [since, until)."""
        return self.now + timedelta(seconds=1)

    def key(self, moment: datetime) -> str:
        return clock.iso(moment)[:self.prefix]

    @property
    def keys(self) -> list[str]:
        return [self.key(s) for s in self.starts]


def hours(now: datetime, count: int = 24) -> Span:
    top = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return Span("24h", [top - timedelta(hours=count - 1 - i) for i in range(count)], 13,
                timedelta(hours=1), now)


def days(now: datetime, count: int = 30) -> Span:
    top = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return Span("30d", [top - timedelta(days=count - 1 - i) for i in range(count)], 10,
                timedelta(days=1), now)


@dataclass
class Series:
    """One line of figures: a value per bucket (None: no data, e.g. no answer that hour)
    and the total over the span."""
    values: list[float | None]
    total: float | None


@dataclass
class Activity:
    span: Span
    received: Series
    created: Series
    outgoing: dict[str, Series] = field(default_factory=dict)
    first_response: Series | None = None   # seconds


def _edges(span: Span) -> list[str]:
    """The stored-text bounds of the span's buckets: each start, then "now"."""
    return [clock.iso(start) for start in span.starts] + [clock.iso(span.until)]


def _counts(model, column: str, spans: list[Span], status: str | None = None) -> list:
    """Rows per bucket of every span, in one query: a ``COUNT(*)`` over an index range
    for each bucket (SQLite and PostgreSQL walk the index and touch no table row; a
    ``GROUP BY`` of the time's prefix had to sort every row of the 30 days)."""
    p, table = db.obj.param, model._meta.table_name
    where = f'"status" = {p} AND ' if status else ""
    parts, params = [], []
    for span in spans:
        edges = _edges(span)
        for low, high in zip(edges, edges[1:]):
            parts.append(f'(SELECT COUNT(*) FROM "{table}" WHERE {where}'
                         f'"{column}" >= {p} AND "{column}" < {p})')
            params += ([status] if status else []) + [low, high]
    row = db.execute_sql("SELECT " + ", ".join(parts), params).fetchone()
    found, at = [], 0
    for span in spans:
        values = [int(v) for v in row[at:at + len(span.starts)]]
        found.append(Series(values, sum(values)))
        at += len(span.starts)
    return found


def seconds_between(later: str, earlier: str) -> str:
    """SQL for the seconds from the stored time ``earlier`` to ``later`` (two ISO text
    columns) on the database in use."""
    if dialect.is_postgres(db.obj):
        return (f"EXTRACT(EPOCH FROM (CAST({later} AS timestamptz) - "
                f"CAST({earlier} AS timestamptz)))")
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def first_responses(spans: list[Span]) -> list[Series]:
    """Median seconds from an item's creation to its first public agent answer, by when
    the answer was given.  One query reads the answers of the widest span through the
    covering index of migration 11 (times as ISO text, the seconds computed in SQL); the
    medians are taken here: ranking them in SQL with window functions cost 40-70 ms at
    100,000 items (a sort per bucket), this 3-6 ms."""
    widest = min(spans, key=lambda s: s.since)
    p = db.obj.param
    took = seconds_between('"first_response_at"', '"created_at"')
    rows = db.execute_sql(
        f'SELECT "first_response_at", {took} FROM "{Item._meta.table_name}" '
        f'WHERE "first_response_at" >= {p} AND "first_response_at" < {p} '
        f'ORDER BY "first_response_at"',   # the index's order: no sort
        (clock.iso(widest.since), clock.iso(widest.until))).fetchall()
    times = [at for at, _ in rows]
    took = [float(seconds) for _, seconds in rows]
    found = []
    for span in spans:
        buckets = {}
        for i in range(bisect_left(times, span.keys[0]), len(times)):  # ISO text sorts
            buckets.setdefault(times[i][:span.prefix], []).append(took[i])
        every = took[bisect_left(times, span.keys[0]):]
        found.append(Series([median(buckets[k]) if k in buckets else None
                             for k in span.keys], median(every) if every else None))
    return found


def home(now: datetime | None = None) -> list[Activity]:
    """The two spans of the home page: the last 24 hours and the last 30 days (seven
    queries in all, each reading index entries only)."""
    now = now or clock.now()
    spans = [hours(now), days(now)]
    received = _counts(IncomingMail, "received_at", spans)
    created = _counts(Item, "created_at", spans)
    outgoing = {status: _counts(OutgoingMail, "created_at", spans, status)
                for status in OUTGOING}
    responses = first_responses(spans)
    return [Activity(span, received[i], created[i],
                     {status: outgoing[status][i] for status in OUTGOING}, responses[i])
            for i, span in enumerate(spans)]
