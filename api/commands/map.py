"""`fengqiao map hotspots --since 30d --out f.html`: the hotspot map as one offline HTML file."""

from __future__ import annotations

import argparse
from pathlib import Path

from api.cli import command
from gis.cases.book import load_rules
from gis.hotspots.levels import load_level_rules
from gis.hotspots.mapdata import map_data
from gis.hotspots.query import case_filter
from gis.hotspots.service import weights_now
from gis.settings import DatabaseSettings
from gis.stats_cut import check_window
from gis.storage.pool import connect
from maps.hotspots import hotspot_map


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=["hotspots"])
    p.add_argument("--since", default="30d", help="2026-11-01, an ISO datetime, or 30d / 8w (default 30d)")
    p.add_argument("--until", default=None, help="end of the window (default now)")
    p.add_argument("--category", default=None, help="a class (03) or item (0303) code")
    p.add_argument("--channel", action="append", default=None, help="a source channel (repeatable)")
    p.add_argument("--town", default=None, help="the map a user of this town gets (own units' levels and counts)")
    p.add_argument("--no-fdr", action="store_true", help="judge levels on uncorrected p-values")
    p.add_argument("--out", type=Path, required=True, help="HTML file to write")


@command("map", _args)
def run_map(args: argparse.Namespace) -> int:
    """Export a map as a standalone HTML page (opens with no internet)."""
    rules = load_rules()
    flt = case_filter(rules, since=args.since, until=args.until, category=args.category, channels=args.channel)
    check_window(args.town, flt.since, flt.until)
    with connect(DatabaseSettings()) as conn:
        weights = weights_now(conn)
        data = map_data(conn, flt=flt, weights=weights, rules=load_level_rules().with_fdr(not args.no_fdr),
                        town_code=args.town)
    hotspot_map(data).save(str(args.out))
    size = args.out.stat().st_size / 2**20
    print(f"{args.out}: {size:.1f} MiB, {int(data.tables[next(iter(data.tables))].counts.counts.sum())} cases "
          f"from {flt.since:%Y-%m-%d %H:%M} to {flt.until:%Y-%m-%d %H:%M} UTC")
    return 0
