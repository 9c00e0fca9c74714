"""``appliance backup`` and ``appliance restore``: a consistent copy of a running box.

Order makes it consistent without stopping anything:

1. the spool first (``new/``, ``failed/``, ``waiting/``, ``done/``): an entry the worker
   finishes after this copy is still in the backup's ``new/`` and is processed again after
   a restore, which intake makes harmless (idempotent by spool id and Message-ID);
2. then the database, through SQLite's online backup API (one step: a read snapshot, WAL
   writers go on);
3. then attachments, keys, certificates, the ini and every other file of the data
   directory: whatever the snapshot refers to was written before it committed.

The result is a directory, or a ``.tar.gz`` of one, holding ``manifest.json`` with the
SHA-256 and size of every file; ``restore`` checks them before it writes anything.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from appliance import __version__, clock
from appliance.config import Config

MANIFEST = "manifest.json"
DB_NAME = "appliance.db"
SKIP_TOP = {"spool", "attachments", "run"}
SKIP_SUFFIXES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


@dataclass
class Result:
    path: Path
    manifest: dict


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_file(src: Path, dst: Path) -> bool:
    """Copy one file that may vanish meanwhile (the worker moves spool entries)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copy2(src, dst)
        return True
    except FileNotFoundError:
        return False


def _copy_spool(spool: Path, out: Path) -> dict[str, int]:
    counts = {}
    for where in ("new", "failed", "waiting", "done"):
        (out / where).mkdir(parents=True, exist_ok=True)
        count = 0
        src_dir = spool / where
        names = sorted(os.listdir(src_dir)) if src_dir.is_dir() else []
        for name in names:
            if name.startswith("."):
                continue
            if _copy_file(src_dir / name, out / where / name):
                count += 1
            elif where == "new" and _copy_file(spool / "done" / name, out / "new" / name):
                count += 1  # finished meanwhile: the snapshot below may not have it yet
        counts[where] = count
    (out / "tmp").mkdir(exist_ok=True)
    return counts


def _snapshot_database(path: str, out: Path) -> None:
    from appliance.helpdesk.dialect import is_url
    if is_url(path):
        raise BackupError("appliance.database is PostgreSQL: back it up with pg_dump and "
                          "copy each box's data directory (docs/scaling.md); appliance "
                          "backup copies a box whose database is SQLite")
    if not Path(path).is_file():
        raise BackupError(f"no database at {path}")
    source = sqlite3.connect(path, timeout=30)
    target = sqlite3.connect(out)
    try:
        source.backup(target)  # pages=-1: the whole database in one step, one snapshot
    finally:
        target.close()
        source.close()


def _database_counts(path: Path) -> dict:
    con = sqlite3.connect(path)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                  for t in ("item", "message", "attachment", "incomingmail", "outgoingmail",
                            "setting", "person", "user") if t in tables}
        if "schema_version" in tables:
            counts["schema_version"] = con.execute(
                "SELECT max(version) FROM schema_version").fetchone()[0]
        return counts
    finally:
        con.close()


def _copy_rest(data_dir: Path, out: Path, database: Path) -> None:
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir)
        if rel.parts[0] in SKIP_TOP or path.is_dir() or path.is_symlink():
            continue
        if path == database or path.name.endswith(SKIP_SUFFIXES) or rel.parts[0] == DB_NAME:
            continue
        _copy_file(path, out / "data" / rel)


def _outside_files(cfg: Config) -> dict[str, str]:
    """Certificates and keys the ini names outside the data directory (an ACME client's
    files): kept under ``external/`` with their original path."""
    found = {}
    for key in ("smtp.tls_cert", "smtp.tls_key", "dkim.key", "dkim.ed25519_key"):
        path = Path(cfg.get(key))
        if path.is_file() and cfg.data_dir not in path.resolve().parents:
            found[key] = str(path)
    return found


def write_manifest(root: Path, info: dict) -> dict:
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path != root / MANIFEST:
            rel = str(path.relative_to(root))
            files[rel] = {"sha256": sha256(path), "size": path.stat().st_size}
    manifest = {**info, "files": files}
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def backup(cfg: Config, dest: str | Path) -> Result:
    dest = Path(dest)
    as_tar = dest.name.endswith((".tar.gz", ".tgz"))
    if dest.exists() and (as_tar or any(dest.iterdir())):
        raise BackupError(f"{dest} exists; name a new file (.tar.gz) or an empty directory")
    stage_parent = None
    if as_tar:
        dest.parent.mkdir(parents=True, exist_ok=True)
        stage_parent = Path(tempfile.mkdtemp(prefix=".backup-", dir=dest.parent))
        root = stage_parent / "appliance-backup"
    else:
        root = dest
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        started = clock.iso(clock.now())
        spool_counts = _copy_spool(cfg.spool_dir, root / "spool")
        _snapshot_database(cfg.database, root / DB_NAME)
        if cfg.attachments_dir.is_dir():
            shutil.copytree(cfg.attachments_dir, root / "attachments", dirs_exist_ok=True)
        _copy_rest(cfg.data_dir, root, Path(cfg.database))
        external = _outside_files(cfg)
        for key, path in external.items():
            _copy_file(Path(path), root / "external" / key)
        info = {"format": 1, "appliance_version": __version__, "created_at": started,
                "host": socket.gethostname(), "data_dir": str(cfg.data_dir),
                "domain": cfg.domain, "database": _database_counts(root / DB_NAME),
                "spool": spool_counts, "external": external}
        manifest = write_manifest(root, info)
        if as_tar:
            tmp_tar = dest.with_name(dest.name + ".part")
            with tarfile.open(tmp_tar, "w:gz") as tar:
                tar.add(root, arcname=root.name)
            os.replace(tmp_tar, dest)
        return Result(dest, manifest)
    finally:
        if stage_parent is not None:
            shutil.rmtree(stage_parent, ignore_errors=True)


def _unpack(src: Path, into: Path) -> Path:
    with tarfile.open(src, "r:*") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # pragma: no cover - Python before 3.11.4
            for member in tar.getmembers():
                if member.name.startswith(("/", "..")) or ".." in Path(member.name).parts:
                    raise BackupError(f"{src}: unsafe path {member.name!r} in the archive")
            tar.extractall(into)
    found = [p.parent for p in into.rglob(MANIFEST)]
    if len(found) != 1:
        raise BackupError(f"{src}: not an appliance backup (no single {MANIFEST})")
    return found[0]


def verify(root: Path) -> dict:
    """Read the manifest and check every file's size and SHA-256."""
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{root}: not an appliance backup ({exc})") from None
    bad = [rel for rel, meta in manifest["files"].items()
           if not (root / rel).is_file() or (root / rel).stat().st_size != meta["size"]
           or sha256(root / rel) != meta["sha256"]]
    if bad:
        raise BackupError(f"{root}: {len(bad)} file(s) missing or changed since the backup: "
                          f"{', '.join(bad[:5])}")
    return manifest


def rewrite_ini(path: Path, old_dir: str, new_dir: Path) -> None:
    """Point every path of the ini that lay in the old data directory at the new one."""
    old = old_dir.rstrip("/")
    lines = []
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith(("#", ";")):
            value = value.strip()
            if value == old or value.startswith(old + "/"):
                line = f"{key.rstrip()} = {new_dir}{value[len(old):]}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")


def restore(src: str | Path, data_dir: str | Path) -> Result:
    src, target = Path(src), Path(data_dir).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not empty: restore only onto a new or empty "
                          f"directory (move the old one aside first)")
    if not src.exists():
        raise BackupError(f"no backup at {src}")
    with tempfile.TemporaryDirectory(prefix=".restore-",
                                     dir=target.parent if target.parent.is_dir() else None) as t:
        root = src if src.is_dir() else _unpack(src, Path(t))
        manifest = verify(root)
        target.mkdir(parents=True, exist_ok=True, mode=0o750)
        if (root / "data").is_dir():
            shutil.copytree(root / "data", target, dirs_exist_ok=True)
        for sub in ("spool", "attachments"):
            if (root / sub).is_dir():
                shutil.copytree(root / sub, target / sub, dirs_exist_ok=True)
        (target / "attachments").mkdir(exist_ok=True, mode=0o750)
        shutil.copy2(root / DB_NAME, target / DB_NAME)
    for sub in ("dkim", "tls"):
        if (target / sub).is_dir():
            (target / sub).chmod(0o700)
            for key in (target / sub).iterdir():
                key.chmod(0o600)
    for secret in (target / "appliance.ini", target / DB_NAME):   # hold passwords
        if secret.is_file():
            secret.chmod(0o600)
    ini = target / "appliance.ini"
    if ini.is_file():
        rewrite_ini(ini, manifest["data_dir"], target)
        _set_database_key(ini, target / DB_NAME)
    con = sqlite3.connect(target / DB_NAME)
    try:
        check = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    if check != "ok":
        raise BackupError(f"restored database fails its integrity check: {check}")
    return Result(target, manifest)


def _set_database_key(ini: Path, database: Path) -> None:
    """The restored database sits in the data directory whatever the old ini said."""
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini)
    if parser.has_option("appliance", "database"):
        text = ini.read_text().splitlines()
        section = None
        for i, line in enumerate(text):
            if line.strip().startswith("["):
                section = line.strip()[1:-1]
            elif section == "appliance" and line.split("=")[0].strip() == "database":
                text[i] = f"database = {database}"
        ini.write_text("\n".join(text) + "\n")
