"""KML details: attributes that ArcGIS and others write into each placemark's description as an HTML table."""

from __future__ import annotations

import html
import re

import geopandas as gpd
import pandas as pd

TABLE_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.IGNORECASE | re.DOTALL)
TABLE_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.IGNORECASE | re.DOTALL)


def fields_from_descriptions(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The layer with the fields of its description tables (field | value rows) added, and their names.

    Only fields the layer does not already have are added; a layer without such tables is returned as is.
    """
    column = next((c for c in frame.columns if str(c).lower() == "description"), None)
    if column is None or not frame[column].astype(str).str.contains("<td", case=False).any():
        return frame, []
    rows: list[dict[str, str]] = []
    for text in frame[column].fillna("").astype(str):
        pairs = {}
        for row in TABLE_ROW.findall(text):
            cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in TABLE_CELL.findall(row)]
            if len(cells) == 2 and cells[0]:
                pairs[cells[0]] = cells[1]
        rows.append(pairs)
    have = {str(c).lower() for c in frame.columns}
    table = pd.DataFrame(rows, index=frame.index)
    added = [str(c) for c in table.columns if str(c).lower() not in have]
    return (frame.join(table[added]), added) if added else (frame, [])
