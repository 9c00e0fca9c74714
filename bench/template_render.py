"""How long the message center takes to render one email from its default templates: the
relay email (20 messages in it) and the auto-reply, each with the appearance layout (text
and HTML).  No database, no files: only :mod:`appliance.outbound.render`, so the cost of
the sandbox (and its budget) is what moves the number.

    python3 bench/template_render.py [--seconds 3] [--json]
"""
from __future__ import annotations

import argparse
import json
import time

from appliance.outbound.render import Appearance, default_source, render_email
from appliance.helpdesk.templates import sample_context


def relay_context(messages: int) -> dict:
    context = sample_context()
    body = "Message {n}: the printer on floor 2 is jammed.\n" * 8
    context["messages"] = [{"id": n, "author": f"Person {n}", "internal": n % 5 == 0,
                            "created_at": "2026-11-26T12:00:00+00:00",
                            "body": body.format(n=n), "text": body.format(n=n),
                            "summary": " ".join(body.format(n=n).split()[:12]) + " …",
                            "new": n < 3}   # three new, the rest a line each
                           for n in range(messages)]
    return context


def measure(name: str, context: dict, appearance: Appearance, seconds: float) -> float:
    """Microseconds per render_email of template ``name``, best of three runs."""
    subject, body = default_source(name, "subject"), default_source(name, "body")
    render_email(subject, body, context, appearance)   # compile once, as the worker does
    best = float("inf")
    for _ in range(3):
        count, start = 0, time.process_time()
        while time.process_time() - start < seconds / 3:
            render_email(subject, body, context, appearance)
            count += 1
        best = min(best, (time.process_time() - start) / count * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    appearance = Appearance.defaults()
    results = {"relay_20_messages_us": measure("relay", relay_context(20), appearance,
                                               args.seconds),
               "auto_reply_us": measure("auto_reply", sample_context(), appearance,
                                        args.seconds)}
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:24} {value:8.1f} µs per email ({1e6 / value:,.0f} emails/s)")


if __name__ == "__main__":
    main()
