"""The systemd units and the supervisord configuration: both pass their tools' checks, and
the services really run under the units' MemoryDenyWriteExecute (the kernel's PR_SET_MDWE)."""
from __future__ import annotations

import contextlib

import json
import os
import re
import shutil
import smtplib
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from conftest import DOMAIN, ROOT, message, wait_for, wait_port

UNITS = ROOT / "systemd"
SERVICES = ("appliance-mta.service", "appliance-worker.service", "appliance-web.service")
INSTALLED_BIN = "/opt/appliance/bin/appliance"


def unit_keys(name: str) -> dict[str, list[str]]:
    """Every Key=value of a unit (keys may repeat, as systemd allows)."""
    keys: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def staged_units(tmp_path: Path) -> Path:
    """The units with ExecStart pointing at an executable that exists here (verify checks
    it); everything else unchanged."""
    out = tmp_path / "units"
    out.mkdir()
    exe = shutil.which("appliance") or sys.executable
    for unit in UNITS.iterdir():
        (out / unit.name).write_text(unit.read_text().replace(INSTALLED_BIN, exe))
    return out


@pytest.mark.parametrize("name", SERVICES)
def test_unit_runs_as_the_service_user_hardened(name):
    keys = unit_keys(name)
    assert keys["User"] == ["appliance"] and keys["Group"] == ["appliance"]
    assert keys["ExecStart"][0].startswith(f"{INSTALLED_BIN} {name.split('-')[1][:-8]} -c ")
    assert keys["Restart"] == ["on-failure"]
    assert keys["KillSignal"] == ["SIGTERM"]
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                       ("ReadWritePaths", "/var/lib/appliance"), ("ProtectHome", "yes"),
                       ("PrivateTmp", "yes"), ("PrivateDevices", "yes"),
                       ("MemoryDenyWriteExecute", "yes"), ("LockPersonality", "yes"),
                       ("RestrictNamespaces", "yes"), ("UMask", "0077"),
                       ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"),
                       ("ProtectKernelLogs", "yes")):
        assert keys[key] == [value], key
    assert "@system-service" in keys["SystemCallFilter"]
    assert keys["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert keys["PartOf"] == ["appliance.target"]
    assert keys["WantedBy"] == ["appliance.target"]
    if name == "appliance-mta.service":
        # port 25 through one capability, never root
        assert keys["AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]
        assert keys["CapabilityBoundingSet"] == ["CAP_NET_BIND_SERVICE"]
    else:
        assert keys["CapabilityBoundingSet"] == [""]
        assert keys["PrivateUsers"] == ["yes"]


def test_target_pulls_in_every_service():
    keys = unit_keys("appliance.target")
    assert keys["Wants"][0].split() == list(SERVICES)
    assert keys["WantedBy"] == ["multi-user.target"]


def test_stop_signals_agree_with_supervisord():
    """systemd and supervisord stop each service with the same signal."""
    from configparser import RawConfigParser
    parser = RawConfigParser()
    parser.read(ROOT / "config" / "supervisord.conf")
    for name in SERVICES:
        program = name.split("-")[1].split(".")[0]
        assert "SIG" + parser.get(f"program:{program}", "stopsignal") == \
            unit_keys(name)["KillSignal"][0]


systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                     reason="systemd-analyze missing (apt-get install systemd)")


@systemd_analyze
def test_systemd_analyze_verify(tmp_path):
    units = staged_units(tmp_path)
    proc = subprocess.run(["systemd-analyze", "verify",
                           *sorted(str(p) for p in units.iterdir())],
                          capture_output=True, text=True, timeout=60)
    # "Special user ... not safe" and missing-user lines would show up here too
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


def exposure(units: Path, name: str) -> float:
    proc = subprocess.run(["systemd-analyze", "security", "--offline=true",
                           str(units / name)], capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", proc.stdout)
    assert found, proc.stdout + proc.stderr
    return float(found.group(1))


@systemd_analyze
def test_systemd_analyze_security_matches_the_docs(tmp_path):
    """docs/install.md states each unit's exposure; the units must not get worse."""
    units = staged_units(tmp_path)
    doc = (ROOT / "docs" / "install.md").read_text()
    for name in SERVICES:
        stated = re.search(rf"\| `{re.escape(name)}` \| ([0-9.]+) ", doc)
        assert stated, f"docs/install.md lacks the exposure of {name}"
        assert exposure(units, name) <= float(stated.group(1)), name


def test_supervisord_config_is_the_one_in_config():
    """config/supervisord.conf is the one source; the checkout's package reads it through a
    link, and the installed package carries the same text."""
    packaged = ROOT / "appliance" / "supervisord.conf"
    from appliance import supervise
    assert packaged.resolve() == (ROOT / "config" / "supervisord.conf").resolve()
    assert supervise.TEMPLATE.read_text() == (ROOT / "config" / "supervisord.conf").read_text()


def test_supervisord_accepts_the_config(tmp_path, monkeypatch):
    """What ``supervisord -c FILE`` checks before it starts anything (ServerOptions.realize)."""
    from supervisor.options import ServerOptions
    monkeypatch.setenv("APPLIANCE_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("APPLIANCE_CONFIG", str(tmp_path / "appliance.ini"))
    monkeypatch.setenv("APPLIANCE_BIN", "/opt/appliance/bin/appliance")
    monkeypatch.setenv("APPLIANCE_USER", str(os.getuid()))
    monkeypatch.setenv("APPLIANCE_SUPERVISOR_PASSWORD", "s3cret")
    options = ServerOptions()
    options.realize(args=["-c", str(ROOT / "config" / "supervisord.conf")])
    assert options.uid == os.getuid()   # never "running as root without a user" (CRIT)
    [server] = options.server_configs
    assert (server["username"], server["password"]) == ("appliance", "s3cret")
    assert server["chmod"] == 0o700
    programs = {p.name: p for g in options.process_group_configs for p in g.process_configs}
    assert set(programs) == {"mta", "worker", "web"}
    for name, program in programs.items():
        assert program.command.startswith(f"/opt/appliance/bin/appliance {name} -c ")
        assert program.autorestart and program.stopwaitsecs >= 10
        assert program.startretries == 3   # then FATAL, and `appliance run` stops
    assert programs["mta"].stopasgroup and programs["mta"].killasgroup


MDWE_START = """
import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, REFUSE_EXEC_GAIN
    sys.exit(97)
os.execv(sys.executable, [sys.executable, "-m", "appliance", *sys.argv[1:]])
"""


def mdwe_supported() -> bool:
    proc = subprocess.run([sys.executable, "-c", MDWE_START, "--version"], capture_output=True)
    return proc.returncode == 0


@contextlib.contextmanager
def services_under(box, start: str, tag: str, env: dict | None = None):
    """The MTA, worker and web service of ``box``, each started by ``start`` (Python that
    sets up the rule, then runs the service); yields their processes, logs in
    ``SERVICE.TAG.log``.  On leaving, SIGTERM: every one must then exit 0."""
    procs = []
    try:
        for service in ("mta", "worker", "web"):
            log = open(box.root / f"{service}.{tag}.log", "ab")
            procs.append(subprocess.Popen(
                [sys.executable, "-c", start, service, "-c", str(box.ini)], env=env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        wait_port(box.smtp_port, proc=procs[0])
        wait_port(box.web_port, proc=procs[2])
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
        codes = [proc.wait(timeout=60) for proc in procs]
    assert codes == [0, 0, 0], [(box.root / f"{s}.{tag}.log").read_text()[-2000:]
                                for s in ("mta", "worker", "web")]


def test_services_work_with_memory_deny_write_execute(box):
    """MemoryDenyWriteExecute=yes in the units: the services must never need W+X memory.
    PR_SET_MDWE (Linux 6.3+) is the kernel's same rule, kept across fork and exec."""
    if not mdwe_supported():
        pytest.skip("kernel without PR_SET_MDWE")
    with services_under(box, MDWE_START, "mdwe"):
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            smtp.starttls()  # TLS handshake under the rule as well
            smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"], message())
        wait_for(lambda: box.json("items", "list"), timeout=15)
        health = urllib.request.urlopen(f"http://127.0.0.1:{box.web_port}/healthz", timeout=5)
        assert json.loads(health.read())["database"] == "ok"


# The units' SystemCallFilter=~@resources (SystemCallErrorNumber=EPERM) as a seccomp
# filter of our own (x86_64): what systemd's @resources set holds answers EPERM.
RESOURCES_X86_64 = {"setpriority": 141, "sched_setparam": 142, "sched_setscheduler": 144,
                    "setrlimit": 160, "sched_setaffinity": 203, "mbind": 237,
                    "set_mempolicy": 238, "ioprio_set": 251, "migrate_pages": 256,
                    "move_pages": 279, "sched_setattr": 314}
FILTER_START = """
import ctypes, os, struct, sys
numbers = [int(n) for n in os.environ["SECCOMP_DENY"].split(",")]
ld_arch, ld_nr = (0x20, 0, 0, 4), (0x20, 0, 0, 0)
allow, eperm = (0x06, 0, 0, 0x7fff0000), (0x06, 0, 0, 0x00050000 | 1)
prog = [ld_arch, (0x15, 0, len(numbers) + 1, 0xc000003e), ld_nr]   # x86_64, else allow
prog += [(0x15, len(numbers) - i, 0, n) for i, n in enumerate(numbers)]
prog += [allow, eperm]
raw = b"".join(struct.pack("HBBI", *ins) for ins in prog)
buf = ctypes.create_string_buffer(raw)
fprog = struct.pack("HxxxxxxQ", len(prog), ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0):
    sys.exit(98)   # PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP with SECCOMP_MODE_FILTER
os.execv(sys.executable, [sys.executable, "-m", "appliance", *sys.argv[1:]])
"""


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the filter is written for x86_64")
def test_services_work_under_the_units_system_call_filter(box):
    """SystemCallFilter=~@privileged @resources with EPERM: a service that lowers its own
    priority (the worker's worker.nice) must not die of it, and mail is still filed.  The
    filter here refuses the @resources calls as the units do."""
    env = {**os.environ, "SECCOMP_DENY": ",".join(map(str, RESOURCES_X86_64.values()))}
    check = subprocess.run([sys.executable, "-c", FILTER_START, "--version"], env=env,
                           capture_output=True)
    assert check.returncode == 0, check.stderr
    with services_under(box, FILTER_START, "filter", env) as procs:
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            smtp.sendmail("ben@client.example", [f"tickets@{DOMAIN}"], message())
        wait_for(lambda: box.json("items", "list"), timeout=15)
        assert procs[1].poll() is None
        worker_log = (box.root / "worker.filter.log").read_text()
        assert "cannot lower the worker's CPU priority to nice 5" in worker_log
        assert "Nice=" in worker_log
