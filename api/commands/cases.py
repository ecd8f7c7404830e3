"""`fengqiao cases sweep`: deadline warnings (yellow/red) and supervision records for open cases."""

from __future__ import annotations

import argparse

from api.cli import command
from gis.cases.book import load_rules
from gis.cases.loop import sweep_deadlines
from gis.settings import DatabaseSettings
from gis.storage.schema import connect_ready


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["sweep"], help="sweep: raise deadline warnings and 督办 records now")


@command("cases", _args)
def run_cases(args: argparse.Namespace) -> int:
    """Case maintenance: `cases sweep` raises deadline warnings now (the server also sweeps every minute)."""
    rules = load_rules()
    with connect_ready(DatabaseSettings()) as conn:
        counts = sweep_deadlines(conn, rules=rules)
    print(f"yellow: {counts['yellow']}, red: {counts['red']}, escalated: {counts['escalated']}")
    return 0
