"""When an active order counts as stale on the dispatch board: too long since its last step, per status."""

from __future__ import annotations

from datetime import datetime

# Seconds an order may stay in a status before the board highlights it: not accepted within 30 minutes, not on
# the way an hour after accepting, not on scene two hours after leaving, not finished eight hours on scene.
STALE_AFTER_S = {"dispatched": 30 * 60, "accepted": 60 * 60, "en_route": 2 * 3600, "on_scene": 8 * 3600}


def is_stale(status: str, last_step_at: datetime | None, now: datetime) -> bool:
    """True when an active order has stayed in its status longer than that status allows."""
    limit = STALE_AFTER_S.get(status)
    return limit is not None and last_step_at is not None and (now - last_step_at).total_seconds() > limit
