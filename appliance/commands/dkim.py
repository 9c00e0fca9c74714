"""``appliance dkim dns``: the DNS records to publish so the box's mail arrives."""
from __future__ import annotations

from appliance.commands.common import add_config, add_json, emit, open_db


def register(sub) -> None:
    dkim = sub.add_parser("dkim", help="DKIM keys and the DNS records to publish")
    actions = dkim.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    p = actions.add_parser("dns", help="the DKIM, SPF, DMARC and MX records to publish")
    add_config(p)
    add_json(p)
    p.add_argument("--public-ip", default=None,
                   help="the box's public address: SPF names it, and A/PTR records are added")
    p.set_defaults(func=cmd_dns)


def cmd_dns(args) -> int:
    from appliance.outbound.sign import configured_records
    cfg = open_db(args)
    records = configured_records(cfg, public_ip=args.public_ip)
    text = "\n\n".join(f"{r.name}  {r.type}\n  {r.value}\n  # {r.explanation}\n"
                       f"  zone file: {r.zone_line()}" for r in records)
    emit([r.as_dict() for r in records], args.json, text)
    return 0
