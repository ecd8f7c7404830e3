"""`fengqiao audit verify|seal|purge`: the audit chain from the command line."""

from __future__ import annotations

import argparse

from api.cli import command
from gis.audit.chain import seal_once, verify
from gis.audit.retention import purge_older_than
from gis.crypto import keys
from gis.settings import DatabaseSettings, SecuritySettings
from gis.storage.pool import connect


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["verify", "seal", "purge"],
                   help="verify: recompute the chain (exit 1 on tampering); seal: link new rows now;"
                        " purge: remove sealed periods older than the retention")
    p.add_argument("--days", type=int, default=None, help="retention for purge (default FENGQIAO_AUDIT_RETENTION_DAYS)")


@command("audit", _args)
def run_audit(args: argparse.Namespace) -> int:
    """Audit chain: verify, seal, purge."""
    key = keys().session
    with connect(DatabaseSettings()) as conn:
        if args.action == "seal":
            print(f"sealed {seal_once(conn, key=key)} row(s)")
            return 0
        if args.action == "purge":
            days = args.days if args.days is not None else SecuritySettings().audit_retention_days
            removed, upto = purge_older_than(conn, key=key, days=days)
            conn.commit()
            print(f"purged {removed} row(s)" + (f" up to chain position {upto}" if upto else ""))
            return 0
        seal_once(conn, key=key)
        report = verify(conn, key=key)
    for problem in report.problems:
        print(f"TAMPERED: {problem}")
    start = f" after the purge checkpoint at {report.purged_upto}" if report.purged_upto else ""
    print(f"{'ok' if report.ok else 'FAILED'}: {report.checked} link(s) checked{start};"
          f" {report.unsealed} row(s) older than a minute not yet sealed")
    return 0 if report.ok else 1
