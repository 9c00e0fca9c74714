"""The subcommands of ``appliance``, one module per group."""
from __future__ import annotations


def register(sub) -> None:
    from appliance.commands import (admin, center, dkim, ingest, items, mail, ops,
                                    outbound, sendtest, services, setup)
    for module in (setup, services, sendtest, ingest, items, mail, admin, center, dkim,
                   outbound, ops):
        module.register(sub)
