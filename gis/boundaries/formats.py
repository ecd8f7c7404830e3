"""Reading boundary files as GIS staff receive them, each into one or more raw layers.

Formats: GeoJSON, Shapefile (folder or zip), GeoPackage, KML/KMZ, DXF and CSV/XLSX with a WKT column.

Files come from outside, so GDAL opens them only with the driver their extension declares (content checked
first, see ``sniff``; every other driver unregistered, see ``gdal_guard``), and only files inside the
upload's own folder or the load's work folder are read.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gis.boundaries.encoding import shapefile_encoding, text_as_utf8
from gis.boundaries.gdal_guard import lock_down
from gis.boundaries.kml import MAX_DESCRIPTION_CHARS, fields_from_descriptions
from gis.boundaries.safezip import check_zip, extract_zip, open_zip
from gis.boundaries.sniff import check_content
from gis.errors import InvalidInput
from gis.text import decode_text

VECTOR_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg", ".kml", ".dxf", ".csv", ".xlsx")
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape")
VIRTUAL_PATH = re.compile(r"/vsi\w*/", re.IGNORECASE)  # GDAL's virtual file systems: /vsicurl/, /vsizip/ ...
SHAPEFILE_SIDECARS = (".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx")

lock_down()  # before any file is opened: GDAL keeps only the drivers boundary files need


@dataclass
class RawLayer:
    """One layer as read, before CRS handling and validation."""

    name: str
    frame: gpd.GeoDataFrame
    source: str
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def read_layers(path: Path, *, workdir: Path, encoding: str | None = None,
                layer: str | None = None, roots: tuple[Path, ...] | None = None) -> list[RawLayer]:
    """All layers of a file or folder (only GeoPackage layers named ``layer`` when given).

    Only files under ``roots`` are read (by default the file's own folder, or the folder given, and
    ``workdir``). Errors name the file and the problem.
    """
    if VIRTUAL_PATH.match(str(path).replace("\\", "/")):
        raise InvalidInput(f"{path}：不接受 GDAL 虚拟文件路径（/vsi...），请给出本地文件", reason="bad_path")
    if not path.exists():
        raise InvalidInput(f"{path}: no such file", reason="file_not_found")
    if roots is None:
        roots = (path.resolve() if path.is_dir() else path.resolve().parent, workdir.resolve())
    _confined(path, roots)
    if path.is_dir():
        return _read_folder(path, workdir=workdir, encoding=encoding, layer=layer, roots=roots)
    suffix = path.suffix.lower()
    check_content(path)
    if suffix in (".zip", ".kmz"):
        extract_zip(path, workdir / path.stem)
        found = _read_folder(workdir / path.stem, workdir=workdir, encoding=encoding, layer=layer, roots=roots)
        for found_layer in found:
            found_layer.source = f"{path.name}:{found_layer.source}"
        return found
    if suffix == ".shp":
        for sidecar in (path.with_suffix(s) for s in SHAPEFILE_SIDECARS + tuple(x.upper() for x in SHAPEFILE_SIDECARS)):
            if sidecar.exists() or sidecar.is_symlink():
                _confined(sidecar, roots)
        return [_read_shapefile(path, encoding)]
    if suffix in (".geojson", ".json", ".kml"):
        readable, note = _text_as_utf8(path, workdir, encoding)
        found = _read_kml(readable, layer) if suffix == ".kml" else [_read_plain(readable, path.stem)]
        for raw in found:
            raw.source = path.name
        if note:
            found[0].notes.append(note)
        return found
    if suffix == ".gpkg":
        names = [name for name, _ in _list_layers(path)]
        if layer is not None and layer not in names:
            raise InvalidInput(f"{path.name}: no layer {layer!r} (layers: {names})", reason="unknown_layer")
        return [_read_plain(path, name, layer=name) for name in names if layer is None or name == layer]
    if suffix == ".dxf":
        return [_read_dxf(path, encoding)]
    if suffix in (".csv", ".xlsx", ".xls"):
        return [_read_table(path, encoding)]
    raise InvalidInput(f"{path.name}: unknown format {suffix or '(no extension)'}; use GeoJSON, Shapefile, "
                       "GeoPackage, KML/KMZ, DXF, CSV/XLSX with WKT, or a .zip of these", reason="unknown_format")


def _confined(path: Path, roots: tuple[Path, ...]) -> None:
    """Refuse a path (a link, a name with ..) that leads outside the upload's own folders."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise InvalidInput(f"{path.name}：无法读取该文件（{type(exc).__name__}）", reason="bad_path") from exc
    if not any(real.is_relative_to(root) for root in roots):
        raise InvalidInput(f"{path.name}：指向上传文件所在文件夹之外，已拒绝", reason="path_outside_upload")


def _gdal_path(path: Path) -> str:
    """The absolute path GDAL is given: never a driver prefix ("CSV:...") or a virtual file system."""
    return str(path.resolve())


def _list_layers(path: Path) -> list[tuple[str, str]]:
    try:
        return [(str(n), str(t)) for n, t in pyogrio.list_layers(_gdal_path(path))]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InvalidInput(f"{path.name}: cannot open ({exc})", reason="unreadable_file") from exc


def _read_folder(folder: Path, *, workdir: Path, encoding: str | None, layer: str | None,
                 roots: tuple[Path, ...]) -> list[RawLayer]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in VECTOR_SUFFIXES and p.is_file())
    if not files:
        raise InvalidInput(f"{folder.name}: no boundary file inside (looked for {', '.join(VECTOR_SUFFIXES)})",
                           reason="no_boundary_file")
    layers: list[RawLayer] = []
    for file in files:
        layers.extend(read_layers(file, workdir=workdir, encoding=encoding, layer=layer, roots=roots))
    return layers


def _read_plain(path: Path, name: str, layer: str | None = None) -> RawLayer:
    try:
        frame = gpd.read_file(_gdal_path(path), layer=layer, engine="pyogrio")
    except Exception as exc:
        raise InvalidInput(f"{path.name}: cannot read ({exc})", reason="unreadable_file") from exc
    return RawLayer(name, frame, path.name)


def _text_as_utf8(path: Path, workdir: Path, encoding: str | None) -> tuple[Path, str | None]:
    try:
        return text_as_utf8(path, workdir, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InvalidInput(f"{path.name}: cannot decode the text ({exc}); name the encoding with --encoding",
                           reason="unreadable_file") from exc


def _read_kml(path: Path, layer: str | None) -> list[RawLayer]:
    """A KML's folders, one layer each (how tools export a whole hierarchy); a KML without folders is one layer.

    Folders with no areas (labels, tracks) are skipped with a note; ``layer`` keeps one folder.
    """
    names = [name for name, _ in _list_layers(path)]
    if len(names) <= 1:
        return [_with_description_table(_read_plain(path, path.stem, layer=names[0] if names else None))]
    if layer in names:
        names = [layer]
    layers, skipped = [], []
    for name in names:
        raw = _with_description_table(_read_plain(path, name, layer=name))
        polygonal = shapely.get_type_id(np.asarray(raw.frame.geometry.values, dtype=object))
        if not len(raw.frame) or not np.isin(polygonal, (3, 6)).any():
            skipped.append(name)
            continue
        layers.append(raw)
    if not layers:
        raise InvalidInput(f"{path.name}: no folder holds areas (folders: {names})", reason="empty_layer")
    if skipped:
        layers[0].notes.append(f"{path.name}: folder(s) without areas skipped: {', '.join(skipped)}")
    return layers


def _with_description_table(raw: RawLayer) -> RawLayer:
    found = fields_from_descriptions(raw.frame)
    if found.added:
        raw.frame = found.frame
        raw.notes.append(f"{raw.source} [{raw.name}]: fields read from the description tables: "
                         f"{', '.join(found.added)}")
    if found.cut:
        raw.notes.append(f"{raw.source} [{raw.name}]：{found.cut} 个地标的描述超过 {MAX_DESCRIPTION_CHARS // 1024} KB，"
                         "只读取了前面部分")
    return raw


def _read_shapefile(path: Path, encoding: str | None) -> RawLayer:
    missing = [s for s in (".dbf", ".shx") if not path.with_suffix(s).exists() and
               not path.with_suffix(s.upper()).exists()]
    if missing:
        raise InvalidInput(f"{path.name}: the Shapefile has no {' or '.join(missing)} beside it",
                           reason="shapefile_incomplete")
    chosen, how = shapefile_encoding(path, encoding)
    try:
        frame = gpd.read_file(_gdal_path(path), encoding=chosen, engine="pyogrio")
    except Exception as exc:
        raise InvalidInput(f"{path.name}: cannot read ({exc})", reason="unreadable_file") from exc
    return RawLayer(path.stem, frame, path.name, chosen, [f"attribute encoding {chosen} ({how})"])


def dxf_encoding(path: Path) -> str | None:
    """DXF R2007+ (AC1021 and later) is always UTF-8, whatever $DWGCODEPAGE says; older files follow it."""
    head = path.read_bytes()[:8192].decode("latin-1")
    marker = head.find("$ACADVER")
    version = head[marker:marker + 40].split()[2] if marker >= 0 and len(head[marker:].split()) > 2 else ""
    return "UTF-8" if version >= "AC1021" else None


def _read_dxf(path: Path, encoding: str | None) -> RawLayer:
    """CAD drawings: closed polylines become polygons; TEXT inside names them (digits: the code)."""
    chosen = encoding or dxf_encoding(path)
    try:
        pyogrio.set_gdal_config_options({"DXF_ENCODING": chosen})
        frame = gpd.read_file(_gdal_path(path), engine="pyogrio")
    except Exception as exc:
        raise InvalidInput(f"{path.name}: cannot read the DXF ({exc})", reason="unreadable_file") from exc
    finally:
        pyogrio.set_gdal_config_options({"DXF_ENCODING": None})
    geoms = frame.geometry.values
    lines = geoms[shapely.get_type_id(geoms) == 1]
    polygons = list(geoms[shapely.get_type_id(geoms) == 3])
    polygons += list(shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines)))))
    texts = frame[(shapely.get_type_id(geoms) == 0) & frame.get("Text", pd.Series(index=frame.index)).notna()]
    codes: list[str | None] = [None] * len(polygons)
    names: list[str | None] = [None] * len(polygons)
    words = [str(t).strip() for t in texts["Text"]]
    inside_text, inside_polygon = shapely.STRtree(polygons).query(texts.geometry.values, predicate="within")
    for t, p in zip(inside_text, inside_polygon, strict=True):
        (codes if words[t].isdigit() else names)[p] = words[t]
    out = gpd.GeoDataFrame({"code": codes, "name": names}, geometry=polygons, crs=frame.crs)
    return RawLayer(path.stem, out, path.name, None, [f"{len(polygons)} closed outline(s) from CAD lines"])


def _read_table(path: Path, encoding: str | None) -> RawLayer:
    if path.suffix.lower() == ".xls":
        raise InvalidInput(f"{path.name}: old binary Excel (.xls); save it as .xlsx or CSV", reason="unknown_format")
    if path.suffix.lower() == ".xlsx":
        with open_zip(path) as archive:  # an .xlsx is a zip: no bombs through this door either
            check_zip(archive, path.name)
    try:
        if path.suffix.lower() == ".csv":
            raw = path.read_bytes()
            text = raw.decode(encoding) if encoding else decode_text(raw)
            table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        else:
            table = pd.read_excel(path, dtype=str).fillna("")
    except (ValueError, LookupError, OSError, zipfile.BadZipFile, pd.errors.ParserError) as exc:
        raise InvalidInput(f"{path.name}: cannot read the table ({exc})", reason="unreadable_file") from exc
    column = next((c for c in table.columns if str(c).strip().lower() in WKT_COLUMNS), None)
    if column is None:
        raise InvalidInput(f"{path.name}: no WKT column (one of {WKT_COLUMNS})", reason="no_geometry_column")
    try:
        geoms = shapely.from_wkt(table[column].tolist())
    except shapely.errors.GEOSException as exc:
        raise InvalidInput(f"{path.name}: bad WKT in column {column!r} ({exc})", reason="bad_wkt") from exc
    return RawLayer(path.stem, gpd.GeoDataFrame(table.drop(columns=[column]), geometry=geoms), path.name)

