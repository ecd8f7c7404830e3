"""`fengqiao report weekly --week 2026-W47 --out report.pdf`: the weekly briefing (研判报告) as a PDF."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from api.cli import command
from gis.cases.book import load_rules
from gis.hotspots.briefing import weekly_briefing
from gis.hotspots.levels import load_level_rules
from gis.hotspots.service import weights_now
from gis.settings import DatabaseSettings
from gis.storage.pool import connect
from maps.report_pdf import weekly_pdf


def _last_week() -> str:
    year, week, _ = (datetime.now(UTC).isocalendar())
    return f"{year}-W{week:02d}"


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=["weekly"])
    p.add_argument("--week", default=None, help="ISO week such as 2026-W47 (default: this week)")
    p.add_argument("--town", default=None, help="the briefing a user of this town gets (its own figures only)")
    p.add_argument("--out", type=Path, required=True, help="PDF file to write")


@command("report", _args)
def run_report(args: argparse.Namespace) -> int:
    """Write the weekly risk briefing: maps, top-10 tables, the 考核 table, trends against last week."""
    week = args.week or _last_week()
    with connect(DatabaseSettings()) as conn:
        briefing = weekly_briefing(conn, week=week, rules=load_rules(), level_rules=load_level_rules(),
                                   weights=weights_now(conn), town_code=args.town)
    args.out.write_bytes(weekly_pdf(briefing))
    print(f"{args.out}: weekly briefing {week}, {args.out.stat().st_size / 1024:.0f} KiB")
    return 0
