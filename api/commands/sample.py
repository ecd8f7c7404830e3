"""`fengqiao sample county|cases`: generate the synthetic county, or a year of cases for the loaded one."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from pathlib import Path

from api.cli import command
from gis.cases.book import load_rules
from gis.errors import InvalidInput
from gis.hotspots.filters import local_day
from gis.sample.cases import HistorySpec
from gis.sample.load_cases import load_sample_cases
from gis.settings import DatabaseSettings
from gis.storage import history
from gis.storage.pool import connect


def _args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="what", required=True)
    county = sub.add_parser("county", help="a synthetic, exactly nested county as a GeoPackage")
    county.add_argument("--out", type=Path, required=True, help="GeoPackage to write")
    county.add_argument("--outline", type=Path, default=None, help="a real WGS84 county outline to tile instead")
    county.add_argument("--towns", type=int, default=17)
    county.add_argument("--villages", type=int, default=1026)
    county.add_argument("--grids", type=int, default=8535)
    county.add_argument("--seed", type=int, default=20261122)
    county.add_argument("--roster", type=Path, default=None, help="also write a sample roster CSV here")
    cases = sub.add_parser("cases", help="a deterministic case history for the active generation, stored in bulk")
    cases.add_argument("--until", type=date.fromisoformat, default=None,
                       help="last day (China time) of the history; default today")
    cases.add_argument("--days", type=int, default=365)
    cases.add_argument("--scale", type=float, default=1.0, help="multiply every rate (0.1: a tenth of the cases)")
    cases.add_argument("--seed", type=int, default=20261123)
    cases.add_argument("--no-stories", action="store_true",
                       help="the same county without the planted stories (the null history of the forecast backtest)")
    positions = sub.add_parser("positions", help="simulated positions of on-duty staff, through the normal ingest")
    positions.add_argument("--live", action="store_true", help="keep posting every --interval seconds")
    positions.add_argument("--interval", type=float, default=3.0, help="seconds between rounds")
    positions.add_argument("--rounds", type=int, default=1, help="rounds to post without --live")


@command("sample", _args)
def run_sample(args: argparse.Namespace) -> int:
    """Sample data: `sample county --out F.gpkg`, `sample cases [--until 2026-11-22]`, `sample positions [--live]`."""
    if args.what == "county":
        return _county(args)
    if args.what == "positions":
        from api.commands.sample_positions import run_positions

        return run_positions(args)
    if not 1 <= args.days <= 3660 or not 0 < args.scale <= 100:
        raise InvalidInput("--days must be 1-3660 and --scale in (0, 100]", reason="bad_argument")
    spec = HistorySpec(until=args.until or local_day(datetime.now(UTC)), days=args.days, seed=args.seed,
                       scale=args.scale, stories=not args.no_stories)
    with connect(DatabaseSettings()) as conn:
        result = load_sample_cases(conn, rules=load_rules(), spec=spec)
        history.analyze_cases(conn)
    print(f"{result.cases} cases, {result.transitions} transitions, {result.supervisions} supervisions, "
          f"{result.orders} lead orders up to {spec.until}")
    for story, value in result.stories.items():
        print(f"  {story}: {value}")
    return 0


def _county(args: argparse.Namespace) -> int:
    from gis.sample.county import CountySpec, build_county, write_county
    from gis.sample.roster import build_roster, write_roster
    from gis.sample.tiling import TilingCounts

    spec = CountySpec(
        counts=TilingCounts(args.towns, args.villages, args.grids), seed=args.seed, outline_path=args.outline
    )
    from api.progress import progress_on_stderr

    with progress_on_stderr() as progress:
        steps = 3 if args.roster else 2
        progress("generating the county", 0, steps)
        layers = build_county(spec)
        progress("generating the county", 1, steps)
        write_county(layers, args.out)
        progress("generating the county", 2, steps)
        if args.roster:
            write_roster(build_roster(layers, spec.seed), args.roster)
            progress("generating the county", 3, steps)
    print(", ".join(f"{name}: {len(frame)}" for name, frame in layers.items()) + f" -> {args.out}")
    return 0
