"""What an admin installs is what the tests prove.

The wheel carries every file of the package (a wheel without its mail templates once passed
the whole suite and could not send one mail), builds without setuptools warnings, the suite
itself runs against the installed wheel, and the install guide's wheel path works end to end
in a fresh virtual environment: init, run, a mail in, the auto-reply out at a loopback sink."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import APPLIANCE, ROOT, Box, read_until, wait_for
from installcheck import installed_package_dir, stale_files, tracked_package_files
from smtpsinks import Sink

# distutils' own notice that bdist_wheel does not byte-compile: not a packaging problem.
HARMLESS = re.compile(r"byte-compiling is disabled")


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> tuple[Path, str]:
    """The wheel built from a copy of the tracked files (no stale build/ of the checkout),
    and everything the build printed."""
    src = tmp_path_factory.mktemp("src")
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, src / rel)
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w",
                           str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [wheel] = out.glob("appliance-*.whl")
    return wheel, proc.stdout + proc.stderr


def test_the_wheel_ships_every_tracked_file_of_the_package(built_wheel):
    wheel, _ = built_wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = tracked_package_files()
    assert "appliance/outbound/mailtemplates/relay.subject" in tracked
    missing = [rel for rel in tracked if rel not in names]
    assert missing == [], f"the wheel lacks {missing}"


def test_the_wheel_builds_without_setuptools_warnings(built_wheel):
    _, output = built_wheel
    # setuptools' warnings: SetuptoolsDeprecationWarning & co. and distutils' "warning:"
    # (pip's own WARNING lines about this machine's index configuration are not ours)
    warnings = [line for line in output.splitlines()
                if re.search(r"Warning\b|warning:", line) and not HARMLESS.search(line)]
    assert warnings == [], "\n".join(warnings)


def test_the_suite_runs_against_the_installed_wheel():
    installed = installed_package_dir()
    assert "site-packages" in installed.parts, installed
    assert not installed.is_relative_to(ROOT / "appliance")
    assert stale_files() == ""
    # Every Python a test starts imports the install too, even from the checkout's folder.
    where = subprocess.run([sys.executable, "-c", "import appliance; print(appliance.__file__)"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert Path(where.strip()).resolve().parent == installed
    script = Path(APPLIANCE)
    assert script.is_file() and script.read_text().startswith(f"#!{sys.executable}")


def test_a_stale_install_is_named_with_the_way_to_rebuild(tmp_path, monkeypatch):
    """A checkout change not yet installed must stop the suite, never be tested silently."""
    import installcheck
    fake_root = tmp_path / "checkout"
    shutil.copytree(installed_package_dir(), fake_root / "appliance",
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(installcheck, "ROOT", fake_root)
    monkeypatch.setattr(installcheck, "tracked_package_files", lambda: [
        str(p.relative_to(fake_root)) for p in (fake_root / "appliance").rglob("*")
        if p.is_file()])
    assert installcheck.stale_files() == ""
    (fake_root / "appliance" / "clock.py").write_text("# changed\n")
    problem = installcheck.stale_files()
    assert "appliance/clock.py" in problem and "scripts/test.sh" in problem


@pytest.mark.slow
def test_the_install_guides_wheel_path_works_end_to_end(built_wheel, tmp_path):
    """docs/install.md: a fresh venv, ``pip install WHEEL``, ``appliance init``,
    ``appliance run``; a mail in (``appliance send-test``), the auto-reply out."""
    wheel, _ = built_wheel
    venv = tmp_path / "opt-appliance"
    base_python = getattr(sys, "_base_executable", None) or shutil.which("python3")
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr[-3000:]
    box = Box(tmp_path / "data")
    box.command = str(venv / "bin" / "appliance")
    box.init()
    with Sink() as sink:
        box.deliver_to(sink, relay__delay_seconds="1")   # the auto-reply is relayed by mail
        run = subprocess.Popen([box.command, "run", "-c", str(box.ini)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True, cwd=tmp_path)
        try:
            read_until(run, b"every service is up", timeout=90)
            sent = box.cli("send-test", "--from", "ben@client.example")
            assert b"the worker filed it: created" in sent.stdout, sent.stdout
            wait_for(lambda: sink.received, timeout=30)
            reply = sink.received[0]
            assert reply.rcpt_tos == ["ben@client.example"]
            assert b"Auto-Submitted: auto-replied" in reply.data
            assert b"DKIM-Signature:" in reply.data
        finally:
            os.killpg(run.pid, signal.SIGTERM)
            rest = run.communicate(timeout=90)[0]
        assert run.returncode == 0, rest.decode(errors="replace")
