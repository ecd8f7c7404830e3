"""KML details: attributes that ArcGIS and others write into each placemark's description as an HTML table.

Descriptions are untrusted HTML. They are parsed by libxml2's HTML parser (linear, in C) and only their
first ``MAX_DESCRIPTION_CHARS`` characters are read: crafted tables (thousands of unclosed cells) cost
no more than honest ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
from lxml import etree

MAX_DESCRIPTION_CHARS = 64 * 1024  # ArcGIS writes a few KB per placemark
CELLS = ("td", "th")


@dataclass
class DescriptionFields:
    """The layer with its description tables' fields added, their names, and how many descriptions were cut."""

    frame: gpd.GeoDataFrame
    added: list[str] = field(default_factory=list)
    cut: int = 0


def fields_from_descriptions(frame: gpd.GeoDataFrame) -> DescriptionFields:
    """The layer with the fields of its description tables (field | value rows) added.

    Only fields the layer does not already have are added; a layer without such tables is returned as is.
    Descriptions longer than ``MAX_DESCRIPTION_CHARS`` are read up to that length (``cut`` counts them).
    """
    column = next((c for c in frame.columns if str(c).lower() == "description"), None)
    if column is None or not frame[column].astype(str).str.contains("<td", case=False, regex=False).any():
        return DescriptionFields(frame)
    texts = frame[column].fillna("").astype(str)
    cut = int((texts.str.len() > MAX_DESCRIPTION_CHARS).sum())
    rows = [table_pairs(text[:MAX_DESCRIPTION_CHARS]) for text in texts]
    have = {str(c).lower() for c in frame.columns}
    table = pd.DataFrame(rows, index=frame.index)
    added = [str(c) for c in table.columns if str(c).lower() not in have]
    return DescriptionFields(frame.join(table[added]) if added else frame, added, cut)


def table_pairs(text: str) -> dict[str, str]:
    """The ``field | value`` rows (exactly two cells, the first not empty) of the HTML tables in a text.

    Examples
    --------
    >>> table_pairs("<table><tr><th colspan=2>网格</th></tr><tr><td>编码</td><td>A&amp;1</td></tr></table>")
    {'编码': 'A&1'}
    """
    if "<" not in text:
        return {}
    parser = etree.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True,
                              encoding="utf-8")
    try:
        root = etree.fromstring(text.encode("utf-8", errors="replace"), parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return {}
    if root is None:
        return {}
    pairs: dict[str, str] = {}
    for row in root.iter("tr"):
        cells = ["".join(cell.itertext()).strip() for cell in row if cell.tag in CELLS]
        if len(cells) == 2 and cells[0]:
            pairs[cells[0]] = cells[1]
    return pairs
