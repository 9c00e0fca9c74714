"""Full-text search for the panel's lists: SQLite FTS5 tables kept in sync by triggers.

``item_fts`` (title, description, requester, the bodies of its messages), ``incoming_fts``
(subject, sender, message_id) and ``outgoing_fts`` (subject, recipients) use the row id of
the row they index.  A search page walks the FTS table newest id first
(``ORDER BY rowid DESC LIMIT``), which FTS5 does without collecting every match: a word in
half of 100,000 items costs no more than a rare one.  :data:`SCHEMA` is created by
migration 5, which also fills the tables from the rows that existed before.
"""
from __future__ import annotations

import re

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
    # list pages: newest first, optionally by status or type
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


def install(database) -> None:
    """Create the FTS tables, triggers and list indexes, and index the existing rows."""
    if not is_sqlite(database):   # PostgreSQL: the list indexes; search reads the tables
        for statement in SCHEMA:
            if statement.startswith("CREATE INDEX"):
                database.execute_sql(statement)
        return
    for statement in SCHEMA + BACKFILL:
        database.execute_sql(statement)


def match_expression(query: str, column: str | None = None) -> str | None:
    """An FTS5 expression for what a person typed: every word must occur (as a prefix);
    a word with punctuation (an address, a Message-ID) must occur as that sequence.
    None when the query has nothing to search for."""
    phrases = []
    for word in query.split():
        tokens = re.findall(r"\w+", word)
        if tokens:
            phrases.append("(" + " + ".join(f'"{t}"' for t in tokens) + "*)")
    if not phrases:
        return None
    expr = " AND ".join(phrases)
    return f"{{{column}}} : ({expr})" if column else expr


def item_number(query: str) -> int | None:
    """``#12`` or ``12`` names item 12."""
    text = query.strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) < 10 else None


# -- PostgreSQL ---------------------------------------------------------------------------
# No FTS5 there: the same expressions are answered by case-insensitive regular expressions
# over the base tables (every word a word-prefix, an address's words in sequence).  It scans
# the table, newest id first, and stops at the page: fine for tens of thousands of rows; a
# tsvector index would be the next step for more.

PG_COLUMNS = {
    "item": {
        "title": "t.title",
        "description": "t.description",
        "requester": "(SELECT concat_ws(' ', email, name) FROM person"
                     " WHERE id = t.requester_id)",
        "messages": "(SELECT string_agg(body, ' ') FROM message WHERE item_id = t.id)",
    },
    "incomingmail": {
        "subject": "t.subject",
        "sender": "concat_ws(' ', t.from_email, t.from_name, t.mail_from)",
        "message_id": "t.message_id",
    },
    "outgoingmail": {
        "subject": "t.subject",
        "recipients": "(SELECT string_agg(email, ' ') FROM outgoingrecipient"
                      " WHERE mail_id = t.id)",
    },
}

_SYNTAX = re.compile(r'\{(\w+)\} : \(|\(((?:"\w+"(?: \+ )?)+)\*\)|\(|\)')


def phrases(expression: str) -> list[tuple[str | None, list[str]]]:
    """The (column or None, tokens) of each phrase of a :func:`match_expression` result
    (or several joined with AND)."""
    scope: list[str | None] = [None]
    found = []
    for m in _SYNTAX.finditer(expression):
        if m.group(1):
            scope.append(m.group(1))
        elif m.group(2):
            found.append((scope[-1], re.findall(r'"(\w+)"', m.group(2))))
        elif m.group(0) == "(":
            scope.append(scope[-1])
        elif len(scope) > 1:
            scope.pop()
    return found


def pg_search_ids(database, table: str, expression: str, where: list[tuple[str, object]],
                  limit: int, offset: int, join: str = "") -> list[int]:
    """PostgreSQL's answer to an FTS5 search of ``table``: matching ids, newest first."""
    columns = PG_COLUMNS[table]
    conditions, params = [], []
    for column, tokens in phrases(expression):
        hay = columns[column] if column else \
            "concat_ws(' ', " + ", ".join(columns.values()) + ")"
        conditions.append(f"{hay} ~* %s")
        params.append(r"\m" + r"\M\W+".join(tokens))
    conditions += [sql.replace("?", "%s") for sql, _ in where]
    params += [value for _, value in where]
    cursor = database.execute_sql(
        f"SELECT t.id FROM {table} AS t {join} WHERE {' AND '.join(conditions) or 'TRUE'}"
        f" ORDER BY t.id DESC LIMIT %s OFFSET %s", [*params, limit, offset])
    return [row[0] for row in cursor]
