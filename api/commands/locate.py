"""`fengqiao locate FILE`: locate a CSV or GeoJSON of points offline, against the active generation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.cli import command
from gis.errors import InvalidInput
from gis.locate.batch import locate_file
from gis.settings import DatabaseSettings
from gis.storage.locate import load_index
from gis.storage.pool import connect


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="CSV (lon,lat or 经度,纬度; UTF-8 or GB18030) or GeoJSON points")
    p.add_argument("--crs", default="wgs84", help="wgs84, cgcs2000, gcj02, bd09 or EPSG:<code>")
    p.add_argument("--out", type=Path, default=None, help="write here instead of standard output")
    p.add_argument("--generation", default=None, help="generation name or id (default: the active one)")


@command("locate", _args)
def run_locate(args: argparse.Namespace) -> int:
    """Locate a file of points (grid, village and town codes added to each row)."""
    if not args.file.is_file():
        raise InvalidInput(f"{args.file}: no such file", reason="file_not_found")
    with connect(DatabaseSettings()) as conn:
        index = load_index(conn, generation_id=args.generation)
    chunks = locate_file(index, args.file, crs=args.crs)
    sink = args.out.open("wb") if args.out else sys.stdout.buffer
    try:
        for chunk in chunks:
            sink.write(chunk)
    finally:
        if args.out:
            sink.close()
    return 0
