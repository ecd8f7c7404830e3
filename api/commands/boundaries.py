"""`fengqiao boundaries load|list|activate|diff|relocate|export` for GIS staff."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from api.cli import command
from api.progress import progress_on_stderr
from gis.boundaries.export import export_generation
from gis.boundaries.generations import activate, activation_preview, diff_generations, relocate_cases
from gis.boundaries.load import LoadOptions, commit, prepare
from gis.boundaries.report_zh import TIER_NAMES, mentioned_names, preview_text, report_text
from gis.errors import GisError
from gis.settings import AppSettings, DatabaseSettings
from gis.storage import areas
from gis.storage.pool import Conn
from gis.storage.schema import connect_ready


def _args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    load = sub.add_parser("load", help="validate a boundary file (a dry run unless --commit)")
    load.add_argument("path", type=Path)
    load.add_argument("--tier", choices=["county", "town", "village", "grid"])
    load.add_argument("--layer", help="load only this layer of a GeoPackage (or this file of a folder or zip)")
    load.add_argument("--crs", help="EPSG:<code>, wgs84, cgcs2000, gcj02, bd09 (overrides the file)")
    load.add_argument("--encoding", help="attribute encoding of a Shapefile (overrides .cpg and detection)")
    load.add_argument("--code-field")
    load.add_argument("--name-field")
    load.add_argument("--parent-field")
    load.add_argument("--generation", help="name of the new generation")
    load.add_argument("--commit", action="store_true", help="store it as a new, inactive generation")
    load.add_argument("--repair", action="store_true", help="apply make_valid(method='structure') repairs")
    load.add_argument("--standalone", action="store_true", help="keep no tiers from the active generation")
    load.add_argument("--max-vertices", type=int, default=1_000_000, help="refuse a feature with more vertices")
    load.add_argument("--report-json", type=Path)
    load.add_argument("--json", action="store_true", help="print the report as JSON instead of the Chinese table")
    load.add_argument("--report-map", type=Path, help="write a map of the problems (HTML, works offline)")
    sub.add_parser("list", help="list generations")
    act = sub.add_parser("activate", help="make a generation the active one (shows what changes, asks to confirm)")
    act.add_argument("generation")
    act.add_argument("--yes", action="store_true", help="do not ask (scripts)")
    act.add_argument("--override", action="store_true",
                     help="activate although it removes many grids or leaves part of the county uncovered")
    act.add_argument("--json", action="store_true", help="print the preview as JSON and change nothing")
    diff = sub.add_parser("diff", help="grids added, removed, changed, and open cases that would move")
    diff.add_argument("old")
    diff.add_argument("new")
    rel = sub.add_parser("relocate", help="move open cases onto the active generation (audited)")
    rel.add_argument("--to", help="the generation to move cases to (must be the active one)")
    rel.add_argument("--dry-run", action="store_true")
    exp = sub.add_parser("export", help="write a generation's tier as GeoJSON, GeoPackage or Shapefile")
    exp.add_argument("generation")
    exp.add_argument("--tier", choices=["county", "town", "village", "grid"], default="grid")
    exp.add_argument("--format", choices=["geojson", "gpkg", "shp"], default="geojson")
    exp.add_argument("--out", type=Path, required=True)


@command("boundaries", _args)
def run_boundaries(args: argparse.Namespace) -> int:
    """Load, validate, version, compare and export boundary files."""
    with connect_ready(DatabaseSettings()) as conn:
        if args.action == "load":
            return _load(conn, args)
        if args.action == "list":
            for g in areas.list_generations(conn):
                counts = areas.tier_counts(conn, generation_id=g.id)
                tiers = "，".join(f"{TIER_NAMES.get(t, t)} {n:,} 个" for t, n in counts.items())
                print(f"{g.id:4} {'*' if g.is_active else ' '} {g.name:30} {g.created_at:%Y-%m-%d %H:%M} {tiers}")
            return 0
        if args.action == "activate":
            return _activate(conn, args)
        if args.action == "diff":
            print(json.dumps(diff_generations(conn, old=args.old, new=args.new), ensure_ascii=False, indent=1,
                             default=str))
            return 0
        if args.action == "relocate":
            return _relocate(conn, args)
        with progress_on_stderr() as progress:
            path = export_generation(conn, ref=args.generation, tier=args.tier, fmt=args.format, out=args.out,
                                     progress=progress)
        print(f"已写出 {path}")
        return 0


def _load(conn: object, args: argparse.Namespace) -> int:
    options = LoadOptions(tier=args.tier, layer=args.layer, crs=args.crs, encoding=args.encoding,
                          code_field=args.code_field, name_field=args.name_field, parent_field=args.parent_field,
                          repair=args.repair, standalone=args.standalone, max_vertices=args.max_vertices,
                          max_bytes=AppSettings().max_upload_mb * 2**20)
    try:
        with progress_on_stderr() as progress:
            prepared = prepare(conn, args.path, options, progress=progress)  # type: ignore[arg-type]
    except GisError as exc:  # a refused file: the message and its reason code, nothing of its content
        print(f"fengqiao boundaries: {exc.message} [{exc.reason}]", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(prepared.report.as_dict(), ensure_ascii=False, indent=1, default=str))
    else:
        print(report_text(prepared.report.as_dict(), names=mentioned_names(prepared)))
    if args.report_json:
        args.report_json.write_text(json.dumps(prepared.report.as_dict(), ensure_ascii=False, indent=1,
                                               default=str), encoding="utf-8")
    if args.report_map:
        from maps.report_map import report_map

        report_map(prepared).save(str(args.report_map))
        print(f"问题地图：{args.report_map}", file=sys.stderr if args.json else sys.stdout)
    if not args.commit:
        if not args.json:
            print("试运行：未保存任何内容（加 --commit 保存为新的、未启用的版本）")
        return 0 if prepared.report.ok else 1
    with progress_on_stderr() as progress:
        generation = commit(conn, prepared, name=args.generation, source=args.path.name,  # type: ignore[arg-type]
                            progress=progress)
    print(f"已保存版本 {generation.name!r}（编号 {generation.id}），尚未启用；启用请运行 "
          f"`fengqiao boundaries activate {generation.name}`", file=sys.stderr if args.json else sys.stdout)
    return 0


def _activate(conn: Conn, args: argparse.Namespace) -> int:
    preview = activation_preview(conn, ref=args.generation, user=None)
    if args.json:
        print(json.dumps(preview, ensure_ascii=False, indent=1, default=str))
        return 0
    print(preview_text(preview))
    if preview["needs_override"] and not args.override:
        print("未启用：需要明确确认，请加 --override 重新运行", file=sys.stderr)
        return 2
    if not args.yes:
        if not sys.stdin.isatty():
            print("没有终端可以确认：确认无误后请加 --yes 重新运行（未做任何改动）", file=sys.stderr)
            return 1
        answer = input(f"确认启用版本 {preview['generation']!r}？输入 y 确认：")
        if answer.strip().lower() not in ("y", "yes", "是"):
            print("已取消，未做任何改动", file=sys.stderr)
            return 1
    try:
        gen = activate(conn, ref=args.generation, user=None, override=args.override)
    except GisError as exc:
        print(f"fengqiao boundaries: {exc.message} [{exc.reason}]", file=sys.stderr)
        return 2
    print(f"版本 {gen.name!r} 已启用（正在运行的服务会在几秒内切换）")
    return 0


def _relocate(conn: Conn, args: argparse.Namespace) -> int:
    with progress_on_stderr() as progress:
        result = relocate_cases(conn, user=None, to=args.to, dry_run=args.dry_run, progress=progress)
    if args.dry_run:
        conn.rollback()
    verb = "将迁移" if args.dry_run else "已迁移"
    print(f"{len(result.moved)} 件未办结案件{verb}到启用版本")
    located = {"grid_code": "按网格代码", "point": "按位置", "grid_overlap": "按网格重叠"}
    for row in result.moved:
        if row["how"] == "grid_overlap":
            print(f"  案件 {row['id']}：网格 {row['old_grid']} -> {row['new_grid']}（按网格重叠：新网格覆盖旧网格的 "
                  f"{row['overlap_share']:.0%}）")
    if result.unplaced:
        print(f"{len(result.unplaced)} 件未办结案件在启用版本中找不到所属网格（保持原位，请人工定位）：")
        for row in result.unplaced:
            print(f"  案件 {row['id']}：版本 {row['old_generation']} 的网格 {row['old_grid']}"
                  f"（{located.get(row['located_by'], row['located_by'])}定位）")
    return 0 if not result.unplaced else 1
