"""Is the ``appliance`` this Python imports the installed wheel of this checkout?

The suite refuses to run otherwise (conftest's pytest_configure): a checkout-only run once
passed every test while the installed appliance could not send one mail, because the wheel
lacked its mail templates.  ``tests/test_packaging.py`` asserts the same facts as tests."""
from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REBUILD = ("run scripts/test.sh (it builds the wheel and installs it into .venv), or after "
           "a change: .venv/bin/pip install --no-deps --force-reinstall .")


def tracked_package_files() -> list[str]:
    """The files of the package in the checkout, relative to ROOT: git's list (tracked, and
    new files not ignored) when there is one, else every file but caches."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                              "appliance"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
        if out:
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    return [str(p.relative_to(ROOT)) for p in (ROOT / "appliance").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts]


def installed_package_dir() -> Path:
    import appliance
    return Path(appliance.__file__).resolve().parent


def stale_files() -> str:
    """An explanation when the imported package is the checkout or differs from it; ''."""
    installed = installed_package_dir()
    if installed == (ROOT / "appliance").resolve():
        return (f"the tests would import appliance from the checkout ({installed}), not "
                f"from an installed wheel: {REBUILD}")
    differ = []
    for rel in tracked_package_files():
        mine, theirs = ROOT / rel, installed.parent / rel
        if not theirs.is_file() or theirs.read_bytes() != mine.read_bytes():
            differ.append(rel)
    extra = [str(p.relative_to(installed.parent)) for p in installed.rglob("*.py")
             if not (ROOT / p.relative_to(installed.parent)).exists()]
    if differ or extra:
        names = ", ".join((differ + extra)[:8]) + (" ..." if len(differ + extra) > 8 else "")
        return (f"the installed appliance ({installed}) is not this checkout: "
                f"{len(differ) + len(extra)} file(s) differ ({names}); {REBUILD}")
    return ""
