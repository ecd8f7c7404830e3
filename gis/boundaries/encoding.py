"""Attribute encodings of Shapefiles: honour .cpg, else sniff the .dbf bytes (strict UTF-8, then GB18030)."""

from __future__ import annotations

import codecs
import re
import struct
from pathlib import Path

CPG_ALIASES = {"utf-8": "UTF-8", "utf8": "UTF-8", "65001": "UTF-8", "gbk": "GB18030", "gb2312": "GB18030",
               "936": "GB18030", "cp936": "GB18030", "gb18030": "GB18030"}


def cpg_encoding(shp: Path) -> str | None:
    """The encoding a .cpg names (GBK and GB2312 widened to GB18030, their superset: 喆 and 赟 survive)."""
    cpg = shp.with_suffix(".cpg")
    if not cpg.exists():
        cpg = shp.with_suffix(".CPG")
    if not cpg.exists():
        return None
    name = cpg.read_text(errors="replace").strip().lower()
    number = re.sub(r"^(ansi|cp|windows)[\s_-]*", "", name)  # "ANSI 936", "CP936", "windows-936"
    return CPG_ALIASES.get(name) or CPG_ALIASES.get(number) or (name.upper() or None)


def dbf_bytes_kind(dbf: Path) -> str:
    """"ascii", "utf-8" (strict UTF-8 with non-ASCII bytes) or "other" for a .dbf's records.

    The whole file is read, in 1 MB steps: one GBK name in record 90,000 must not be missed.
    """
    with dbf.open("rb") as handle:
        head = handle.read(32)
        if len(head) < 32:
            return "ascii"
        header_len = struct.unpack("<H", head[8:10])[0]
        handle.seek(header_len)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        ascii_only = True
        try:
            while chunk := handle.read(1 << 20):
                ascii_only = ascii_only and chunk.isascii()
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "other"
    return "ascii" if ascii_only else "utf-8"


def sniff_dbf_encoding(dbf: Path) -> str:
    """UTF-8 if every record byte decodes strictly as UTF-8, else GB18030."""
    return "GB18030" if dbf_bytes_kind(dbf) == "other" else "UTF-8"


def shapefile_encoding(shp: Path, override: str | None = None) -> tuple[str, str]:
    """(encoding, how it was chosen): the override, the .cpg, or the sniffed bytes.

    A .cpg contradicted by the bytes loses: "UTF-8" over GBK bytes (they are not valid UTF-8) reads as
    GB18030, and "GBK" over valid non-ASCII UTF-8 reads as UTF-8 (whole GBK files are never valid UTF-8).
    """
    if override:
        return override.upper(), "given"
    declared = cpg_encoding(shp)
    kind = dbf_bytes_kind(shp.with_suffix(".dbf"))
    if declared:
        if declared == "UTF-8" and kind == "other":
            return "GB18030", ".cpg says UTF-8 but the bytes are not; detected"
        if declared == "GB18030" and kind == "utf-8":
            return "UTF-8", ".cpg says GBK but the bytes are UTF-8; detected"
        return declared, ".cpg"
    return ("GB18030" if kind == "other" else "UTF-8"), "detected"


XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.\-]+)["']""")
UTF8_NAMES = {"utf-8", "utf8", "us-ascii", "ascii"}


def is_utf8(path: Path) -> bool:
    """Whether a whole file decodes strictly as UTF-8 (read in 1 MB steps)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def text_as_utf8(path: Path, workdir: Path, override: str | None = None) -> tuple[Path, str | None]:
    """A GeoJSON or KML file as UTF-8, which GDAL expects: the file itself, or a converted copy in ``workdir``.

    GB18030 (GBK) text is common in both; a KML may also declare it (``<?xml ... encoding="GB2312"?>``), which
    GDAL's XML parser refuses. Returns the path to read and a note on the conversion (None: none needed).
    """
    head = path.open("rb").read(512)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return path, None
    declared = XML_DECLARATION.match(head)
    declared_name = declared.group(1).decode().lower() if declared else None
    if declared_name and declared_name not in UTF8_NAMES and declared_name != "iso-8859-1":
        source, how = CPG_ALIASES.get(declared_name, declared_name.upper()), "declared"
    elif is_utf8(path):  # valid UTF-8 is UTF-8, whatever --encoding says (it may be meant for a Shapefile)
        return path, None
    elif override:
        source, how = CPG_ALIASES.get(override.lower(), override.upper()), "given"
    else:
        source, how = "GB18030", "detected"
    if source.upper() in ("UTF-8", "UTF8"):
        return path, None
    text = path.read_bytes().decode(source, errors="strict")
    if declared:
        text = re.sub(r"""^(\s*<\?xml[^>]*encoding\s*=\s*["'])[A-Za-z0-9_.\-]+""", r"\1UTF-8", text, count=1)
    out = workdir / "utf8" / path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out, f"{path.name}: text encoding {source} ({how}), read as UTF-8"
