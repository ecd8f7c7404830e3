"""Cases per grid and week, in two streams: what grid workers discover and what everyone else reports.

Grid workers find cases where they are sent, so their counts follow the deployment: sending workers to an
alerted village raises its discovered count whatever happens on the ground. Residents, hotlines, petitions
and referrals report whether or not anyone was sent. The alerts therefore test the reported stream on its
own and show the discovered stream beside it; forecasts use both (a town plans for every case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from gis.hotspots.filters import local_midnight

# Channel codes (data/taxonomy/channels.toml) whose cases are found by the grid's own workers.
DISCOVERED_CHANNELS = frozenset({"grid_worker"})
WEEK_SECONDS = 7 * 86400


@dataclass(frozen=True)
class WeeklyCounts:
    """(grids x weeks) counts per stream, oldest week first; the last week ends on ``last_day`` (inclusive)."""

    reported: NDArray[np.float64]
    discovered: NDArray[np.float64]
    last_day: date

    @property
    def total(self) -> NDArray[np.float64]:
        """Both streams together."""
        return self.reported + self.discovered

    @property
    def weeks(self) -> int:
        """How many weeks."""
        return int(self.reported.shape[1])

    def week_end(self, week: int) -> date:
        """The last day of week ``week`` (0 = oldest)."""
        return self.last_day - timedelta(days=7 * (self.weeks - 1 - week))

    def until(self, week: int) -> WeeklyCounts:
        """Weeks 0..``week`` only: what was known at the end of week ``week``."""
        return WeeklyCounts(self.reported[:, : week + 1], self.discovered[:, : week + 1], self.week_end(week))


def weekly_counts(grid: NDArray[np.int64], created: NDArray[np.int64], channel: NDArray[np.str_], *, grids: int,
                  last_day: date, weeks: int) -> WeeklyCounts:
    """Count cases (grid index, creation time in epoch seconds, channel) into whole weeks.

    The ``weeks`` weeks end on ``last_day`` (China time, inclusive); cases outside them are left out.
    """
    end = int((local_midnight(last_day) + timedelta(days=1)).timestamp())
    back = (end - 1 - np.asarray(created, dtype=np.int64)) // WEEK_SECONDS
    col = weeks - 1 - back
    ok = (col >= 0) & (col < weeks) & (np.asarray(grid) >= 0)
    found = np.isin(np.asarray(channel, dtype=str), list(DISCOVERED_CHANNELS))

    def matrix(mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        flat = np.bincount(grid[mask] * weeks + col[mask], minlength=grids * weeks)
        return flat.reshape(grids, weeks).astype(float)

    return WeeklyCounts(matrix(ok & ~found), matrix(ok & found), last_day)
