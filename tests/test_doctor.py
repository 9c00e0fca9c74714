"""``appliance doctor``: exit 0 on a box that is all well, and each problem found, explained
and turned into a non-zero exit."""
from __future__ import annotations

import datetime
import json
import os
import time

import pytest

from conftest import DOMAIN


def publish_records(box) -> dict:
    """Put exactly what ``appliance dkim dns`` asks for into the box's DNS table."""
    table: dict = {}
    for record in box.json("dkim", "dns"):
        entry = table.setdefault(record["name"], {})
        if record["type"] == "MX":
            pref, host = record["value"].split()
            entry.setdefault("MX", []).append([int(pref), host.rstrip(".")])
        elif record["type"] == "TXT":
            entry.setdefault("TXT", []).append(record["value"])
    box.set_dns(table)
    return table


def doctor(box) -> tuple[int, dict]:
    proc = box.cli("doctor", "--json", check=False)
    assert b"Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def by_name(report: dict) -> dict:
    return {c["name"]: c for c in report["checks"]}


@pytest.fixture
def healthy(box):
    publish_records(box)
    box.start("mta")
    box.start("worker")
    box.start("web")
    return box


def test_a_healthy_box_passes(healthy):
    code, report = doctor(healthy)
    assert code == 0 and report["ok"], json.dumps(report, indent=1)
    assert set(by_name(report)) == {"database", "ports", "dns", "dkim key", "tls certificate",
                                    "disk", "queues", "delivery"}
    text = healthy.cli("doctor").stdout.decode()
    assert text.rstrip().endswith("all is well")


def test_stopped_services_and_stuck_spool_fail(healthy):
    healthy.stop("worker")
    healthy.stop("web")
    entry = healthy.root / "spool" / "new" / "0000000000000001-deadbeef"
    entry.write_bytes(b'{"mail_from": "", "rcpt_tos": []}\nSubject: x\r\n\r\nx\r\n')
    old = time.time() - 900
    os.utime(entry, (old, old))
    (healthy.root / "spool" / "failed" / "0000000000000002-cafe").write_bytes(b"{}\n")
    code, report = doctor(healthy)
    checks = by_name(report)
    assert code == 1 and not report["ok"]
    assert checks["ports"]["status"] == "fail"
    assert any("web panel: nothing answers" in d and "systemctl start appliance-web" in d
               for d in checks["ports"]["details"])
    assert any(d.startswith("MTA: listening") for d in checks["ports"]["details"])
    assert checks["queues"]["status"] == "fail"
    assert "new=1 failed=1" in checks["queues"]["summary"]
    assert any("worker is not running" in d for d in checks["queues"]["details"])
    assert any("appliance mail retry" in d for d in checks["queues"]["details"])


def test_missing_and_wrong_dns_records_are_named(box):
    table = publish_records(box)
    dkim_name = f"appliance._domainkey.{DOMAIN}"
    table[dkim_name]["TXT"] = ["v=DKIM1; k=rsa; p=AAAAB3NzaC1yc2EAAAADAQABAAABAQ"]
    del table[f"_dmarc.{DOMAIN}"]
    table[DOMAIN]["MX"] = [[10, "mail.elsewhere.example"]]
    box.set_dns(table)
    _, report = doctor(box)
    dns = by_name(report)["dns"]
    assert dns["status"] == "fail"
    details = "\n".join(dns["details"])
    assert f"{dkim_name} TXT: the published key is not ours" in details
    assert f"_dmarc.{DOMAIN} TXT: none published" in details
    assert "points at mail.elsewhere.example" in details


def test_dns_timeouts_are_a_warning_not_a_crash(box):
    box.set_dns({DOMAIN: "!timeout"})
    _, report = doctor(box)
    dns = by_name(report)["dns"]
    assert dns["status"] in ("warn", "fail")
    assert any("could not ask DNS" in d for d in dns["details"])


def test_expired_certificate_and_weak_key(box):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    (box.root / "dkim" / "appliance.private").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=100))
            .not_valid_after(now - datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (box.root / "tls" / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    code, report = doctor(box)
    checks = by_name(report)
    assert code == 1
    assert checks["tls certificate"]["status"] == "fail"
    assert any("expired" in d for d in checks["tls certificate"]["details"])
    assert checks["dkim key"]["status"] == "warn"
    assert any("1024-bit" in d for d in checks["dkim key"]["details"])


def test_unreadable_key_and_delivery_errors(box):
    (box.root / "dkim" / "appliance.private").write_text("not a key")
    box.db()
    from appliance import clock
    from appliance.outbound.models import OutgoingMail
    from appliance.outbound import queue
    mail = queue.enqueue(b"Subject: x\r\n\r\nx\r\n", mail_from=f"support@{DOMAIN}",
                         recipients=["ann@client.example"], subject="x",
                         message_id="<x@box>", kind="test")
    queue.event(mail, "deferred", "ann@client.example: 451 4.7.1 greylisted, try later")
    OutgoingMail.update(status="deferred",
                        created_at=clock.now() - datetime.timedelta(hours=3)).execute()
    code, report = doctor(box)
    checks = by_name(report)
    assert checks["dkim key"]["status"] == "fail"
    assert checks["delivery"]["status"] == "warn"
    assert any("451 4.7.1 greylisted" in d for d in checks["delivery"]["details"])
    assert any("undelivered for over an hour" in d for d in checks["queues"]["details"])
    plain = box.cli("doctor", check=False)
    assert plain.returncode == 1 and b"needs attention" in plain.stdout
