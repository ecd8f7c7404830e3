"""What GIS staff check before committing: the first rows of each tier, and names that look mis-decoded."""

from __future__ import annotations

import re

import geopandas as gpd

from gis.boundaries.report import Report
from gis.boundaries.validate import where

PREVIEW_ROWS = 5
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]")
LATIN_HIGH = re.compile(r"[\u0080-\u00b6\u00b8-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
                        r"\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")
# Latin-1 / cp1252 letters (the middle dot U+00B7 is left out: it is legitimate in minority names, 阿依·买买提)


def mojibake(name: str) -> str | None:
    """Why a name looks mis-decoded (None when it looks fine).

    Catches U+FFFD replacement characters, "锟斤拷" (replacement characters that went through GBK),
    GBK or UTF-8 bytes read as Latin-1 ("ÑôÃ÷Õò", "é˜³æ˜Ž"), and UTF-8 bytes read as GBK ("闃虫槑闀").

    Examples
    --------
    >>> mojibake("阳明镇")
    >>> mojibake("ÑôÃ÷Õò")
    'Latin-1 letters; read as GB18030 it says 阳明镇'
    """
    if "\ufffd" in name:
        return "U+FFFD replacement characters: bytes that did not decode"
    if "锟斤拷" in name or "烫烫烫" in name:
        return '"锟斤拷": replacement characters re-encoded as GBK'
    if LATIN_HIGH.search(name):
        for codec in ("latin-1", "cp1252"):
            try:
                raw = name.encode(codec)
            except UnicodeEncodeError:
                continue
            for target in ("utf-8", "gb18030"):  # strict UTF-8 is the stronger signal
                fixed = _decode(raw, target)
                if fixed and CJK.search(fixed):
                    return f"Latin-1 letters; read as {target.upper()} it says {fixed}"
        return None
    if CJK.search(name):
        fixed = _decode(name.encode("gb18030"), "utf-8")
        if fixed and fixed != name and CJK.search(fixed) and not _not_a_name(fixed):
            return f"UTF-8 read as GBK; read as UTF-8 it says {fixed}"
    return None


def _not_a_name(text: str) -> bool:
    """True when the text holds something other than CJK, ASCII letters and digits (so not a real name)."""
    return bool(re.search(r"[^\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134fA-Za-z0-9()（）·\s_-]", text))


def _decode(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        return None


def check_names(areas: gpd.GeoDataFrame, report: Report) -> None:
    """One warning per tier whose names look mis-decoded, with the count and the first example."""
    for tier, group in areas.groupby("tier"):
        reasons = [(code, name, geom, mojibake(str(name))) for code, name, geom in
                   zip(group.code, group.name, group.geometry, strict=True)]
        bad = [r for r in reasons if r[3]]
        if not bad:
            continue
        code, name, geom, why = bad[0]
        report.add("warning", "suspect_encoding", f"{len(bad):,} of {len(group):,} names look mis-decoded, e.g. "
                   f"{name!r} ({why}); check the file's encoding (--encoding GB18030 or UTF-8)",
                   feature=str(code), tier=int(tier), location=where(geom))


def add_previews(areas: gpd.GeoDataFrame, tiers: set[int], report: Report, rows: int = PREVIEW_ROWS) -> None:
    """The first rows of each loaded tier, in file order: code, name and the parent's name."""
    for tier in sorted(tiers):
        parents = areas[areas.tier == tier - 1]
        parent_names = dict(zip(parents.code, parents.name, strict=True))
        head = areas[areas.tier == tier].head(rows)
        report.previews[tier] = [
            {"code": str(code), "name": str(name), "parent_name": str(parent_names.get(parent, ""))}
            for code, name, parent in zip(head.code, head.name, head.parent_code, strict=True)]
