"""What a notification is about, and the Chinese sentences people read."""

from __future__ import annotations

from dataclasses import dataclass

ORDER_DECLINED = "order_declined"
ORDER_RETURNED = "order_returned"
CASE_RED = "case_red"
CASE_SUPERVISED = "case_supervised"
CASE_NEW = "case_new"
TREND_RISING = "trend_rising"

KIND_LABELS = {
    ORDER_DECLINED: "拒单", ORDER_RETURNED: "退单", CASE_RED: "红色预警", CASE_SUPERVISED: "督办",
    CASE_NEW: "新案件", TREND_RISING: "上升趋势预警",
}
CHANNELS = ("console", "sms", "wecom", "dingtalk")
ROLE_LABELS = {"lead": "主办", "assist": "协办"}


@dataclass(frozen=True)
class Notice:
    """One message to some people: kind, title and body (Chinese), the case it is about, a repeat key."""

    kind: str
    title: str
    body: str = ""
    case_id: int | None = None
    town_code: str | None = None
    dedup_key: str | None = None


def order_ended_by_staff(*, order_id: int, status: str, case_id: int, case_no: str, town_code: str,
                         staff_name: str, role: str, reason: str) -> Notice:
    """A staff member declined or returned an order."""
    kind = ORDER_DECLINED if status == "declined" else ORDER_RETURNED
    verb = "拒单" if status == "declined" else "退单"
    return Notice(kind, f"{staff_name}（{ROLE_LABELS.get(role, role)}）{verb}：{case_no}",
                  f"原因：{reason.strip() or '未说明'}", case_id, town_code, f"{kind}:{order_id}")


def case_warned(*, level: str, case_id: int, case_no: str, town_code: str, reason: str) -> Notice:
    """The deadline sweep turned a case red, or put it under supervision (督办) at yellow."""
    if level == "red":
        return Notice(CASE_RED, f"红色预警：{case_no} 已超期", f"红牌督办：{reason}", case_id, town_code,
                      f"{CASE_RED}:{case_id}")
    return Notice(CASE_SUPERVISED, f"督办：{case_no}", f"黄牌督办：{reason}", case_id, town_code,
                  f"{CASE_SUPERVISED}:{level}:{case_id}")


def case_arrived(*, case_id: int, case_no: str, town_code: str, source: str, category: str) -> Notice:
    """A case came in from the field or the public."""
    return Notice(CASE_NEW, f"新案件：{case_no}（{source}）", category, case_id, town_code, f"{CASE_NEW}:{case_id}")


def trend_rising(*, village_code: str, village_name: str, town_code: str, week: str, recent: int,
                 expected: float) -> Notice:
    """A village's reported cases rose beyond what its past weeks lead one to expect."""
    return Notice(TREND_RISING, f"上升趋势预警：{village_name}",
                  f"{week} 前四周报告 {recent} 件，按往期应约 {expected:.1f} 件", None, town_code,
                  f"{TREND_RISING}:{week}:{village_code}")
