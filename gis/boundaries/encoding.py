"""Attribute encodings of Shapefiles: honour .cpg, else sniff the .dbf bytes (strict UTF-8, then GB18030)."""

from __future__ import annotations

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
    return CPG_ALIASES.get(name, name.upper() or None)


def sniff_dbf_encoding(dbf: Path) -> str:
    """UTF-8 if the record bytes decode strictly as UTF-8, else GB18030."""
    raw = dbf.read_bytes()
    if len(raw) < 32:
        return "UTF-8"
    header_len, record_len = struct.unpack("<HH", raw[8:12])
    body = raw[header_len:header_len + record_len * 5000]
    try:
        body.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


def shapefile_encoding(shp: Path, override: str | None = None) -> tuple[str, str]:
    """(encoding, how it was chosen): the override, the .cpg, or the sniffed bytes."""
    if override:
        return override.upper(), "given"
    declared = cpg_encoding(shp)
    if declared:
        return declared, ".cpg"
    return sniff_dbf_encoding(shp.with_suffix(".dbf")), "detected"
