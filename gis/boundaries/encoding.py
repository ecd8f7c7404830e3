"""Attribute encodings of Shapefiles: honour .cpg, else sniff the .dbf bytes (strict UTF-8, then GB18030)."""

from __future__ import annotations

import codecs
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
    """UTF-8 if every record byte decodes strictly as UTF-8, else GB18030.

    The whole file is read, in 1 MB steps: one GBK name in record 90,000 must not be missed.
    """
    with dbf.open("rb") as handle:
        head = handle.read(32)
        if len(head) < 32:
            return "UTF-8"
        header_len = struct.unpack("<H", head[8:10])[0]
        handle.seek(header_len)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "GB18030"
    return "UTF-8"


def shapefile_encoding(shp: Path, override: str | None = None) -> tuple[str, str]:
    """(encoding, how it was chosen): the override, the .cpg, or the sniffed bytes."""
    if override:
        return override.upper(), "given"
    declared = cpg_encoding(shp)
    if declared:
        return declared, ".cpg"
    return sniff_dbf_encoding(shp.with_suffix(".dbf")), "detected"
