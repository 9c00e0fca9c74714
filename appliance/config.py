"""Bootstrap configuration: the ini file written by ``appliance init``.

Only what a service needs before it can open the database lives here (paths, listen
addresses, the domain); everything an admin changes in the panel lives in the database
(see :mod:`appliance.settings`).  Keys are read as dotted names: ``smtp.listen``.
"""
from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_PATH = "/etc/appliance/appliance.ini"

# key -> (default, help).  ``{data_dir}`` is filled in from appliance.data_dir.
BOOTSTRAP: dict[str, tuple[str, str]] = {
    "appliance.data_dir": ("", "Data directory: database, spool, keys, certificates."),
    "appliance.domain": ("", "The box's mail domain; capture addresses live here."),
    "appliance.database": ("{data_dir}/appliance.db", "The SQLite database file, or "
                           "postgresql://user:password@host:port/db to share one PostgreSQL "
                           "database between boxes (pip install 'appliance[postgres]')."),
    "appliance.log_level": ("info", "debug, info, warning or error."),
    "smtp.listen": ("127.0.0.1:2525", "Address and port the MTA listens on (25 in production)."),
    "smtp.hostname": ("", "Name the MTA greets with; defaults to the domain."),
    "smtp.max_message_bytes": ("26214400", "Largest message accepted (SIZE), in bytes."),
    "smtp.max_recipients": ("100", "Recipients per transaction; more get 452 4.5.3."),
    "smtp.max_connections": ("200", "SMTP sessions open at once (all MTA processes); more "
                                    "get 421 4.7.0. 0: no cap."),
    "smtp.max_connections_per_ip": ("20", "SMTP sessions open at once from one address (IPv6: "
                                          "one /64); more get 421 4.7.0. 0: no cap."),
    "smtp.processes": ("auto", "MTA processes accepting on the port: a number, or 'auto' "
                               "for one per core."),
    "smtp.idle_timeout": ("300", "Seconds a session may wait between commands (or in DATA "
                                 "for its next bytes) before it is closed; RFC 5321 4.5.3.2 "
                                 "asks for at least 300."),
    "smtp.tls_cert": ("{data_dir}/tls/cert.pem", "Certificate offered with STARTTLS."),
    "smtp.tls_key": ("{data_dir}/tls/key.pem", "Private key of that certificate."),
    "web.listen": ("127.0.0.1:8080", "Address and port of the admin panel."),
    "web.metrics_token": ("", "Bearer token that Prometheus sends for /metrics "
                              "(Authorization: Bearer TOKEN); empty: /metrics answers "
                              "loopback clients only."),
    "web.public_url": ("", "The panel's address as people reach it (e.g. "
                           "https://help.example.com/): every link in mail (password reset, "
                           "invitation, items) is built from it, never from the Host header; "
                           "appliance init writes http://WEB_LISTEN/ unless given --public-url."),
    "web.trusted_proxy": ("", "Address of the reverse proxy in front of the panel (e.g. "
                              "127.0.0.1) whose forwarded headers are believed; empty: "
                              "none are, and forwarded headers are dropped."),
    "web.trusted_proxy_headers": ("x-forwarded-for x-forwarded-proto",
                                  "Which headers of that proxy are believed (waitress "
                                  "names: x-forwarded-for, x-forwarded-host, "
                                  "x-forwarded-proto, x-forwarded-port, forwarded)."),
    "dkim.selector": ("appliance", "DKIM selector: the key is published at SELECTOR._domainkey."),
    "dkim.key": ("{data_dir}/dkim/{selector}.private", "DKIM RSA private key (PEM, mode 0600)."),
    "dkim.ed25519_selector": ("{selector}-ed25519", "Selector of the optional ed25519 key."),
    "dkim.ed25519_key": ("{data_dir}/dkim/{selector}-ed25519.private",
                         "DKIM ed25519 private key (base64 seed, mode 0600); used when the "
                         "setting dkim.ed25519 is true."),
    "worker.processes": ("1", "Intake workers turning spooled mail into items: a number, "
                              "or 'auto' for one per core. Above 1 the worker process keeps "
                              "the message center and delivery and starts that many beside "
                              "it, each taking its share of the spool."),
    "worker.poll_seconds": ("0.1", "How often the worker looks for new spool entries."),
    "worker.nice": ("5", "CPU priority of the worker's processes below the MTA's (the "
                         "nice value they run at, at least, 0-19): when a burst keeps every "
                         "core busy, senders get their 250 first and filing catches up "
                         "after, nothing is lost (the spool holds the mail)."),
    "worker.burst_wait_seconds": ("3", "While a burst arrives (10 or more messages waiting, "
                                       "the newest less than 50 ms old), intake leaves the "
                                       "CPU to the MTA for at most this long after the "
                                       "oldest came, then files; 0 files at once."),
    "worker.retry_seconds": ("30", "A message that met a full disk, an I/O error or a lack "
                                   "of memory or files waits this long before it is tried "
                                   "again by itself, later twice this."),
    "delivery.mx_port": ("25", "Port of recipients' mail servers in direct mode (change only "
                               "for test labs)."),
    "delivery.ca_file": ("", "Extra CA certificates (PEM) trusted when verifying your own "
                             "SMTP server; empty: the system's."),
    "delivery.timeout": ("30", "Seconds to wait for a remote SMTP server's reply."),
    "dns.nameservers": ("", "Comma-separated resolver addresses; empty: the system's."),
    "dns.port": ("53", "Port of those resolvers."),
    "dns.timeout": ("2", "Seconds one DNS query may take."),
    "dns.table": ("", "A JSON file answering every DNS lookup instead of resolvers "
                      "(tests, air-gapped demos)."),
}


class ConfigError(Exception):
    """A configuration problem a person can fix; the message says how."""


@dataclass
class Config:
    path: Path
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values[key]

    def getint(self, key: str) -> int:
        return self._typed(key, int, "a whole number")

    def getfloat(self, key: str) -> float:
        return self._typed(key, float, "a number of seconds")

    def _typed(self, key: str, kind: type, words: str):
        try:
            return kind(self.values[key])
        except ValueError:
            raise ConfigError(f"{self.path}: {key} must be {words}, "
                              f"not {self.values[key]!r}") from None

    @property
    def data_dir(self) -> Path:
        return Path(self.values["appliance.data_dir"])

    @property
    def domain(self) -> str:
        return self.values["appliance.domain"].lower()

    @property
    def public_url(self) -> str:
        url = self.values["web.public_url"] or f"http://{self.values['web.listen']}/"
        return url if url.endswith("/") else url + "/"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def database(self) -> str:
        return self.values["appliance.database"]

    def listen(self, key: str) -> tuple[str, int]:
        return parse_listen(self.values[key], key)

    def connect_to(self, key: str) -> tuple[str, int]:
        """Where a client on this box reaches a listen address (a wildcard means loopback)."""
        host, port = self.listen(key)
        return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host), port


def parse_listen(value: str, what: str = "address") -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"{what}: expected HOST:PORT, got {value!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def resolve_path(path: str | None) -> Path:
    """-c/--config, then $APPLIANCE_CONFIG, then /etc/appliance/appliance.ini."""
    return Path(path or os.environ.get("APPLIANCE_CONFIG") or DEFAULT_PATH)


def load(path: str | Path | None = None) -> Config:
    file = resolve_path(str(path) if path else None)
    if not file.is_file():
        raise ConfigError(f"no configuration at {file}: run 'appliance init --data-dir DIR "
                          f"--domain DOMAIN' and pass -c DIR/appliance.ini "
                          f"(or set APPLIANCE_CONFIG)")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(file, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"{file}: {exc}") from None
    raw = {f"{s}.{k}": v for s in parser.sections() for k, v in parser.items(s)}
    unknown = sorted(set(raw) - set(BOOTSTRAP))
    if unknown:
        raise ConfigError(f"{file}: unknown key(s) {', '.join(unknown)}; known keys are "
                          f"listed in config/appliance.ini.example")
    values = {k: raw.get(k, d) for k, (d, _) in BOOTSTRAP.items()}
    if not values["appliance.data_dir"] or not values["appliance.domain"]:
        raise ConfigError(f"{file}: [appliance] data_dir and domain are required")
    for key in ("dkim.key", "dkim.ed25519_selector", "dkim.ed25519_key"):
        values[key] = values[key].replace("{selector}", values["dkim.selector"])
    values = {k: v.replace("{data_dir}", values["appliance.data_dir"]) for k, v in values.items()}
    if not values["smtp.hostname"]:
        values["smtp.hostname"] = values["appliance.domain"]
    if values["web.public_url"]:
        try:
            check_public_url(values["web.public_url"])
        except ConfigError as exc:
            raise ConfigError(f"{file}: web.public_url {exc}") from None
    return Config(file, values)


def check_public_url(url: str) -> str:
    """``url`` when it is a plain http(s) address of the panel: links in mail are built
    from it, so no user part (``http://desk@evil.example/``), query or fragment."""
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        raise ConfigError(f"has a bad port: {url!r}") from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc
            or parts.query or parts.fragment or any(c.isspace() or ord(c) < 32 for c in url)):
        raise ConfigError(f"must be the panel's address like https://help.example.com/, "
                          f"not {url!r}")
    return url


def write(path: Path, values: dict[str, str]) -> None:
    """Write an ini with every key that differs from its default, commented with its help."""
    sections: dict[str, list[str]] = {}
    for key, (default, help_text) in BOOTSTRAP.items():
        if key in values and values[key] != default:
            section, name = key.split(".", 1)
            sections.setdefault(section, []).append(f"# {help_text}\n{name} = {values[key]}")
    text = "".join(f"[{s}]\n" + "\n".join(lines) + "\n\n" for s, lines in sections.items())
    write_private(path, text.encode("utf-8"))


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner may read (0600 from the start, whatever the umask):
    the ini can hold a PostgreSQL password."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)   # an existing file keeps its mode on open: tighten it
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def update(path: Path, changes: dict[str, str]) -> None:
    """Change some keys of an existing ini (the others keep their values; a public URL
    that was derived from the web listen address follows it)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    values = {f"{s}.{k}": v for s in parser.sections() for k, v in parser.items(s)}
    if "web.listen" in changes and values.get("web.public_url") == \
            f"http://{values.get('web.listen', BOOTSTRAP['web.listen'][0])}/":
        changes = {**changes, "web.public_url": f"http://{changes['web.listen']}/"}
    write(path, {**values, **changes})


_EXAMPLE_VALUES = {"appliance.data_dir": "/var/lib/appliance",
                   "appliance.domain": "help.example.com"}


def example_text() -> str:
    """The text of config/appliance.ini.example: every key, its help and its default."""
    lines = ["# appliance.ini: the bootstrap configuration (what a service needs before it can",
             "# open the database).  `appliance init` writes one; every key is optional except",
             "# data_dir and domain, and shows its default.  {data_dir} and {selector} stand",
             "# for appliance.data_dir and dkim.selector.  Everything an admin changes at run",
             "# time lives in the database: `appliance settings`.  Generated from",
             "# appliance/config.py (BOOTSTRAP).", ""]
    section = None
    for key, (default, help_text) in BOOTSTRAP.items():
        sec, name = key.split(".", 1)
        if sec != section:
            lines.append(f"[{sec}]")
            section = sec
        lines += [f"# {help_text}", f"{name} = {_EXAMPLE_VALUES.get(key, default)}".rstrip(), ""]
    return "\n".join(lines)
