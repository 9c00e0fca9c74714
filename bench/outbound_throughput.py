#!/usr/bin/env python3
"""Outbound throughput: replies composed (templates + appearance), DKIM-signed, queued and
delivered to Postfix's ``smtp-sink`` on loopback, with the bare signing rate
(RSA by OpenSSL) and dkimpy's own pure-Python RSA measured in the same run for comparison.

    python3 bench/outbound_throughput.py [--messages 1000] [--json]

Everything runs in a temporary data directory on loopback and is removed afterwards.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dkim

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postfixlab import free_port, tool  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from appliance import addresses, clock, config
    from appliance.helpdesk import context as ctx
    from appliance.helpdesk import people, templates
    from appliance.helpdesk.database import open_database
    from appliance.outbound.mailer import Mailer
    from appliance.helpdesk.models import Item, ItemType, Message, Setting, db
    from appliance.outbound.models import OutgoingMail
    from appliance.initdir import init
    from appliance.outbound import runner

    tmp = Path(tempfile.mkdtemp(prefix="appliance-outbench-"))
    tmp.chmod(0o755)
    sink = None
    try:
        port = free_port()
        dumps = tmp / "sink"
        dumps.mkdir()
        shutil.chown(dumps, "nobody")
        sink = subprocess.Popen([tool("smtp-sink"), "-u", "nobody", f"127.0.0.1:{port}",
                                 "256"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        result = init(tmp / "box", "box.example", "127.0.0.1:1", "127.0.0.1:2",
                      admin_password="bench-pw-1")
        cfg = config.load(result.config_path)
        open_database(cfg.database)
        for key, value in (("outbound.mode", "smarthost"),
                           ("outbound.smarthost", f"127.0.0.1:{port}"),
                           ("outbound.security", "none")):
            Setting.insert(key=key, value=value).on_conflict_replace().execute()
        mailer = Mailer(cfg)
        template = templates.get("relay")
        customer = people.get(addresses.Person("customer@client.example", "Casey Customer"))
        agent = people.get(addresses.Person("agent@box.example", "Alex Agent"))
        item = Item.create(type=ItemType.get(name="ticket"), title="Printer on floor 2",
                           requester=customer)
        message = Message.create(item=item, author=agent, body="We sent a technician. " * 20)
        context = ctx.for_item(item, customer, cfg.public_url, "Acme Support", message,
                               [message])

        start = time.perf_counter()
        with db.atomic():
            for _ in range(args.messages):
                mailer.send(to=customer, subject_source=template.subject,
                            body_source=template.body, context=context, kind="relay",
                            item=item, author=agent, conversation_message=message)
        composed = time.perf_counter() - start
        sent = 0
        while sent < args.messages and time.perf_counter() - start < 600:
            counts = runner.deliver_due(cfg, clock.now())
            sent += counts["delivered"]
            if not counts["messages"]:
                break
        total = time.perf_counter() - start
        delivered = OutgoingMail.select().where(OutgoingMail.status == "delivered").count()

        raw = bytes(OutgoingMail.get().raw)
        unsigned = raw[raw.index(b"\r\nFrom:") + 2:] if raw.startswith(b"DKIM") else raw
        key = Path(cfg.get("dkim.key")).read_bytes()

        def bare_rate(count: int) -> float:
            started = time.perf_counter()
            for _ in range(count):
                dkim.sign(unsigned, b"appliance", b"box.example", key,
                          canonicalize=(b"relaxed", b"relaxed"))
            return count / (time.perf_counter() - started)
        # the reference: dkimpy's own pure-Python RSA, as before appliance.outbound.sign
        # handed the RSA step to OpenSSL
        from appliance.outbound import sign as ours
        openssl = bare_rate(args.messages)
        dkim.RSASSA_PKCS1_v1_5_sign = ours._PUREPY_RSA_SIGN
        try:
            purepy = bare_rate(max(50, args.messages // 10))
        finally:
            dkim.RSASSA_PKCS1_v1_5_sign = ours._openssl_rsa_sign

        doc = {"messages": args.messages, "delivered": delivered,
               "compose_sign_queue_msgs_per_s": round(args.messages / composed, 1),
               "end_to_end_msgs_per_s": round(delivered / total, 1),
               "delivery_msgs_per_s": round(delivered / (total - composed), 1),
               "bare_sign_per_s": round(openssl, 1),
               "dkimpy_pure_python_sign_per_s": round(purepy, 1),
               "cpus": os.cpu_count()}
        if args.json:
            print(json.dumps(doc, indent=1))
        else:
            print(f"{args.messages} relay emails of ~{len(raw)} bytes, {os.cpu_count()} CPUs")
            print(f"compose + sign + queue: {doc['compose_sign_queue_msgs_per_s']} msgs/s")
            print(f"end to end (delivered to smtp-sink): {doc['end_to_end_msgs_per_s']} "
                  f"msgs/s ({delivered} delivered); the delivery runs alone: "
                  f"{doc['delivery_msgs_per_s']} msgs/s")
            print(f"bare signing (rsa-sha256 2048, RSA by OpenSSL): {doc['bare_sign_per_s']} "
                  f"signatures/s; dkimpy's pure-Python RSA (reference): "
                  f"{doc['dkimpy_pure_python_sign_per_s']} signatures/s")
            print(f"load average {os.getloadavg()[0]:.1f}")
        return 0 if delivered == args.messages else 1
    finally:
        if sink and sink.poll() is None:
            os.killpg(sink.pid, signal.SIGTERM)
            sink.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
