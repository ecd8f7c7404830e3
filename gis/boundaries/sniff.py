"""Is a file what its name says? Checked by content before GDAL sees it (an allow-list per declared format).

GDAL would open a "grids.geojson" that is really an OGR VRT, a GML or a GDAL pipeline with the driver its
content calls for. Here each extension admits one content: GeoJSON text starts with ``{``, KML's root element
is ``<kml>``, a Shapefile has its magic number, a GeoPackage is an SQLite file marked as one, a DXF starts
with its group codes. Anything else is refused with reason ``content_mismatch``; nothing of it is read.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from gis.errors import InvalidInput

HEAD_BYTES = 64 * 1024
LABELS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".kml": "KML", ".shp": "Shapefile", ".gpkg": "GeoPackage",
          ".dxf": "DXF"}
SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian
SQLITE_MAGIC = b"SQLite format 3\x00"
GPKG_APPLICATION_IDS = (b"GPKG", b"GP10", b"GP11")  # SQLite header bytes 68-71
BINARY_DXF = b"AutoCAD Binary DXF\r\n\x1a\x00"
TEXT_DXF = re.compile(r"\A\s*(?:999\s*\r?\n[^\n]*\r?\n\s*)*0\s*\r?\n\s*SECTION\s*\r?\n")
# The XML prolog (declaration, comments, processing instructions, a DOCTYPE without internal subset),
# then the root element's name.
XML_ROOT = re.compile(r"\A\s*(?:<\?[^>]{0,4096}\?>\s*|<!--(?:[^-]|-(?!->)){0,65536}-->\s*|<!DOCTYPE[^>\[]{0,4096}>\s*)*"
                      r"<(?:[A-Za-z_][\w.\-]{0,64}:)?([A-Za-z_][\w.\-]{0,64})")


def check_content(path: Path, *, shown: str | None = None) -> None:
    """Refuse a file whose content is not the format its extension declares (only the formats GDAL reads).

    Raises
    ------
    InvalidInput
        Reason ``content_mismatch``; the message names the file and the format expected, not the content.
    """
    suffix = path.suffix.lower()
    label = LABELS.get(suffix)
    if label is None:
        return
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    found = _what(head)
    ok = {".geojson": found == "json", ".json": found == "json", ".kml": found == "kml", ".shp": found == "shp",
          ".gpkg": found == "gpkg", ".dxf": found == "dxf"}[suffix]
    if not ok:
        name = shown or path.name
        what = {"xml": "其他 XML 文档（如 VRT、GML）", "json": "JSON", "kml": "KML", "sqlite": "SQLite 数据库",
                "gpkg": "GeoPackage", "shp": "Shapefile", "dxf": "DXF"}.get(found, "其他格式")
        raise InvalidInput(f"{name}：文件内容不是 {label} 格式（看起来是{what}），已拒绝，未读取其中任何内容；"
                           f"请上传真正的 {label} 文件（文件按扩展名所示的格式读取）",
                           reason="content_mismatch", file=name, expected=label)


def _what(head: bytes) -> str:
    """What the first bytes of a file are: json, kml, xml, shp, gpkg, sqlite, dxf or other."""
    if head.startswith(SHAPEFILE_MAGIC) and len(head) >= 100:
        return "shp"
    if head.startswith(SQLITE_MAGIC):
        return "gpkg" if head[68:72] in GPKG_APPLICATION_IDS else "sqlite"
    if head.startswith(BINARY_DXF):
        return "dxf"
    text = _text(head)
    if text.lstrip().startswith("{"):
        return "json"
    if TEXT_DXF.match(text):
        return "dxf"
    root = XML_ROOT.match(text)
    if root:
        return "kml" if root.group(1) == "kml" else "xml"
    return "other"


def _text(head: bytes) -> str:
    """The head as text (UTF-8, UTF-16 with a BOM, else GB18030 or Latin-1), a character cut at the end ignored."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore")
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    for codec in ("utf-8", "gb18030"):
        try:
            return codecs.getincrementaldecoder(codec)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return head.decode("latin-1")
