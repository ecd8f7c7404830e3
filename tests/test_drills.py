"""Short versions of the reliability drills (drills/, `make drill-*` for the full ones).

Each builds its own throwaway PostgreSQL cluster (never the project's), runs the API as a
uvicorn process against it and injects faults. Correctness is asserted exactly (no acknowledged
case lost, none twice, only 503s). Time bounds are the drills' "no hang" bounds with room for a
busy CI machine, never speed: speed is what the full drills print.
"""

from __future__ import annotations

from typing import Any

import pytest

from drills import backup, crash, diskfull, load, netfault, outage, retries

pytestmark = pytest.mark.drill


def _no_loss(figures: dict[str, Any]) -> None:
    assert figures["acknowledged"] > 0
    assert figures["present"] == figures["acknowledged"]
    assert (figures["missing"], figures["duplicated"], figures["wrong_id"]) == (0, 0, 0)
    assert (figures["without_transition"], figures["without_audit"]) == (0, 0)


def test_crash_three_rounds_lose_no_acknowledged_case() -> None:
    result = crash.run(3, writers=2)
    figures, checks = result["figures"], result["checks"]
    _no_loss(figures)
    assert figures["pg_amcheck"] == "clean"
    assert checks["writes resumed after every round"]
    assert checks["API never restarted"]
    assert set(figures["answers"]) <= {"0", "200", "201", "503"}


def test_outage_fails_fast_with_retry_after_and_recovers_without_restart() -> None:
    result = outage.run(5.0, steady_s=2.0)
    figures, checks = result["figures"], result["checks"]
    assert checks["failures are 503s, never 500 or a dropped connection"]
    assert figures["503_without_retry_after"] == 0
    assert figures["max_ms_during_faults"] < 10_000  # a 30 s hang is what this rules out
    assert checks["readyz 503 while the database is stopped"]
    assert figures["recovery_after_stop_ms"] is not None and figures["recovery_after_stop_ms"] < 20_000
    assert checks["API never restarted"]
    _no_loss(figures)


def test_network_faults_bound_every_request_and_write_nothing_by_halves() -> None:
    result = netfault.run(phase_s=2.0, blackhole_s=6.0, writers=2, readers=1)
    figures, checks = result["figures"], result["checks"]
    assert figures["max_request_ms"] < 15_000  # the watchdog ends waits on the blackholed database
    assert checks["failures are 503s, never 500 or a dropped connection"]
    assert figures["watchdog_cuts"] > 0  # queries caught by the blackhole were cut, not left hanging
    assert sum(figures[f"phase{i}_{m}"]["503"] for i, m in ((2, "pass"), (3, "blackhole"))) > 0
    assert checks["service back within 10 s of each fault"]
    _no_loss(figures)


def test_retried_post_with_dropped_answers_gives_one_case() -> None:
    result = retries.run(3, client_timeout_s=1.0)
    figures = result["figures"]
    assert figures["cases_stored"] == 3
    assert figures["keys_stored_twice"] == 0
    assert figures["final_answers_200_same_case"] == 3
    assert figures["reused_key_other_body_409"] == 3
    assert figures["answers"] == {"0": 9, "200": 3, "409": 3}


def test_backup_restores_every_case_acknowledged_before_it() -> None:
    result = backup.run(2.0)
    figures = result["figures"]
    assert figures["acknowledged_before_backup"] > 0
    _no_loss(figures)
    assert "restored into" in figures["restore_said"]


def test_disk_full_answers_503_and_loses_nothing() -> None:
    result = diskfull.run(16, fill_timeout_s=300)  # the WAL fills in about 140 s here; the bound is not the point
    figures, checks = result["figures"], result["checks"]
    assert checks["the disk filled"]
    assert figures["answers_while_full"].get("503", 0) > 0
    assert set(figures["answers_while_full"]) <= {"200", "201", "503"}
    assert figures["stack_traces_in_answers"] == 0
    assert checks["API served again without restart"]
    _no_loss(figures)


def test_load_short_run_has_no_errors() -> None:
    # A smoke version (20 s, half the operators and positions) so a busy CI machine is not the subject;
    # `make drill-load` runs the real one (50 operators, 1,000 positions/s, 10 minutes) and checks latency.
    result = load.run(20.0, operators=25, per_second=500)
    figures = result["figures"]
    for kind in ("create", "list", "open", "tile", "positions"):
        assert figures[kind]["n"] > 0, kind
    assert figures["error_rate_pct"] < 0.5
    assert figures["positions"]["errors"] == 0
