"""Walk drawn cases through the loop (受理-分流-处置-反馈-评价): transitions, deadlines, warnings, 督办, lead staff.

Times follow the county's routing table (data/workflow/routing.toml): a case's handling time is a
log-normal share of its deadline, scaled by how well its town performs, so most cases close on time at
grid or village tier, some are escalated one tier, some run late and the newest are still open at
``until``. Everything after ``until`` is cut off, so the state at ``until`` is what a real database
would hold that day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis.cases.book import CaseRules
from gis.hotspots.units import UnitTable
from gis.models import Tier
from gis.sample.cases import Draws

HOUR = 3600
DAY = 86400
ESCALATION = {"03": 0.12, "04": 0.10, "10": 0.08}
DESCRIPTIONS = {
    "01": "家庭成员之间发生争执，请求调解",
    "02": "邻里之间因琐事产生矛盾",
    "03": "因土地山林权属或补偿产生争议",
    "04": "反映工资被拖欠，要求尽快解决",
    "05": "因经济往来产生纠纷",
    "06": "对物业或住房问题不满",
    "07": "交通事故后赔偿未谈妥",
    "08": "对诊疗结果有异议",
    "09": "反映污染影响生产生活",
    "10": "发现安全隐患或冲突苗头",
}


@dataclass(frozen=True)
class StaffPool:
    """Roster entries the generator may credit as lead: (id, role, territory codes, free capacity slots)."""

    rows: tuple[tuple[int, str, tuple[str, ...], tuple[int, ...]], ...] = ()

    def by_territory(self, role: str) -> dict[str, list[int]]:
        """Staff ids of a role by territory code."""
        out: dict[str, list[int]] = {}
        for sid, r, territory, _ in self.rows:
            if r == role:
                for code in territory or ("",):
                    out.setdefault(code, []).append(sid)
        return out

    def free_slots(self) -> dict[int, list[int]]:
        """Capacity slots not held by an active order, by staff id."""
        return {sid: list(slots) for sid, _, _, slots in self.rows}


@dataclass
class History:
    """Rows to store: cases, transitions, supervisions and lead dispatch orders (case = index into cases)."""

    cases: pd.DataFrame
    transitions: pd.DataFrame
    supervisions: pd.DataFrame
    orders: pd.DataFrame
    stories: dict[str, object]


def walk(draws: Draws, units: UnitTable, rules: CaseRules, *, until_ts: int, staff: StaffPool,
         seed: int) -> History:
    """Give every drawn case its path through the loop up to ``until_ts`` (seconds, UTC)."""
    rng = np.random.default_rng(seed + 7)
    n = len(draws.grid)
    cls = np.array([c[:2] for c in draws.category])
    combos, inverse = np.unique(np.char.add(np.char.add(draws.category.astype(str), "|"),
                                            draws.severity.astype(str)), return_inverse=True)
    tier_of = np.array([rules.routing.tier_for(rules.taxonomy.get(c.split("|")[0]), c.split("|")[1])
                        for c in combos], dtype=np.int64)
    tier0 = tier_of[inverse] if n else np.zeros(0, np.int64)
    hours = _deadline_hours(rules, tier0, draws.severity)
    towns = units.up[Tier.TOWN][draws.grid]
    perf = np.random.default_rng(seed + 11).uniform(0.75, 1.35, len(units.of(Tier.TOWN)))[towns]
    t = {"register": draws.created.astype(np.int64)}
    t["triage"] = t["register"] + (rng.uniform(0.1, 3, n) * HOUR).astype(np.int64)
    returned = rng.random(n) < 0.02
    t["return"] = t["triage"] + (rng.uniform(0.5, 24, n) * HOUR).astype(np.int64)
    t["accept"] = t["triage"] + (rng.uniform(0.5, 12, n) * HOUR).astype(np.int64)
    esc_p = np.array([ESCALATION.get(c, 0.05) for c in cls]) if n else np.zeros(0)
    escalated = ~returned & (tier0 > 1) & (rng.random(n) < esc_p)
    t["escalate"] = t["accept"] + (rng.uniform(0.2, 0.8, n) * hours * HOUR).astype(np.int64)
    tier = np.where(escalated, tier0 - 1, tier0)
    t["accept2"] = t["escalate"] + (rng.uniform(1, 24, n) * HOUR).astype(np.int64)
    start = np.where(escalated, t["accept2"], t["accept"])
    due = np.where(escalated, t["escalate"] + (_deadline_hours(rules, tier, draws.severity) * HOUR).astype(np.int64),
                   t["register"] + (hours * HOUR).astype(np.int64))
    share = rng.lognormal(np.log(0.33 * perf), 0.55)
    t["resolve"] = start + (share * np.maximum(due - start, HOUR)).astype(np.int64)
    followed = rng.random(n) < 0.9
    t["follow_up"] = t["resolve"] + (rng.uniform(1, 5, n) * DAY).astype(np.int64)
    t["evaluate"] = t["follow_up"] + (rng.uniform(0, 2, n) * HOUR).astype(np.int64)
    t["close"] = t["evaluate"] + (rng.uniform(0.5, 3, n) * DAY).astype(np.int64)
    late = t["resolve"] > due
    satisfaction = np.where(late, rng.choice([5, 4, 3, 2, 1], n, p=[0.2, 0.3, 0.3, 0.12, 0.08]),
                            rng.choice([5, 4, 3, 2, 1], n, p=[0.55, 0.3, 0.1, 0.03, 0.02]))
    # Which steps happen (before ``until``), in order.
    steps = [("register", None, "registered", np.ones(n, bool)), ("triage", "registered", "triaged", np.ones(n, bool)),
             ("return", "triaged", "returned", returned), ("accept", "triaged", "handling", ~returned),
             ("escalate", "handling", "escalated", escalated), ("accept2", "escalated", "handling", escalated),
             ("resolve", "handling", "resolved", ~returned),
             ("follow_up", "resolved", "follow_up", ~returned & followed),
             ("evaluate", "follow_up", "evaluated", ~returned & followed),
             ("close", "evaluated", "closed", ~returned & followed)]
    status = np.full(n, "registered", dtype="<U16")
    closed_at = np.full(n, -1, dtype=np.int64)
    frames = []
    for name, before, after, happens in steps:
        done = happens & (t[name] <= until_ts)
        status[done] = after
        if after in ("closed", "returned"):
            closed_at[done] = t[name][done]
        idx = np.flatnonzero(done)
        detail = [json.dumps({"source_channel": str(ch)}) for ch in draws.channel[idx]] if name == "register" else (
            [json.dumps({"handling_tier": int(x)}) for x in tier[idx]] if name == "escalate" else ["{}"] * len(idx))
        frames.append(pd.DataFrame({"case": idx, "action": "accept" if name == "accept2" else name,
                                    "from_state": before, "to_state": after, "at": t[name][idx], "detail": detail,
                                    "note": _note(name, len(idx))}))
    transitions = pd.concat(frames, ignore_index=True).sort_values(["case", "at"], kind="stable")
    esc_done = escalated & (t["escalate"] <= until_ts)
    tier_now = np.where(esc_done, tier, tier0)
    due_now = np.where(esc_done, due, t["register"] + (hours * HOUR).astype(np.int64))
    resolved_by = np.where(~returned & (t["resolve"] <= until_ts), t["resolve"], until_ts)
    yellow_at = t["register"] + (rules.routing.yellow_fraction * (due_now - t["register"])).astype(np.int64)
    live = ~returned
    red = live & ~returned & (due_now <= resolved_by)
    yellow = live & ~returned & (yellow_at <= resolved_by)
    warning = np.where(red, "red", np.where(yellow, "yellow", "none"))
    supervisions = pd.concat([
        pd.DataFrame({"case": np.flatnonzero(yellow), "level": "yellow", "reason": "办理时限已过三分之二",
                      "handling_tier": tier_now[yellow], "at": yellow_at[yellow]}),
        pd.DataFrame({"case": np.flatnonzero(red), "level": "red", "reason": "已超期",
                      "handling_tier": tier_now[red], "at": due_now[red]}),
    ], ignore_index=True)
    evaluated = status_reached(status, ("evaluated", "closed"))
    cases = _case_frame(draws, units, rules, tier_now, due_now, status, warning,
                        np.where(evaluated, satisfaction, 0), closed_at)
    orders = _orders(draws, units, staff, t, tier0, tier, escalated, returned, status, until_ts, cls, rng)
    return History(cases, transitions, supervisions, orders, draws.stories)


def status_reached(status: NDArray[np.str_], states: tuple[str, ...]) -> NDArray[np.bool_]:
    """True where the status is one of ``states``."""
    return np.isin(status, list(states))


def _deadline_hours(rules: CaseRules, tier: NDArray[np.int64], severity: NDArray[np.str_]) -> NDArray[np.float64]:
    base = np.array([rules.routing.deadline_hours.get(int(x), 168.0) for x in tier], dtype=float)
    factor = np.array([rules.routing.severity_factor.get(str(s), 1.0) for s in severity], dtype=float)
    return base * factor


def _note(action: str, n: int) -> list[str]:
    text = {"return": "不属于受理范围，已告知当事人", "escalate": "调解未果，上报上一级",
            "resolve": "经调解双方达成一致", "close": ""}.get(action, "")
    return [text] * n


def _case_frame(draws: Draws, units: UnitTable, rules: CaseRules, tier: NDArray[np.int64], due: NDArray[np.int64],
                status: NDArray[np.str_], warning: NDArray[np.str_], satisfaction: NDArray[np.int64],
                closed_at: NDArray[np.int64]) -> pd.DataFrame:
    grids = units.of(Tier.GRID)
    chain = {Tier.GRID: grids.codes[draws.grid]}
    for level in (Tier.VILLAGE, Tier.TOWN, Tier.COUNTY):
        chain[level] = units.of(level).codes[units.up[level][draws.grid]]
    names = {level: units.of(level).names[units.up[level][draws.grid]] for level in Tier}
    unit_name = np.choose(np.clip(tier - 1, 0, 3), [names[Tier.COUNTY], names[Tier.TOWN], names[Tier.VILLAGE],
                                                   names[Tier.GRID]])
    sectors = np.array([rules.taxonomy.get(c).sector for c in draws.category])
    handling_unit = np.where(sectors != "", np.char.add(np.char.add(np.char.add(unit_name.astype(str), "（"),
                                                                    sectors), "）"), unit_name)
    titles = np.array([rules.taxonomy.get(c).name for c in draws.category])
    texts = np.array([DESCRIPTIONS.get(c[:2], "群众反映问题") for c in draws.category])
    return pd.DataFrame({
        "status": status, "lon": draws.lon.round(6), "lat": draws.lat.round(6), "grid_code": chain[Tier.GRID],
        "village_code": chain[Tier.VILLAGE], "town_code": chain[Tier.TOWN], "county_code": chain[Tier.COUNTY],
        "category_code": draws.category, "source_channel": draws.channel, "title": titles,
        "description": np.char.add(np.char.add(names[Tier.GRID].astype(str), "："), texts),
        "severity": draws.severity, "handling_tier": tier, "handling_unit": handling_unit, "due_at": due,
        "warning_level": warning, "satisfaction": satisfaction, "created_at": draws.created, "closed_at": closed_at,
    })


def _orders(draws: Draws, units: UnitTable, staff: StaffPool, t: dict[str, NDArray[np.int64]],
            tier0: NDArray[np.int64], tier: NDArray[np.int64], escalated: NDArray[np.bool_],
            returned: NDArray[np.bool_], status: NDArray[np.str_], until_ts: int, cls: NDArray[np.str_],
            rng: np.random.Generator) -> pd.DataFrame:
    """Lead orders: the grid worker, a village or town mediator, town police or a county lawyer."""
    if not staff.rows:
        return pd.DataFrame(columns=["case", "staff_id", "slot", "status", "dispatched_at", "accepted_at",
                                     "on_scene_at", "completed_at", "returned_at"])
    pools = {"grid_worker": staff.by_territory("grid_worker"), "mediator": staff.by_territory("mediator"),
             "police": staff.by_territory("police"), "lawyer": staff.by_territory("lawyer")}
    lawyers = [sid for ids in pools["lawyer"].values() for sid in ids]
    free = staff.free_slots()
    grid_c, village_c, town_c = (units.of(lv).codes[units.up[lv][draws.grid]].tolist()
                                 for lv in (Tier.GRID, Tier.VILLAGE, Tier.TOWN))
    n = len(draws.grid)
    pick, accept_delay, scene_delay = rng.random((2, n)), rng.uniform(300, 3600, n), rng.uniform(0.5, 6, n) * HOUR
    cols = {k: v.tolist() for k, v in (("accept", t["accept"]), ("escalate", t["escalate"]), ("accept2", t["accept2"]),
                                        ("resolve", t["resolve"]), ("tier0", tier0), ("tier", tier))}
    esc, status_l, cls_l = escalated.tolist(), status.tolist(), cls.tolist()
    rows: list[dict[str, Any]] = []
    for i in np.flatnonzero(~returned & (t["accept"] <= until_ts)).tolist():
        legs = [(cols["tier0"][i], cols["accept"][i], cols["escalate"][i] if esc[i] else None, 0)]
        if esc[i] and cols["accept2"][i] <= until_ts:
            legs.append((cols["tier"][i], cols["accept2"][i], None, 1))
        for leg_tier, dispatched, handed_up, leg in legs:
            if leg_tier == 4:
                choices = pools["grid_worker"].get(grid_c[i], [])
            elif leg_tier == 3:
                choices = pools["mediator"].get(village_c[i], [])
            elif leg_tier == 2:
                choices = pools["police" if cls_l[i] in ("07", "10") else "mediator"].get(town_c[i], [])
            else:
                choices = lawyers
            if not choices:
                continue
            lead = choices[int(pick[leg][i] * len(choices))]
            done = cols["resolve"][i] if cols["resolve"][i] <= until_ts else None
            accepted = dispatched + int(accept_delay[i])
            row: dict[str, Any] = {"case": i, "staff_id": lead, "slot": 1, "dispatched_at": dispatched,
                                   "accepted_at": accepted, "on_scene_at": accepted + int(scene_delay[i]),
                                   "completed_at": None, "returned_at": None}
            if handed_up is not None and handed_up <= until_ts:
                row.update(status="returned", returned_at=handed_up)
            elif handed_up is None and done is not None:
                row.update(status="completed", completed_at=done)
            else:
                slots = free.get(lead, [])
                if not slots or status_l[i] not in ("handling", "escalated"):
                    continue
                row.update(status="on_scene" if row["on_scene_at"] <= until_ts else "accepted", slot=slots.pop(0))
            for key in ("accepted_at", "on_scene_at"):
                if row[key] is not None and row[key] > until_ts:
                    row[key] = None
            rows.append(row)
    return pd.DataFrame(rows)
