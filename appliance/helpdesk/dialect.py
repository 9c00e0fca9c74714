"""What differs between SQLite and PostgreSQL, in one place.

The appliance is written for SQLite (one box, one file).  ``appliance.database`` may instead
be a ``postgresql://user:pass@host:port/db`` URL so that several boxes share one database;
then :class:`PostgresDatabase` is used, which keeps the stored values the same as on SQLite:

- times (``UTCDateTimeField``) stay ISO text with their offset, so every comparison, raw
  query and ``max(...)`` reads back exactly as on SQLite;
- ``bytea`` columns (``BlobField``) read back as ``bytes``, not ``memoryview``;
- ``INSERT ... on_conflict_replace()`` (SQLite's ``INSERT OR REPLACE``, used for settings)
  becomes ``INSERT ... ON CONFLICT (primary key) DO UPDATE``.

Every other query is standard SQL that peewee writes for either database.  Places that
relied on SQLite's single writer take a row lock with :func:`for_update` on PostgreSQL.
"""
from __future__ import annotations

import re
from contextlib import contextmanager

from peewee import Database, OnConflict, PostgresqlDatabase

from appliance.config import ConfigError

# pg_advisory_xact_lock key held while migrating: "appl" as a 32-bit number
MIGRATION_LOCK = 0x6170706C


def is_url(location: str) -> bool:
    return "://" in str(location)


def shown(location: str) -> str:
    """The database's location for logs and reports: a URL's password masked."""
    return re.sub(r"(://[^:/@]*:)[^/]*@", r"\1***@", str(location))


def is_sqlite(database: Database) -> bool:
    return database.__class__.__name__.startswith("Sqlite")


def is_postgres(database: Database) -> bool:
    return isinstance(database, PostgresqlDatabase)


def _bytes_caster():
    import psycopg2
    from psycopg2 import extensions

    def cast(value, cursor):
        found = psycopg2.BINARY(value, cursor)
        return found.tobytes() if found is not None else None
    return extensions.new_type(psycopg2.BINARY.values, "APPLIANCE_BYTES", cast)


class PostgresDatabase(PostgresqlDatabase):
    field_types = {**PostgresqlDatabase.field_types, "DATETIME": "TEXT"}

    def _connect(self):
        from psycopg2 import extensions
        conn = super()._connect()
        extensions.register_type(_bytes_caster(), conn)
        return conn

    def conflict_update(self, oc, query):
        if (oc._action or "").lower() == "replace":
            model = query.model
            pk = model._meta.primary_key
            data = query._insert if isinstance(query._insert, dict) else {}
            columns = [f for f in data if f is not pk and getattr(f, "model", None) is model]
            oc = OnConflict("update", preserve=columns, conflict_target=(pk,))
        return super().conflict_update(oc, query)


def connect(url: str) -> PostgresDatabase:
    """A PostgreSQL database from a ``postgresql://`` (or ``postgres://``) URL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if not url.startswith("postgresql://"):
        raise ConfigError(f"appliance.database: unsupported URL {url!r}; use a SQLite file "
                          f"path or postgresql://user:password@host:port/database")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        raise ConfigError("appliance.database names PostgreSQL but psycopg2 is not "
                          "installed: pip install 'appliance[postgres]'") from None
    # READ COMMITTED (the default); times are compared as text, so the session zone is moot
    return PostgresDatabase(url, options="-c timezone=UTC")


@contextmanager
def exclusive(database: Database, key: int):
    """One transaction that no other connection runs beside for the same ``key``:
    ``BEGIN IMMEDIATE`` on SQLite (one writer at a time), a transaction-scoped advisory
    lock on PostgreSQL."""
    if is_sqlite(database):
        with database.atomic("IMMEDIATE"):
            yield
        return
    with database.atomic():
        if is_postgres(database):
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))
        yield


def migration_lock(database: Database):
    """One transaction that no other box migrates beside."""
    return exclusive(database, MIGRATION_LOCK)


def for_update(query):
    """``SELECT ... FOR UPDATE OF`` the query's own table where the database has row
    locks (PostgreSQL; rows read with it by a join stay unlocked, and may come from an
    outer join); SQLite has one writer at a time and no such clause."""
    database = query.model._meta.database
    return (query.for_update(of=query.model)
            if is_postgres(getattr(database, "obj", database)) else query)
