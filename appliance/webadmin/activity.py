"""The numbers of the home page: mail received, items created, outgoing mail by status and
the median first-response time, per hour over the last 24 hours and per day over the last
30 days (UTC), with totals.

Every figure is one SQL aggregate grouped by a prefix of the stored ISO time
(``2026-12-03T14`` is an hour, ``2026-12-03`` a day: times are stored as UTC ISO text on
SQLite and PostgreSQL alike, see :mod:`appliance.helpdesk.dialect`), reading only the rows of
the window through the indexes on ``created_at`` / ``received_at``.  The median is taken in
SQL too, with window functions both databases have.  "Now" is :func:`appliance.clock.now`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from peewee import SQL, fn

from appliance import clock
from appliance.helpdesk import dialect
from appliance.helpdesk.models import IncomingMail, Item, OutgoingMail, db

OUTGOING = ("delivered", "deferred", "bounced", "failed")


@dataclass
class Span:
    """The buckets of one chart: ``starts`` (aware UTC datetimes), the stored-text prefix
    length that names a bucket, and the bucket's length."""
    name: str              # "24h" | "30d"
    starts: list[datetime]
    prefix: int            # 13 (hour) or 10 (day)
    step: timedelta

    @property
    def since(self) -> datetime:
        return self.starts[0]

    def key(self, moment: datetime) -> str:
        return clock.iso(moment)[:self.prefix]

    @property
    def keys(self) -> list[str]:
        return [self.key(s) for s in self.starts]


def hours(now: datetime, count: int = 24) -> Span:
    top = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return Span("24h", [top - timedelta(hours=count - 1 - i) for i in range(count)], 13,
                timedelta(hours=1))


def days(now: datetime, count: int = 30) -> Span:
    top = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return Span("30d", [top - timedelta(days=count - 1 - i) for i in range(count)], 10,
                timedelta(days=1))


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


def _counts(span: Span, column, where=None, by=None) -> dict:
    """``{(bucket, by-value): count}`` over the span, one grouped query."""
    # not coerced: the prefix stays text (the column's converter would make it a datetime)
    bucket = fn.SUBSTR(column, 1, span.prefix).coerce(False)
    fields = [bucket.alias("bucket")] + ([by] if by is not None else []) + \
        [fn.COUNT(SQL("*")).alias("n")]
    query = column.model.select(*fields).where(column >= span.since)
    if where is not None:
        query = query.where(where)
    query = query.group_by(*([bucket] + ([by] if by is not None else [])))
    found = {}
    for row in query.tuples():
        found[(row[0], row[1] if by is not None else None)] = row[-1]
    return found


def _series(span: Span, counts: dict, by=None) -> Series:
    values = [counts.get((k, by), 0) for k in span.keys]
    return Series(values, sum(values))


def seconds_between(later: str, earlier: str) -> str:
    """SQL for the seconds from the stored time ``earlier`` to ``later`` (two ISO text
    columns) on the database in use."""
    if dialect.is_postgres(db.obj):
        return (f"EXTRACT(EPOCH FROM (CAST({later} AS timestamptz) - "
                f"CAST({earlier} AS timestamptz)))")
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def median_first_response(span: Span, prefix: int | None = None) -> dict[str, float]:
    """``{bucket: median seconds}`` from an item's creation to its first public agent
    answer, bucketed by when the answer was given (``prefix`` 0: the whole span)."""
    prefix = span.prefix if prefix is None else prefix
    took = seconds_between('"first_response_at"', '"created_at"')
    sql = (
        'SELECT bucket, AVG(took) FROM ('
        ' SELECT bucket, took, ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY took) AS rn,'
        '  COUNT(*) OVER (PARTITION BY bucket) AS c FROM ('
        f'  SELECT SUBSTR("first_response_at", 1, {int(prefix)}) AS bucket, {took} AS took'
        '   FROM "item" WHERE "first_response_at" >= {p}) AS answered) AS ranked'
        ' WHERE 2 * rn >= c AND 2 * rn <= c + 2 GROUP BY bucket'
    ).replace("{p}", db.obj.param)
    cursor = db.execute_sql(sql, (clock.iso(span.since),))
    return {row[0]: float(row[1]) for row in cursor.fetchall()}


def activity(span: Span) -> Activity:
    received = _counts(span, IncomingMail.received_at)
    created = _counts(span, Item.created_at)
    outgoing = _counts(span, OutgoingMail.created_at, OutgoingMail.status.in_(OUTGOING),
                       by=OutgoingMail.status)
    medians = median_first_response(span)
    whole = median_first_response(span, prefix=0).get("")
    return Activity(
        span, _series(span, received), _series(span, created),
        {status: _series(span, outgoing, status) for status in OUTGOING},
        Series([medians.get(k) for k in span.keys], whole))


def home(now: datetime | None = None) -> list[Activity]:
    """The two spans of the home page: the last 24 hours and the last 30 days."""
    now = now or clock.now()
    return [activity(hours(now)), activity(days(now))]
