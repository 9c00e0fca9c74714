"""A private Postfix instance on loopback: the benchmark's reference MTA and, in tests, a
real forwarding server in front of the box.

It runs from its own config, queue, data and log directories (see ../shared/TESTING.md
for what Postfix insists on), is listed on the default instance's
``alternate_config_directories`` only while it runs, and is stopped and unlisted again by
:meth:`PrivatePostfix.stop` (also a context manager).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

MASTER_SKIP = {"smtp inet", "submission inet", "smtps inet", "maildrop unix", "uucp unix",
               "ifmail unix", "bsmtp unix", "scalemail-backend unix", "mailman unix",
               "postlog unix-dgram"}


class PostfixError(Exception):
    pass


def tool(name: str) -> str:
    found = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin")
    if not found:
        raise PostfixError(f"{name} not found: install Debian's postfix package")
    return found


def available() -> bool:
    try:
        tool("postfix")
        tool("smtp-source")
        return os.path.exists("/etc/postfix/master.cf")
    except PostfixError:
        return False


def run(cmd: list[str], timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if proc.returncode != 0:
        raise PostfixError(f"{' '.join(cmd)} exited {proc.returncode}: "
                           f"{(proc.stderr or proc.stdout).strip()[-2000:]}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise PostfixError(f"timed out after {timeout:.0f}s waiting for {what}")


def master_cf(port: int) -> str:
    """Debian's master.cf services, chroot off, smtpd on our loopback port, postlogd."""
    lines = [f"127.0.0.1:{port} inet n - n - - smtpd"]
    with open("/etc/postfix/master.cf", encoding="utf-8") as fh:
        for line in fh:
            fields = line.split()
            if not fields or line[0] in "# \t" or len(fields) < 8:
                continue
            if " ".join(fields[:2]) in MASTER_SKIP:
                continue
            fields[4] = "n"
            lines.append(" ".join(fields[:8]))
    lines.append("postlog unix-dgram n - n - 1 postlogd")
    return "\n".join(lines) + "\n"


class PrivatePostfix:
    """``main`` adds to or overrides the base main.cf (``{conf}`` in a value stands for the
    config directory); ``maps`` writes lookup tables (name -> text) into the config
    directory, compiled with postmap, for e.g. ``virtual_alias_maps = hash:{conf}/virtual``.
    Without ``root`` the instance lives in a temporary directory of its own, removed on
    stop: Postfix's daemons run as user postfix and must be able to reach it."""

    def __init__(self, root: Path | None = None, main: dict[str, str] | None = None,
                 maps: dict[str, str] | None = None) -> None:
        self.own_root = root is None
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="appliance-postfix-"))
            root.chmod(0o755)
        self.root = root
        self.conf = root / "etc"
        self.queue = root / "queue"
        self.data = root / "data"
        self.logs = root / "log"
        self.mail = root / "mail"
        self.port = free_port()
        self.main = main or {}
        self.maps = maps or {}
        self.registered = False
        self.started = False

    @property
    def log_text(self) -> str:
        path = self.logs / "postfix.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def configure(self) -> None:
        for path in (self.conf, self.queue, self.data, self.logs, self.mail):
            path.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.data, "postfix", "postfix")
        shutil.chown(self.mail, 65534, 65534)
        main = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue),
            "data_directory": str(self.data),
            "maillog_file": str(self.logs / "postfix.log"),
            "maillog_file_prefixes": f"/var, /dev/stdout, {self.logs}",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "myhostname": "postfix-lab.localdomain",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "relayhost": "",
            "alias_maps": "",
            "alias_database": "",
            "smtpd_tls_security_level": "none",
            "smtp_tls_security_level": "none",
            "biff": "no",
            **{k: v.replace("{conf}", str(self.conf)) for k, v in self.main.items()},
        }
        (self.conf / "main.cf").write_text(
            "".join(f"{k} = {v}\n" for k, v in main.items()), encoding="utf-8")
        (self.conf / "master.cf").write_text(master_cf(self.port), encoding="utf-8")
        for name, text in self.maps.items():
            (self.conf / name).write_text(text, encoding="utf-8")
            run([tool("postmap"), f"hash:{self.conf / name}"])
        self._register(True)

    def _alternates(self) -> list[str]:
        value = run([tool("postconf"), "-h", "alternate_config_directories"]).stdout
        return [d for d in value.replace(",", " ").split() if d]

    def _register(self, add: bool) -> None:
        """List (or unlist) our config directory on the default instance, keeping others."""
        dirs = [d for d in self._alternates() if d != str(self.conf)]
        if add:
            dirs.append(str(self.conf))
        run([tool("postconf"), "-e", f"alternate_config_directories = {' '.join(dirs)}"])
        self.registered = add

    def start(self, timeout: float = 60) -> "PrivatePostfix":
        if not self.conf.exists():
            self.configure()
        run([tool("postfix"), "-c", str(self.conf), "start"], timeout=timeout)
        self.started = True

        def listening() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False
        wait_for(listening, timeout, f"postfix on 127.0.0.1:{self.port}")
        return self

    def stop(self) -> None:
        if self.started:
            subprocess.run([tool("postfix"), "-c", str(self.conf), "stop"],
                           capture_output=True, timeout=60)
            pid_file = self.queue / "pid" / "master.pid"

            def gone() -> bool:
                try:
                    os.kill(int(pid_file.read_text().split()[0]), 0)
                    return False
                except (OSError, ValueError, IndexError):
                    return True
            try:
                wait_for(gone, 30, "postfix to stop", 0.1)
            except PostfixError:
                subprocess.run([tool("postfix"), "-c", str(self.conf), "abort"],
                               capture_output=True, timeout=60)
            self.started = False
        if self.registered:
            self._register(False)
        if self.own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "PrivatePostfix":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
