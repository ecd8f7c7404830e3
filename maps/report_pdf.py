"""The weekly briefing (研判周报) as a PDF: risk maps, the hot grids, the 考核 table, next week's outlook.

reportlab draws everything: the maps as vector polygons (coverage-simplified grids), the text in the
STSong-Light CID font (Adobe-GB1), which every PDF reader ships, so the file embeds no font and stays small.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
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
SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=10.5, leading=15, spaceAfter=6)
H2 = ParagraphStyle("h2", fontName=FONT, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4)
H3 = ParagraphStyle("h3", fontName=FONT, fontSize=10.5, leading=15, spaceBefore=6, spaceAfter=3)
HEAD = ParagraphStyle("head", fontName=FONT, fontSize=8, leading=10)
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


@dataclass(frozen=True)
class _Frame:
    """Longitude and latitude to page points: the map's lower left corner, its scale, the legend's strip."""

    minx: float
    miny: float
    scale: float
    bottom: float

    def points(self, poly: shapely.Polygon) -> list[float]:
        return [v for x, y in shapely.get_coordinates(poly.exterior) for v in self.at(float(x), float(y))]

    def at(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.minx) * self.scale, (y - self.miny) * self.scale + self.bottom

    def spot(self, geom: shapely.Geometry) -> tuple[float, float]:
        """A point surely inside the shape (a label's place)."""
        p = shapely.point_on_surface(geom)
        return self.at(p.x, p.y)


def _legend(drawing: Drawing, b: Briefing, fills: dict[str, Any], keys: tuple[str, ...]) -> None:
    x = 0.0
    for key in keys:
        drawing.add(Rect(x, 2, 8, 8, fillColor=fills[key], strokeColor=colors.black, strokeWidth=0.3))
        drawing.add(String(x + 11, 3, b.rules.label(key), fontName=FONT, fontSize=7.5))
        x += 75


def _label(drawing: Drawing, x: float, y: float, text: str, size: float, colour: Any = colors.black) -> None:
    """A name on a pale backing, readable over any fill (drawn once, so the text copies and searches cleanly)."""
    width = pdfmetrics.stringWidth(text, FONT, size)
    drawing.add(Rect(x - width / 2 - 1, y - size * 0.25, width + 2, size * 1.1, fillColor=colors.Color(1, 1, 1, 0.7),
                     strokeColor=None))
    drawing.add(String(x, y, text, fontName=FONT, fontSize=size, fillColor=colour, textAnchor="middle"))


def _in_region(b: Briefing, tier: Tier) -> NDArray[np.bool_]:
    """The units of a tier a map may draw and name: the county's, or a town user's own (gis/stats_cut.py)."""
    units = b.weights.units
    if b.town_code is None:
        return np.ones(len(units.of(tier)), dtype=bool)
    return np.asarray(units.in_town(tier, b.town_code), dtype=bool)


def hot_grids(b: Briefing) -> list[dict[str, Any]]:
    """The week's red and yellow grids, red first, most cases first (the numbers on the grid map)."""
    rows = [r for r in b.grids.rows() if r["level"] in ("red", "yellow")]
    rows.sort(key=lambda r: (r["level"] != "red", -r["count"], r["code"]))
    return rows


def grid_map(b: Briefing, width: float = 174 * mm, height: float = 150 * mm) -> Drawing:
    """The red and yellow grids, numbered, over the outlines and names of the villages around them.

    The map shows the part of the county where the hot grids are (a little wider), so a grid of a few hundred
    metres is visible; the numbers are those of the table below the map.
    """
    units = b.weights.units
    grids = b.weights.display_geometry(Tier.GRID)
    villages = b.weights.display_geometry(Tier.VILLAGE)
    towns = b.weights.display_geometry(Tier.TOWN)
    fills = {k: colors.HexColor(v) for k, v in b.rules.colours}
    hot = hot_grids(b)
    index = units.of(Tier.GRID).index
    hot_idx = [index[r["code"]] for r in hot]
    drawing = Drawing(width, height)
    if hot_idx:
        minx, miny, maxx, maxy = shapely.total_bounds(grids[hot_idx])
    else:
        minx, miny, maxx, maxy = shapely.total_bounds(towns[_in_region(b, Tier.TOWN)])
    # At least about 4 km across, plus a margin, in the page's proportions.
    cx, cy, w, h = (minx + maxx) / 2, (miny + maxy) / 2, max(maxx - minx, 0.04) * 1.25, max(maxy - miny, 0.04) * 1.25
    bottom = 14.0
    aspect = width / (height - bottom)
    w, h = max(w, h * aspect), max(h, w / aspect)
    box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    scale = min(width / w, (height - bottom) / h)
    frame = _Frame(box[0], box[1], scale, bottom)
    points = frame.points
    window = shapely.box(*box)
    near = np.flatnonzero(shapely.intersects(villages, window) & _in_region(b, Tier.VILLAGE))
    for v in near:
        for poly in shapely.get_parts(shapely.intersection(villages[v], window)):
            if isinstance(poly, shapely.Polygon) and len(poly.exterior.coords) > 2:
                drawing.add(Polygon(points(poly), fillColor=colors.HexColor("#f3f5f7"), strokeColor=colors.HexColor(
                    "#9aa7b4"), strokeWidth=0.4))
    for rank, i in enumerate(hot_idx, start=1):
        level = hot[rank - 1]["level"]
        for poly in shapely.get_parts(shapely.intersection(grids[i], window)):
            if isinstance(poly, shapely.Polygon) and len(poly.exterior.coords) > 2:
                drawing.add(Polygon(points(poly), fillColor=fills[level], strokeColor=colors.black, strokeWidth=0.4))
    for t in np.flatnonzero(shapely.intersects(towns, window) & _in_region(b, Tier.TOWN)):
        for poly in shapely.get_parts(shapely.intersection(towns[t], window)):
            if isinstance(poly, shapely.Polygon) and len(poly.exterior.coords) > 2:
                drawing.add(Polygon(points(poly), fillColor=None, strokeColor=colors.HexColor("#1f3a5f"),
                                    strokeWidth=1.2))
    village_of = units.up[Tier.VILLAGE]
    named = {int(village_of[i]) for i in hot_idx} if hot_idx else set()
    names = units.of(Tier.VILLAGE).names
    labelled = named if len(near) > 60 else {int(v) for v in near} | named
    for village in sorted(labelled):
        part = shapely.intersection(villages[village], window)
        if part.is_empty:
            continue
        x, y = frame.spot(part)
        _label(drawing, x, y - 2, str(names[village]), 6.5 if village in named else 5.5,
               colors.HexColor("#24527a") if village in named else colors.HexColor("#6b7a88"))
    for rank, i in enumerate(hot_idx[:40], start=1):
        x, y = frame.spot(grids[i])
        _label(drawing, x, y - 2.5, str(rank), 7.5)
    if not hot_idx:
        for town in np.flatnonzero(_in_region(b, Tier.TOWN)):
            x, y = frame.spot(towns[town])
            _label(drawing, x, y, str(units.of(Tier.TOWN).names[town]), 7)
        _label(drawing, width / 2, height / 2, "本周没有红色、黄色网格", 14, colors.HexColor("#1f3a5f"))
    _legend(drawing, b, fills, ("red", "yellow"))
    note = ("图中数字为下表序号；" if hot_idx else "") + "灰线为村（社区）界，深蓝线为乡镇（街道）界。"
    drawing.add(String(160, 3, note, fontName=FONT, fontSize=7.5))
    return drawing


def risk_map(b: Briefing, tier: Tier, width: float = 170 * mm, height: float = 150 * mm) -> Drawing:
    """The 蓝黄红 map of the villages over the whole county, town outlines and names on top."""
    table = b.grids if tier == Tier.GRID else b.villages
    geoms = b.weights.display_geometry(tier)
    towns = b.weights.display_geometry(Tier.TOWN)
    keep = table.keep if table.keep is not None else np.ones(len(geoms), dtype=bool)
    level = table.columns["level"]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms[keep])
    scale = min(width / (maxx - minx), (height - 14) / (maxy - miny))
    frame = _Frame(minx, miny, scale, 14)
    points = frame.points
    drawing = Drawing(width, height)
    fills = {k: colors.HexColor(v) for k, v in b.rules.colours}
    for order in ("blue", "yellow", "red"):  # hot units drawn last, on top
        for i in np.flatnonzero(keep & (level == order)):
            for poly in shapely.get_parts(geoms[i]):
                drawing.add(Polygon(points(poly), fillColor=fills[order], strokeColor=colors.white,
                                    strokeWidth=0.2 if order == "blue" else 0.4))
    town_keep = shapely.intersects(towns, shapely.box(minx, miny, maxx, maxy)) & _in_region(b, Tier.TOWN)
    for i in np.flatnonzero(town_keep):
        for poly in shapely.get_parts(towns[i]):
            drawing.add(Polygon(points(poly), fillColor=None, strokeColor=colors.HexColor("#1f3a5f"), strokeWidth=0.9))
    for i in np.flatnonzero(town_keep):
        x, y = frame.spot(towns[i])
        _label(drawing, x, y, str(b.weights.units.of(Tier.TOWN).names[i]), 7)
    _legend(drawing, b, fills, ("red", "yellow", "blue"))
    return drawing


def _table(rows: list[list[str]], widths: list[float] | None = None) -> Table:
    """A table whose header cells wrap inside their column (long headings never run into the next cell)."""
    header = [Paragraph(str(text), HEAD) for text in rows[0]]
    table = Table([header, *rows[1:]], colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")), ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _summary(b: Briefing) -> list[Any]:
    c = b.county.rows[0] if b.county.rows else {}
    first, last = local_day(b.since), local_day(b.until - timedelta(seconds=1))
    received, before = int(c.get("received") or 0), int(c.get("received_prev") or 0)
    trend = "持平" if received == before else (f"增加 {received - before} 件" if received > before
                                              else f"减少 {before - received} 件")
    text = (f"本周（{first} 至 {last}）共受理矛盾纠纷 {received} 件，较上周（{before} 件）{trend}；"
            f"办结 {c.get('resolved', 0)} 件，化解率 {_pct(c.get('closure_rate'))}，"
            f"按期办结率 {_pct(c.get('on_time_rate'))}，一线化解率（网格、村级办结占比）"
            f"{_pct(c.get('grass_roots_share'))}，回访率 {_pct(c.get('follow_up_rate'))}，"
            f"群众满意度平均 {_num(c.get('satisfaction'), 2)} 分（满分 5 分）。")
    level = b.grids.columns["level"]
    keep = b.grids.keep if b.grids.keep is not None else np.ones(len(level), dtype=bool)
    red, yellow = int((keep & (level == "red")).sum()), int((keep & (level == "yellow")).sum())
    text += (f"经风险研判，红色（高风险）网格 {red} 个、黄色（中风险）网格 {yellow} 个。" if red + yellow else
             "经风险研判，本周没有红色、黄色网格。")
    o = b.outlook
    text += (f"下周预计受理约 {o.expected_total:.0f} 件；"
             + (f"{len(o.alerted)} 个村（社区）矛盾纠纷呈上升趋势，需提前介入。" if o.alerted
                else "暂无呈上升趋势的村（社区）。"))
    return [Paragraph(text, BODY)]


def _hot_grid_table(b: Briefing) -> list[Any]:
    """The numbered red and yellow grids of the map, or a sentence when there are none."""
    rows = hot_grids(b)
    if not rows:
        return [Paragraph("本周没有红色、黄色网格。", BODY)]
    village_of = b.weights.units.up[Tier.VILLAGE]
    index = b.weights.units.of(Tier.GRID).index
    villages = b.weights.units.of(Tier.VILLAGE).names
    body = [["序号", "网格", "所在村（社区）", "本周案件", "较上周", "风险等级", "近 12 周趋势"]]
    for n, r in enumerate(rows[:40], start=1):
        body.append([str(n), r["name"], str(villages[village_of[index[r["code"]]]]), str(r["count"]),
                     f"{r.get('week_change', 0):+g}", b.rules.label(r["level"]), PATTERNS.get(str(r.get("trend")), "")])
    out: list[Any] = [_table(body, [11 * mm, 40 * mm, 30 * mm, 16 * mm, 16 * mm, 30 * mm, 27 * mm])]
    if len(rows) > 40:
        out.append(Paragraph(f"另有 {len(rows) - 40} 个红色、黄色网格未列出，见工作台风险地图。", SMALL))
    return out


def _top_villages(b: Briefing) -> list[Any]:
    rows = sorted((r for r in b.villages.rows() if r["count"] > 0), key=lambda r: (-r["count"], r["code"]))[:10]
    if not rows:
        return [Paragraph("本周各村（社区）均无受理案件。", BODY)]
    body = [["村（社区）", "本周案件", "每千人", "较上周", "风险等级", "近 12 周趋势"]]
    for r in rows:
        body.append([r["name"], str(r["count"]), _num(r.get("per_1000"), 2), f"{r.get('week_change', 0):+g}",
                     b.rules.label(r.get("level", "blue")), PATTERNS.get(str(r.get("trend")), "")])
    return [_table(body, [44 * mm, 18 * mm, 18 * mm, 18 * mm, 30 * mm, 30 * mm])]


def _kpi_table(b: Briefing) -> Table:
    body = [["乡镇（街道）", "受理", "办结", "化解率", "按期办结率", "平均办结时长（小时）", "上报率", "一线化解率",
             "满意度", "受理较上周"]]
    for r in sorted(b.towns.rows, key=lambda r: str(r["unit"])):
        body.append([r.get("name", r["unit"]), str(r["received"]), str(r["resolved"]), _pct(r["closure_rate"]),
                     _pct(r["on_time_rate"]), _num(r["avg_hours"]), _pct(r["escalation_rate"]),
                     _pct(r["grass_roots_share"]), _num(r["satisfaction"], 2), _delta(r, "received")])
    return _table(body, [28 * mm, 13 * mm, 13 * mm, 15 * mm, 16 * mm, 18 * mm, 15 * mm, 16 * mm, 14 * mm, 16 * mm])


def _five(b: Briefing) -> Table:
    body = [["“五情”来源", "本周", "上周", "变化"]]
    body += [[label, str(now), str(before), f"{now - before:+d}"] for label, now, before in b.groups]
    return _table(body, [26 * mm, 16 * mm, 16 * mm, 16 * mm])


def _classes(b: Briefing) -> Table:
    body = [["纠纷类别", "本周", "上周", "变化"]]
    body += [[name, str(now), str(before), f"{now - before:+d}"] for name, now, before in b.classes]
    return _table(body, [38 * mm, 16 * mm, 16 * mm, 16 * mm])


def _side_by_side(left: Table, right: Table) -> Table:
    holder = Table([[left, right]], colWidths=[82 * mm, 92 * mm])
    holder.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return holder


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


def _outlook(b: Briefing) -> list[Any]:
    """下周预测与上升预警, in a 周报's words: what to expect, where it is rising, what to do."""
    o = b.outlook
    rule = o.rule
    out: list[Any] = [Paragraph("五、下周预测与上升预警", H2)]
    out.append(Paragraph(f"（一）下周（{o.next_week}）预测。根据近一年每周受理情况、季节规律和相邻村（社区）情况测算，"
                         f"{'全县' if b.town_code is None else '本乡镇（街道）'}下周预计受理矛盾纠纷约 "
                         f"{o.expected_total:.0f} 件。预计案件较多的村（社区）如下：", BODY))
    if o.top:
        body = [["序号", "村（社区）", "所属乡镇（街道）", "下周预计（件）"]]
        body += [[str(n), v.name, v.town, f"{v.expected:.1f}"] for n, v in enumerate(o.top, start=1)]
        out.append(_table(body, [12 * mm, 50 * mm, 50 * mm, 30 * mm]))
    else:
        out.append(Paragraph("近一年没有受理记录，暂不作预测。", BODY))
    out.append(Spacer(1, 3 * mm))
    intro = (f"（二）上升预警。对比近 {rule.recent_weeks} 周与此前 {rule.baseline_weeks} 周群众反映"
             "（来信来访、热线、转办等）的矛盾纠纷，")
    if o.alerted:
        out.append(Paragraph(intro + f"以下 {len(o.alerted)} 个村（社区）明显上升，列为“预警：上升趋势”：", BODY))
        body = [["村（社区）", "所属乡镇（街道）", f"近 {rule.recent_weeks} 周（件）",
                 f"此前 {rule.baseline_weeks} 周（件）", "下周预计（件）"]]
        body += [[v.name, v.town, str(v.recent), str(v.baseline), f"{v.expected:.1f}"] for v in o.alerted]
        out.append(_table(body, [40 * mm, 40 * mm, 26 * mm, 28 * mm, 26 * mm]))
        out.append(Paragraph("工作建议：请相关乡镇（街道）组织网格员对预警村（社区）提前走访排查，"
                             "必要时安排流动调解力量驻点，做到发现在早、防范在先、化解在小。", BODY))
    else:
        out.append(Paragraph(intro + "本周没有明显上升的村（社区）。", BODY))
    out.append(Paragraph(f"说明：预警要求近 {rule.recent_weeks} 周至少 {rule.min_count} 件，"
                         f"并控制多个村（社区）同时检验时的误报比例不超过 {100 * rule.fdr:g}%；"
                         "网格员自行排查发现的案件随派出地点变化，不计入预警。", SMALL))
    return out


def _method_note(b: Briefing) -> str:
    where = ("与全县各网格比较" if b.town_code is None else "仅用本乡镇（街道）的案件、在本乡镇各网格之间比较")
    return (f"研判方法：把每个网格本周的案件数连同相邻网格一起{where}，案件明显扎堆、且不像偶然的标红（把握 99%）"
            f"或标黄（把握 95%），并对多重比较做校正；案件少于 {b.rules.min_count} 件的不标红黄"
            "（Getis-Ord Gi* 热点分析，Benjamini-Hochberg 校正，999 次随机重排复核）。")


def weekly_pdf(b: Briefing) -> bytes:
    """The briefing as PDF bytes (A4)."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"{b.region_name} 矛盾纠纷风险研判周报 {b.week}",
                            author="Fengqiao")
    first, last = local_day(b.since), local_day(b.until - timedelta(seconds=1))
    story: list[Any] = [
        Paragraph(f"{b.region_name}矛盾纠纷风险研判周报", TITLE),
        Paragraph(f"{b.week}（{first} 至 {last}，北京时间周一至周日）", SUBTITLE),
        Paragraph("一、本周总体情况", H2), *_summary(b),
        Paragraph("二、网格风险地图（蓝黄红）", H2), grid_map(b), Paragraph(_method_note(b), SMALL),
        Paragraph("本周红色、黄色网格", H3), *_hot_grid_table(b),
        PageBreak(), Paragraph("三、村（社区）风险地图", H2), risk_map(b, Tier.VILLAGE, height=120 * mm),
        Paragraph("本周案件较多的村（社区）", H3), *_top_villages(b),
        PageBreak(), Paragraph("四、来源、类别与闭环考核", H2),
        Paragraph("（一）“五情”来源与纠纷类别（与上周对比）", H3), _side_by_side(_five(b), _classes(b)),
        Paragraph("（二）闭环考核（受理—分流—处置—反馈—评价—考核）", H3), _kpi_table(b), Spacer(1, 2 * mm),
        Paragraph("口径：化解率 = 办结 ÷（受理 - 退回 - 重复）；按期办结率 = 在办理时限内办结 ÷ 办结；"
                  "一线化解率 = 网格或村级办结 ÷ 办结；上报率 = 上报过的案件 ÷（受理 - 退回 - 重复）。"
                  "均按本周登记的案件在周末时的状态计算。", SMALL),
        PageBreak(), *_rankings(b), *_outlook(b)]
    doc.build(story)
    return buffer.getvalue()
