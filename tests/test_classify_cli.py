"""``appliance classify``: a dry run that needs no config and no data directory, prints the
decision document of INTERFACE.md, and with -c uses the box's agents and blocklist."""
from __future__ import annotations

import json

from conftest import DATA, appliance

CORPUS = DATA / "corpus"
KEYS = {"kind", "requester", "forwarder", "original_sender", "automated", "followers",
        "reasons"}


def classify(*args: str, input: bytes | None = None, env: dict | None = None) -> dict:
    out = appliance("classify", *args, input=input,
                    env={"APPLIANCE_CONFIG": "/nonexistent/appliance.ini", **(env or {})})
    return json.loads(out.stdout)


def test_no_config_needed_and_the_document_shape(tmp_path):
    doc = classify("--rcpt", "tickets@help.example.com", "--mail-from",
                   "support+caf_=tickets=help.example.com@widgets.example",
                   str(CORPUS / "gmail-auto-forward.eml"))
    assert KEYS <= set(doc)
    assert doc["kind"] == "auto_forward"
    assert doc["requester"] == {"email": "ravi.kumar@client.example", "name": "Ravi Kumar"}
    assert doc["automated"] is None
    assert all(isinstance(r, str) and r for r in doc["reasons"])
    assert all(set(p) == {"email", "name"} for p in doc["followers"])


def test_agent_forwarding_flags_and_stdin():
    raw = (CORPUS / "gmail-manual-forward.eml").read_bytes()
    plain = classify("--rcpt", "tickets@help.example.com", "--mail-from",
                     "olga.ivanova@widgets.example", "-", input=raw)
    assert plain["kind"] == "manual_forward"
    assert plain["requester"]["email"] == "olga.ivanova@widgets.example"
    agent = classify("--rcpt", "tickets@help.example.com", "--mail-from",
                     "olga.ivanova@widgets.example", "--agent", "olga.ivanova@widgets.example",
                     "--agent-forwarding", "-", input=raw)
    assert agent["requester"]["email"] == "tom.baker@client.example"
    assert agent["forwarder"]["email"] == "olga.ivanova@widgets.example"
    assert "olga.ivanova@widgets.example" in [f["email"] for f in agent["followers"]]


def test_with_a_config_the_boxs_blocklist_counts(tmp_path):
    from conftest import Box
    box = Box(tmp_path / "box", domain="help.example.com").init()
    box.cli("blocklist", "add", "*@client.example")
    doc = json.loads(appliance("classify", "-c", str(box.ini), "--rcpt",
                               "tickets@help.example.com", "--mail-from",
                               "ben.carter@client.example",
                               str(CORPUS / "direct-plain.eml")).stdout)
    assert doc["requester"] is None
    assert any("blocklist" in r.lower() for r in doc["reasons"])


def test_missing_file_is_a_clear_error():
    proc = appliance("classify", "/no/such/message.eml", check=False)
    assert proc.returncode != 0
    assert b"no such file" in proc.stderr and b"Traceback" not in proc.stderr
