"""Every table a person downloads, as CSV or Excel (.xlsx), with Chinese headers named in one place.

A table is its column keys (the JSON field names), the rows the JSON route returns after the statistics cut
(gis/stats_cut.py), and a title. ``FIELD_NAMES`` names each field in Chinese once; every CSV and Excel
header comes from it (``_prev`` and ``_change`` columns are named after their figure).

- CSV: UTF-8 with a BOM, so Excel and WPS show Chinese; numbers written as the JSON has them.
- XLSX: one sheet per table, a bold frozen header row, numbers stay numbers (rates formatted as per cent,
  the value unchanged), times in China Standard Time.
- Both: text that a spreadsheet would run as a formula (``= + - @``) is escaped by gis/export_cells.py, and
  control characters a workbook cannot hold are dropped (names come from boundary files anyone can load).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from gis.errors import InvalidInput
from gis.export_cells import BOM, safe_cell

CST = timedelta(hours=8)  # times in an export are read in China Standard Time
FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # no XML 1.0 character; noise in a CSV too
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_PERCENT = ("_rate", "_share")

# The Chinese name of every field that reaches a CSV or Excel header (one place; ``header`` reads it).
FIELD_NAMES: dict[str, str] = {
    # units and people
    "code": "代码", "name": "名称", "unit": "单位代码", "town_code": "乡镇（街道）代码", "town_name": "乡镇（街道）",
    "village_code": "村（社区）代码", "village_name": "村（社区）", "grid_code": "网格代码", "grid_name": "网格",
    "staff_code": "人员编号", "role": "岗位代码", "role_label": "岗位",
    # hotspots (研判)
    "count": "案件数", "population": "人口", "area_km2": "面积（平方千米）", "per_1000": "每千人案件数",
    "per_km2": "每平方千米案件数", "z": "Gi* z 值", "p": "p 值", "p_fdr": "p 值（FDR 校正）", "p_sim": "置换检验 p 值",
    "expected": "期望值", "local_sum": "邻域合计", "level": "风险等级代码", "level_label": "风险等级",
    "trend": "趋势代码", "trend_label": "趋势", "trend_z": "趋势 z 值", "trend_p": "趋势 p 值", "hot_weeks": "热点周数",
    "last_week": "近 7 天案件数", "week_change": "较前 7 天增减", "last_month": "近 30 天案件数",
    "month_change": "较前 30 天增减",
    # 考核 figures (definitions: gis/hotspots/kpi.py DEFINITIONS)
    "received": "受理数", "eligible": "有效案件数", "resolved": "办结数", "closure_rate": "化解率（办结率）",
    "on_time_rate": "按期办结率", "avg_hours": "平均办结时长（小时）", "p90_hours": "90% 案件办结时长（小时）",
    "escalation_rate": "上报率", "grass_roots_share": "一线化解率（小事不出村）", "follow_up_rate": "回访率",
    "satisfaction": "满意度（1-5 分）", "overdue_open": "超期未办结数",
    "rank": "名次", "rank_prev": "上期名次", "rank_change": "名次变化（正数为上升）",
    # rankings of the weekly meeting
    "list": "榜单", "red_grids": "红色网格数", "yellow_grids": "黄色网格数", "change": "较前 7 天增加",
    # the overdue and 督办 board
    "id": "编号", "case_id": "案件编号（内部）", "case_no": "案件编号", "title": "标题", "category_code": "类别代码",
    "category_name": "类别", "handling_tier": "办理层级代码", "tier_label": "办理层级", "handling_unit": "承办单位",
    "status": "状态代码", "status_label": "状态", "warning_level": "预警代码", "warning_label": "预警",
    "created_at": "登记时间", "due_at": "办理期限", "overdue": "是否超期", "supervisions": "督办次数",
    "supervision_label": "督办级别", "reason": "督办原因", "at": "督办时间",
}


def header(key: str) -> str:
    """The Chinese header of a field; ``x_prev`` is 上期 x, ``x_change`` is x 较上期变化; unknown keys as they are."""
    if key in FIELD_NAMES:
        return FIELD_NAMES[key]
    for suffix, form in (("_prev", "上期{}"), ("_change", "{}较上期变化")):
        base = key.removesuffix(suffix)
        if base != key and base in FIELD_NAMES:
            return form.format(FIELD_NAMES[base])
    return key


@dataclass(frozen=True)
class Table:
    """Rows under column keys, with a title (the sheet's name)."""

    title: str
    columns: tuple[str, ...]
    rows: Sequence[Mapping[str, Any]]

    @property
    def headers(self) -> list[str]:
        """The Chinese header of each column."""
        return [header(c) for c in self.columns]


def table(title: str, rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> Table:
    """A table of the rows; without ``columns``, every key the rows carry, in the order first seen."""
    listed = list(rows)
    if columns is None:
        seen: dict[str, None] = {}
        for row in listed:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    return Table(title, tuple(columns), listed)


def parse_format(value: str, allowed: Sequence[str] = ("json", *FORMATS)) -> str:
    """The export format asked for, or 422 ``unknown_export_format`` naming the ones this route has."""
    fmt = value.strip().lower()
    if fmt not in allowed:
        raise InvalidInput(f"不支持的导出格式“{value[:20]}”：可用 {'、'.join(allowed)}", reason="unknown_export_format",
                           allowed=list(allowed))
    return fmt


# -- cells ------------------------------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """A JSON value as a spreadsheet cell: numbers stay numbers, times in CST, yes/no in Chinese, text made safe."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (moment.astimezone(UTC) + CST).replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return value
    if isinstance(value, list | tuple | set):
        value = "、".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    return safe_cell(_CONTROL.sub("", str(value)))


def _csv_cell(value: Any) -> Any:
    cell = plain(value)
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, date):
        return cell.isoformat()
    return cell


# -- writers ----------------------------------------------------------------------------------------------

def csv_bytes(data: Table) -> bytes:
    """The table as CSV: UTF-8 with a BOM, Chinese header row, cells made safe."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in data.headers])
    writer.writerows([_csv_cell(row.get(c)) for c in data.columns] for row in data.rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(*tables: Table) -> bytes:
    """The tables as one workbook, a sheet each: bold frozen Chinese header, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for data in tables:
        sheet = book.create_sheet(_sheet_title(data.title, used))
        sheet.freeze_panes = "A2"
        for i, width in enumerate(_widths(data), start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        head = []
        for text in data.headers:
            cell = WriteOnlyCell(sheet, value=safe_cell(text))
            cell.font = bold
            head.append(cell)
        sheet.append(head)
        formats = [_number_format(c) for c in data.columns]
        for row in data.rows:
            cells = []
            for column, number_format in zip(data.columns, formats, strict=True):
                cell = WriteOnlyCell(sheet, value=plain(row.get(column)))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula, whatever it begins with
                elif isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif number_format:
                    cell.number_format = number_format
                cells.append(cell)
            sheet.append(cells)
    if not tables:
        book.create_sheet("空")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _number_format(column: str) -> str | None:
    base = column.removesuffix("_prev").removesuffix("_change")
    return "0.0%" if base.endswith(_PERCENT) else None


def _widths(data: Table) -> list[float]:
    """Column widths from the header and the first rows (a CJK character is two units wide)."""
    out = []
    for column, text in zip(data.columns, data.headers, strict=True):
        longest = max([_display_len(text), *(_display_len(str(r.get(column) or "")) for r in data.rows[:200])])
        out.append(float(min(max(longest + 2, 8), 48)))
    return out


def _display_len(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet_title(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, no brackets, colon, star, question mark or slash), unique."""
    base = (_SHEET_BAD.sub("_", _CONTROL.sub("", title)).strip("'") or "表")[:28]
    name, n = base, 2
    while name in used:
        name, n = f"{base}{n}", n + 1
    used.add(name)
    return name


# -- a download -------------------------------------------------------------------------------------------

def render(fmt: str, *tables: Table) -> bytes:
    """The tables as a CSV (the first table only) or as a workbook (a sheet each)."""
    if fmt == "csv":
        return csv_bytes(tables[0] if tables else table("空", []))
    if fmt == "xlsx":
        return xlsx_bytes(*tables)
    raise InvalidInput(f"不支持的导出格式“{fmt[:20]}”：可用 {'、'.join(FORMATS)}", reason="unknown_export_format",
                       allowed=list(FORMATS))


def disposition(fmt: str, *, stem: str, name: str) -> str:
    """Content-Disposition of a download: ``stem.ext`` for old clients, the Chinese ``name.ext`` for browsers."""
    return f"attachment; filename=\"{stem}.{fmt}\"; filename*=UTF-8''{quote(f'{name}.{fmt}')}"


@dataclass(frozen=True)
class Download:
    """A file to send: its bytes, media type and Content-Disposition header."""

    content: bytes
    media_type: str
    disposition: str


def download(fmt: str, *tables: Table, stem: str, name: str) -> Download:
    """The tables as a file of the format, ready to send."""
    return Download(render(fmt, *tables), MEDIA_TYPES[fmt], disposition(fmt, stem=stem, name=name))
