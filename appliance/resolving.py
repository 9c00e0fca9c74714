"""The resolver a service uses, chosen from the ini's [dns] section: a table file (tests,
air-gapped demos), given nameservers, or the system's."""
from __future__ import annotations

from appliance import dnsresolver
from appliance.config import Config


def configure(cfg: Config) -> dnsresolver.Resolver:
    table = cfg.get("dns.table")
    if table:
        resolver = dnsresolver.TableResolver.from_file(table)
        dnsresolver.set_resolver(resolver)
        return resolver
    servers = [s.strip() for s in cfg.get("dns.nameservers").split(",") if s.strip()]
    timeout = float(cfg.get("dns.timeout"))
    dnsresolver.configure(servers or None, port=cfg.getint("dns.port"), timeout=timeout,
                          lifetime=timeout * 2)
    return dnsresolver.get_resolver()
