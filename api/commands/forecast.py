"""`fengqiao forecast backtest`: how well the early warning (预警) would have done on the sample history."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

from api.cli import command
from api.progress import StageProgress
from gis.cases.book import load_rules
from gis.errors import InvalidInput
from gis.forecast.alerts import AlertRule
from gis.forecast.backtest import SEEDS, STORY_WEEKS, BacktestResult, BacktestSpec, median_week, run_backtest
from gis.hotspots.filters import local_day
from gis.hotspots.service import weights_now
from gis.models import Tier
from gis.notify.rising import notify_rising_villages
from gis.settings import DatabaseSettings
from gis.storage.pool import connect

METHOD_LABELS = {"model": "预测模型（泊松回归）", "mean_13": "基线：近13周均值", "last_week": "基线：上周数"}


def last_sunday() -> date:
    """The last day of the last whole ISO week (China time)."""
    today = local_day(datetime.now(UTC))
    return today - timedelta(days=today.isoweekday())


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=["backtest", "notify"],
                   help="backtest: score the early warning on sample histories; notify: tell the towns' users of"
                        " last week's rising villages (once per village and week)")
    p.add_argument("--week", default=None, help="notify: the ISO week (e.g. 2026-W40; default: last week)")
    p.add_argument("--until", type=date.fromisoformat, default=None,
                   help="last day of the sample history (default: the last Sunday)")
    p.add_argument("--seeds", type=int, default=len(SEEDS), help="histories drawn per question (at least 1)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


@command("forecast", _args)
def run_forecast(args: argparse.Namespace) -> int:
    """Backtest the forecast and the rising-trend alerts on sample histories of the active county; or notify."""
    if args.what == "notify":
        return run_notify(args)
    if not 1 <= args.seeds <= 50:
        raise InvalidInput("--seeds must be 1-50", reason="bad_argument")
    seeds = (*SEEDS, *range(100, 100 + max(0, args.seeds - len(SEEDS))))[: args.seeds]
    spec = BacktestSpec(until=args.until or last_sunday(), seeds=seeds, rule=AlertRule())
    started = time.monotonic()
    with connect(DatabaseSettings()) as conn:
        weights = weights_now(conn)
    units = weights.units
    neighbours = weights.for_tier(Tier.GRID).matrix
    prepared = time.monotonic()
    result = run_backtest(units, neighbours, load_rules(), spec, progress=StageProgress())
    seconds = (prepared - started, time.monotonic() - prepared)
    if args.json:
        out = asdict(result) | {"seconds": round(sum(seconds), 1), "prepare_seconds": round(seconds[0], 1),
                                "median_village_week": median_week(result.leads)}
        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    else:
        print(report(result, seconds))
    return 0


def run_notify(args: argparse.Namespace) -> int:
    """Rising villages of a finished week: a notification to every user of the village's town."""
    now = datetime.now(UTC)
    local = local_day(now - timedelta(days=7)).isocalendar()
    week = args.week or f"{local[0]}-W{local[1]:02d}"
    with connect(DatabaseSettings()) as conn:
        counts = notify_rising_villages(conn, weights_now(conn), week=week, now=now)
    if args.json:
        print(json.dumps({"week": week, **counts}))
    else:
        print(f"{week}：上升趋势预警村（社区）{counts['alerted']} 个，新通知 {counts['notified']} 条")
    return 0


def report(result: BacktestResult, seconds: tuple[float, float]) -> str:
    """The backtest in Chinese."""
    lines = [f"预警回测：样例历史截至 {result.until}，滚动起点 {result.origins} 周（每周只用起点以前的数据拟合）",
             f"一、下周案件预测：网格面积的 {result.budget:.0%} 内的命中（PAI 越高越好，PEI* 满分为 1）"]
    for score in result.scores:
        label = METHOD_LABELS.get(score.method, score.method)
        lines.append(f"  {label}：PAI {score.pai:.2f}，PEI* {score.pei_star:.3f}")
    lines.append(f"二、上升预警提前量：征地纠纷村（{STORY_WEEKS} 周逐周上升）在第几周报警")
    for lead in result.leads:
        village = f"第 {lead.village_week} 周" if lead.village_week else "未报警"
        town = f"第 {lead.town_week} 周" if lead.town_week else "未报警"
        lines.append(f"  种子 {lead.seed}：村 {lead.village} {village}；所在镇 {town}；"
                     f"降温镇误报 {lead.cooled_town_alerts} 周")
    median = median_week(result.leads)
    lines.append(f"  村级报警周数中位数：{median:g}（目标：中位数不晚于第 6 周，每个故事不晚于第 8 周）"
                 if median else "  无故事")
    lines.append("三、无故事历史上的误报（每周被报警的村、镇比例，目标：村不超过 1%）")
    for alarm in result.false_alarms:
        lines.append(f"  种子 {alarm.seed}：村 {alarm.village_share:.3%}（共 {result.villages} 个村），"
                     f"镇 {alarm.town_share:.2%}（共 {result.towns} 个镇）")
    mean_v = sum(a.village_share for a in result.false_alarms) / max(len(result.false_alarms), 1)
    lines.append(f"  平均：村 {mean_v:.3%}")
    lines.append(f"用时 {sum(seconds):.1f} 秒（读取区划与构建网格 Queen 权重 {seconds[0]:.1f} 秒，"
                 f"回测 {seconds[1]:.1f} 秒）")
    return "\n".join(lines)
