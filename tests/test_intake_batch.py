"""Intake files a burst several entries to a transaction (issue 15, point 4), each entry in
a savepoint of its own: an entry the database refuses is rolled back alone and recorded as
failed with its reason, the others of its batch are filed, and nothing is doubled.  The
refusal is the database's own (a trigger that aborts one insert), on the installed worker
over SMTP."""
from __future__ import annotations

import os
import smtplib
import sqlite3

import pytest

from conftest import PG_URL, message, wait_for


@pytest.mark.skipif(bool(PG_URL), reason="the refusing trigger is written for SQLite")
def test_one_refused_entry_fails_alone_and_its_batch_is_filed(box):
    con = sqlite3.connect(box.root / "appliance.db")
    con.execute("CREATE TRIGGER refuse_one BEFORE INSERT ON item WHEN new.title = "
                "'Refused by the database' BEGIN SELECT RAISE(ABORT, 'item refused'); END")
    con.commit()
    con.close()
    box.start("mta")
    subjects = [f"Printer {n}" for n in range(4)] + ["Refused by the database"] + \
        [f"Scanner {n}" for n in range(5)]
    with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
        for n, subject in enumerate(subjects):
            smtp.sendmail(f"c{n}@client.example", [f"tickets@{box.domain}"],
                          message(subject=subject, sender=f"c{n}@client.example",
                                  message_id=f"<batch{n}@client.example>"))
    box.start("worker")     # ten entries wait: they go in one batch
    wait_for(lambda: len(box.json("mail", "incoming")) == len(subjects), timeout=60)
    incoming = box.json("mail", "incoming")
    failed = [m for m in incoming if m["action"] == "failed"]
    assert len(failed) == 1, incoming
    assert "item refused" in str(box.json("mail", "incoming", str(failed[0]["id"])))
    assert sorted(m["subject"] for m in incoming if m["action"] == "created") == sorted(
        s for s in subjects if s != "Refused by the database")
    titles = sorted(i["title"] for i in box.json("items", "list"))
    assert titles == sorted(s for s in subjects if s != "Refused by the database")
    spool = box.root / "spool"
    assert len(os.listdir(spool / "failed")) == 1
    assert len(os.listdir(spool / "done")) == len(subjects) - 1
    assert os.listdir(spool / "new") == []
