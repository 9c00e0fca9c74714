"""``appliance run`` and ``appliance demo``: every service in the foreground under supervisord.

``appliance run`` stays the parent of supervisord instead of becoming it, so that it can keep
the promises a first start makes: it refuses a busy port before anything starts, says "up"
only once every service answers, stops when a service cannot start (FATAL after
``startretries``) instead of leaving the others running, and stops every service before it
exits on SIGTERM, SIGINT or SIGHUP sent to its own process."""
from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from appliance.config import Config, parse_listen

TEMPLATE = Path(__file__).with_name("supervisord.conf")
SERVICES = ("mta", "worker", "web")
READY_TIMEOUT = 60.0
_PR_SET_PDEATHSIG = 1


class StartError(RuntimeError):
    """The appliance could not start; the message says why and what to change."""


def command_prefix() -> str:
    """How supervisord starts our services: the console script, else this Python."""
    script = shutil.which("appliance")
    here = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if here and here.name == "appliance" and os.access(here, os.X_OK):
        return str(here)
    if script:
        return str(Path(script).resolve())
    return f"{sys.executable} -m appliance"


def check_ports(listens: dict[str, str], hint: Callable[[str], str]) -> None:
    """Refuse to start when a listen address (``{"smtp.listen": "HOST:PORT"}``) cannot be
    bound; ``hint(key)`` says how to choose another one (a command option, or the ini key)."""
    for key, value in listens.items():
        host, port = parse_listen(value, key)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    why = "is already in use by another program"
                elif exc.errno == errno.EACCES:
                    why = "needs privileges to bind (ports below 1024 need root or " \
                          "CAP_NET_BIND_SERVICE)"
                else:
                    why = f"cannot be bound ({exc.strerror})"
                raise StartError(f"port {port} ({key} {host}:{port}) {why}; "
                                 f"{hint(key)}") from None


def _service_user(data_dir: Path) -> int:
    """Services run as the data directory's owner when started as root, else as us."""
    return data_dir.stat().st_uid if os.getuid() == 0 else os.getuid()


def check_service_user(uid: int, gid: int, data_dir: Path) -> None:
    """Started as root for another owner: can that user run us and write the data?"""
    if os.getuid() != 0 or uid == 0:
        return
    probe = "import os, sys; sys.exit(0 if os.access(sys.argv[1], os.W_OK) else 3)"
    try:
        code = subprocess.run([sys.executable, "-c", probe, str(data_dir)], user=uid,
                              group=gid, extra_groups=[], capture_output=True,
                              timeout=30).returncode
    except (OSError, subprocess.SubprocessError) as exc:
        code = str(exc)
    if code == 3:
        raise StartError(f"the services run as the data directory's owner (uid {uid}), "
                         f"who may not write {data_dir}: chown -R it to that user")
    if code != 0:
        raise StartError(f"the services run as the data directory's owner (uid {uid}), "
                         f"who cannot run {os.path.realpath(sys.executable)} ({code}): "
                         f"install the appliance where that user may read it (docs/"
                         f"install.md uses /opt/appliance), or run as that user")


def _die_with_parent() -> None:
    """In the supervisord child: get SIGTERM (a clean shutdown) when ``appliance run`` dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


@dataclass
class Supervisor:
    """One supervisord child and a control connection to it."""
    cfg: Config
    proc: subprocess.Popen | None = None
    password: str = ""
    socket_path: Path | None = None
    copier: threading.Thread | None = None

    def start(self) -> None:
        run_dir = self.cfg.data_dir / "run"
        run_dir.mkdir(exist_ok=True, mode=0o750)
        uid = _service_user(self.cfg.data_dir)
        check_service_user(uid, self.cfg.data_dir.stat().st_gid, self.cfg.data_dir)
        if os.getuid() == 0 and run_dir.stat().st_uid != uid:
            os.chown(run_dir, uid, self.cfg.data_dir.stat().st_gid)
        self.password = secrets.token_urlsafe(24)
        self.socket_path = run_dir / "supervisor.sock"
        env = {**os.environ, "APPLIANCE_CONFIG": str(self.cfg.path.resolve()),
               "APPLIANCE_RUN_DIR": str(run_dir.resolve()), "APPLIANCE_BIN": command_prefix(),
               "APPLIANCE_USER": str(uid), "APPLIANCE_SUPERVISOR_PASSWORD": self.password}
        sys.stdout.flush()
        # The services' output reaches our stdout through a pipe we copy: supervisord's
        # children open /dev/stdout, which for a redirected file would be a new description
        # at offset 0, writing over the banner and each other.
        # The pipe belongs to the services' user, who reopens it as /dev/stdout.
        read_end, write_end = os.pipe()
        if os.getuid() == 0:
            os.fchown(write_end, uid, self.cfg.data_dir.stat().st_gid)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(TEMPLATE)],
            env=env, start_new_session=True, preexec_fn=_die_with_parent,
            stdout=write_end, stderr=subprocess.STDOUT)
        os.close(write_end)
        self.copier = threading.Thread(target=_copy, args=(os.fdopen(read_end, "rb"),),
                                       daemon=True)
        self.copier.start()

    def _rpc(self):
        from supervisor.xmlrpc import SupervisorTransport
        transport = SupervisorTransport("appliance", self.password,
                                        f"unix://{self.socket_path}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def states(self) -> dict[str, dict]:
        """Each service's supervisord state; empty while supervisord is not answering yet."""
        try:
            return {p["name"]: p for p in self._rpc().supervisor.getAllProcessInfo()}
        except (OSError, xmlrpc.client.Error):
            return {}

    def fatal(self, states: dict[str, dict]) -> list[str]:
        return [n for n, p in states.items() if p["statename"] == "FATAL"]

    def wait_ready(self, stopping: Callable[[], bool], timeout: float = READY_TIMEOUT) -> None:
        """Until every service is RUNNING and the MTA and the panel answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not stopping():
            if self.proc.poll() is not None:
                raise StartError(f"supervisord exited with status {self.proc.returncode} "
                                 f"(see {self.cfg.data_dir / 'run' / 'supervisord.log'})")
            states = self.states()
            bad = self.fatal(states)
            if bad:
                raise StartError(_fatal_message(bad, states))
            if (len(states) == len(SERVICES)
                    and all(p["statename"] == "RUNNING" for p in states.values())
                    and smtp_answers(self.cfg) and web_answers(self.cfg)):
                return
            time.sleep(0.2)
        if not stopping():
            raise StartError(f"the services did not all answer within {timeout:.0f} s: "
                             f"{_describe(self.states())}")

    def watch(self, stopping: Callable[[], bool]) -> None:
        """Until asked to stop; a service that can no longer start is an error."""
        while not stopping():
            if self.proc.poll() is not None:
                raise StartError(f"supervisord exited with status {self.proc.returncode}")
            bad = self.fatal(states := self.states())
            if bad:
                raise StartError(_fatal_message(bad, states))
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop supervisord (which stops every service); then make sure none is left."""
        if self.proc is None:
            return
        pids = [p["pid"] for p in self.states().values() if p.get("pid")]
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.copier.join(timeout=5)
        for pid in pids:  # a service that outlived supervisord (it never should)
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _copy(stream) -> None:
    out = sys.stdout.buffer
    for line in iter(stream.readline, b""):
        out.write(line)
        out.flush()


def _describe(states: dict[str, dict]) -> str:
    return ", ".join(f"{n} {p['statename']}" for n, p in sorted(states.items())) or \
        "supervisord is not answering"


def _fatal_message(bad: list[str], states: dict[str, dict]) -> str:
    spawn = "; ".join(f"{n}: {states[n]['spawnerr']}" for n in bad if states[n].get("spawnerr"))
    why = f"supervisord says {spawn}" if spawn else "its own error is printed above"
    return (f"{', '.join(bad)} could not start and gave up after its retries ({why}); "
            f"every service is stopped [{_describe(states)}]")


def smtp_answers(cfg: Config) -> bool:
    try:
        with socket.create_connection(cfg.connect_to("smtp.listen"), timeout=2) as sock:
            sock.settimeout(2)
            ok = sock.recv(512).startswith(b"220")
            sock.sendall(b"QUIT\r\n")
            return ok
    except OSError:
        return False


def web_answers(cfg: Config) -> bool:
    host, port = cfg.connect_to("web.listen")
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def run(cfg: Config, hint: Callable[[str], str] | None = None,
        ready: Callable[[], None] | None = None) -> int:
    """Start everything; call ``ready`` once every service answers; return when stopped."""
    ini = cfg.path.resolve()
    check_ports({k: cfg.get(k) for k in ("smtp.listen", "web.listen")},
                hint or (lambda key: "change [{}] {} in {}".format(*key.split("."), ini)))
    stop_signal: list[int] = []

    def on_signal(signum, frame) -> None:
        stop_signal.append(signum)

    previous = {s: signal.signal(s, on_signal)
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    sup = Supervisor(cfg)
    try:
        sup.start()
        sup.wait_ready(lambda: bool(stop_signal))
        if not stop_signal:
            if ready:
                ready()
            else:
                print(f"appliance: every service is up ({_describe(sup.states())}); "
                      f"stop with Ctrl-C or SIGTERM", flush=True)
            sup.watch(lambda: bool(stop_signal))
    finally:
        sup.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0
