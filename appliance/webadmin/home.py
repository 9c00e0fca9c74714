"""The home page ``/``: how the box is doing, at a glance.  Mail received, items created,
outgoing mail delivered / deferred / bounced / failed and the median first-response time,
over the last 24 hours (per hour) and the last 30 days (per day), as small server-drawn
charts (:mod:`appliance.webadmin.charts`) with the totals as numbers and links into the
lists they count.  The figures: :mod:`appliance.webadmin.activity`."""
from __future__ import annotations

from datetime import timedelta

import bottle

from appliance import clock
from appliance.helpdesk.settingstore import value as setting
from appliance.statuses import OutgoingStatus as S
from appliance.webadmin import activity, charts
from appliance.webadmin.pages import render

OUTGOING_WORDS = {S.DELIVERED: "delivered", S.DEFERRED: "deferred (still trying)",
                  S.BOUNCED: "bounced", S.FAILED: "failed (gave up)"}


def _bucket_title(span: activity.Span, start) -> str:
    if span.prefix == 13:
        return f"{start:%a %-d %b} {start:%H}:00–{(start + span.step):%H}:00"
    return f"{start:%a %-d %b}"


def _ends(span: activity.Span) -> tuple[str, str]:
    if span.prefix == 13:
        return f"{span.starts[0]:%H}:00", "now"
    return f"{span.starts[0]:%-d %b}", "today"


def _chart(span, values, css, what, kept_since=None, text=charts._num, top_text=None):
    bars = []
    for start, value in zip(span.starts, values):
        gone = kept_since is not None and start + span.step <= kept_since
        shown = ("not kept any more" if gone else f"{text(value)} {what}"
                 if value is not None else f"no {what}")
        bars.append(charts.Bar(f"{_bucket_title(span, start)} · {shown}",
                               [(css, value or 0)], gone))
    start, end = _ends(span)
    return charts.bars(bars, f"{what} per {'hour' if span.prefix == 13 else 'day'}", start,
                       end, top_text or text)


def _outgoing_chart(span, outgoing, kept_since):
    bars = []
    for i, start in enumerate(span.starts):
        counts = [(status, outgoing[status].values[i]) for status in activity.OUTGOING]
        gone = kept_since is not None and start + span.step <= kept_since
        words = ", ".join(f"{n} {status}" for status, n in counts if n) or "nothing sent"
        bars.append(charts.Bar(f"{_bucket_title(span, start)} · "
                               f"{'not kept any more' if gone else words}",
                               [(f"bar-{status}", n) for status, n in counts], gone))
    start, end = _ends(span)
    return charts.bars(bars, "outgoing mail by status", start, end)


def view(cfg, now=None) -> list[dict]:
    """What the template shows for each span."""
    now = now or clock.now()
    kept_since = now - timedelta(hours=setting("retention.hours", cfg.domain))
    shown = []
    for figures in activity.home(now):
        span = figures.span
        logs_cut = kept_since if kept_since > span.since else None
        shown.append({
            "span": span, "since": clock.iso(span.since),   # the lists' filter of its links
            "title": "Last 24 hours" if span.name == "24h" else "Last 30 days",
            "per": "per hour" if span.prefix == 13 else "per day",
            "received": figures.received, "created": figures.created,
            "outgoing": figures.outgoing, "first_response": figures.first_response,
            "first_response_text": charts.duration(figures.first_response.total),
            "logs_cut": logs_cut,
            "charts": {
                "received": _chart(span, figures.received.values, "bar-received",
                                   "received", logs_cut),
                "created": _chart(span, figures.created.values, "bar-created", "created"),
                "outgoing": _outgoing_chart(span, figures.outgoing, logs_cut),
                "first_response": _chart(span, figures.first_response.values,
                                         "bar-response", "median first response",
                                         text=charts.duration),
            }})
    return shown


def routes(app: bottle.Bottle, cfg) -> None:

    @app.get("/")
    def home():
        return render("home.html", spans=view(cfg), outgoing_words=OUTGOING_WORDS,
                      retention_hours=setting("retention.hours", cfg.domain))
