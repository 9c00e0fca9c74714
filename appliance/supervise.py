"""``appliance run``: every service in the foreground under supervisord."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from appliance.config import Config

TEMPLATE = Path(__file__).with_name("supervisord.conf")


def command_prefix() -> str:
    """How supervisord starts our services: the console script, else this Python."""
    script = shutil.which("appliance")
    here = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if here and here.name == "appliance" and os.access(here, os.X_OK):
        return str(here)
    return script or f"{sys.executable} -m appliance"


def run(cfg: Config) -> int:
    run_dir = cfg.data_dir / "run"
    run_dir.mkdir(exist_ok=True, mode=0o750)
    os.environ.update(APPLIANCE_CONFIG=str(cfg.path.resolve()), APPLIANCE_RUN_DIR=str(run_dir),
                      APPLIANCE_BIN=command_prefix())
    argv = [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(TEMPLATE)]
    sys.stdout.flush()
    os.execv(sys.executable, argv)
    return 1  # not reached
