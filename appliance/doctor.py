"""``appliance doctor``: checks what makes a box work and says what to do when it does not.

Each check gives ``ok``, ``warn`` or ``fail`` with one line of summary and details; the
command exits 0 only when every check is ``ok``.  DNS goes through the configured resolver
(:func:`appliance.resolving.configure`), so ``dns.table`` makes the checks testable.
"""
from __future__ import annotations

import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from appliance import clock, dnsresolver, resolving
from appliance.config import Config
from appliance.statuses import UNFINISHED, OutgoingStatus

STUCK_SECONDS = 300          # a spool entry waiting this long means the worker is not working
DISK_FAIL, DISK_WARN = 200 << 20, 1 << 30
CERT_WARN_DAYS = 14


@dataclass
class Check:
    name: str
    status: str = "ok"  # ok | warn | fail
    summary: str = ""
    details: list[str] = field(default_factory=list)

    def worse(self, status: str, detail: str) -> None:
        order = ("ok", "warn", "fail")
        if order.index(status) > order.index(self.status):
            self.status = status
        self.details.append(detail)


@dataclass
class Report:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.checks)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "checks": [c.__dict__ for c in self.checks]}

    def text(self) -> str:
        lines = []
        for c in self.checks:
            lines.append(f"{c.status.upper():4}  {c.name}: {c.summary}")
            lines += [f"      {d}" for d in c.details]
        bad = [c.name for c in self.checks if c.status != "ok"]
        lines.append("all is well" if not bad else f"needs attention: {', '.join(bad)}")
        return "\n".join(lines)


def _probe(host: str, port: int, timeout: float = 3.0) -> bytes | None:
    """The first bytes a listener sends (b"" for a silent one), or None: nobody listens."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    try:
        with socket.create_connection((target, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            try:
                return sock.recv(512)
            except socket.timeout:
                return b""
    except OSError:
        return None


def _bindable(host: str, port: int) -> str | None:
    """None when the port could be bound now, else the reason it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
            return None
        except PermissionError:
            return (f"port {port} needs privilege: the systemd unit grants "
                    f"CAP_NET_BIND_SERVICE; run the MTA from appliance-mta.service")
        except OSError as exc:
            return str(exc)


def check_ports(cfg: Config) -> Check:
    check = Check("ports", summary="the MTA and the web panel answer")
    for key, service, unit in (("smtp.listen", "MTA", "appliance-mta"),
                               ("web.listen", "web panel", "appliance-web")):
        host, port = cfg.listen(key)
        banner = _probe(host, port)
        if banner is None:
            reason = _bindable(host, port)
            check.worse("fail", f"{service}: nothing answers on {host}:{port} ({key}); "
                        + ("the port is free: start it (systemctl start "
                           f"{unit}, or appliance run)" if reason is None else reason))
        elif key == "smtp.listen" and not banner.startswith(b"220"):
            check.worse("fail", f"{service}: {host}:{port} answers but not as our SMTP "
                        f"server ({banner[:60]!r}): another program holds the port")
        else:
            check.details.append(f"{service}: listening on {host}:{port}")
    if check.status != "ok":
        check.summary = "a service does not answer"
    return check


def check_dns(cfg: Config) -> Check:
    check = Check("dns", summary="the records of `appliance dkim dns` are published")
    resolver = resolving.configure(cfg)
    for record in records_for(cfg):
        if record.type not in ("TXT", "MX"):
            continue
        try:
            if record.type == "MX":
                found = [f"{pref} {host}." for pref, host in resolver.mx(record.name)]
            else:
                found = resolver.txt(record.name)
        except dnsresolver.TemporaryDNSError as exc:
            check.worse("warn", f"{record.name} {record.type}: could not ask DNS ({exc})")
            continue
        except dnsresolver.DNSError:
            found = []
        _compare(check, record, found)
    if check.status != "ok":
        check.summary = "records are missing or differ: publish what `appliance dkim dns` shows"
    return check


def records_for(cfg: Config):
    """What ``appliance dkim dns`` prints, from the same settings."""
    from appliance.outbound.sign import configured_records
    return configured_records(cfg)


def _compare(check: Check, record, found: list[str]) -> None:
    label = f"{record.name} {record.type}"
    if record.type == "MX":
        host = record.value.split()[1].rstrip(".").lower()
        hosts = [f.split()[1].rstrip(".").lower() for f in found]
        if not found:
            check.worse("fail", f"{label}: none published; mail for the capture addresses "
                        f"cannot arrive. Publish: {record.zone_line()}")
        elif host not in hosts:
            check.worse("warn", f"{label}: points at {', '.join(hosts)}, not {host}; fine "
                        f"only if that server forwards the mail here")
        else:
            check.details.append(f"{label}: ok")
        return
    kind = record.value.split(";")[0].split()[0]  # v=DKIM1 | v=spf1 | v=DMARC1
    same_kind = [f.replace('" "', "").strip('"') for f in found
                 if f.strip('"').lower().startswith(kind.lower())]
    if "._domainkey." in record.name:
        want = record.value.split("p=")[-1].strip()
        if not same_kind:
            check.worse("fail", f"{label}: no DKIM key published; receivers cannot verify "
                        f"our signatures. Publish: {record.zone_line()}")
        elif not any(f.replace(" ", "").split("p=")[-1].strip(";") == want for f in same_kind):
            check.worse("fail", f"{label}: the published key is not ours (key rotated?); "
                        f"publish the one `appliance dkim dns` shows")
        else:
            check.details.append(f"{label}: ok, matches {Path(record.name).name[:40]}")
    elif not same_kind:
        check.worse("warn", f"{label}: none published ({record.explanation.split('. ')[0]}). "
                    f"Publish: {record.zone_line()}")
    elif kind == "v=spf1" and len(same_kind) > 1:
        check.worse("fail", f"{label}: {len(same_kind)} SPF records; receivers then treat "
                    f"SPF as broken (permerror): merge them into one")
    else:
        check.details.append(f"{label}: {same_kind[0][:80]}")


def check_dkim_key(cfg: Config) -> Check:
    from cryptography.hazmat.primitives import serialization
    path = Path(cfg.get("dkim.key"))
    check = Check("dkim key", summary=f"{path} is a readable RSA key of 2048 bits or more")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        check.worse("fail", f"cannot read the DKIM key: {exc}; outgoing mail cannot be "
                    f"signed (dkim.key in the ini)")
        check.summary = "unusable"
        return check
    bits = getattr(key, "key_size", 0)
    if bits < 1024:
        check.worse("fail", f"{bits}-bit key: receivers ignore signatures this weak")
    elif bits < 2048:
        check.worse("warn", f"{bits}-bit key: use 2048 bits (RFC 8301); make a new one and "
                    f"publish it")
    else:
        check.details.append(f"RSA {bits} bits")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        check.worse("warn", f"mode {mode:o}: the private key is readable by others; "
                    f"chmod 600 {path}")
    if check.status != "ok":
        check.summary = "needs attention"
    return check


def check_certificate(cfg: Config, now: datetime | None = None) -> Check:
    from cryptography import x509
    path = Path(cfg.get("smtp.tls_cert"))
    check = Check("tls certificate", summary=f"{path} is valid")
    now = now or clock.now()
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        check.worse("fail", f"cannot read the certificate: {exc}; the MTA offers no "
                    f"STARTTLS (smtp.tls_cert in the ini)")
        check.summary = "unusable"
        return check
    expires = cert.not_valid_after_utc
    left = expires - now
    if left <= timedelta(0):
        check.worse("fail", f"expired on {clock.iso(expires)}: renew it (your ACME client) "
                    f"and restart appliance-mta")
    elif left < timedelta(days=CERT_WARN_DAYS):
        check.worse("warn", f"expires in {left.days} days ({clock.iso(expires)}): is your "
                    f"ACME client's renewal running?")
    else:
        check.details.append(f"valid until {clock.iso(expires)} ({left.days} days)")
    if cert.issuer == cert.subject:
        check.details.append("self-signed: fine for opportunistic STARTTLS between mail "
                             "servers; point smtp.tls_cert/tls_key at your ACME "
                             "certificate to have a verifiable one")
    if check.status != "ok":
        check.summary = "renew it"
    return check


def check_disk(cfg: Config) -> Check:
    usage = shutil.disk_usage(cfg.data_dir)
    free_pct = 100 * usage.free / usage.total
    check = Check("disk", summary=f"{usage.free >> 20} MiB free ({free_pct:.0f}%) "
                                  f"under {cfg.data_dir}")
    if usage.free < DISK_FAIL or free_pct < 2:
        check.worse("fail", "almost full: the MTA will answer 4xx (try again later) and "
                    "mail waits at the senders; free space now")
    elif usage.free < DISK_WARN or free_pct < 5:
        check.worse("warn", "running low: free space or lower retention.hours")
    return check


def check_queues(cfg: Config, now: datetime | None = None) -> Check:
    from appliance.outbound.models import OutgoingMail
    now = now or clock.now()
    check = Check("queues")
    spool = cfg.spool_dir
    new = [p for p in (spool / "new").iterdir() if not p.name.startswith(".")] \
        if (spool / "new").is_dir() else []
    failed = list((spool / "failed").iterdir()) if (spool / "failed").is_dir() else []
    waiting = list((spool / "waiting").iterdir()) if (spool / "waiting").is_dir() else []
    queued = OutgoingMail.select().where(OutgoingMail.status == OutgoingStatus.QUEUED).count()
    deferred = OutgoingMail.select().where(
        OutgoingMail.status == OutgoingStatus.DEFERRED).count()
    check.summary = (f"spool new={len(new)} failed={len(failed)} waiting={len(waiting)}; "
                     f"outgoing queued={queued} deferred={deferred}")
    limit = time.time() - STUCK_SECONDS
    stuck = [p for p in new if _mtime(p) < limit]
    if stuck:
        oldest = min(_mtime(p) for p in stuck)
        check.worse("fail", f"{len(stuck)} spool entr{'y' if len(stuck) == 1 else 'ies'} "
                    f"waiting over {STUCK_SECONDS // 60} min (oldest {stuck[0].name}, "
                    f"{int(time.time() - oldest)} s): the worker is not running or is stuck; "
                    f"systemctl status appliance-worker")
    if waiting:
        check.worse("warn", f"{len(waiting)} message(s) met a full disk or another fault of "
                    f"the machine and are retried automatically: see the disk check and "
                    f"`appliance mail incoming --search failed`")
    if failed:
        check.worse("warn", f"{len(failed)} message(s) could not be processed: see "
                    f"`appliance mail incoming --search failed`, then `appliance mail retry`")
    old = now - timedelta(hours=1)
    late = (OutgoingMail.select().where(OutgoingMail.status.in_(UNFINISHED),
                                        OutgoingMail.created_at < old).count())
    if late:
        check.worse("warn", f"{late} outgoing message(s) undelivered for over an hour: see "
                    f"the delivery errors below and `appliance outbound test`")
    return check


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()


def check_delivery(cfg: Config, now: datetime | None = None) -> Check:
    from appliance.outbound.models import OutgoingEvent
    now = now or clock.now()
    since = now - timedelta(hours=24)
    check = Check("delivery", summary="no delivery errors in the last 24 hours")
    rows = list(OutgoingEvent.select()
                .where(OutgoingEvent.event.in_((OutgoingStatus.DEFERRED, OutgoingStatus.FAILED,
                                                OutgoingStatus.BOUNCED)),
                       OutgoingEvent.at >= since)
                .order_by(OutgoingEvent.at.desc(), OutgoingEvent.id.desc()).limit(5))
    for row in rows:
        line = f"{clock.iso(row.at)} outgoing #{row.mail_id} {row.event}: {row.detail[:160]}"
        check.worse("warn" if row.event != OutgoingStatus.BOUNCED else "ok", line)
    if rows:
        check.summary = "latest delivery errors (newest first)"
    return check


def check_database(cfg: Config) -> Check:
    from appliance.helpdesk import dialect, migrations
    from appliance.helpdesk.models import db
    check = Check("database", summary=dialect.shown(cfg.database))
    try:
        sqlite = dialect.is_sqlite(db.obj)   # PostgreSQL checks its own pages
        row = db.execute_sql("PRAGMA quick_check" if sqlite else "SELECT 'ok'").fetchone()
        if row[0] != "ok":
            check.worse("fail", f"quick_check: {row[0]}; restore the last backup")
        check.details.append(f"schema version {migrations.version(db.obj)}")
    except Exception as exc:  # any database error is the finding itself
        check.worse("fail", f"{exc}")
    return check


def run_checks(cfg: Config) -> Report:
    from appliance.helpdesk.database import open_database
    checks = []
    try:
        open_database(cfg.database, create=False)
    except Exception as exc:
        from appliance.helpdesk.dialect import shown
        return Report([Check("database", "fail", f"cannot open {shown(cfg.database)}: {exc}")])
    for step in (check_database, check_ports, check_dns, check_dkim_key, check_certificate,
                 check_disk, check_queues, check_delivery):
        try:
            checks.append(step(cfg))
        except Exception as exc:  # a broken check is reported, never a traceback
            checks.append(Check(step.__name__[6:].replace("_", " "), "fail",
                                f"the check itself failed: {exc.__class__.__name__}: {exc}"))
    return Report(checks)
