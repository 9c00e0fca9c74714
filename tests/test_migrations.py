"""Schema migrations run once, in order, are idempotent, and bring a database made by the
first schema up to the current one with its data intact."""
from __future__ import annotations

import sqlite3

from appliance.helpdesk import migrations

# The first schema as the first release created it (tables and columns that mattered).
V1_SQL = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE incomingmail (id INTEGER PRIMARY KEY, spool_id VARCHAR(255) NOT NULL UNIQUE,
  received_at TEXT NOT NULL, processed_at TEXT, peer VARCHAR(255), helo VARCHAR(255),
  mail_from VARCHAR(255) NOT NULL, rcpt_tos TEXT NOT NULL, from_email VARCHAR(255),
  from_name VARCHAR(255), subject TEXT NOT NULL, message_id VARCHAR(255),
  action VARCHAR(255) NOT NULL, item_id INTEGER, decision TEXT, auth TEXT,
  reasons TEXT NOT NULL, error TEXT, size INTEGER NOT NULL);
INSERT INTO incomingmail (spool_id, received_at, mail_from, rcpt_tos, subject, action,
  reasons, size) VALUES ('s1', '2026-11-01T00:00:00+00:00', 'a@b.example', '[]', 'Hi',
  'created', '[]', 10);
"""


def test_upgrade_from_first_schema_keeps_data(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(V1_SQL)
    con.close()
    from appliance.helpdesk.database import open_database
    database = open_database(path)
    assert migrations.version(database) == migrations.CURRENT
    from appliance.helpdesk.models import IncomingMail, OutgoingMail
    row = IncomingMail.get(IncomingMail.spool_id == "s1")
    assert row.subject == "Hi" and row.tls is False
    assert OutgoingMail.select().count() == 0
    assert migrations.migrate(database) == []  # nothing left to do, and no error
    database.close()


def test_fresh_database_gets_every_migration_once(tmp_path):
    from appliance.helpdesk.database import open_database
    database = open_database(tmp_path / "new.db")
    rows = database.execute_sql("SELECT version FROM schema_version ORDER BY version")
    assert [r[0] for r in rows] == [n for n, _, _ in migrations.MIGRATIONS]
    database.close()
    again = open_database(tmp_path / "new.db")
    assert migrations.version(again) == migrations.CURRENT
    again.close()
