"""The validation report and the activation preview as GIS staff read them: Chinese, names beside codes.

The JSON forms (``Report.as_dict``, ``activation_preview``) stay machine-readable; these are the texts of the
command line. The boundaries page renders the same JSON with the same titles (``FINDING_TITLES`` via the API).
"""

from __future__ import annotations

import re
from typing import Any

TIER_NAMES = {1: "县", 2: "乡镇（街道）", 3: "村（社区）", 4: "网格"}
SEVERITY = {"error": "错误", "warning": "提醒"}
FINDING_TITLES = {
    "empty_geometry": "没有图形",
    "not_a_polygon": "不是面状图形",
    "invalid_geometry": "图形无效（自相交等）",
    "lat_lon_swapped": "经纬度顺序颠倒",
    "outside_china": "坐标落在中国范围以外",
    "missing_code": "缺少区划代码",
    "duplicate_code": "区划代码重复",
    "sibling_overlap": "同级区划相互重叠",
    "sliver": "面积极小或极细长的区划",
    "gap": "缝隙：有范围不属于任何下级区划",
    "child_outside_parent": "下级区划超出上级区划",
    "child_outside_siblings": "区划落在同级区划范围以外",
    "missing_parent": "找不到上级区划",
    "unknown_parent": "上级区划代码不存在",
    "missing_parent_tier": "缺少上级层级",
    "childless_parent": "上级区划没有下级区划",
    "far_from_siblings": "与同级区划相距很远",
    "outside_active_generation": "图层不在启用版本的县域内",
    "suspected_gcj02": "疑似 GCJ-02（火星坐标）",
    "suspected_bd09": "疑似 BD-09（百度坐标）",
    "declared_gcj02": "图层自称 GCJ-02 却按 WGS84 读入",
    "code_province_mismatch": "区划代码与所在省份不符",
    "gauss_kruger_wrong_zone": "高斯-克吕格投影带号有误",
    "unknown_province_code": "未知的省级代码",
    "suspect_encoding": "属性编码可疑",
    "z_stripped": "已去除高程（Z）坐标",
}
CJK = re.compile(r"[\u4e00-\u9fff]")
CODE = re.compile(r"\b\d{6,15}\b")
CHANGE_NAMES = {"added": "新增", "removed": "删除", "changed": "变更"}


def named(code: str, names: dict[str, str]) -> str:
    """A code with its name beside it, when known."""
    name = names.get(code)
    return f"{code}（{name}）" if name else code


def finding_text(finding: dict[str, Any], names: dict[str, str]) -> str:
    """One finding in Chinese: severity, title, the area (code and name), size, place and the detail."""
    title = FINDING_TITLES.get(finding["code"], finding["code"])
    parts = [f"[{SEVERITY.get(finding['severity'], finding['severity'])}] {title}"]
    if finding.get("feature"):
        parts.append(named(str(finding["feature"]), names))
    if finding.get("tier"):
        parts.append(f"第 {finding['tier']} 级（{TIER_NAMES.get(finding['tier'], '')}）")
    if finding.get("area_m2") is not None:
        parts.append(f"面积 {finding['area_m2']:,.1f} 平方米")
    if finding.get("location"):
        lon, lat = finding["location"]
        parts.append(f"位置 东经 {lon:.6f}° 北纬 {lat:.6f}°")
    message = str(finding.get("message", ""))
    if CJK.search(message):
        parts.append(CODE.sub(lambda m: named(m.group(0), names) if m.group(0) != finding.get("feature")
                              else m.group(0), message))
    elif finding["code"] == "sibling_overlap" and message.startswith("overlaps "):
        parts.append(f"与 {named(message.removeprefix('overlaps ').strip(), names)} 重叠")
    if finding.get("repair"):
        parts.append(f"修正：{finding['repair']}")
    return "  ".join(parts)


def report_text(report: dict[str, Any], *, names: dict[str, str], limit: int = 200) -> str:
    """The validation report as a readable Chinese text for the terminal."""
    verdict = "通过，可以提交" if report["ok"] else "不通过，不能提交"
    lines = [f"边界文件 {report['source']} 的检查报告：{verdict}"
             f"（错误 {report['errors']} 项，提醒 {report['warnings']} 项）"]
    counts = "，".join(f"{TIER_NAMES.get(int(t), t)} {n:,} 个" for t, n in report["counts"].items())
    lines.append(f"  各级区划数量：{counts or '无'}")
    lines += [f"  读取说明：{note}" for note in report["notes"]]
    for tier, rows in report.get("preview", {}).items():
        lines.append(f"  {TIER_NAMES.get(int(tier), tier)}（前 {len(rows)} 个，代码 / 名称 / 上级）：")
        lines += [f"    {r['code']:18} {r['name']:16} {r['parent_name']}".rstrip() for r in rows]
    findings = report["findings"]
    if findings:
        lines.append("  问题清单：")
    lines += [f"  {k + 1:4}. {finding_text(f, names)}" for k, f in enumerate(findings[:limit])]
    if len(findings) > limit:
        lines.append(f"  …… 另有 {len(findings) - limit} 项，见 JSON 报告（--report-json）")
    return "\n".join(lines)


def preview_text(preview: dict[str, Any], *, limit: int = 20) -> str:
    """What activating a generation would change, in Chinese, for the confirmation at the terminal."""
    lines = [f"启用版本 {preview['generation']!r}（当前启用：{preview['active'] or '无'}）将带来以下变化："]
    for tier, counts in preview["tiers"].items():
        if any(counts.values()):
            lines.append(f"  {TIER_NAMES.get(int(tier), tier)}：新增 {counts['added']:,}，删除 {counts['removed']:,}，"
                         f"变更 {counts['changed']:,}")
    if not preview["changes_total"]:
        lines.append("  区划没有变化")
    for change in preview["changes"][:limit]:
        lines.append(f"    {CHANGE_NAMES[change['change']]} {TIER_NAMES.get(change['tier'], '')} "
                     f"{change['code']}（{change['name']}）")
    if preview["changes_total"] > limit:
        lines.append(f"    …… 共 {preview['changes_total']:,} 处")
    moving = preview["open_cases_moving"]
    lines.append(f"  未办结案件：{moving['grid']:,} 件将换网格（其中 {moving['village']:,} 件换村、"
                 f"{moving['town']:,} 件换乡镇），{preview['open_cases_unplaced']:,} 件将落在所有网格以外")
    staff = preview["staff"]
    lines.append(f"  工作人员：{len(staff):,} 人的责任区将有区划消失" if staff else "  工作人员：没有人的责任区消失")
    lines += [f"    {s['staff_code']} {s['name']}：{', '.join(s['lost'][:5])}" for s in staff[:limit]]
    lines.append(f"  网格：启用版本 {preview['grids_active']:,} 个，将删除 {preview['grids_removed']:,} 个"
                 f"（{preview['removed_share']:.1%}）；县域未被网格覆盖 {preview['uncovered_share']:.1%}")
    if preview["needs_override"]:
        lines += [f"  需要明确确认：{text}" for text in preview["override_reasons_zh"]]
    return "\n".join(lines)


def mentioned_names(prepared: Any) -> dict[str, str]:
    """Names of the areas a load's findings mention (their feature, and codes in their messages)."""
    codes: set[str] = set()
    for finding in prepared.report.findings:
        codes.add(str(finding.feature))
        codes |= set(CODE.findall(finding.message))
    areas = prepared.areas
    known = areas[areas.code.isin(codes)]
    return dict(zip(known.code.astype(str), known.name.astype(str), strict=True))
