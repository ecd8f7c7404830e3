"""Printing a drill's figures and writing them to var/drills/ as JSON and text."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from gis.settings import PROJECT_ROOT

OUT = PROJECT_ROOT / "var" / "drills"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for printing."""
    return round(seconds * 1000, 1)


def write_report(name: str, figures: dict[str, Any], checks: dict[str, bool]) -> Path:
    """Print the figures and the pass/fail of each check, and save both; returns the JSON path."""
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    body = {"drill": name, "at": stamp, "passed": all(checks.values()), "checks": checks, "figures": figures}
    lines = [f"drill {name}: {'PASSED' if body['passed'] else 'FAILED'}"]
    lines += [f"  {k}: {v}" for k, v in figures.items()]
    lines += [f"  check {k}: {'ok' if v else 'FAILED'}" for k, v in checks.items()]
    text = "\n".join(lines)
    print(text, flush=True)  # noqa: T201
    path = OUT / f"{name}-{stamp}.json"
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False, default=str))
    path.with_suffix(".txt").write_text(text + "\n")
    return path
