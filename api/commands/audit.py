"""`fengqiao audit verify|seal|purge`: the audit chain from the command line (reports in Chinese, or --json)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC

from api.cli import command
from gis.audit.chain import Verification, report, seal_once, verify_with_head
from gis.audit.head import HeadKeeper
from gis.audit.retention import purge_older_than
from gis.crypto import keys
from gis.settings import AuditSettings, DatabaseSettings, SecuritySettings
from gis.storage.pool import connect


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["verify", "seal", "purge"],
                   help="verify: recompute the chain and compare it with the signed head kept outside the database"
                        " (exit 1 on tampering or truncation); seal: link new rows now and publish the head;"
                        " purge: remove sealed periods older than the retention")
    p.add_argument("--days", type=int, default=None, help="retention for purge (default FENGQIAO_AUDIT_RETENTION_DAYS)")
    p.add_argument("--json", action="store_true", help="verify: a machine-readable report")


@command("audit", _args)
def run_audit(args: argparse.Namespace) -> int:
    """Audit chain: verify, seal, purge."""
    key = keys().session
    settings = AuditSettings()
    with connect(DatabaseSettings()) as conn:
        if args.action == "seal":
            linked = seal_once(conn, key=key)
            head = HeadKeeper(key, settings).publish(conn)
            print(f"已封存 {linked} 条审计记录" + (f"；外部签名头更新到第 {head.seq} 条" if head else ""))
            return 0
        if args.action == "purge":
            days = args.days if args.days is not None else SecuritySettings().audit_retention_days
            removed, upto = purge_older_than(conn, key=key, days=days)
            print(f"已清理 {removed} 条审计记录" + (f"（清理到链上第 {upto} 条）" if upto else ""))
            return 0
        found = verify_with_head(conn, key=key, settings=settings)  # reads the head before anything is sealed
        seal_once(conn, key=key)  # rows written since are linked (the head is the sealer's to publish)
    if args.json:
        print(json.dumps(report(found, settings), ensure_ascii=False, indent=2))
    else:
        print(_text(found, settings))
    return 0 if found.ok else 1


def _text(found: Verification, settings: AuditSettings) -> str:
    lines = [f"审计日志核验：{'通过' if found.ok else '未通过'}",
             f"已核对链接 {found.checked} 条" + (f"（自第 {found.purged_upto} 条的清理检查点起）"
                                               if found.purged_upto else "")]
    if found.head is not None:
        at = found.head.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        lines.append(f"外部签名头：第 {found.head.seq} 条，签于 {at}（{settings.head_path(found.head.database)}）")
    for problem in found.problems:
        lines.append(f"问题 [{problem.reason}]：{problem.message}")
    lines.append(f"超过一分钟仍未封存的记录：{found.unsealed} 条")
    return "\n".join(lines)
