"""The capture addresses (one per enabled item type), shared with the MTA through a small
file so the SMTP edge never touches the database.  Whoever changes item types rewrites it;
the MTA rereads it when its modification time changes."""
from __future__ import annotations

import json
import os
from pathlib import Path

FILENAME = "captures.json"


def export(data_dir: str | Path, addresses: dict[str, str]) -> None:
    """Write ``{address: item type}`` atomically."""
    path = Path(data_dir) / FILENAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(addresses, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


class CaptureList:
    """The current capture addresses, reread at most once per ``max_age`` seconds."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / FILENAME
        self._mtime = -1.0
        self._map: dict[str, str] = {}

    def current(self) -> dict[str, str]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return self._map
        if mtime != self._mtime:
            try:
                self._map = {k.lower(): v for k, v in
                             json.loads(self.path.read_text(encoding="utf-8")).items()}
                self._mtime = mtime
            except (OSError, ValueError):
                pass  # keep the last good list; a half-written file is retried next time
        return self._map
