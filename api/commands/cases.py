"""Case maintenance from the command line.

`fengqiao cases sweep`: deadline warnings (yellow/red) and supervision records for open cases;
`fengqiao cases backfill-phone-hash`: the phone hash of parties stored before it existed (needs the keys).
"""

from __future__ import annotations

import argparse
import json

from api.cli import command
from gis.cases.backfill import backfill_phone_hashes
from gis.cases.book import load_rules
from gis.cases.loop import sweep_deadlines
from gis.crypto import load_keys
from gis.settings import DatabaseSettings
from gis.storage.schema import connect_ready


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["sweep", "backfill-phone-hash"],
                   help="sweep: raise deadline warnings and 督办 records now; backfill-phone-hash: hash stored"
                        " parties' phones for search and duplicate checks (needs FENGQIAO_DATA_KEY and PARTY_KEY)")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")


@command("cases", _args)
def run_cases(args: argparse.Namespace) -> int:
    """Case maintenance: `cases sweep` raises deadline warnings now (the server also sweeps every minute)."""
    if args.action == "backfill-phone-hash":
        with connect_ready(DatabaseSettings()) as conn:
            done = backfill_phone_hashes(conn, keys=load_keys())
        if args.json:
            print(json.dumps({"hashed": done.hashed, "unreadable": done.unreadable}))
        else:
            print(f"已为 {done.hashed} 位当事人的电话生成检索哈希；{done.unreadable} 条无法解密（密钥不符或数据损坏）")
        return 0 if done.unreadable == 0 else 1
    rules = load_rules()
    with connect_ready(DatabaseSettings()) as conn:
        counts = sweep_deadlines(conn, rules=rules)
    print(f"yellow: {counts['yellow']}, red: {counts['red']}, escalated: {counts['escalated']}")
    return 0
