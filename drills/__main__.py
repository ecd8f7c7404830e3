"""`python -m drills NAME [options]`: run one reliability drill, print its figures, exit 1 if a check failed.

The Makefile's `drill-*` targets call this; the short versions run in CI as tests/test_drills.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m drills", description=__doc__.splitlines()[0] if __doc__ else "")
    sub = p.add_subparsers(dest="drill", required=True)
    crash = sub.add_parser("crash", help="kill -9 the postmaster under writes, N rounds")
    crash.add_argument("--rounds", type=int, default=20)
    outage = sub.add_parser("outage", help="restart -m immediate, then PostgreSQL stopped for a while, under load")
    outage.add_argument("--seconds", type=float, default=30.0)
    net = sub.add_parser("netfault", help="latency, blackhole and reset between API and database")
    net.add_argument("--phase-seconds", type=float, default=6.0)
    net.add_argument("--blackhole-seconds", type=float, default=12.0)
    retries = sub.add_parser("retries", help="answers dropped; the same Idempotency-Key retried three times")
    retries.add_argument("--keys", type=int, default=20)
    backup = sub.add_parser("backup", help="db backup under writes, db restore into a fresh cluster")
    backup.add_argument("--write-seconds", type=float, default=5.0)
    disk = sub.add_parser("diskfull", help="WAL on a small tmpfs filled by position ingest")
    disk.add_argument("--headroom-mb", type=int, default=40)
    load = sub.add_parser("load", help="50 operators, 1,000 staff positions per second and 10 supervisors")
    load.add_argument("--seconds", type=float, default=600.0)
    load.add_argument("--operators", type=int, default=50)
    load.add_argument("--positions-per-second", type=int, default=1000)
    load.add_argument("--supervisors", type=int, default=10)
    return p


def _runner(args: argparse.Namespace) -> Callable[[], dict[str, Any]]:
    from drills import backup, crash, diskfull, load, netfault, outage, retries

    return {
        "crash": lambda: crash.run(args.rounds),
        "outage": lambda: outage.run(args.seconds),
        "netfault": lambda: netfault.run(phase_s=args.phase_seconds, blackhole_s=args.blackhole_seconds),
        "retries": lambda: retries.run(args.keys),
        "backup": lambda: backup.run(args.write_seconds),
        "diskfull": lambda: diskfull.run(args.headroom_mb),
        "load": lambda: load.run(args.seconds, operators=args.operators, per_second=args.positions_per_second,
                                supervisors=args.supervisors),
    }[args.drill]


def main(argv: list[str] | None = None) -> int:
    """Run the named drill."""
    args = _parser().parse_args(argv)
    result = _runner(args)()
    return 0 if all(result["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
