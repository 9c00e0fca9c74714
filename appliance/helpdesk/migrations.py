"""Schema versions.  Each migration runs once, in order, inside a transaction; the version
is kept in the ``schema_version`` table.  Later issues append to MIGRATIONS, never edit."""
from __future__ import annotations

from typing import Callable

from peewee import Database

from appliance.helpdesk import dialect, models


def _v1_initial(database: Database) -> None:
    database.create_tables(models.ALL_MODELS, safe=True)
    for name, local in (("ticket", "tickets"), ("task", "tasks")):
        models.ItemType.get_or_create(name=name, defaults={"capture_local": local})


def _v2_outbound(database: Database) -> None:
    from appliance.outbound.models import OUTBOUND_MODELS
    database.create_tables(OUTBOUND_MODELS, safe=True)


def add_column(database: Database, model, field_name: str) -> None:
    """Add a model's column unless the table has it already (a database created after the
    column joined the model, by the first migration's create_tables).  A plain
    ``ALTER TABLE ... ADD COLUMN`` with the default in SQL: no table rebuild, so foreign
    keys pointing at the table stay intact."""
    table = model._meta.table_name
    field = model._meta.fields[field_name]
    if field.column_name in {c.name for c in database.get_columns(table)}:
        return
    ctx = database.get_sql_context()
    column_sql, params = ctx.sql(field.ddl(ctx)).query()
    if not field.null:
        default = field.default
        if default is None or callable(default):
            raise ValueError(f"{table}.{field.column_name}: a NOT NULL column added later "
                             f"needs a constant default")
        literal = None
        if isinstance(default, bool):
            literal = {True: "1", False: "0"}[default] if dialect.is_sqlite(database) \
                else {True: "TRUE", False: "FALSE"}[default]
        if literal is None:
            literal = str(default) if isinstance(default, (int, float)) else \
                "'" + str(field.db_value(default)).replace("'", "''") + "'"
        column_sql += f" DEFAULT {literal}"
    database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN {column_sql}', params)


def _v3_incoming_tls(database: Database) -> None:
    add_column(database, models.IncomingMail, "tls")


def _v5_web(database: Database) -> None:
    from appliance.helpdesk import logins, searchindex
    database.create_tables(logins.LOGIN_MODELS, safe=True)
    searchindex.install(database)


def _v4_message_center(database: Database) -> None:
    for name in ("priority", "assignee", "due_at", "channel", "automated",
                 "first_response_at"):
        add_column(database, models.Item, name)
    add_column(database, models.Message, "automation")
    from appliance.helpdesk.relaymodels import RelayEntry
    database.create_tables(models.CENTER_MODELS + [RelayEntry], safe=True)
    from appliance.helpdesk.automations import install_defaults
    install_defaults()


def _v6_render_failures(database: Database) -> None:
    add_column(database, models.AutomationRun, "error")
    from appliance.helpdesk.relaymodels import RelayEntry
    add_column(database, RelayEntry, "error")


def _v7_earned_followers(database: Database) -> None:
    database.create_tables(models.TRUST_MODELS, safe=True)
    add_column(database, models.Item, "may_belong_to")


def _v8_person_lookup(database: Database) -> None:
    # people.find matches lower(email): without this index every address in every mail
    # scanned the whole person table
    database.execute_sql('CREATE INDEX IF NOT EXISTS person_email_lower '
                         'ON person (lower(email))')


def _v9_staff_follow(database: Database) -> None:
    # "Assigned to you" (A08) is on by default; existing automations stay as the admin set
    # them.  The people who already work on an item follow it, as they would from now on.
    from appliance.helpdesk.automations import install_defaults
    install_defaults()
    from peewee import chunked

    from appliance.addresses import matches
    blocked = tuple(b.pattern for b in models.Blocked.select())
    staff = {p.id for p in models.Person.select().join(models.User).where(
        models.User.active == True)  # noqa: E712
        if not matches(p.email, blocked)}
    pairs = {(row.id, row.assignee_id) for row in models.Item.select(
        models.Item.id, models.Item.assignee).where(models.Item.assignee.is_null(False))}
    pairs |= {(row.item_id, row.author_id) for row in models.Message.select(
        models.Message.item, models.Message.author).where(
        models.Message.author.is_null(False)).distinct()}
    rows = [{"item": item, "person": person} for item, person in sorted(pairs)
            if person in staff]
    for batch in chunked(rows, 200):
        models.Follower.insert_many(batch).on_conflict_ignore().execute()


def _v10_postgres_search(database: Database) -> None:
    # SQLite has searched FTS5 tables since migration 5; PostgreSQL scanned the tables
    # with regular expressions until now
    if dialect.is_postgres(database):
        from appliance.helpdesk import searchindex
        searchindex.install(database)


def _v11_first_response(database: Database) -> None:
    # the home page's median first-response time reads the answers of the last 30 days
    # (covering: it needs created_at too), not every item
    database.execute_sql("CREATE INDEX IF NOT EXISTS item_first_response "
                         "ON item (first_response_at, created_at)")


def _v12_attachment_content_id(database: Database) -> None:
    # an inline image's Content-ID: a cid: link in the mail's HTML shows that stored part
    add_column(database, models.Attachment, "content_id")


def _v13_retry_now(database: Database) -> None:
    # "Retry now" brings a deferred message forward, never one a delivery run holds
    from appliance.outbound.models import OutgoingMail
    add_column(database, OutgoingMail, "leased_until")


MIGRATIONS: list[tuple[int, str, Callable[[Database], None]]] = [
    (1, "initial schema, item types ticket and task", _v1_initial),
    (2, "outgoing mail queue and log", _v2_outbound),
    (3, "incoming log records whether the sender used TLS", _v3_incoming_tls),
    (4, "message center: automations, events, templates, relay; item priority, "
        "assignee, due date", _v4_message_center),
    (5, "web sessions, API tokens, login attempts, full-text search", _v5_web),
    (6, "automation runs and relay entries record why their template failed",
     _v6_render_failures),
    (7, "people copied on mail who do not follow (yet); items that may belong to another",
     _v7_earned_followers),
    (8, "people are found by their address without reading the whole table",
     _v8_person_lookup),
    (9, "\"Assigned to you\" automation; assignees and agents who posted follow their items",
     _v9_staff_follow),
    (10, "PostgreSQL searches a full-text index (tsvector) as SQLite searches FTS5",
     _v10_postgres_search),
    (11, "the first answers of a time window are found through an index (home page)",
     _v11_first_response),
    (12, "attachments keep their Content-ID, so inline cid: images show in the panel",
     _v12_attachment_content_id),
    (13, "outgoing mail records a delivery run's lease, so \"Retry now\" leaves it alone",
     _v13_retry_now),
]

CURRENT = max(number for number, _, _ in MIGRATIONS)


def applied_versions(database: Database) -> set[int]:
    database.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    return {row[0] for row in database.execute_sql("SELECT version FROM schema_version")}


def version(database: Database) -> int:
    return max(applied_versions(database), default=0)


def migrate(database: Database) -> list[int]:
    """Apply, in order, every migration the database lacks (by number, so migrations that
    were written in parallel and landed in any order all run); returns those applied."""
    wanted = {number for number, _, _ in MIGRATIONS}
    if database.table_exists("schema_version") and wanted <= {
            row[0] for row in database.execute_sql("SELECT version FROM schema_version")}:
        return []   # up to date: a plain read, so a CLI command never waits for a writer
    applied = []
    with dialect.migration_lock(database):   # a second box starting waits, then finds all done
        done = applied_versions(database)
        for number, _, step in sorted(MIGRATIONS, key=lambda m: m[0]):
            if number not in done:
                step(database)
                database.execute_sql(f"INSERT INTO schema_version (version) "
                                     f"VALUES ({database.param})", (number,))
                applied.append(number)
    return applied
