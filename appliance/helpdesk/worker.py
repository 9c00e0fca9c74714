"""``appliance worker``: takes spool entries in arrival order and runs intake on each.

After an entry's transaction commits its file moves to ``done/``; an entry whose intake
raises is logged as failed and moved to ``failed/`` (``appliance mail retry`` brings it
back).  A fault of the machine (disk full, I/O error, no memory or files: see
:mod:`appliance.helpdesk.faults`) is no failure of the mail: the entry waits in
``waiting/`` and is tried again by itself.  SIGTERM finishes the current entry and exits.

Before every batch, and after each entry's transaction commits but before its file moves
on, the worker checks that its SQLite file is still the one it opened
(:func:`~appliance.helpdesk.database.database_problem`): a deleted or replaced file means
the commit went where nobody will read it, so the worker stops with the reason and leaves
the entry in ``new/`` (intake is idempotent by spool id: the restarted worker, on the
restored file, processes it).
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
from datetime import timedelta
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from peewee import IntegrityError, InterfaceError, OperationalError

from appliance import clock, dnsresolver, resolving
from appliance.mailids import header_message_id
from appliance.config import Config, ConfigError
from appliance.helpdesk import (capture, dialect, faults, intake, relay, scheduler,
                                settingstore, turn)
from appliance.helpdesk.automations import Engine
from appliance.outbound.mailer import Mailer
from appliance.helpdesk.database import database_problem, open_database
from appliance.helpdesk.models import IncomingMail
from appliance.outbound import queue, runner
from appliance.mta import limits
from appliance.mta.auth import AuthResults, authenticate
from appliance.mta.spool import NEW, Doorbell, Entry, Spool, arrived_ns
from appliance.processes import die_with_parent
from appliance.statuses import IncomingAction

log = logging.getLogger("appliance.worker")
FULL_BELOW = 1 << 20   # bytes free under which a database that cannot open means: disk full
PART_ENV = "APPLIANCE_WORKER_PART"       # "I/N": this process is intake worker I of N
PARENT_ENV = "APPLIANCE_WORKER_PARENT"   # the center's pid, which the worker dies with
ALL, INTAKE, CENTER = "all", "intake", "center"
BATCH = 16   # spool entries filed in one transaction


class DatabaseGone(Exception):
    """The database file was deleted or replaced under the running worker."""

    def __str__(self) -> str:
        return (f"{self.args[0]} while the worker ran; stopping so no mail is lost (the "
                f"spool entries stay queued in new/): restore it or restart")


def check_database() -> None:
    problem = database_problem()
    if problem:
        raise DatabaseGone(problem)


def process_count(cfg: Config) -> int:
    """``worker.processes``: a number of intake workers, or ``auto`` for one per core."""
    value = cfg.get("worker.processes").strip().lower()
    count = (os.cpu_count() or 1) if value == "auto" else cfg.getint("worker.processes")
    if count < 1:
        raise ConfigError(f"{cfg.path}: worker.processes must be 1 or more, or auto, "
                          f"not {value}")
    return min(count, 32)


class Worker:
    """``role``: ``all`` (one process does everything), ``intake`` (worker ``part`` of
    ``parts``: only its share of the spool) or ``center`` (no intake: the message
    center, delivery and housekeeping, and the intake workers' keeper)."""

    def __init__(self, cfg: Config, role: str = ALL, part: int = 0, parts: int = 1) -> None:
        self.cfg = cfg
        self.role, self.part, self.parts = role, part, parts
        self.spool = Spool(cfg.spool_dir).ensure()
        self.center_bell = Doorbell(self.spool.root, "center")
        self.children: IntakeWorkers | None = None
        self.stopping = False
        self.last_housekeeping = 0.0
        self.authenticate = authenticator(cfg)
        self.wake = threading.Event()
        self.mailer = Mailer(cfg)
        self.last_tick = 0.0
        self.last_captures = 0.0
        self.exported: dict[str, str] | None = None
        self.retry_seconds = cfg.getint("worker.retry_seconds")
        self.faults: dict[str, int] = {}   # spool id -> transient faults met so far
        self.rung = False
        self.known: dict = {}   # spool id -> its Message-ID and the ids it answers
        self.auth_pool: ThreadPoolExecutor | None = None   # AuthAhead's, made once
        self.burst_wait = cfg.getfloat("worker.burst_wait_seconds")
        if not 0 <= self.burst_wait <= 60:
            raise ConfigError(f"{cfg.path}: worker.burst_wait_seconds must be 0 to 60, "
                              f"not {self.burst_wait:g}")
        self.in_burst = False   # leaving the CPU to the MTA (run_once said so)
        self.burst_oldest_ns = 0   # the burst's oldest arrival, at the last full look
        self.burst_seen_ns = 0     # new/'s mtime at that look
        self.burst_said = -60.0   # when the log last said a burst was arriving

    def auth_threads(self) -> ThreadPoolExecutor:
        """The threads that authenticate ahead, started once and kept: started anew for
        each run of 200 entries, each new thread waited for the interpreter lock that
        the already busy ones held, while intake waited for the first result."""
        if self.auth_pool is None:
            self.auth_pool = ThreadPoolExecutor(AuthAhead.WINDOW, thread_name_prefix="auth")
            # every thread up now, while nothing else runs: each task waits for the
            # others, so none can be taken by a thread already started
            everyone = threading.Barrier(AuthAhead.WINDOW + 1)
            for _ in range(AuthAhead.WINDOW):
                self.auth_pool.submit(everyone.wait, 10)
            everyone.wait(10)
        return self.auth_pool

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
            if faults.transient_reason(exc):
                return self.set_aside(entry_id, None, exc)
            intake.record_failure(entry_id, None, f"unreadable spool entry: {exc}")
            check_database()
            self.spool.fail(entry_id)
            return "failed"
        try:
            try:
                row = intake.process(entry, ctx)
            except IntegrityError:
                # Another box sharing the database claimed the same Message-ID (or made
                # the same person) in the same moment: once more, and it is their duplicate.
                row = intake.process(entry, ctx)
        except Exception as exc:
            if faults.transient_reason(exc):
                return self.set_aside(entry_id, entry, exc)
            if isinstance(exc, (OperationalError, InterfaceError)):
                # The database, not the message, is in trouble (locked past the busy
                # timeout, server gone): nothing was committed and the entry stays in
                # new/ for the run loop to take again once the database answers.
                raise
            error = traceback.format_exc()
            log.error("intake failed spool=%s message-id=%s: %s", entry_id,
                      header_message_id(entry.raw) or "-", error.strip().splitlines()[-1])
            intake.record_failure(entry_id, entry.envelope.to_json(), error, raw=entry.raw)
            check_database()
            self.faults.pop(entry_id, None)
            self.spool.fail(entry_id)
            return "failed"
        check_database()   # committed into the file the box reads, not a deleted one
        self.faults.pop(entry_id, None)
        self.spool.done(entry_id)
        return row.action

    def set_aside(self, entry_id: str, entry: Entry | None, exc: BaseException) -> str:
        """A fault of the machine: nothing was committed; the entry waits in ``waiting/``
        and goes back to ``new/`` by itself after the backoff.  The incoming log shows it
        as ``failed`` with the reason and when it is tried again (when the database
        itself is full that record may not be written: the worker's log has it)."""
        why = faults.transient_reason(exc)
        attempt = self.faults[entry_id] = self.faults.get(entry_id, 0) + 1
        delay = faults.retry_delay(self.retry_seconds, attempt)
        until = clock.now() + timedelta(seconds=delay)
        reason = (f"Waiting: {why}. That is the machine's fault, not the mail's: it is "
                  f"retried automatically (next attempt at {clock.iso(until)}, then every "
                  f"{int(faults.retry_delay(self.retry_seconds, 2))} s until it goes "
                  f"through; appliance mail retry tries it at once).")
        log.error("intake of spool=%s met a fault of the machine (attempt %d): %s; "
                  "retried automatically in %d s", entry_id, attempt, why, delay)
        try:
            intake.record_failure(entry_id, entry.envelope.to_json() if entry else None,
                                  "".join(traceback.format_exception(exc)), reason,
                                  raw=entry.raw if entry else None)
        except Exception as record_exc:
            log.error("could not record spool=%s as waiting in the incoming log: %s",
                      entry_id, record_exc)
        check_database()
        try:
            self.spool.wait(entry_id, until)
        except OSError as move_exc:
            # Left in new/: the run loop takes it again after its pause.
            log.error("could not set spool=%s aside: %s", entry_id, move_exc)
            raise
        return "waiting"

    def run_once(self, limit: int = 200) -> int:
        """Process what is waiting now; returns how many entries were handled.  The
        sender authentication (DNS) of the next entries runs ahead in threads, so lookups
        of different messages wait together, not one message after another."""
        check_database()
        if self.role != INTAKE:
            for entry_id in self.spool.release_due(clock.now()):
                log.info("spool=%s tried again after a fault of the machine", entry_id)
        if self.role == CENTER:
            return 0
        if self.still_arriving():
            return 0
        changed = self.spool.changed_ns()   # before listing: a later arrival moves it
        ids = self.spool.pending()
        if self.wait_for_pause(ids, changed):
            return 0
        ids = self.spool.mine(ids, self.part, self.parts, limit, self.known)
        if ids:
            ctx = intake.load_context(self.cfg.domain, self.cfg.attachments_dir)
            ctx.mailer = self.mailer
            with AuthAhead(self.spool, ids, self.authenticate, self.auth_threads()) as ahead:
                ctx.authenticate = ahead.result
                for start in range(0, len(ids), BATCH):
                    if self.stopping:
                        break
                    self.process_batch(ids[start:start + BATCH], ctx)
        return len(ids)

    def still_arriving(self) -> bool:
        """In a burst, between full looks: ``new/`` changed since the last look (every
        arrival moves its mtime) and the oldest may still wait, so there is no pause to
        find yet and its thousands of names are not listed again (1 ms at 2,000, every
        :data:`QUIET_NS`, per intake worker)."""
        if not self.in_burst:
            return False
        changed = self.spool.changed_ns()
        if changed == self.burst_seen_ns:
            return False
        if clock.now_ns() - self.burst_oldest_ns >= self.burst_wait * 1e9:
            return False
        self.burst_seen_ns = changed
        return True

    def wait_for_pause(self, ids: list[str], changed: int = 0) -> bool:
        """True while a burst arrives (:func:`in_a_burst`): intake then files nothing and
        the run loop looks again after :data:`QUIET_NS`, so the MTA has the CPU to answer
        senders; said in the log at most once a minute.  ``changed``: ``new/``'s mtime
        when ``ids`` were listed (:meth:`still_arriving`)."""
        burst = in_a_burst(ids, clock.now_ns(), self.burst_wait)
        if burst:
            self.burst_oldest_ns, self.burst_seen_ns = arrived_ns(ids[0]), changed
        if burst and not self.in_burst and time.monotonic() - self.burst_said > 60:
            self.burst_said = time.monotonic()   # a long stream waits and files in turns
            log.info("a burst is arriving (%d waiting): filing waits for a pause in it, "
                     "at most %g s after the oldest came", len(ids), self.burst_wait)
        self.in_burst = burst
        return burst

    def pause(self, poll: float) -> None:
        """Between runs with nothing filed: a burst's pause is looked for every
        :data:`QUIET_NS` (its doorbell rings all the time), else the doorbell is waited
        for up to ``poll`` seconds."""
        if self.in_burst:
            time.sleep(QUIET_NS / 1e9)
        else:
            self.spool.doorbell.wait(poll)   # at once when the MTA rings

    def process_batch(self, entry_ids: list[str], ctx: intake.IntakeContext) -> None:
        """Entries in one transaction (:func:`intake.process_batch`); any entry the batch
        could not take, and the whole batch when it fails, go through
        :meth:`process_one` one by one, which knows every way an entry can fail."""
        entries = []
        for entry_id in entry_ids:
            try:
                entries.append(self.spool.read(entry_id))
            except FileNotFoundError:
                continue   # another worker took it
            except (OSError, ValueError):
                self.process_one(entry_id, ctx)
        if len(entries) < 2:
            for entry in entries:
                self.process_one(entry.id, ctx)
            return
        try:
            with turn.turn():
                results = intake.process_batch(entries, ctx)
        except Exception as exc:
            log.info("a batch of %d entries went back to one at a time: %s", len(entries),
                     f"{type(exc).__name__}: {exc}"[:300])
            results = [(entry, None) for entry in entries]
        else:
            check_database()   # committed into the file the box reads, not a deleted one
        for entry, row in results:
            if row is None:
                self.process_one(entry.id, ctx)
            else:
                self.faults.pop(entry.id, None)
                self.spool.done(entry.id)

    def housekeeping(self) -> None:
        """Finished log entries and processed spool files past ``retention.hours`` go;
        failed entries and unfinished mail stay."""
        hours = settingstore.value("retention.hours", self.cfg.domain)
        purged = self.spool.purge_done(hours * 3600)
        old = clock.now() - timedelta(hours=hours)
        removed = (IncomingMail.delete()
                   .where(IncomingMail.received_at < old,
                          IncomingMail.action != IncomingAction.FAILED)
                   .execute())
        removed += queue.purge_finished(hours=hours)
        if purged or removed:
            log.info("housekeeping: %d spool files and %d log entries past "
                     "retention removed", purged, removed)

    def center_tick(self, now=None) -> dict:
        """The message center's turn: automations for new events, time triggers, and the
        relay of messages nobody has seen in time."""
        now = now or clock.now()
        counts = {}
        engine = Engine(self.mailer)
        with turn.turn():
            return self._center_parts(engine, now, counts)

    def _center_parts(self, engine: Engine, now, counts: dict) -> dict:
        # each part on its own: one that fails (a bug, the database) does not stop the rest
        for name, part in (("automations", lambda: engine.process_events(now)),
                           ("scheduled", lambda: scheduler.run(engine, now)),
                           ("closed", lambda: scheduler.close_resolved(engine, now)),
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
                # no delivery status written into a deleted file: the main loop stops
                counts = ({"messages": 0} if database_problem()
                          else runner.deliver_due(self.cfg))
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
        who = f"intake worker {self.part + 1}/{self.parts}" if self.role == INTAKE else \
            "worker"
        if self.role == CENTER:
            self.center_bell.listen()
        elif not self.spool.doorbell.listen(self.part):
            log.info("another worker hears this spool's doorbell: this one polls every "
                     "%.2f s", poll)
        log.info("%s started: spool %s%s", who, self.spool.root,
                 f", {self.children.count} intake workers" if self.children else "")
        sender = None
        if self.role != INTAKE:
            sender = threading.Thread(target=self.deliver_loop, name="delivery", daemon=True)
            sender.start()
        if self.children:
            self.children.start_all()
        code = 0
        while not self.stopping:
            try:
                handled = self.run_once()
            except DatabaseGone as exc:
                log.error("%s", exc)
                code = 1
                break
            except Exception:
                # The database itself failed (locked for too long, disk full, server gone):
                # nothing was committed for the entry at hand and its file is still in
                # new/, so wait and take it again rather than exit.
                log.exception("intake run failed; the spool entries stay queued, retrying")
                time.sleep(max(poll, 1.0))
                continue
            if self.role == INTAKE:
                if handled:
                    self.center_bell.ring()   # automations for what was just filed
                else:
                    self.pause(poll)
                continue
            if time.monotonic() - self.last_tick >= 1.0 or handled or self.rung:
                self.last_tick = time.monotonic()
                self.center_tick()
            self.rung = False
            if time.monotonic() - self.last_captures >= 5:
                self.refresh_captures()
            if time.monotonic() - self.last_housekeeping > 300:
                self.last_housekeeping = time.monotonic()
                try:
                    self.housekeeping()
                except Exception:   # a locked database at start-up once ended the worker
                    log.exception("housekeeping failed; trying again in five minutes")
            if self.children:
                self.children.keep()
                self.rung = self.center_bell.wait(min(poll * 5, 1.0))
            elif not handled:
                self.pause(poll)
        self.stopping = True
        self.wake.set()
        if self.children:
            self.children.stop()
        self.spool.doorbell.close()
        self.center_bell.close()
        if sender is not None:
            sender.join(timeout=60)
        if self.auth_pool is not None:
            self.auth_pool.shutdown(wait=False, cancel_futures=True)
        log.info("%s stopped", who)
        return code

    def _stop(self, signum, frame) -> None:
        """SIGTERM and SIGINT.  Takes no lock: Python runs the handler in the main thread
        between two of its steps, maybe inside ``self.wake.set()``, whose lock a second
        ``set()`` here would wait for forever (an intake worker hung so, SIGTERM'd by its
        dead center).  The run loop sets ``wake`` once it has ended."""
        self.stopping = True
        # out of its wait at once, whatever the poll interval (a datagram: no lock)
        (self.center_bell if self.role == CENTER else self.spool.doorbell).ring()


class IntakeWorkers:
    """The center's intake workers: ``appliance worker`` processes started with their
    share in the environment, started again when one dies (at most every 5 s each), and
    stopped with the center (SIGTERM, then SIGKILL after 60 s)."""

    RESTART_AFTER = 5.0

    def __init__(self, cfg: Config, count: int) -> None:
        self.cfg, self.count = cfg, count
        self.procs: list[subprocess.Popen | None] = [None] * count
        self.started = [0.0] * count

    def _start(self, index: int) -> None:
        env = {**os.environ, PART_ENV: f"{index}/{self.count}", PARENT_ENV: str(os.getpid())}
        self.procs[index] = subprocess.Popen(
            [sys.executable, "-P", "-m", "appliance", "worker", "-c", str(self.cfg.path)],
            env=env, stdin=subprocess.DEVNULL)
        self.started[index] = time.monotonic()

    def start_all(self) -> None:
        for index in range(self.count):
            self._start(index)

    def keep(self) -> None:
        """Start again the intake workers that exited."""
        for index, proc in enumerate(self.procs):
            if proc is None or proc.poll() is None:
                continue
            if time.monotonic() - self.started[index] < self.RESTART_AFTER:
                continue
            log.error("intake worker %d/%d (pid %d) exited with code %s; starting it again",
                      index + 1, self.count, proc.pid, proc.returncode)
            self._start(index)

    def stop(self) -> None:
        running = [p for p in self.procs if p is not None and p.poll() is None]
        for proc in running:
            proc.terminate()
        deadline = time.monotonic() + 60
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class AuthAhead:
    """Authenticates spool entries ahead of intake, in threads.

    One message needs about five TXT lookups (SPF and its includes, the DKIM key, DMARC,
    HELO), about 200 ms against a DNS server answering in 50 ms; done one message after
    another that allowed 3.5 tickets/s, and :data:`WINDOW` of them at a time allow that
    many times as much (16 held intake to about 55 tickets/s in ``bench/dns_intake.py``,
    64 let it go as fast as its CPU).  The window also stops at :data:`WINDOW_BYTES` of
    messages (each thread holds one), and keeps order: intake still takes entries one by
    one and asks :meth:`result`, which waits for that entry's authentication or, for an
    entry not prepared ahead, runs it there."""

    WINDOW = 64
    WINDOW_BYTES = 64 << 20

    def __init__(self, spool: Spool, ids: list[str], authenticate,
                 pool: ThreadPoolExecutor) -> None:
        from collections import deque
        self.spool, self.authenticate = spool, authenticate
        self.todo = deque(ids)
        self.pool = pool
        self.futures: dict[str, tuple[object, int]] = {}
        self.held = 0   # bytes of the messages in the window
        self._fill()

    def _ahead(self, entry_id: str) -> AuthResults | None:
        try:
            entry = self.spool.read(entry_id)
        except (OSError, ValueError):
            return None   # intake finds out and records why
        return self.authenticate(Entry(entry.id, entry.envelope,
                                       limits.bound(entry.raw).raw))

    def _fill(self) -> None:
        while self.todo and len(self.futures) < self.WINDOW and \
                (self.held < self.WINDOW_BYTES or not self.futures):
            entry_id = self.todo.popleft()
            try:
                size = os.stat(self.spool.root / NEW / entry_id).st_size
            except OSError:
                size = 0   # gone or unreadable: intake finds out
            self.futures[entry_id] = (self.pool.submit(self._ahead, entry_id), size)
            self.held += size

    def result(self, entry: Entry) -> AuthResults:
        future, size = self.futures.pop(entry.id, (None, 0))
        self.held -= size
        self._fill()
        results = None
        if future is not None:
            try:
                results = future.result()
            except Exception:
                log.exception("authentication ahead failed spool=%s; once more", entry.id)
        return results if results is not None else self.authenticate(entry)

    def __enter__(self) -> "AuthAhead":
        return self

    def __exit__(self, *exc) -> None:
        self.todo.clear()
        for future, _ in self.futures.values():
            future.cancel()   # one already running only reads its entry: let it end


def authenticator(cfg: Config):
    """Sender authentication for intake, through the configured resolver.  One message
    is authenticated at once against an empty table: what the checks load on first use
    (modules, the public suffix list) is loaded here, not by many threads at once."""
    resolver = resolving.configure(cfg)
    hostname = cfg.get("smtp.hostname")
    authenticate(b"From: <warm-up@example.com>\r\nDKIM-Signature: v=1; d=example.com; s=s;"
                 b" a=rsa-sha256; h=from; bh=; b=\r\n\r\n", peer_ip="192.0.2.1",
                 helo="example.com", mail_from="warm-up@example.com",
                 resolver=dnsresolver.TableResolver({}), authserv_id=hostname)

    def check(entry: Entry) -> AuthResults:
        return authenticate(entry.raw, peer_ip=entry.envelope.peer, helo=entry.envelope.helo,
                            mail_from=entry.envelope.mail_from, resolver=resolver,
                            authserv_id=hostname)
    return check


# Entries waiting that make a burst.  At 50, intake still filed about 40 of a 2,000-message
# burst beside the MTA (each batch it took grew while it filed the one before) and the MTA
# accepted 1.11x Postfix's rate; at 10 it files a handful, and the MTA 1.24x (two runs of
# bench/smtp_throughput.py --rounds 3).  A trickle never has 10 waiting.
BURST_SIZE = 10
QUIET_NS = 50_000_000    # a pause in arrivals this long (50 ms) ends one


def in_a_burst(ids: list[str], now_ns: int, longest: float) -> bool:
    """Whether intake should leave the CPU to the MTA now: :data:`BURST_SIZE` or more
    entries wait (``ids``, oldest first), the newest came less than :data:`QUIET_NS` ago
    and the oldest less than ``longest`` seconds ago.

    Filing beside a burst took the CPU the MTA needed to answer senders (on two cores
    the MTA accepted about 1.0x Postfix's rate while the worker filed, 1.4x alone);
    the spool holds the mail durably, so filing a few seconds later loses nothing.  The
    bound keeps a long stream from starving intake: once the oldest has waited
    ``longest``, intake files whatever the MTA is doing.  A trickle never waits (fewer
    waiting), nor does a backlog the MTA is not adding to (no recent arrival); a clock
    behind the ids (a test's frozen clock) counts as no burst."""
    if longest <= 0 or len(ids) < BURST_SIZE:
        return False
    newest, oldest = now_ns - arrived_ns(ids[-1]), now_ns - arrived_ns(ids[0])
    return 0 <= newest < QUIET_NS and oldest < longest * 1e9


def lower_priority(cfg: Config) -> None:
    """``worker.nice``: the MTA answers senders first when both want the CPU.  The worker
    runs at this nice value or a lower priority (the intake workers a center starts
    inherit it): a service manager that started it lower already (systemd's ``Nice=``)
    is left alone, and where the process may not change its priority (the unit's system
    call filter refuses ``setpriority``) it says so and goes on.  Leading a session of
    its own (under systemd, or started by hand), the worker also sets its session's
    autogroup to that nice value: the kernel shares CPU time between sessions first, so
    a nice value inside one counted for nothing against the MTA's session."""
    target = cfg.getint("worker.nice")
    if not 0 <= target <= 19:
        raise ConfigError(f"{cfg.path}: worker.nice must be 0 to 19, not {target}")
    if not target or os.environ.get(PART_ENV):
        return
    try:
        if os.getpriority(os.PRIO_PROCESS, 0) < target:
            os.setpriority(os.PRIO_PROCESS, 0, target)
    except OSError as exc:
        log.warning("cannot lower the worker's CPU priority to nice %d (%s): in a burst it "
                    "shares the CPU with the MTA evenly; set it where the worker is started "
                    "(the systemd unit's Nice=)", target, exc.strerror or exc)
    if os.getsid(0) == os.getpid():
        try:
            with open("/proc/self/autogroup", "w") as fh:
                fh.write(str(target))
        except OSError:
            pass   # no autogroups in this kernel, or sessions share CPU by cgroups instead


def run(cfg: Config) -> int:
    lower_priority(cfg)
    share = os.environ.get(PART_ENV, "")
    if share:   # an intake worker the center started
        die_with_parent(int(os.environ.get(PARENT_ENV, "0")))
        part, parts = (int(x) for x in share.split("/"))
        open_when_there_is_room(cfg)
        return Worker(cfg, INTAKE, part, parts).run()
    count = process_count(cfg)
    open_when_there_is_room(cfg)
    if count == 1:
        worker = Worker(cfg)
    else:
        worker = Worker(cfg, CENTER)
        worker.children = IntakeWorkers(cfg, count)
    worker.refresh_captures()
    return worker.run()


def open_when_there_is_room(cfg: Config) -> None:
    """Open the database; on a full disk (SQLite cannot make its -wal and -shm) wait for
    space rather than exit, so the worker that supervisord or systemd starts does not give
    up for good: the mail waiting in the spool goes through once space returns."""
    while True:
        try:
            open_database(cfg.database, create=False)
            return
        except ConfigError:
            file = Path(cfg.database)
            if dialect.is_url(cfg.database) or not file.is_file() \
                    or shutil.disk_usage(file.parent).free >= FULL_BELOW:
                raise   # missing, unreadable, PostgreSQL: the error says what to do
        log.error("the disk of the database %s is full: waiting for space, tried again "
                  "automatically every %d s", cfg.database, cfg.getint("worker.retry_seconds"))
        time.sleep(cfg.getint("worker.retry_seconds"))
