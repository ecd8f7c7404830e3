"""The weekly briefing (研判报告) as a PDF: risk maps, top-10 tables, the 考核 table, trends against last week.

reportlab draws everything: the maps as vector polygons (coverage-simplified grids), the text in the
STSong-Light CID font (Adobe-GB1), which every PDF reader ships, so the file embeds no font and stays small.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import numpy as np
import shapely
from reportlab.graphics.shapes import Drawing, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gis.hotspots.briefing import Briefing
from gis.hotspots.emerging import PATTERNS
from gis.hotspots.filters import local_day
from gis.models import Tier

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, spaceAfter=6)
H2 = ParagraphStyle("h2", fontName=FONT, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=14)
SMALL = ParagraphStyle("small", fontName=FONT, fontSize=8, leading=11, textColor=colors.grey)


def _pct(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):.1f}%"


def _num(value: Any, digits: int = 1) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


def _delta(row: dict[str, Any], key: str, pct: bool = False) -> str:
    change = row.get(f"{key}_change")
    if change is None:
        return "—"
    return f"{100 * change:+.1f}个百分点" if pct else f"{change:+g}"


def risk_map(b: Briefing, tier: Tier, width: float = 170 * mm, height: float = 150 * mm) -> Drawing:
    """The 蓝黄红 map of a tier as vector polygons, with a small legend."""
    table = b.grids if tier == Tier.GRID else b.villages
    geoms = b.weights.display_geometry(tier)
    keep = table.keep if table.keep is not None else np.ones(len(geoms), dtype=bool)
    level = table.columns["level"]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms[keep])
    scale = min(width / (maxx - minx), (height - 14) / (maxy - miny))
    drawing = Drawing(width, height)
    fills = {k: colors.HexColor(v) for k, v in b.rules.colours}
    for order in ("blue", "yellow", "red"):  # hot units drawn last, on top
        for i in np.flatnonzero(keep & (level == order)):
            for poly in shapely.get_parts(geoms[i]):
                xy = shapely.get_coordinates(poly.exterior)
                points = [float(v) for x, y in xy for v in ((x - minx) * scale, (y - miny) * scale + 14)]
                drawing.add(Polygon(points, fillColor=fills[order], strokeColor=colors.white if order == "blue"
                                    else colors.black, strokeWidth=0.1 if order == "blue" else 0.3))
    x = 0.0
    for key in ("red", "yellow", "blue"):
        drawing.add(Rect(x, 2, 8, 8, fillColor=fills[key], strokeColor=None))
        drawing.add(String(x + 11, 3, b.rules.label(key), fontName=FONT, fontSize=7.5))
        x += 75
    return drawing


def _table(rows: list[list[str]], widths: list[float] | None = None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")), ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _summary(b: Briefing) -> list[Any]:
    c = b.county.rows[0] if b.county.rows else {}
    first, last = local_day(b.since), local_day(b.until - timedelta(seconds=1))
    text = (f"本周（{first} 至 {last}，北京时间周一至周日）共受理矛盾纠纷 {c.get('received', 0)} 件"
            f"（上周 {c.get('received_prev', 0)} 件），办结 {c.get('resolved', 0)} 件，"
            f"化解率 {_pct(c.get('closure_rate'))}，按期办结率 {_pct(c.get('on_time_rate'))}，"
            f"一线化解率（网格、村级办结占比）{_pct(c.get('grass_roots_share'))}，"
            f"回访率 {_pct(c.get('follow_up_rate'))}，平均满意度 {_num(c.get('satisfaction'), 2)}。")
    level = b.grids.columns["level"]
    keep = b.grids.keep if b.grids.keep is not None else np.ones(len(level), dtype=bool)
    red, yellow = int((keep & (level == "red")).sum()), int((keep & (level == "yellow")).sum())
    text += f" 网格风险研判：红色 {red} 个、黄色 {yellow} 个（Getis-Ord Gi*，FDR 校正）。"
    return [Paragraph(text, BODY)]


def _top_grids(b: Briefing) -> Table:
    rows = [r for r in b.grids.rows() if r["level"] != "blue"]
    if b.town_code is not None:  # a town user's rows carry levels and counts only (gis/stats_cut.py)
        rows.sort(key=lambda r: (r["level"] != "red", -r["count"], r["code"]))
        body = [["网格", "案件数", "周变化", "等级", "趋势"]]
        for r in rows[:10]:
            body.append([r["name"], str(r["count"]), f"{r.get('week_change', 0):+g}", b.rules.label(r["level"]),
                         PATTERNS.get(str(r.get("trend")), "")])
        if len(body) == 1:
            body.append(["本周无红色、黄色网格", "", "", "", ""])
        return _table(body, [60 * mm, 20 * mm, 20 * mm, 30 * mm, 30 * mm])
    rows.sort(key=lambda r: -(r["z"] or 0))
    body = [["网格", "案件数", "Gi* z", "p（FDR）", "期望值", "等级", "趋势"]]
    for r in rows[:10]:
        body.append([r["name"], str(r["count"]), _num(r["z"], 2), f"{r['p_fdr']:.4f}", _num(r["expected"], 2),
                     b.rules.label(r["level"]), PATTERNS.get(str(r.get("trend")), "")])
    if len(body) == 1:
        body.append(["本周无红色、黄色网格", "", "", "", "", "", ""])
    return _table(body, [48 * mm, 14 * mm, 16 * mm, 18 * mm, 16 * mm, 26 * mm, 22 * mm])


def _top_villages(b: Briefing) -> Table:
    rows = sorted(b.villages.rows(), key=lambda r: (-r["count"], r["code"]))[:10]
    body = [["村（社区）", "案件数", "每千人", "周变化", "等级", "趋势"]]
    for r in rows:
        body.append([r["name"], str(r["count"]), _num(r["per_1000"], 2), f"{r.get('week_change', 0):+g}",
                     b.rules.label(r.get("level", "blue")), PATTERNS.get(str(r.get("trend")), "")])
    return _table(body, [44 * mm, 16 * mm, 18 * mm, 18 * mm, 30 * mm, 30 * mm])


def _kpi_table(b: Briefing) -> Table:
    body = [["乡镇（街道）", "受理", "办结", "化解率", "按期率", "平均时长(h)", "上报率", "一线化解", "满意度",
             "受理环比"]]
    for r in sorted(b.towns.rows, key=lambda r: str(r["unit"])):
        body.append([r.get("name", r["unit"]), str(r["received"]), str(r["resolved"]), _pct(r["closure_rate"]),
                     _pct(r["on_time_rate"]), _num(r["avg_hours"]), _pct(r["escalation_rate"]),
                     _pct(r["grass_roots_share"]), _num(r["satisfaction"], 2), _delta(r, "received")])
    return _table(body, [30 * mm] + [15 * mm] * 9)


def _five(b: Briefing) -> Table:
    body = [["五情", "本周", "上周", "变化"]]
    body += [[label, str(now), str(before), f"{now - before:+d}"] for label, now, before in b.groups]
    return _table(body, [30 * mm, 20 * mm, 20 * mm, 20 * mm])


def _classes(b: Briefing) -> Table:
    body = [["纠纷类别", "本周", "上周", "变化"]]
    body += [[name, str(now), str(before), f"{now - before:+d}"] for name, now, before in b.classes]
    return _table(body, [40 * mm, 20 * mm, 20 * mm, 20 * mm])


def _rankings(b: Briefing) -> list[Any]:
    out: list[Any] = [Paragraph("周调度排名" if b.town_code is None else "本乡镇（街道）周调度情况", H2)]
    red = "；".join(f"{r['name']} 红{r['red_grids']}黄{r['yellow_grids']}" for r in b.rankings["most_red"][:5]) or "无"
    rising = "；".join(f"{r['name']}（+{r['change']}）" for r in b.rankings["fastest_rising"][:5]) or "无"
    low = "；".join(f"{r['name']} {_pct(r['on_time_rate'])}" for r in b.rankings["lowest_on_time"][:5]) or "无"
    labels = ("红色网格最多的乡镇", "上升最快的网格", "按期办结率最低的乡镇") if b.town_code is None else (
        "本乡镇红色、黄色网格", "本乡镇上升最快的网格", "本乡镇按期办结率")
    for label, text in zip(labels, (red, rising, low), strict=True):
        out.append(Paragraph(f"<b>{label}</b>：{text}", BODY))
    return out


def _method_note(b: Briefing) -> str:
    where = ("对全县单元做 Benjamini-Hochberg 错误发现率校正，" if b.town_code is None else
             "仅用本乡镇（街道）的案件、在本乡镇单元之间计算并做 Benjamini-Hochberg 错误发现率校正，")
    return ("红色：99% 置信度的热点；黄色：95%；蓝色：其他。判定基于 Getis-Ord Gi*（Queen 邻接，含自身），"
            f"{where}并要求 999 次置换检验一致、案件数不少于 {b.rules.min_count} 件。")


def weekly_pdf(b: Briefing) -> bytes:
    """The briefing as PDF bytes (A4, four pages)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"{b.region_name} 矛盾纠纷风险研判周报 {b.week}",
                            author="Fengqiao")
    story: list[Any] = [Paragraph(f"{b.region_name}矛盾纠纷风险研判周报（{b.week}）", TITLE), *_summary(b),
                        Paragraph("网格风险地图（蓝黄红）", H2), risk_map(b, Tier.GRID),
                        Paragraph(_method_note(b), SMALL),
                        PageBreak(), Paragraph("村（社区）风险地图", H2), risk_map(b, Tier.VILLAGE, height=120 * mm),
                        Paragraph("风险网格前十", H2), _top_grids(b), PageBreak(),
                        Paragraph("案件最多的村（社区）前十", H2), _top_villages(b),
                        Paragraph("“五情”来源分析（与上周对比）", H2), _five(b),
                        Paragraph("纠纷类别（与上周对比）", H2), _classes(b), PageBreak(),
                        Paragraph("闭环考核（受理—分流—处置—反馈—评价—考核）", H2), _kpi_table(b), Spacer(1, 4 * mm),
                        Paragraph("口径：化解率 = 办结 /（受理 - 退回 - 重复）；按期率 = 在办理时限内办结 / 办结；"
                                  "一线化解 = 网格或村级办结 / 办结；上报率 = 上报过的案件 /（受理 - 退回 - 重复）。"
                                  "均按本周登记的案件在周末时的状态计算，详见 data/cases/README.md。", SMALL),
                        *_rankings(b)]
    doc.build(story)
    return buffer.getvalue()
