"""Schema versions.  Each migration runs once, in order, inside a transaction; the version
is kept in the ``schema_version`` table.  Later issues append to MIGRATIONS, never edit."""
from __future__ import annotations

from typing import Callable

from peewee import Database

from appliance.helpdesk import models


def _v1_initial(database: Database) -> None:
    database.create_tables(models.ALL_MODELS, safe=True)
    for name, local in (("ticket", "tickets"), ("task", "tasks")):
        models.ItemType.get_or_create(name=name, defaults={"capture_local": local})


def _v2_outbound(database: Database) -> None:
    database.create_tables(models.OUTBOUND_MODELS, safe=True)


MIGRATIONS: list[tuple[int, str, Callable[[Database], None]]] = [
    (1, "initial schema, item types ticket and task", _v1_initial),
    (2, "outgoing mail queue and log", _v2_outbound),
]

CURRENT = MIGRATIONS[-1][0]


def version(database: Database) -> int:
    database.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = database.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] or 0


def migrate(database: Database) -> list[int]:
    """Apply the migrations the database lacks; returns the versions applied."""
    applied = []
    with database.atomic("IMMEDIATE") if _is_sqlite(database) else database.atomic():
        current = version(database)
        for number, _, step in MIGRATIONS:
            if number > current:
                step(database)
                database.execute_sql("INSERT INTO schema_version (version) VALUES (?)",
                                     (number,))
                applied.append(number)
    return applied


def _is_sqlite(database: Database) -> bool:
    return database.__class__.__name__.startswith("Sqlite")
