"""Small bar charts as inline SVG, drawn on the server: no script, no library, no inline
style (the panel's CSP allows neither): every colour comes from a class in panel.css.

A chart is a row of buckets (:class:`Bar`), each one value or a stack of values (outgoing
mail by status); every bar carries a ``<title>`` (the hover text: when, how many) and the
whole chart an ``aria-label`` with its total.  Text is escaped like any page output."""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, PLOT, HEIGHT = 300, 56, 72   # viewBox: the plot's height, then a row of labels
ROOM = 12                           # above the tallest bar: the label of its value


@dataclass
class Bar:
    title: str                              # hover text: "3 Dec 14:00 · 4 received"
    parts: list[tuple[str, float]]          # (css class, value), stacked bottom up
    gone: bool = False                      # outside the log's retention: no data kept


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bars(items: list[Bar], label: str, start: str, end: str,
         top_text=lambda v: _num(v)) -> Markup:
    """An SVG bar chart; ``start``/``end`` label the ends of the axis, ``top_text`` turns
    the largest bar's value into the label at the top."""
    count = max(len(items), 1)
    slot = WIDTH / count
    gap = min(2.0, slot * .2)
    top = max((sum(v for _, v in b.parts) for b in items), default=0) or 1
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
           f'<line class="axis-line" x1="0" y1="{PLOT}" x2="{WIDTH}" y2="{PLOT}"/>']
    for i, bar in enumerate(items):
        x = i * slot + gap / 2
        w = max(slot - gap, .5)
        out.append(f'<g><title>{escape(bar.title)}</title>')
        out.append(f'<rect class="slot{" gone" if bar.gone else ""}" x="{x:.2f}" y="0" '
                   f'width="{w:.2f}" height="{PLOT}"/>')
        y = float(PLOT)
        for css, value in bar.parts:
            if value <= 0:
                continue
            h = max(value / top * (PLOT - ROOM), 1.0)
            y -= h
            out.append(f'<rect class="bar {escape(css)}" x="{x:.2f}" y="{y:.2f}" '
                       f'width="{w:.2f}" height="{h:.2f}"/>')
        out.append('</g>')
    peak = max((sum(v for _, v in b.parts) for b in items), default=0)
    if peak:
        out.append(f'<text class="peak" x="2" y="9">{escape(top_text(peak))}</text>')
    out.append(f'<text class="axis" x="0" y="{HEIGHT - 3}">{escape(start)}</text>')
    out.append(f'<text class="axis end" x="{WIDTH}" y="{HEIGHT - 3}" '
               f'text-anchor="end">{escape(end)}</text>')
    out.append('</svg>')
    return Markup("".join(out))


def duration(seconds: float | None) -> str:
    """"42 s", "4 min", "1 h 20 min", "2 d 3 h"; an em dash for no value."""
    if seconds is None:
        return "—"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
