"""`fengqiao sample positions [--live]`: simulated positions of on-duty staff (demo data)."""

from __future__ import annotations

import argparse
import threading

from gis.sample.positions import simulate
from gis.settings import DatabaseSettings
from gis.staff.recommend import load_scoring
from gis.storage.pool import connect


def run_positions(args: argparse.Namespace) -> int:
    """One round of fixes, or (``--live``) a round every ``--interval`` seconds until Ctrl-C."""
    db = DatabaseSettings()
    rounds = None if args.live else max(1, args.rounds)
    stored = simulate(lambda: connect(db), interval_s=args.interval, rounds=rounds,
                      history_days=load_scoring().history_days)
    print(f"{stored} position(s) stored")
    return 0


def start_in_background(interval_s: float = 3.0) -> threading.Event:
    """Start the live simulator on a daemon thread (the demo does); set the returned event to stop it."""
    stop = threading.Event()
    db = DatabaseSettings()
    history_days = load_scoring().history_days
    thread = threading.Thread(target=simulate, kwargs={"connect": lambda: connect(db), "interval_s": interval_s,
                                                       "history_days": history_days, "stop": stop},
                              name="position-simulator", daemon=True)
    thread.start()
    return stop
