"""The command line of INTERFACE.md: init, settings, users, blocklist, items reply/seen,
and clear errors without tracebacks."""
from __future__ import annotations

import json
import stat

from conftest import DOMAIN, appliance


def test_init_writes_a_complete_data_directory(box):
    root = box.root
    sqlite = () if box.database else ("appliance.db",)   # or the PostgreSQL run
    for path in ("appliance.ini", *sqlite, "spool", "attachments", "dkim", "tls"):
        assert (root / path).exists(), path
    key = root / "dkim" / "appliance.private"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "tls" / "key.pem").stat().st_mode) == 0o600
    for db_file in sqlite:
        assert stat.S_IMODE((root / db_file).stat().st_mode) & 0o007 == 0
    from cryptography.hazmat.primitives import serialization
    assert serialization.load_pem_private_key(key.read_bytes(), None).key_size == 2048
    db = box.db()
    from appliance.helpdesk.models import ItemType, User
    assert {(t.name, t.capture_local, t.enabled) for t in ItemType.select()} == {
        ("ticket", "tickets", True), ("task", "tasks", True)}
    admin = User.get()
    assert admin.role == "admin" and admin.person.email == f"admin@{DOMAIN}"
    assert admin.password_hash.startswith("$argon2id$")
    from appliance.passwords import verify
    assert verify(admin.password_hash, "admin-pw-123")
    db.close()
    # The support address customers see (outbound.from_address, support@DOMAIN by
    # default) is on the box's domain: an alias of the ticket type, not a 550.
    assert json.loads((root / "captures.json").read_text()) == {
        f"tickets@{DOMAIN}": "ticket", f"tasks@{DOMAIN}": "task", f"support@{DOMAIN}": "ticket"}


def test_init_prints_login_and_refuses_to_overwrite(tmp_path):
    out = appliance("init", "--data-dir", str(tmp_path / "d"), "--domain", "Help.Example.COM")
    text = out.stdout.decode()
    assert "admin@help.example.com / " in text and "tickets@help.example.com" in text
    again = appliance("init", "--data-dir", str(tmp_path / "d"), "--domain", "x.example",
                      check=False)
    assert again.returncode != 0
    assert b"--force" in again.stderr and b"Traceback" not in again.stderr
    forced = appliance("init", "--data-dir", str(tmp_path / "d"), "--domain", "x.example",
                       "--force")
    assert b"tickets@x.example" in forced.stdout


def test_bad_domain_and_missing_config_are_clear_errors(tmp_path):
    bad = appliance("init", "--data-dir", str(tmp_path / "d"), "--domain", "nodots",
                    check=False)
    assert bad.returncode != 0 and b"--domain" in bad.stderr and b"Traceback" not in bad.stderr
    missing = appliance("items", "list", "-c", str(tmp_path / "none.ini"), check=False)
    assert missing.returncode != 0
    assert b"appliance init" in missing.stderr and b"Traceback" not in missing.stderr


def test_config_from_environment_variable(box):
    out = appliance("items", "list", "--json", env={"APPLIANCE_CONFIG": str(box.ini)})
    assert json.loads(out.stdout) == []


def test_settings_defaults_set_and_refusals(box):
    assert box.cli("settings", "get", "outbound.mode").stdout.strip() == b"direct"
    assert box.cli("settings", "get", "outbound.from_address").stdout.strip() == \
        f"support@{DOMAIN}".encode()
    assert box.cli("settings", "get", "relay.delay_seconds").stdout.strip() == b"60"
    assert box.cli("settings", "get", "retention.hours").stdout.strip() == b"72"
    box.cli("settings", "set", "intake.agent_forwarding", "yes")
    assert box.cli("settings", "get", "intake.agent_forwarding").stdout.strip() == b"true"
    bad = box.cli("settings", "set", "outbound.mode", "carrier-pigeon", check=False)
    assert bad.returncode != 0 and b"direct, smarthost" in bad.stderr
    unknown = box.cli("settings", "set", "no.such", "1", check=False)
    assert unknown.returncode != 0 and b"unknown setting" in unknown.stderr
    box.cli("settings", "set", "outbound.password", "s3cret")
    assert b"s3cret" not in box.cli("settings", "get", "outbound.password").stdout


def test_users_blocklist_reply_and_seen(box):
    box.cli("users", "add", "--email", "Olga@Widgets.Example", "--name", "Olga",
            "--role", "agent", "--password", "pw-olga-123")
    dup = box.cli("users", "add", "--email", "olga@widgets.example", "--name", "O",
                  "--role", "agent", check=False)
    assert dup.returncode != 0 and b"already a user" in dup.stderr
    box.cli("blocklist", "add", "noreply@vendor.example")
    box.cli("blocklist", "add", "*@Alerts.Example")
    assert box.json("blocklist", "list") == ["*@alerts.example", "noreply@vendor.example"]
    box.cli("blocklist", "remove", "noreply@vendor.example")
    assert box.json("blocklist", "list") == ["*@alerts.example"]
    assert box.cli("blocklist", "add", "not an address", check=False).returncode != 0

    from appliance.helpdesk import people
    from appliance.helpdesk.models import Item, ItemType, Seen
    db = box.db()
    item = Item.create(type=ItemType.get(name="ticket"), title="Made by hand")
    db.close()
    box.cli("items", "reply", str(item.id), "--author", "olga@widgets.example",
            "--body", "Looking into it", "--internal")
    shown = box.json("items", "show", str(item.id))
    assert shown["messages"][-1]["internal"] is True
    assert shown["messages"][-1]["author"]["email"] == "Olga@widgets.example"
    # The author has seen their own message; another agent opening the item sees it too.
    out = box.cli("items", "seen", str(item.id), "--by", f"admin@{DOMAIN}")
    assert b"1 message(s)" in out.stdout
    db = box.db()
    for email in ("olga@widgets.example", f"admin@{DOMAIN}"):
        assert Seen.select().where(Seen.person == people.find(email)).count() == 1
    db.close()
    missing = box.cli("items", "show", "999", check=False)
    assert missing.returncode != 0 and b"no item #999" in missing.stderr


def test_port_in_use_is_a_clear_error(box):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", box.smtp_port))
        s.listen()
        proc = appliance("mta", "-c", str(box.ini), check=False)
    assert proc.returncode != 0
    assert b"already in use" in proc.stderr and b"Traceback" not in proc.stderr


def test_help_lists_the_commands():
    out = appliance("--help").stdout.decode()
    for command in ("init", "run", "mta", "worker", "web", "ingest", "classify", "items",
                    "mail", "settings", "users", "blocklist"):
        assert command in out
