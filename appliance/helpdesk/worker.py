"""``appliance worker``: takes spool entries in arrival order and runs intake on each.

After an entry's transaction commits its file moves to ``done/``; an entry whose intake
raises is logged as failed and moved to ``failed/`` (``appliance mail retry`` brings it
back).  SIGTERM finishes the current entry and exits.
"""
from __future__ import annotations

import logging
import signal
from datetime import timedelta
import threading
import time
import traceback

from peewee import IntegrityError, InterfaceError, OperationalError

from appliance import clock, resolving
from appliance.mailids import header_message_id
from appliance.config import Config
from appliance.helpdesk import capture, intake, relay, scheduler, settingstore
from appliance.helpdesk.automations import Engine
from appliance.helpdesk.mailer import Mailer
from appliance.helpdesk.database import open_database
from appliance.helpdesk.models import IncomingMail
from appliance.mta import deliverer
from appliance.mta.auth import AuthResults, authenticate
from appliance.mta.spool import Entry, Spool

log = logging.getLogger("appliance.worker")


class Worker:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.spool = Spool(cfg.spool_dir).ensure()
        self.stopping = False
        self.last_housekeeping = 0.0
        self.authenticate = authenticator(cfg)
        self.wake = threading.Event()
        self.mailer = Mailer(cfg)
        self.last_tick = 0.0
        self.last_captures = 0.0
        self.exported: dict[str, str] | None = None

    def refresh_captures(self) -> None:
        """Item types and the support address change in the panel: the MTA follows within
        a few seconds (the file is rewritten only when the addresses changed)."""
        self.last_captures = time.monotonic()
        try:
            mapping = {a: t.name for a, t in capture.capture_types(self.cfg.domain).items()}
            if mapping != self.exported:
                self.exported = capture.export(self.cfg.domain, self.cfg.data_dir)
                log.info("capture addresses: %s", ", ".join(sorted(mapping)))
        except Exception:
            log.exception("could not refresh the capture addresses; retrying")

    def process_one(self, entry_id: str, ctx: intake.IntakeContext) -> str:
        """Process one entry; returns the action logged for it."""
        try:
            entry = self.spool.read(entry_id)
        except FileNotFoundError:
            return "gone"  # another worker took it
        except (OSError, ValueError) as exc:
            intake.record_failure(entry_id, None, f"unreadable spool entry: {exc}")
            self.spool.fail(entry_id)
            return "failed"
        try:
            try:
                row = intake.process(entry, ctx)
            except IntegrityError:
                # Another box sharing the database claimed the same Message-ID (or made
                # the same person) in the same moment: once more, and it is their duplicate.
                row = intake.process(entry, ctx)
        except (OperationalError, InterfaceError):
            # The database, not the message, is in trouble (locked past the busy timeout,
            # server gone): nothing was committed and the entry stays in new/ for the run
            # loop to take again once the database answers.
            raise
        except Exception:
            error = traceback.format_exc()
            log.error("intake failed spool=%s message-id=%s: %s", entry_id,
                      header_message_id(entry.raw) or "-", error.strip().splitlines()[-1])
            intake.record_failure(entry_id, entry.envelope.to_json(), error)
            self.spool.fail(entry_id)
            return "failed"
        self.spool.done(entry_id)
        return row.action

    def run_once(self, limit: int = 200) -> int:
        """Process what is waiting now; returns how many entries were handled."""
        ids = self.spool.pending(limit)
        if ids:
            ctx = intake.load_context(self.cfg.domain, self.cfg.attachments_dir)
            ctx.authenticate = self.authenticate
            ctx.mailer = self.mailer
            for entry_id in ids:
                if self.stopping:
                    break
                self.process_one(entry_id, ctx)
        return len(ids)

    def housekeeping(self) -> None:
        """Finished log entries and processed spool files past ``retention.hours`` go;
        failed entries and unfinished mail stay."""
        hours = float(settingstore.current("retention.hours", self.cfg.domain))
        purged = self.spool.purge_done(hours * 3600)
        old = clock.now() - timedelta(hours=hours)
        removed = (IncomingMail.delete()
                   .where(IncomingMail.received_at < old, IncomingMail.action != "failed")
                   .execute())
        removed += deliverer.purge_finished()
        if purged or removed:
            log.info("housekeeping: %d spool files and %d log entries past "
                     "retention removed", purged, removed)

    def center_tick(self, now=None) -> dict:
        """The message center's turn: automations for new events, time triggers, and the
        relay of messages nobody has seen in time."""
        now = now or clock.now()
        counts = {}
        engine = Engine(self.mailer)
        # each part on its own: one that fails (a bug, the database) does not stop the rest
        for name, part in (("automations", lambda: engine.process_events(now)),
                           ("scheduled", lambda: scheduler.run(engine, now)),
                           ("relayed", lambda: relay.run(self.mailer, now))):
            try:
                counts[name] = part()
            except Exception:
                log.exception("message center: %s failed; retrying in a second", name)
        if any(counts.values()):
            log.info("message center: %s", " ".join(f"{k}={v}" for k, v in counts.items()))
            self.wake.set()  # new mail in the queue: deliver it now
        return counts

    def deliver_loop(self) -> None:
        """The outgoing queue, in its own thread so slow remote servers never hold up
        intake.  Every second: deliver what is due."""
        while not self.stopping:
            try:
                counts = deliverer.deliver_due(self.cfg)
                if counts["messages"]:
                    summary = " ".join(f"{k}={v}" for k, v in counts.items() if v)
                    log.info("delivery run: %s", summary)
            except Exception:
                log.exception("delivery run failed; retrying in a second")
            self.wake.wait(1.0)
            self.wake.clear()

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        poll = float(self.cfg.get("worker.poll_seconds"))
        log.info("worker started: spool %s", self.spool.root)
        sender = threading.Thread(target=self.deliver_loop, name="delivery", daemon=True)
        sender.start()
        while not self.stopping:
            try:
                handled = self.run_once()
            except Exception:
                # The database itself failed (locked for too long, disk full, server gone):
                # nothing was committed for the entry at hand and its file is still in
                # new/, so wait and take it again rather than exit.
                log.exception("intake run failed; the spool entries stay queued, retrying")
                time.sleep(max(poll, 1.0))
                continue
            if time.monotonic() - self.last_tick >= 1.0 or handled:
                self.last_tick = time.monotonic()
                self.center_tick()
            if time.monotonic() - self.last_captures >= 5:
                self.refresh_captures()
            if time.monotonic() - self.last_housekeeping > 300:
                self.last_housekeeping = time.monotonic()
                self.housekeeping()
            if not handled:
                time.sleep(poll)
        self.wake.set()
        sender.join(timeout=60)
        log.info("worker stopped")
        return 0

    def _stop(self, signum, frame) -> None:
        self.stopping = True
        self.wake.set()


def authenticator(cfg: Config):
    """Sender authentication for intake, through the configured resolver."""
    resolver = resolving.configure(cfg)
    hostname = cfg.get("smtp.hostname")

    def check(entry: Entry) -> AuthResults:
        return authenticate(entry.raw, peer_ip=entry.envelope.peer, helo=entry.envelope.helo,
                            mail_from=entry.envelope.mail_from, resolver=resolver,
                            authserv_id=hostname)
    return check


def run(cfg: Config) -> int:
    open_database(cfg.database)
    worker = Worker(cfg)
    worker.refresh_captures()
    return worker.run()
