"""Prometheus metrics in the text exposition format (``GET /metrics`` on the web service).

Everything is read from the database and the spool when scraped, so every process (and
every box sharing a database) reports the same numbers, and nothing is lost on a restart.
The MTA's connection counts come from the table its processes share
(:mod:`appliance.mta.connections`); they start again from 0 when the MTA does.
The mail logs are pruned after ``retention.hours``: their counts are gauges over what the
logs hold, not counters since the beginning of time.  Tables that later migrations add
(automation runs, relay entries) are read only when they exist.
"""
from __future__ import annotations

import os
from datetime import datetime

from appliance import clock
from appliance.config import Config
from appliance.mta import connections
from appliance.statuses import UNFINISHED, IncomingAction, OutgoingStatus, RelayState, words


class Metrics:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, name: str, kind: str, help_text: str,
            samples: list[tuple[dict, float]] | float) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        if not isinstance(samples, list):
            samples = [({}, samples)]
        for labels, value in samples:
            label = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            self.lines.append(f"{name}{{{label}}} {_number(value)}" if label
                              else f"{name} {_number(value)}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _tables(database) -> set[str]:
    return set(database.get_tables())


def _grouped(database, sql: str) -> dict:
    return {row[0]: row[1] for row in database.execute_sql(sql).fetchall()}


def _age(now: datetime, value) -> float:
    """Seconds since an ISO timestamp as the models store it (0 when there is none)."""
    if not value:
        return 0.0
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return max(0.0, (now - when).total_seconds())


def _spool_counts(cfg: Config) -> tuple[dict, float]:
    counts, oldest = {}, None
    for where in ("new", "failed", "waiting"):
        try:
            names = [n for n in os.listdir(cfg.spool_dir / where) if not n.startswith(".")]
        except FileNotFoundError:
            names = []
        counts[where] = len(names)
        if where == "new" and names:
            try:
                oldest = (cfg.spool_dir / where / min(names)).stat().st_mtime
            except FileNotFoundError:
                oldest = None
    age = max(0.0, clock.now().timestamp() - oldest) if oldest else 0.0
    return counts, age


def collect(cfg: Config, database) -> str:
    """The metrics text.  ``database`` is the bound peewee database."""
    now = clock.now()
    tables = _tables(database)
    m = Metrics()
    m.add("appliance_up", "gauge", "1 while the web service answers.", 1)
    incoming = _grouped(database, "SELECT action, count(*) FROM incomingmail GROUP BY action")
    m.add("appliance_incoming_messages", "gauge",
          "Received messages in the incoming log (kept retention.hours) by what intake did.",
          [({"action": a}, incoming.get(a, 0)) for a in
           sorted(set(words(IncomingAction)) | set(incoming))])
    items = _grouped(database, "SELECT t.name, count(i.id) FROM itemtype t "
                               "LEFT JOIN item i ON i.type_id = t.id GROUP BY t.name")
    m.add("appliance_items", "gauge", "Items (tickets, tasks) created, by type.",
          [({"type": t}, n) for t, n in sorted(items.items())])
    last = database.execute_sql("SELECT max(processed_at) FROM incomingmail").fetchone()[0]
    m.add("appliance_worker_last_processed_age_seconds", "gauge",
          "Seconds since the worker last finished a message (0: none in the log).",
          _age(now, last))
    if "outgoingmail" in tables:
        outgoing = _grouped(database,
                            "SELECT status, count(*) FROM outgoingmail GROUP BY status")
        m.add("appliance_outgoing_messages", "gauge",
              "Messages the box sends, in the outgoing log, by delivery status.",
              [({"status": s}, outgoing.get(s, 0)) for s in
               sorted(set(words(OutgoingStatus)) | set(outgoing))])
        oldest = database.execute_sql(
            "SELECT min(created_at) FROM outgoingmail WHERE status IN (%s)"
            % ", ".join(f"'{s}'" for s in UNFINISHED)).fetchone()[0]
        m.add("appliance_outgoing_oldest_unfinished_age_seconds", "gauge",
              "Age of the oldest message still waiting for delivery (0: none).",
              _age(now, oldest))
    spool, spool_age = _spool_counts(cfg)
    m.add("appliance_spool_entries", "gauge",
          "Spool entries waiting for the worker (new), set aside after an error (failed) "
          "or after a fault of the machine, retried by themselves (waiting).",
          [({"queue": q}, n) for q, n in spool.items()])
    m.add("appliance_spool_oldest_age_seconds", "gauge",
          "Age of the oldest spool entry waiting for the worker (0: none).", spool_age)
    mta = connections.read_counts(cfg.data_dir)
    m.add("appliance_mta_connections_open", "gauge",
          "SMTP sessions open in the MTA, all its processes.", mta["open"])
    m.add("appliance_mta_connections_accepted_total", "counter",
          "SMTP connections the MTA let in since it started.", mta["accepted"])
    m.add("appliance_mta_connections_refused_total", "counter",
          "SMTP connections answered 421 since the MTA started, by the cap that refused them.",
          [({"cap": "max_connections"}, mta["refused_total"]),
           ({"cap": "max_connections_per_ip"}, mta["refused_per_ip"])])
    relay_lag = 0.0
    if "relayentry" in tables:
        relays = _grouped(database, "SELECT state, count(*) FROM relayentry GROUP BY state")
        m.add("appliance_relay_entries", "gauge",
              "Posted messages waiting to be relayed by email, or what became of them.",
              [({"state": s}, relays.get(s, 0)) for s in
               sorted(set(words(RelayState)) | set(relays))])
        due = database.execute_sql("SELECT min(due_at) FROM relayentry "
                                   "WHERE state = 'pending'").fetchone()[0]
        relay_lag = _age(now, due)
    m.add("appliance_relay_lag_seconds", "gauge",
          "How late the most overdue pending relay is (0: none overdue).", relay_lag)
    runs: dict = {}
    if "automationrun" in tables:
        runs = _grouped(database, "SELECT automation, count(*) FROM automationrun "
                                  "GROUP BY automation")
    m.add("appliance_automation_runs", "gauge",
          "Times each automation fired (0 until automations exist).",
          [({"automation": code}, n) for code, n in sorted(runs.items())] or
          [({"automation": "none"}, 0)])
    version = database.execute_sql("SELECT max(version) FROM schema_version").fetchone()[0]
    m.add("appliance_schema_version", "gauge", "Schema version of the database.", version or 0)
    return m.text()
