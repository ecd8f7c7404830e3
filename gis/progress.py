"""Signs of life from long work, without knowing who shows them: a callback ``(stage, done, total)``.

The command line draws bars on stderr (``api/progress.py``); the HTTP API and tests pass nothing or a recorder.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def silent(stage: str, done: int, total: int) -> None:
    """A callback that shows nothing (the default)."""
