"""Schema migrations run once, in order, are idempotent, and bring a database made by the
first schema up to the current one with its data intact."""
from __future__ import annotations

import sqlite3

from appliance.helpdesk import migrations

from conftest import DATA

# Data as the first release wrote it, on top of the first schema's tables.
V1_DATA = """
INSERT INTO person (id, email, name, created_at) VALUES
  (1, 'ben@client.example', 'Ben', '2026-11-01T00:00:00+00:00');
INSERT INTO item (id, type_id, title, status, requester_id, description, description_html,
  sender_verified, created_at, updated_at) VALUES
  (1, 1, 'Printer', 'open', 1, 'It is broken', NULL, 1, '2026-11-01T00:00:00+00:00',
   '2026-11-01T00:00:00+00:00');
INSERT INTO incomingmail (spool_id, received_at, mail_from, rcpt_tos, subject, action,
  reasons, size, item_id) VALUES ('s1', '2026-11-01T00:00:00+00:00', 'a@b.example', '[]',
  'Printer', 'created', '[]', 10, 1);
INSERT INTO message (id, item_id, author_id, body, internal, created_at) VALUES
  (1, 1, 1, 'It is broken', 0, '2026-11-01T00:00:00+00:00');
"""


def test_upgrade_from_first_schema_keeps_data(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript((DATA / "schema_v1.sql").read_text())
    con.executescript(V1_DATA)
    con.commit()
    con.close()
    from appliance.helpdesk.database import open_database
    database = open_database(path)
    assert migrations.version(database) == migrations.CURRENT
    from appliance.helpdesk.models import Automation, IncomingMail, Item, Message
    from appliance.outbound.models import OutgoingMail
    row = IncomingMail.get(IncomingMail.spool_id == "s1")
    assert row.subject == "Printer" and row.tls is False and row.item_id == 1
    item = Item.get_by_id(1)
    assert (item.title, item.priority, item.assignee, item.due_at) == ("Printer", "normal",
                                                                       None, None)
    assert Message.get_by_id(1).automation is None
    assert OutgoingMail.select().count() == 0
    assert {a.code for a in Automation.select()} >= {"A02", "A05", "A12", "A21"}
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
