"""The linter configured in setup.cfg runs as part of the suite."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_flake8_is_clean():
    proc = subprocess.run([sys.executable, "-m", "flake8", "appliance", "tests", "bench"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
