"""Cells of every CSV or spreadsheet export, made safe to open in Excel or WPS (no formula injection).

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or carriage
return followed by one) as a formula, so a case address or a unit name such as ``=HYPERLINK(...)`` typed by
anyone would run on the reader's machine. Such text cells get a leading apostrophe (shown as text, the
OWASP advice). Numbers stay numbers: ``-3`` or ``-1.5e-3`` is not a formula, and a negative change must
still sort as a number.

Whole tables (Chinese headers, CSV and Excel) go through gis/export_tables.py, which uses these cells.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
BOM = "\ufeff"


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should get it: text that a spreadsheet would run gets a leading ``'``."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.match(text):
        return "'" + text
    return text


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every cell of a row made safe."""
    return {k: safe_cell(v) for k, v in row.items()}


def csv_text(rows: Iterable[Mapping[str, Any]], fieldnames: Sequence[str], *, bom: bool = True) -> str:
    """Rows as CSV (UTF-8 with a BOM so Excel shows Chinese), header and cells made safe."""
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    if fieldnames:
        writer = csv.DictWriter(buffer, fieldnames=[str(safe_cell(f)) for f in fieldnames],
                                extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({str(safe_cell(k)): safe_cell(v) for k, v in row.items()})
    return buffer.getvalue()
