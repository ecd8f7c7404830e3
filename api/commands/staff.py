"""`fengqiao staff import FILE` and `fengqiao staff purge-positions`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.cli import command
from gis.errors import InvalidInput
from gis.settings import DatabaseSettings
from gis.staff.recommend import load_scoring
from gis.staff.roster import read_roster
from gis.storage import staff as store
from gis.storage.schema import connect_ready


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["import", "purge-positions"])
    p.add_argument("file", type=Path, nargs="?", help="roster CSV (UTF-8 or GB18030) or XLSX, for import")


@command("staff", _args)
def run_staff(args: argparse.Namespace) -> int:
    """Import a roster (all rows or none) or purge position history beyond the retention period."""
    with connect_ready(DatabaseSettings()) as conn:
        if args.action == "import":
            if args.file is None:
                print("fengqiao staff import: name the roster file")
                return 2
            try:
                records = read_roster(args.file)
            except InvalidInput as exc:
                print(f"fengqiao staff: {exc.message}", file=sys.stderr)
                for problem in exc.details.get("problems", []):
                    print(f"  row {problem['row']}: {problem['problem']}", file=sys.stderr)
                return 2
            count = store.upsert_staff(conn, records=records)
            print(f"{count} staff imported from {args.file}")
            return 0
        days = load_scoring().history_days
        removed = store.purge_positions(conn, before=datetime.now(UTC) - timedelta(days=days))
        print(f"{removed} position(s) older than {days:g} days removed")
    return 0
