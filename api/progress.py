"""Progress on stderr for long CLI work (rich), silent when stderr is not a terminal (cron, pipes, tests)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class StageProgress:
    """A callback ``(stage, done, total)`` drawing one bar per stage; a new stage name starts a new bar.

    Gis functions take such a callback (``progress=``) and know nothing of terminals.
    """

    def __init__(self, *, stream: TextIO | None = None, force: bool | None = None) -> None:
        self.console = Console(file=stream or sys.stderr, force_terminal=force)
        self.enabled = self.console.is_terminal if force is None else force
        self._bars = Progress(SpinnerColumn(), TextColumn("{task.description:<22}"), BarColumn(),
                              MofNCompleteColumn(), TimeElapsedColumn(), console=self.console,
                              disable=not self.enabled, transient=False)
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Report ``done`` of ``total`` for ``stage`` (total 0: unknown, a spinner only)."""
        if not self.enabled:
            return
        task = self._tasks.get(stage)
        if task is None:
            for other in self._tasks.values():  # the previous stage is over: show it full
                self._bars.update(other, completed=self._bars.tasks[other].total or 1)
            task = self._tasks[stage] = self._bars.add_task(stage, total=total or None)
        self._bars.update(task, completed=done, total=total or None)

    def __enter__(self) -> StageProgress:
        if self.enabled:
            self._bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.enabled:
            if kind is None:
                for task in self._tasks.values():
                    self._bars.update(task, completed=self._bars.tasks[task].total or 1)
            self._bars.stop()


@contextmanager
def progress_on_stderr() -> Iterator[StageProgress]:
    """The usual use: ``with progress_on_stderr() as progress: work(..., progress=progress)``."""
    with StageProgress() as progress:
        yield progress
