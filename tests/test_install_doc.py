"""docs/install.md, run: every ``sh`` block, in order, in a scratch prefix.

The guide's system paths move under a temporary directory; commands that would change the
machine itself (apt-get, useradd/userdel, systemctl, ufw, runuser's user switch, install's
owner) are stubs that record their arguments; everything else runs for real: the virtual
environment, pip from the checkout and from a wheel, ``appliance init``, ``systemd-analyze
verify`` on the installed units, ``appliance dkim dns``, the ACME deploy hook, ``appliance
doctor``, ``backup``, ``restore``, the upgrade and the uninstall."""
from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

DOC = ROOT / "docs" / "install.md"
MOVED = ("/opt/appliance", "/var/lib/appliance", "/etc/appliance", "/etc/systemd/system",
         "/etc/letsencrypt", "/var/backups")
ALLOWED_ABSOLUTE = ("/usr/sbin/nologin", "/bin/sh", "/dev/null")

STUBS = {
    # record, and check the packages named are what this machine has
    "apt-get": 'echo "apt-get $*" >> "$CALLS"; shift 2; dpkg -s "$@" >/dev/null',
    "useradd": 'echo "useradd $*" >> "$CALLS"',
    "userdel": 'echo "userdel $*" >> "$CALLS"',
    "systemctl": 'echo "systemctl $*" >> "$CALLS"',
    "ufw": 'echo "ufw $*" >> "$CALLS"',
    # runuser -u USER -- CMD...: run CMD as ourselves
    "runuser": 'echo "runuser $1 $2" >> "$CALLS"; shift 3; exec "$@"',
    # install -o USER -g GROUP ...: the user does not exist here; drop the owner
    "install": 'args=(); while [ $# -gt 0 ]; do case "$1" in -o|-g) shift 2;; '
               '*) args+=("$1"); shift;; esac; done; exec /usr/bin/install "${args[@]}"',
    # verify the installed units with ExecStart at the scratch program
    "systemd-analyze": 'd=$(mktemp -d); for u in "${@:2}"; do '
                       'sed "s#/opt/appliance/#$SCRATCH/opt/appliance/#" "$u" > '
                       '"$d/$(basename "$u")"; done; '
                       'exec /usr/bin/systemd-analyze "$1" "$d"/*',
}


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


def relocate(block: str, scratch: Path) -> str:
    for path in MOVED:
        block = re.sub(rf"(?<![\w/.-]){re.escape(path)}(?=[/\s'\"-]|$)",
                       f"{scratch}{path}", block, flags=re.M)
    # the doctor exits 1 here (nothing listens, no DNS): what it says is checked below
    block = re.sub(r"^(.* doctor .*)$", r'\1 > "$SCRATCH/doctor.out" || [ $? = 1 ]',
                   block, flags=re.M)
    # a scratch virtualenv borrows this Python's packages: pip needs no downloads for them
    block = block.replace("-m venv ", "-m venv --system-site-packages ")
    for token in re.findall(r"(?<![\w.$}\]])/[\w./-]+", block):
        if not token.startswith(str(scratch)) and not token.startswith(ALLOWED_ABSOLUTE):
            raise AssertionError(f"docs/install.md: {token} would touch the machine; add its "
                                 f"prefix to MOVED in {Path(__file__).name}")
    return block


def test_every_command_block_is_relocatable():
    blocks = sh_blocks(DOC.read_text())
    assert len(blocks) >= 10
    for block in blocks:
        relocate(block, Path("/tmp/scratch"))


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("systemd-analyze") is None,
                    reason="needs root-like dpkg and systemd-analyze")
def test_install_guide_runs(tmp_path):
    scratch = tmp_path / "root"
    for path in MOVED:
        (scratch / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    (scratch / "etc" / "systemd" / "system").mkdir(parents=True)
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, body in STUBS.items():
        (stubs / name).write_text(f"#!/bin/bash\n{body}\n")
        (stubs / name).chmod(0o755)
    # a copy of the checkout (the guide runs in one) and the wheel the guide says to build
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True,
                           text=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file() or (ROOT / name).is_symlink():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name, follow_symlinks=False)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", "dist",
                    "."], cwd=src, check=True, capture_output=True, timeout=300)
    # the certificate an ACME client would have, for the deploy hook
    from appliance.tlscert import self_signed
    lineage = scratch / "etc/letsencrypt/live/help.example.com"
    lineage.mkdir(parents=True)
    self_signed(lineage / "fullchain.pem", lineage / "privkey.pem", "help.example.com")

    calls = tmp_path / "calls"
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "CALLS": str(calls),
           "SCRATCH": str(scratch), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("APPLIANCE_CONFIG", None)
    env.pop("VIRTUAL_ENV", None)
    blocks = sh_blocks(DOC.read_text())
    checks = {
        "/opt/appliance/bin/appliance --version": lambda: None,
        "appliance init": lambda: _check_init(scratch),
        "dkim dns": lambda: None,
        "RENEWED_LINEAGE": lambda: _check_tls(scratch),
        " doctor ": lambda: _check_doctor(scratch),
        "appliance restore": lambda: _check_restore(scratch),
    }
    for n, block in enumerate(blocks, 1):
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", relocate(block, scratch)],
                              cwd=src, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"block {n} of docs/install.md failed:\n{block}\n" \
                                     f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        for marker, check in checks.items():
            if marker in block:
                check()
        if "--version" in block:
            assert proc.stdout.startswith("appliance ")
        if "dkim dns" in block:
            assert "_domainkey.help.example.com" in proc.stdout and "203.0.113.25" in proc.stdout
    recorded = calls.read_text()
    for expected in ("apt-get install -y python3 python3-venv", "useradd --system",
                     "systemctl enable --now appliance.target", "ufw allow 25/tcp",
                     "systemctl restart appliance.target", "systemctl daemon-reload",
                     "systemctl try-restart appliance-mta.service", "userdel appliance"):
        assert expected in recorded, f"{expected!r} never ran: {recorded}"
    # uninstalled: program, config and, by the last block, data are gone
    for path in ("opt/appliance", "etc/appliance", "var/lib/appliance"):
        assert not (scratch / path).exists(), path
    assert not list((scratch / "etc/systemd/system").glob("appliance*"))


def _load(scratch: Path):
    from appliance import config
    return config.load(scratch / "etc/appliance/appliance.ini")


def _check_init(scratch: Path) -> None:
    cfg = _load(scratch)
    assert cfg.data_dir == scratch / "var/lib/appliance"
    assert cfg.get("smtp.listen") == "0.0.0.0:25"
    assert (cfg.data_dir / "dkim" / "appliance.private").stat().st_mode & 0o777 == 0o600


def _check_tls(scratch: Path) -> None:
    cfg = _load(scratch)
    cert = Path(cfg.get("smtp.tls_cert"))
    assert cert == scratch / "var/lib/appliance/tls/acme-fullchain.pem"
    assert cert.read_bytes() == \
        (scratch / "etc/letsencrypt/live/help.example.com/fullchain.pem").read_bytes()
    assert Path(cfg.get("smtp.tls_key")).stat().st_mode & 0o777 == 0o600
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(scratch / "var/lib/appliance/appliance.ini")  # still one [smtp] section


def _check_doctor(scratch: Path) -> None:
    out = (scratch / "doctor.out").read_text()
    assert "tls certificate: " in out and "OK    dkim key" in out
    assert "ports: a service does not answer" in out  # nothing runs in the scratch prefix


def _check_restore(scratch: Path) -> None:
    cfg_path = scratch / "var/lib/appliance-restored/appliance.ini"
    from appliance import config
    cfg = config.load(cfg_path)
    assert cfg.data_dir == scratch / "var/lib/appliance-restored"
    assert Path(cfg.get("smtp.tls_cert")) == \
        scratch / "var/lib/appliance-restored/tls/acme-fullchain.pem"
    shutil.rmtree(scratch / "var/lib/appliance-restored")
