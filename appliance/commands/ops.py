"""``appliance backup``, ``restore`` and ``doctor``: running the box on-prem."""
from __future__ import annotations

from appliance.commands.common import add_config, add_json, emit, load_cfg
from appliance.errors import CommandError


def register(sub) -> None:
    p = sub.add_parser("backup", help="consistent online backup of the data directory")
    add_config(p)
    add_json(p)
    p.add_argument("dest", metavar="DEST",
                   help="a new FILE.tar.gz, or a new or empty directory")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup onto a new data directory")
    p.add_argument("src", metavar="SRC", help="the backup: a .tar.gz or a directory")
    p.add_argument("--data-dir", required=True, metavar="DIR",
                   help="where to restore it (must be new or empty); its appliance.ini "
                        "then points there")
    add_json(p)
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("doctor", help="check ports, DNS, keys, certificates, disk, queues")
    add_config(p)
    add_json(p)
    p.set_defaults(func=cmd_doctor)


def _summary(manifest: dict) -> str:
    db = manifest.get("database", {})
    return (f"{db.get('item', 0)} items, {db.get('message', 0)} messages, "
            f"{db.get('attachment', 0)} attachments, {db.get('outgoingmail', 0)} outgoing, "
            f"spool {manifest.get('spool', {})}, {len(manifest['files'])} files")


def cmd_backup(args) -> int:
    from appliance import backup
    cfg = load_cfg(args)
    try:
        result = backup.backup(cfg, args.dest)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from None
    doc = {"path": str(result.path), **{k: v for k, v in result.manifest.items()
                                        if k != "files"}, "files": len(result.manifest["files"])}
    emit(doc, args.json, f"backup written to {result.path}: {_summary(result.manifest)}")
    return 0


def cmd_restore(args) -> int:
    from appliance import backup
    try:
        result = backup.restore(args.src, args.data_dir)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from None
    ini = result.path / "appliance.ini"
    doc = {"data_dir": str(result.path), "config": str(ini),
           "created_at": result.manifest.get("created_at"),
           "database": result.manifest.get("database")}
    emit(doc, args.json, f"restored the backup of {result.manifest.get('created_at')} into "
                         f"{result.path}: {_summary(result.manifest)}\n"
                         f"start it with: appliance run -c {ini}")
    return 0


def cmd_doctor(args) -> int:
    from appliance import doctor
    cfg = load_cfg(args)
    report = doctor.run_checks(cfg)
    emit(report.as_dict(), args.json, report.text())
    return 0 if report.ok else 1
