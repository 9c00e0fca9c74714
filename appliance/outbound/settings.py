"""What the outgoing path reads of the settings (database) and the ini, once per run, as
one typed value: a delivery run, a send test or a purge sees one consistent set even when
an admin saves the form meanwhile, and nothing below converts strings by hand."""
from __future__ import annotations

from dataclasses import dataclass, field

from appliance.config import Config
from appliance.helpdesk import settingstore
from appliance.outbound.render import APPEARANCE_KEYS, Appearance

KEYS = {   # field -> setting key
    "mode": "outbound.mode", "smarthost": "outbound.smarthost",
    "security": "outbound.security", "username": "outbound.username",
    "password": "outbound.password", "from_address": "outbound.from_address",
    "retry_intervals": "outbound.retry_intervals",
    "max_lifetime_hours": "outbound.max_lifetime_hours",
    "retention_hours": "retention.hours", "ed25519": "dkim.ed25519",
}


@dataclass(frozen=True)
class OutboundSettings:
    domain: str
    mode: str                     # direct | smarthost
    smarthost: str                # HOST:PORT or empty
    security: str                 # none | starttls | tls (to the smarthost)
    username: str
    password: str = field(repr=False)
    from_address: str
    retry_intervals: list[int]
    max_lifetime_hours: int
    retention_hours: int
    ed25519: bool
    appearance: Appearance
    # from the ini
    helo: str = ""
    timeout: float = 30.0
    mx_port: int = 25
    ca_file: str = ""
    dns_table: str = ""

    @classmethod
    def load(cls, cfg: Config) -> OutboundSettings:
        stored = settingstore.values([*KEYS.values(), *APPEARANCE_KEYS], cfg.domain)
        return cls(domain=cfg.domain, **{name: stored[key] for name, key in KEYS.items()},
                   appearance=Appearance.load(stored.__getitem__),
                   helo=cfg.get("smtp.hostname"), timeout=float(cfg.get("delivery.timeout")),
                   mx_port=cfg.getint("delivery.mx_port"), ca_file=cfg.get("delivery.ca_file"),
                   dns_table=cfg.get("dns.table"))
