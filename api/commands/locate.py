"""`fengqiao locate FILE`: locate a CSV or GeoJSON of points offline, against the active generation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.cli import command
from api.progress import progress_on_stderr
from gis.errors import InvalidInput
from gis.locate.batch import locate_file
from gis.settings import DatabaseSettings
from gis.storage.locate import load_index
from gis.storage.schema import connect_ready


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="CSV (lon,lat or 经度,纬度; UTF-8 or GB18030) or GeoJSON points")
    p.add_argument("--crs", default="wgs84", help="wgs84, cgcs2000, gcj02, bd09 or EPSG:<code>")
    p.add_argument("--out", type=Path, default=None, help="write here instead of standard output")
    p.add_argument("--generation", default=None, help="generation name or id (default: the active one)")
    p.add_argument("--bom", action=argparse.BooleanOptionalAction, default=None,
                   help="start a CSV with a UTF-8 byte order mark, so Excel shows Chinese right (default: on "
                        "with --out, off on standard output)")


@command("locate", _args)
def run_locate(args: argparse.Namespace) -> int:
    """Locate a file of points (grid, village and town codes added to each row)."""
    if not args.file.is_file():
        raise InvalidInput(f"{args.file}: no such file", reason="file_not_found")
    with connect_ready(DatabaseSettings()) as conn:
        index = load_index(conn, generation_id=args.generation)
    bom = args.bom if args.bom is not None else args.out is not None
    sink = args.out.open("wb") if args.out else sys.stdout.buffer
    try:
        with progress_on_stderr() as progress:
            for chunk in locate_file(index, args.file, crs=args.crs, bom=bom, progress=progress):
                sink.write(chunk)
    finally:
        if args.out:
            sink.close()
    return 0
