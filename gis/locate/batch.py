"""Locating files of points in bounded memory: CSV (UTF-8 or GB18030) or GeoJSON, chunk by chunk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis.crs import parse_crs, to_wgs84
from gis.errors import InvalidInput
from gis.export_cells import safe_cell
from gis.geodesy import CHINA_LAT, CHINA_LON
from gis.locate.index import LocateIndex
from gis.progress import Progress
from gis.text import sniff_encoding

LON_NAMES = ("lon", "lng", "longitude", "经度", "x")
LAT_NAMES = ("lat", "latitude", "纬度", "y")
RESULT_COLUMNS = ("grid_code", "village_code", "town_code", "inside", "error")
CHUNK_ROWS = 100_000
BOM = b"\xef\xbb\xbf"  # UTF-8 byte order mark: how Excel knows a CSV is UTF-8 (without it, Chinese is garbage)


def find_columns(columns: list[str]) -> tuple[str, str]:
    """The longitude and latitude columns, by the names people use (lon/lat, 经度/纬度, x/y)."""
    lowered = {str(c).strip().lower(): c for c in columns}
    lon = next((lowered[n] for n in LON_NAMES if n in lowered), None)
    lat = next((lowered[n] for n in LAT_NAMES if n in lowered), None)
    if lon is None or lat is None:
        raise InvalidInput(f"no longitude/latitude columns among {list(columns)}; expected lon,lat or 经度,纬度",
                           reason="missing_coordinate_columns")
    return lon, lat


def locate_arrays(index: LocateIndex, x: NDArray[np.float64], y: NDArray[np.float64], crs: str
                  ) -> dict[str, NDArray[Any]]:
    """Result columns for coordinate arrays; bad rows get an error code instead of a grid."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    finite = np.isfinite(x) & np.isfinite(y)
    lon, lat = to_wgs84(np.where(finite, x, 0.0), np.where(finite, y, 0.0), crs)
    in_china = (lon >= CHINA_LON[0]) & (lon <= CHINA_LON[1]) & (lat >= CHINA_LAT[0]) & (lat <= CHINA_LAT[1])
    swapped = (lat >= CHINA_LON[0]) & (lat <= CHINA_LON[1]) & (lon >= CHINA_LAT[0]) & (lon <= CHINA_LAT[1])
    error = np.full(len(x), "", dtype=object)
    error[~finite] = "not_a_number"
    error[finite & ~in_china] = "outside_china"
    error[finite & ~in_china & swapped] = "lat_lon_swapped"
    ok = error == ""
    grid = np.full(len(x), -1, dtype=np.int64)
    grid[ok] = index.locate_many(lon[ok], lat[ok])
    inside = grid >= 0
    t = index.table
    village = np.where(inside, t.grid_village[np.maximum(grid, 0)], -1)
    town = np.where(inside, t.village_town[np.maximum(village, 0)], -1)
    return {
        "grid_code": np.where(inside, t.grid_codes[np.maximum(grid, 0)], ""),
        "village_code": np.where(inside, t.village_codes[np.maximum(village, 0)], ""),
        "town_code": np.where(inside, t.town_codes[np.maximum(town, 0)], ""),
        "inside": inside,
        "error": error,
    }


def locate_csv(index: LocateIndex, source: IO[bytes], *, crs: str = "wgs84", bom: bool = False,
               progress: Progress | None = None) -> Iterator[bytes]:
    """Yield the located CSV (UTF-8), header first, one chunk of rows at a time.

    Parameters
    ----------
    index : LocateIndex
        The grids to locate in.
    source : binary file
        The CSV, seekable (UTF-8 or GB18030, sniffed).
    crs : str
        The coordinates' system (wgs84, cgcs2000, gcj02, bd09, EPSG:<code>).
    bom : bool
        Start with a UTF-8 byte order mark, for files people open in Excel (a stream for programs: False).
    progress : callable, optional
        Called as ``progress("locating", bytes_read, total_bytes)`` after each chunk.
    """
    parse_crs(crs)
    head = source.read(65536)
    source.seek(0)
    if not head.strip():
        raise InvalidInput("the file is empty", reason="empty_file")
    encoding = sniff_encoding(head)
    try:
        reader = pd.read_csv(source, encoding=encoding, dtype=str, keep_default_na=False,
                             chunksize=CHUNK_ROWS)
        first = next(reader)
    except (pd.errors.ParserError, UnicodeDecodeError, StopIteration) as exc:
        raise InvalidInput(f"not a readable CSV file: {exc}", reason="bad_csv") from exc
    lon_col, lat_col = find_columns(list(first.columns))
    chunks = _csv_chunks(index, first, reader, lon_col, lat_col, crs)
    if progress is not None:
        chunks = _reporting(chunks, source, progress)
    return _with_bom(chunks) if bom else chunks


def _csv_chunks(index: LocateIndex, first: pd.DataFrame, reader: Iterator[pd.DataFrame], lon_col: str,
                lat_col: str, crs: str) -> Iterator[bytes]:
    header = True
    for chunk in _chain_first(first, reader):
        x = pd.to_numeric(chunk[lon_col].str.strip(), errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(chunk[lat_col].str.strip(), errors="coerce").to_numpy(dtype=float)
        for name, values in locate_arrays(index, x, y, crs).items():
            chunk[name] = values
        # The caller's own cells come back: made safe for spreadsheets like every CSV export.
        for name in chunk.columns:
            if not (pd.api.types.is_numeric_dtype(chunk[name]) or pd.api.types.is_bool_dtype(chunk[name])):
                chunk[name] = chunk[name].map(safe_cell)
        chunk.columns = [str(safe_cell(c)) for c in chunk.columns]
        yield chunk.to_csv(index=False, header=header).encode("utf-8")
        header = False


def _with_bom(chunks: Iterator[bytes]) -> Iterator[bytes]:
    yield BOM
    yield from chunks


def _reporting(chunks: Iterator[bytes], source: IO[bytes], progress: Progress) -> Iterator[bytes]:
    """Pass chunks through, reporting how far into the source file the reader is."""
    position = source.tell()
    total = source.seek(0, 2)
    source.seek(position)
    for chunk in chunks:
        progress("locating", min(source.tell(), total), total)
        yield chunk
    progress("locating", total, total)


def _chain_first(first: pd.DataFrame, rest: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    yield first
    yield from rest


def locate_geojson(index: LocateIndex, source: IO[bytes], *, crs: str = "wgs84",
                   progress: Progress | None = None) -> Iterator[bytes]:
    """Yield a GeoJSON FeatureCollection: the input points with the result columns as properties.

    ``progress`` hears ``("locating", features_done, features)`` after each chunk.
    """
    parse_crs(crs)
    try:
        doc = json.load(source)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"not valid GeoJSON: {exc}", reason="bad_geojson") from exc
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise InvalidInput("expected a GeoJSON FeatureCollection", reason="bad_geojson")
    return _geojson_chunks(index, features, crs, progress)


def _point_xy(feature: Any) -> tuple[float, float]:
    try:
        geometry = feature["geometry"]
        if geometry["type"] != "Point":
            return (np.nan, np.nan)
        return float(geometry["coordinates"][0]), float(geometry["coordinates"][1])
    except (KeyError, TypeError, IndexError, ValueError):
        return (np.nan, np.nan)


def _geojson_chunks(index: LocateIndex, features: list[Any], crs: str, progress: Progress | None
                    ) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    for start in range(0, len(features), CHUNK_ROWS):
        part = features[start:start + CHUNK_ROWS]
        xy = np.array([_point_xy(f) for f in part], dtype=float).reshape(-1, 2)
        result = locate_arrays(index, xy[:, 0], xy[:, 1], crs)
        out = []
        for i, feature in enumerate(part):
            props = dict(feature.get("properties") or {}) if isinstance(feature, dict) else {}
            props.update({k: (bool(v[i]) if k == "inside" else str(v[i])) for k, v in result.items()})
            geometry = feature.get("geometry") if isinstance(feature, dict) else None
            out.append(json.dumps({"type": "Feature", "geometry": geometry, "properties": props},
                                  ensure_ascii=False))
        yield (("," if start else "") + ",".join(out)).encode("utf-8")
        if progress is not None:
            progress("locating", start + len(part), len(features))
    yield b"]}"


def locate_file(index: LocateIndex, path: Path, *, crs: str = "wgs84", bom: bool = True,
                progress: Progress | None = None) -> Iterator[bytes]:
    """Pick the reader by extension (.csv/.txt or .geojson/.json).

    A CSV written for people starts with a UTF-8 BOM unless ``bom=False``; GeoJSON never has one (RFC 8259).
    """
    suffix = path.suffix.lower()
    handle = path.open("rb")
    if suffix in (".geojson", ".json"):
        return locate_geojson(index, handle, crs=crs, progress=progress)
    if suffix in (".csv", ".txt"):
        return locate_csv(index, handle, crs=crs, bom=bom, progress=progress)
    raise InvalidInput(f"{path.name}: unknown format {suffix!r}; use .csv or .geojson", reason="unknown_format")
