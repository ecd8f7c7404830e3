"""`fengqiao db backup [--out DIR]` and `fengqiao db restore DIR [--to URL]` (called from the `db` command)."""

from __future__ import annotations

import argparse
from pathlib import Path

from gis.settings import PROJECT_ROOT, DatabaseSettings
from gis.storage.backup import backup_database, restore_database

DEFAULT_OUT = PROJECT_ROOT / "var" / "backups"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The backup and restore options of `fengqiao db`."""
    p.add_argument("source", type=Path, nargs="?", help="restore: the backup folder (or .dump file)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="backup: parent folder (default var/backups)")
    p.add_argument("--to", default=None, help="restore: URL of the database to restore into (default: configured)")


def run(args: argparse.Namespace) -> int:
    """Back up the configured database, or restore a backup into a new database."""
    db = DatabaseSettings()
    if args.action == "backup":
        made = backup_database(db, out=args.out)
        print(f"backup of {made.database} ({made.cases_at_start} cases at start, {made.dump_bytes} bytes)"
              f" -> {made.folder}")
        return 0
    if args.source is None:
        print("fengqiao db restore: name the backup folder, e.g. var/backups/fengqiao-20261123T101500Z")
        return 2
    done = restore_database(db, source=args.source, to_url=args.to)
    print(f"restored into {done.database}: {done.cases} cases, {done.generations} boundary generation(s)")
    return 0
