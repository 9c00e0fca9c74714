"""The search index behind :mod:`appliance.helpdesk.search`, kept in sync by triggers on
either database, so every writer (intake, the outbound queue, the panel) keeps it current
without knowing it exists.

- SQLite: FTS5 tables ``item_fts`` (title, description, requester, the bodies of its
  messages), ``incoming_fts`` (subject, sender, message_id) and ``outgoing_fts`` (subject,
  recipients), keyed by the row id of the row they index.
- PostgreSQL: tables of the same names holding one ``tsvector`` per row (``doc``, GIN
  indexed), the columns above as weights A, B, C, D in that order, built from the text's
  words (every run of letters and digits, as FTS5's unicode61 tokenizer splits it).

:func:`install` creates them for the database's dialect and indexes the rows that exist
(migrations 5 and 10).
"""
from __future__ import annotations

from appliance.helpdesk.dialect import is_sqlite

SCHEMA = [
    # items: title, description, the requester's address and name, and every message
    "CREATE VIRTUAL TABLE IF NOT EXISTS item_fts USING fts5(title, description, requester,"
    " messages, prefix='2 3')",
    """CREATE TRIGGER IF NOT EXISTS item_fts_ai AFTER INSERT ON item BEGIN
         INSERT INTO item_fts(rowid, title, description, requester, messages) VALUES (new.id,
           new.title, new.description, (SELECT coalesce(email, '') || ' ' || coalesce(name, '')
                                        FROM person WHERE id = new.requester_id), '');
       END""",
    """CREATE TRIGGER IF NOT EXISTS item_fts_au AFTER UPDATE ON item
       WHEN old.title IS NOT new.title OR old.description IS NOT new.description
            OR old.requester_id IS NOT new.requester_id BEGIN
         UPDATE item_fts SET title = new.title, description = new.description,
           requester = (SELECT coalesce(email, '') || ' ' || coalesce(name, '')
                        FROM person WHERE id = new.requester_id)
         WHERE rowid = new.id;
       END""",
    """CREATE TRIGGER IF NOT EXISTS item_fts_ad AFTER DELETE ON item BEGIN
         DELETE FROM item_fts WHERE rowid = old.id;
       END""",
    # a conversation's messages are part of their item's row: one ordered index to search
    """CREATE TRIGGER IF NOT EXISTS message_fts_ai AFTER INSERT ON message BEGIN
         UPDATE item_fts SET messages = trim(messages || ' ' || new.body)
         WHERE rowid = new.item_id;
       END""",
    """CREATE TRIGGER IF NOT EXISTS message_fts_au AFTER UPDATE ON message
       WHEN old.body IS NOT new.body OR old.item_id IS NOT new.item_id BEGIN
         UPDATE item_fts SET messages = coalesce((SELECT group_concat(body, ' ') FROM message
                                                  WHERE item_id = item_fts.rowid), '')
         WHERE rowid IN (old.item_id, new.item_id);
       END""",
    """CREATE TRIGGER IF NOT EXISTS message_fts_ad AFTER DELETE ON message BEGIN
         UPDATE item_fts SET messages = coalesce((SELECT group_concat(body, ' ') FROM message
                                                  WHERE item_id = old.item_id), '')
         WHERE rowid = old.item_id;
       END""",
    # the incoming log
    "CREATE VIRTUAL TABLE IF NOT EXISTS incoming_fts USING fts5(subject, sender, message_id,"
    " prefix='2 3')",
    """CREATE TRIGGER IF NOT EXISTS incoming_fts_ai AFTER INSERT ON incomingmail BEGIN
         INSERT INTO incoming_fts(rowid, subject, sender, message_id) VALUES (new.id,
           new.subject, coalesce(new.from_email, '') || ' ' || coalesce(new.from_name, '')
           || ' ' || coalesce(new.mail_from, ''), coalesce(new.message_id, ''));
       END""",
    """CREATE TRIGGER IF NOT EXISTS incoming_fts_au AFTER UPDATE ON incomingmail
       WHEN old.subject IS NOT new.subject OR old.from_email IS NOT new.from_email
            OR old.from_name IS NOT new.from_name OR old.mail_from IS NOT new.mail_from
            OR old.message_id IS NOT new.message_id BEGIN
         UPDATE incoming_fts SET subject = new.subject,
           sender = coalesce(new.from_email, '') || ' ' || coalesce(new.from_name, '')
                    || ' ' || coalesce(new.mail_from, ''),
           message_id = coalesce(new.message_id, '')
         WHERE rowid = new.id;
       END""",
    """CREATE TRIGGER IF NOT EXISTS incoming_fts_ad AFTER DELETE ON incomingmail BEGIN
         DELETE FROM incoming_fts WHERE rowid = old.id;
       END""",
    # the outgoing log: recipients are rows of their own, appended as they are added
    "CREATE VIRTUAL TABLE IF NOT EXISTS outgoing_fts USING fts5(subject, recipients,"
    " prefix='2 3')",
    """CREATE TRIGGER IF NOT EXISTS outgoing_fts_ai AFTER INSERT ON outgoingmail BEGIN
         INSERT INTO outgoing_fts(rowid, subject, recipients) VALUES (new.id, new.subject, '');
       END""",
    """CREATE TRIGGER IF NOT EXISTS outgoing_fts_ad AFTER DELETE ON outgoingmail BEGIN
         DELETE FROM outgoing_fts WHERE rowid = old.id;
       END""",
    """CREATE TRIGGER IF NOT EXISTS outgoing_fts_rcpt AFTER INSERT ON outgoingrecipient BEGIN
         UPDATE outgoing_fts SET recipients = trim(recipients || ' ' || new.email)
         WHERE rowid = new.mail_id;
       END""",
    ]

# list pages: newest first, optionally by status or type (both dialects)
LIST_INDEXES = [
    "CREATE INDEX IF NOT EXISTS item_created ON item (created_at, id)",
    "CREATE INDEX IF NOT EXISTS item_status_created ON item (status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS item_type_created ON item (type_id, created_at, id)",
    "CREATE INDEX IF NOT EXISTS item_requester ON item (requester_id, created_at, id)",
    "CREATE INDEX IF NOT EXISTS incoming_received ON incomingmail (received_at, id)",
    "CREATE INDEX IF NOT EXISTS outgoing_created ON outgoingmail (created_at, id)",
    "CREATE INDEX IF NOT EXISTS message_item ON message (item_id, created_at)",
    "CREATE INDEX IF NOT EXISTS outgoing_status_created ON outgoingmail (status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS incoming_action_received ON incomingmail (action, received_at,"
    " id)",
]

BACKFILL = [
    "DELETE FROM item_fts",
    """INSERT INTO item_fts(rowid, title, description, requester, messages)
       SELECT item.id, item.title, item.description,
              coalesce(person.email, '') || ' ' || coalesce(person.name, ''),
              coalesce((SELECT group_concat(body, ' ') FROM message
                        WHERE message.item_id = item.id), '')
       FROM item LEFT JOIN person ON person.id = item.requester_id""",
    "DELETE FROM incoming_fts",
    """INSERT INTO incoming_fts(rowid, subject, sender, message_id)
       SELECT id, subject, coalesce(from_email, '') || ' ' || coalesce(from_name, '') || ' '
              || coalesce(mail_from, ''), coalesce(message_id, '') FROM incomingmail""",
    "DELETE FROM outgoing_fts",
    """INSERT INTO outgoing_fts(rowid, subject, recipients)
       SELECT outgoingmail.id, outgoingmail.subject,
              coalesce((SELECT group_concat(email, ' ') FROM outgoingrecipient
                        WHERE mail_id = outgoingmail.id), '')
       FROM outgoingmail""",
]


# -- PostgreSQL ---------------------------------------------------------------------------
# The weights of each table's columns: a column search (the requester filter) matches only
# lexemes of that weight.
PG_WEIGHTS = {
    "item": {"title": "A", "description": "B", "requester": "C", "messages": "D"},
    "incomingmail": {"subject": "A", "sender": "B", "message_id": "C"},
    "outgoingmail": {"subject": "A", "recipients": "B"},
}
# A tsvector holds at most 1 MB: the text indexed per row is capped far below that (a few
# hundred thousand characters of words), so no mail can make a write fail.
_WORDS = "to_tsvector('simple', regexp_replace(left(coalesce({}, ''), {}), '[^[:alnum:]]+'," \
         " ' ', 'g'))"


def _doc(parts: list[tuple[str, str, int]]) -> str:
    return " || ".join(f"setweight({_WORDS.format(sql, cap)}, '{weight}')"
                       for sql, weight, cap in parts)


_ITEM_DOC = _doc([
    ("i.title", "A", 2000), ("i.description", "B", 100000),
    ("(SELECT concat_ws(' ', email, name) FROM person WHERE id = i.requester_id)", "C", 1000),
    ("(SELECT string_agg(body, ' ' ORDER BY id) FROM message WHERE item_id = i.id)", "D",
     200000)])
_INCOMING_DOC = _doc([
    ("m.subject", "A", 2000), ("concat_ws(' ', m.from_email, m.from_name, m.mail_from)", "B",
                               2000), ("m.message_id", "C", 2000)])
_OUTGOING_DOC = _doc([
    ("m.subject", "A", 2000),
    ("(SELECT string_agg(email, ' ' ORDER BY id) FROM outgoingrecipient"
     " WHERE mail_id = m.id)", "B", 100000)])


def _pg_table(name: str, source: str, alias: str, doc: str, key: str) -> list[str]:
    """The index table of ``source``, the function that (re)indexes one of its rows, and
    the statement that indexes every row."""
    return [
        f"CREATE TABLE IF NOT EXISTS {name} (id INTEGER PRIMARY KEY, doc TSVECTOR NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {name}_doc ON {name} USING gin (doc)",
        f"""CREATE OR REPLACE FUNCTION {name}_refresh(row_id INTEGER) RETURNS void
            LANGUAGE sql AS $$
              DELETE FROM {name} WHERE id = row_id AND NOT EXISTS (
                SELECT 1 FROM {source} WHERE id = row_id);
              INSERT INTO {name} (id, doc) SELECT {alias}.id, {doc}
              FROM {source} AS {alias} WHERE {alias}.id = row_id
              ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc;
            $$""",
        f"""CREATE OR REPLACE FUNCTION {name}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM {name}_refresh(OLD.{key}); END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM {name}_refresh(NEW.{key}); END IF;
              RETURN NULL;
            END $$""",
    ]


def _pg_trigger(name: str, table: str, events: str, function: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {events} ON {table} FOR EACH ROW"
            f" EXECUTE FUNCTION {function}()"]


PG_SCHEMA = [
    *_pg_table("item_fts", "item", "i", _ITEM_DOC, "id"),
    *_pg_trigger("item_fts_sync", "item",
                 "INSERT OR DELETE OR UPDATE OF title, description, requester_id", "item_fts_sync"),
    # a conversation's messages are part of their item's document
    """CREATE OR REPLACE FUNCTION message_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM item_fts_refresh(OLD.item_id); END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM item_fts_refresh(NEW.item_id); END IF;
         RETURN NULL;
       END $$""",
    *_pg_trigger("message_fts_sync", "message", "INSERT OR DELETE OR UPDATE OF body, item_id",
                 "message_fts_sync"),
    *_pg_table("incoming_fts", "incomingmail", "m", _INCOMING_DOC, "id"),
    *_pg_trigger("incoming_fts_sync", "incomingmail",
                 "INSERT OR DELETE OR UPDATE OF subject, from_email, from_name, mail_from,"
                 " message_id", "incoming_fts_sync"),
    *_pg_table("outgoing_fts", "outgoingmail", "m", _OUTGOING_DOC, "id"),
    *_pg_trigger("outgoing_fts_sync", "outgoingmail", "INSERT OR DELETE OR UPDATE OF subject",
                 "outgoing_fts_sync"),
    # recipients are rows of their own: each one reindexes its mail
    """CREATE OR REPLACE FUNCTION outgoingrecipient_fts_sync() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM outgoing_fts_refresh(OLD.mail_id);
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM outgoing_fts_refresh(NEW.mail_id);
         END IF;
         RETURN NULL;
       END $$""",
    *_pg_trigger("outgoingrecipient_fts_sync", "outgoingrecipient",
                 "INSERT OR DELETE OR UPDATE OF email, mail_id", "outgoingrecipient_fts_sync"),
]

PG_BACKFILL = [
    "DELETE FROM item_fts",
    f"INSERT INTO item_fts (id, doc) SELECT i.id, {_ITEM_DOC} FROM item AS i",
    "DELETE FROM incoming_fts",
    f"INSERT INTO incoming_fts (id, doc) SELECT m.id, {_INCOMING_DOC} FROM incomingmail AS m",
    "DELETE FROM outgoing_fts",
    f"INSERT INTO outgoing_fts (id, doc) SELECT m.id, {_OUTGOING_DOC} FROM outgoingmail AS m",
]


def install(database) -> None:
    """Create the search index of the database's dialect and the list indexes, and index
    the rows that exist (idempotent)."""
    statements = SCHEMA + BACKFILL if is_sqlite(database) else PG_SCHEMA + PG_BACKFILL
    for statement in statements + LIST_INDEXES:
        database.execute_sql(statement)
